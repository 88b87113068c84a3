"""Requests to share on real storage (SQLite and PostgreSQL): the request lands in the holder's
inbox with a deadline by urgency, the holder decides with a decision record, the grant lets the
requester see exactly what was chosen through the gate, and every step is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from sharewell.adapters.db.fact_reads import SqlFactReader
from sharewell.adapters.db.governance import SqlGovernance
from sharewell.adapters.db.people_reads import SqlPersonDirectory
from sharewell.adapters.db.sharing import SqlSharing
from sharewell.adapters.db.tables import FactRow, OrganisationRow, SourceRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.adapters.memory.audit import MemoryAuditLog
from sharewell.domain.access import AccessDecision, Decision, Outcome, Reason
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.decision_records import ShareChoice
from sharewell.domain.errors import (
    NotFound,
    PermissionDenied,
    StorageUnavailable,
    ValidationError,
)
from sharewell.domain.sharing import RequestStatus, ResponseTimes, SharedItem, Urgency
from sharewell.domain.vocabulary import DataCategory, Purpose, Role
from sharewell.services import governance as gov
from sharewell.services import sharing
from sharewell.services.disclosure import DisclosureGate

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
OFFICER = gov.Actor("officer", "POL", Role.POLICE_OFFICER)
OTHER_OFFICER = gov.Actor("officer2", "POL", Role.POLICE_OFFICER)
DSL = gov.Actor("dsl", "SCH1", Role.DESIGNATED_SAFEGUARDING_LEAD)
NURSE = gov.Actor("nurse", "GP1", Role.PRACTICE_NURSE)
ANSWERS = sharing.DecisionAnswers(
    consent_sought=False,
    consent_detail="Seeking consent could place the child at risk of harm",
    legal_basis=("6(1)(e)", "Children Act 2004 s.11"),
    safety_considered="The child's attendance pattern matters to the police enquiry",
    necessary_and_proportionate="Only dates and codes of absence, nothing more",
    advice_sought="None: the school's own procedure covers this",
)


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        for code in ("POL", "SCH1"):
            conn.execute(insert(OrganisationRow).values(code=code, name=code, kind="school"))
        for i, (local, person) in enumerate((("pupil-1", "child-1"), ("pupil-2", "child-2"))):
            conn.execute(
                insert(SourceRecordRow).values(
                    id=i + 1,
                    org_code="SCH1",
                    local_id=local,
                    given_name="A",
                    family_name="B",
                    sex="F",
                )
            )
            conn.execute(
                insert(PersonLinkRow).values(
                    record_id=i + 1, person_id=person, method="test", linked_at=AT
                )
            )
        rows = [
            ("f-att-1", "pupil-1", "education", "ABSENCE", "Unauthorised absence"),
            ("f-att-2", "pupil-1", "education", "ABSENCE", "Absent, reason not given"),
            ("f-sen", "pupil-1", "health", "SEN", "Special educational needs"),
            ("f-other", "pupil-2", "education", "ABSENCE", "Another pupil's absence"),
        ]
        for i, (fid, local, category, code, summary) in enumerate(rows):
            conn.execute(
                insert(FactRow).values(
                    id=fid,
                    org_code="SCH1",
                    local_id=local,
                    category=category,
                    code=code,
                    occurred_at=AT - timedelta(days=10 - i),
                    summary=summary,
                    detail={"session": "am", "note": "private note"},
                )
            )


def _no_decider(**_: object) -> tuple[AccessDecision, AuditEvent]:
    raise AssertionError("requests to share do not ask for an access decision")


class Kit:
    def __init__(self, engine: Engine) -> None:
        _seed(engine)
        self.store = SqlSharing(engine)
        self.governance = SqlGovernance(engine)
        self.audit = MemoryAuditLog()
        # The one disclosure gate; requests to share use only its own-items and grant reads,
        # which decide for themselves, so the access decider is never called here.
        self.gate = DisclosureGate(
            directory=SqlPersonDirectory(engine, forename_group=str, surname_key=str),
            facts=SqlFactReader(engine),
            decide=_no_decider,
            audit=self.audit,
        )
        self.held = self.gate

    def ask(self, urgency: Urgency = Urgency.URGENT, actor: gov.Actor = OFFICER) -> str:
        request = sharing.request_to_share(
            self.store,
            self.audit,
            actor=actor,
            person_id="child-1",
            holder="SCH1",
            purpose=Purpose.SAFEGUARDING_CHILDREN,
            categories=[DataCategory.EDUCATION],
            urgency=urgency,
            reason="Child seen out of school during the day with adults of concern",
            times=ResponseTimes(),
            at=AT,
        )
        return request.id

    def answer(
        self,
        request_id: str,
        items: list[SharedItem],
        choice: ShareChoice = ShareChoice.SHARE,
        actor: gov.Actor = DSL,
        at: datetime = AT + timedelta(hours=2),
    ) -> tuple[object, object]:
        return sharing.answer_request(
            self.store,
            self.governance,
            self.held,
            self.audit,
            actor=actor,
            request_id=request_id,
            choice=choice,
            items=items,
            answers=ANSWERS,
            at=at,
        )


@pytest.fixture
def kit(engine: Engine) -> Kit:
    return Kit(engine)


def test_a_request_lands_in_the_holders_inbox_with_a_deadline_by_urgency(kit: Kit) -> None:
    request_id = kit.ask(Urgency.IMMEDIATE)
    lines = sharing.inbox(kit.store, "SCH1", at=AT + timedelta(hours=1))
    assert [line.request.id for line in lines] == [request_id]
    assert lines[0].request.due_at == AT + timedelta(hours=4)
    assert not lines[0].overdue
    assert sharing.inbox(kit.store, "SCH1", at=AT + timedelta(hours=5))[0].overdue
    assert sharing.inbox(kit.store, "POL") == []
    assert kit.audit.events[-1].kind is AuditKind.SHARE_REQUEST
    assert kit.audit.events[-1].subject_id == "child-1"


def test_routine_deadline_counts_working_days_only() -> None:
    friday = datetime(2026, 3, 6, 15, tzinfo=UTC)
    due = ResponseTimes().due(Urgency.ROUTINE, friday)
    assert due == datetime(2026, 3, 13, 15, tzinfo=UTC)
    assert ResponseTimes().due(Urgency.URGENT, friday) == friday + timedelta(hours=24)


def test_the_requester_sees_exactly_the_items_and_fields_shared(kit: Kit) -> None:
    request_id = kit.ask()
    answered, grant = kit.answer(
        request_id,
        [
            SharedItem("f-att-1", DataCategory.EDUCATION, ("occurred_at", "code")),
            SharedItem("f-att-2", DataCategory.EDUCATION, ()),  # not chosen
        ],
    )
    assert answered.status is RequestStatus.SHARED  # type: ignore[attr-defined]
    assert grant is not None
    items = sharing.shared_with_me(
        kit.store, kit.gate, actor=OFFICER, request_id=request_id, at=AT + timedelta(hours=3)
    )
    assert [(i.fact_id, sorted(i.fields)) for i in items] == [("f-att-1", ["code", "occurred_at"])]
    kinds = [e.kind for e in kit.audit.events]
    assert kinds == [
        AuditKind.SHARE_REQUEST,
        AuditKind.DECISION_RECORD,
        AuditKind.SHARING_GRANT,
        AuditKind.DISCLOSURE,
    ]
    disclosure = kit.audit.events[-1]
    assert disclosure.refs["grant"] == grant.id  # type: ignore[attr-defined]
    assert disclosure.refs["decision_record"] == answered.decision_record_id  # type: ignore[attr-defined]
    records = gov.decision_records_for(kit.governance, "child-1")
    assert records[0].choice is ShareChoice.SHARE
    assert records[0].disclosure_ref == f"share_request:{request_id}"


def test_nobody_else_sees_what_was_shared(kit: Kit) -> None:
    request_id = kit.ask()
    kit.answer(request_id, [SharedItem("f-att-1", DataCategory.EDUCATION, ("code",))])
    assert (
        sharing.shared_with_me(kit.store, kit.gate, actor=OTHER_OFFICER, request_id=request_id)
        == []
    )
    with pytest.raises(NotFound):
        sharing.shared_with_me(kit.store, kit.gate, actor=NURSE, request_id=request_id)


def test_a_declined_request_shares_nothing_and_is_recorded(kit: Kit) -> None:
    request_id = kit.ask()
    answered, grant = kit.answer(request_id, [], choice=ShareChoice.NOT_SHARE)
    assert grant is None
    assert answered.status is RequestStatus.DECLINED  # type: ignore[attr-defined]
    assert sharing.shared_with_me(kit.store, kit.gate, actor=OFFICER, request_id=request_id) == []
    assert gov.decision_records_for(kit.governance, "child-1")[0].choice is ShareChoice.NOT_SHARE
    made = sharing.requests_made(kit.store, "officer")
    assert made[0].request.status is RequestStatus.DECLINED


def test_only_the_holder_answers_and_only_once(kit: Kit) -> None:
    request_id = kit.ask()
    with pytest.raises(PermissionDenied):
        kit.answer(
            request_id, [SharedItem("f-att-1", DataCategory.EDUCATION, ("code",))], actor=OFFICER
        )
    kit.answer(request_id, [SharedItem("f-att-1", DataCategory.EDUCATION, ("code",))])
    with pytest.raises(ValidationError):
        kit.answer(request_id, [SharedItem("f-att-1", DataCategory.EDUCATION, ("code",))])


def test_a_holder_cannot_share_items_outside_the_request(kit: Kit) -> None:
    request_id = kit.ask()
    for item in (
        SharedItem("f-sen", DataCategory.HEALTH, ("code",)),  # category not asked for
        SharedItem("f-other", DataCategory.EDUCATION, ("code",)),  # another person
        SharedItem("nope", DataCategory.EDUCATION, ("code",)),
    ):
        with pytest.raises(ValidationError):
            kit.answer(request_id, [item])
    assert sharing.inbox(kit.store, "SCH1")[0].request.status is RequestStatus.OPEN


def test_a_late_answer_stays_marked_overdue(kit: Kit) -> None:
    request_id = kit.ask(Urgency.IMMEDIATE)
    kit.answer(
        request_id,
        [SharedItem("f-att-1", DataCategory.EDUCATION, ("code",))],
        at=AT + timedelta(hours=6),
    )
    assert sharing.requests_made(kit.store, "officer", at=AT + timedelta(days=3))[0].overdue


def test_nothing_is_disclosed_when_the_audit_log_fails(kit: Kit) -> None:
    request_id = kit.ask()
    kit.answer(request_id, [SharedItem("f-att-1", DataCategory.EDUCATION, ("code",))])
    kit.audit.fail_next = True
    with pytest.raises(StorageUnavailable, match="could not be recorded"):
        sharing.shared_with_me(kit.store, kit.gate, actor=OFFICER, request_id=request_id)


def test_the_holder_sees_its_own_items_with_every_field_and_the_read_is_audited(kit: Kit) -> None:
    request_id = kit.ask()
    items = kit.gate.own_items(
        actor=DSL,
        person_id="child-1",
        categories=[DataCategory.EDUCATION],
        purpose=Purpose.SAFEGUARDING_CHILDREN,
    )
    assert [i.fact_id for i in items] == ["f-att-2", "f-att-1"]  # newest first, own pupil only
    assert set(items[0].fields) == {"occurred_at", "code", "summary", "session", "note"}
    entry = kit.audit.events[-1]
    assert entry.reasons == ("OWN_RECORD",) and entry.subject_id == "child-1"
    assert request_id


def test_references_name_only_the_holders_facts_about_this_person(kit: Kit) -> None:
    refs = kit.gate.references("child-1", "SCH1", [DataCategory.EDUCATION, DataCategory.HEALTH])
    assert refs == {
        "f-att-1": DataCategory.EDUCATION,
        "f-att-2": DataCategory.EDUCATION,
        "f-sen": DataCategory.HEALTH,
    }
    assert kit.gate.references("child-1", "POL", [DataCategory.EDUCATION]) == {}


def test_a_request_needs_a_reason_and_another_holder(kit: Kit) -> None:
    with pytest.raises(ValidationError):
        sharing.request_to_share(
            kit.store,
            kit.audit,
            actor=OFFICER,
            person_id="child-1",
            holder="SCH1",
            purpose=Purpose.SAFEGUARDING_CHILDREN,
            categories=[DataCategory.EDUCATION],
            urgency=Urgency.URGENT,
            reason="too short",
            times=ResponseTimes(),
        )
    with pytest.raises(ValidationError):
        sharing.request_to_share(
            kit.store,
            kit.audit,
            actor=OFFICER,
            person_id="child-1",
            holder="POL",
            purpose=Purpose.SAFEGUARDING_CHILDREN,
            categories=[DataCategory.EDUCATION],
            urgency=Urgency.URGENT,
            reason="A reason that is long enough to pass",
            times=ResponseTimes(),
        )


def test_active_grants_are_what_the_gate_honours_for_the_recipient_only(kit: Kit) -> None:
    request_id = kit.ask()
    _answered, grant = kit.answer(
        request_id, [SharedItem("f-att-1", DataCategory.EDUCATION, ("code",))]
    )
    found = sharing.active_grants(kit.store, practitioner_id="officer", person_id="child-1")
    assert [g.id for g in found] == [grant.id]  # type: ignore[attr-defined]
    assert found[0].items == (SharedItem("f-att-1", DataCategory.EDUCATION, ("code",)),)
    assert sharing.active_grants(kit.store, practitioner_id="officer2", person_id="child-1") == []
    assert sharing.active_grants(kit.store, practitioner_id="officer", person_id="child-2") == []


def test_the_joined_up_record_adds_what_was_shared_on_request_and_nothing_more(
    kit: Kit, engine: Engine
) -> None:
    request_id = kit.ask()
    kit.answer(request_id, [SharedItem("f-att-1", DataCategory.EDUCATION, ("code",))])

    def identity_only(**kwargs: Any) -> tuple[AccessDecision, AuditEvent]:
        request = kwargs["request"]
        event = AuditEvent(AuditKind.DECISION, kwargs["at"], kwargs["actor"].id, "POL")
        decision = AccessDecision(
            tuple(
                Decision(
                    holder,
                    "POL",
                    category,
                    request.purpose,
                    Outcome.PERMIT if category is DataCategory.DEMOGRAPHICS else Outcome.DENY,
                    (Reason.NO_AGREEMENT,) if category is not DataCategory.DEMOGRAPHICS else (),
                )
                for holder in request.holders
                for category in request.categories
            )
        )
        return decision, event

    gate = DisclosureGate(
        directory=SqlPersonDirectory(engine),
        facts=SqlFactReader(engine),
        decide=identity_only,
        audit=kit.audit,
        grants=lambda practitioner, person, at: sharing.active_grants(
            kit.store, practitioner_id=practitioner, person_id=person, at=at
        ),
    )
    purpose = Purpose.SAFEGUARDING_CHILDREN
    at = AT + timedelta(hours=3)
    record = gate.joined_up_record(actor=OFFICER, purpose=purpose, person_id="child-1", at=at)
    assert [(f.id, dict(f.fields)) for f in record.chronology] == [("f-att-1", {"code": "ABSENCE"})]
    assert record.shared == frozenset({"f-att-1"})
    assert kit.audit.events[-1].refs["granted"] == "f-att-1"
    # Another officer, or anyone once the grant is not theirs, sees only the withheld groups.
    other = gate.joined_up_record(actor=OTHER_OFFICER, purpose=purpose, person_id="child-1", at=at)
    assert other.chronology == () and other.shared == frozenset()
