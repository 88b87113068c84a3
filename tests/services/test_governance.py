"""Governance services on real storage (SQLite and PostgreSQL): lifecycle, revocation on the
very next decision, overrides with IG review, decision records, and failing closed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from sharewell.adapters.db.governance import SqlGovernance
from sharewell.adapters.db.repositories import SqlOrganisations, SqlPractitioners
from sharewell.adapters.db.tables_governance import (
    AgreementVersionRow,
    ConsentRecordRow,
    OverrideReviewRow,
)
from sharewell.adapters.memory.audit import MemoryAuditLog
from sharewell.domain.access import AccessRequest, OverrideBasis, OverrideTier
from sharewell.domain.agreements import parse_agreement
from sharewell.domain.audit import AuditKind
from sharewell.domain.consent import ConsentRecord, ConsentState
from sharewell.domain.decision_records import ShareChoice
from sharewell.domain.errors import PermissionDenied, ValidationError
from sharewell.domain.organisations import Organisation, Practitioner
from sharewell.domain.overrides import ReviewOutcome
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.domain.vocabulary import DataCategory, OrganisationKind, Purpose, Role
from sharewell.services import governance as gov
from sharewell.services.governance_ports import GovernanceTransaction
from tests.domain.scenario_kit import charter, party

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)
OPERATOR = gov.Actor("cli:ig")
DSL = Practitioner(
    "dsl1",
    "SCH1",
    "Dana Shah",
    "dsl@sch1.example",
    Role.DESIGNATED_SAFEGUARDING_LEAD,
    training={"golden-rules": date(2026, 1, 10)},
)
EARLY_HELP = Practitioner(
    "eh1",
    "EHS",
    "Rosie Marsh",
    "eh@ehs.example",
    Role.EARLY_HELP_PRACTITIONER,
    training={"golden-rules": date(2026, 1, 10)},
)
TEACHER = Practitioner("t1", "SCH1", "Tom Ellis", "t@sch1.example", Role.TEACHER, team="Year 4")
POLICE_IG = Practitioner("ig1", "POL", "Graham Hart", "ig@pol.example", Role.IG_LEAD)
# The IG lead of an organisation that is not a party to the charter.
HOUSING_IG = Practitioner("ig3", "HSG1", "Neil Carter", "ig@hsg1.example", Role.IG_LEAD)
SCHOOL_IG = Practitioner("ig2", "SCH1", "Anne Price", "ig@sch1.example", Role.IG_LEAD)
POLICE_INCIDENTS = AccessRequest(
    Purpose.SAFEGUARDING_CHILDREN, ("POL",), (DataCategory.CRIMINAL_OFFENCE,)
)
ATTENDANCE = AccessRequest(Purpose.EARLY_HELP, ("SCH1",), (DataCategory.EDUCATION,))
KINDS = {
    "POL": OrganisationKind.POLICE,
    "SCH1": OrganisationKind.SCHOOL,
    "SCH2": OrganisationKind.SCHOOL,
    "EHS": OrganisationKind.EARLY_HELP,
    "GP1": OrganisationKind.GP_PRACTICE,
    "ACU": OrganisationKind.ACUTE_TRUST,
    "CSCN": OrganisationKind.LOCAL_AUTHORITY_CHILDRENS,
    "HSG1": OrganisationKind.HOUSING,
}


class World:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = SqlGovernance(engine)
        self.audit = MemoryAuditLog()
        self.practitioners = SqlPractitioners(engine)
        orgs = SqlOrganisations(engine)
        for code, kind in KINDS.items():
            orgs.add(Organisation(code, f"Org {code}", kind))
        for p in (DSL, EARLY_HELP, TEACHER, POLICE_IG, SCHOOL_IG, HOUSING_IG):
            self.practitioners.add(p, password_hash=None)

    def decide(
        self,
        request: AccessRequest = POLICE_INCIDENTS,
        *,
        who: Practitioner = DSL,
        at: datetime = AT,
    ) -> list[tuple[str, list[str]]]:
        result = gov.decide_access(
            self.store,
            self.practitioners,
            self.audit,
            actor=gov.Actor.of(who),
            person_id="s1",
            request=request,
            at=at,
        )
        return [(d.outcome.value, [r.value for r in d.reasons]) for d in result.decisions]

    def relate(self, who: Practitioner = DSL) -> Relationship:
        return gov.start_relationship(
            self.store,
            self.audit,
            Relationship(
                "s1", RelationshipKind.PUPIL_ON_ROLL, date(2025, 9, 1), practitioner_id=who.id
            ),
            actor=OPERATOR,
        )

    def count(self, table: type) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def world(engine: Engine) -> World:
    w = World(engine)
    gov.import_agreement(
        w.store,
        w.audit,
        parse_agreement(charter()),
        actor=OPERATOR,
        at=datetime(2025, 12, 1, tzinfo=UTC),
    )
    return w


def test_lifecycle_import_propose_sign_then_in_force(engine: Engine) -> None:
    w = World(engine)
    unsigned = charter(
        parties=[
            party("POL", None),
            party("SCH1", None),
            party("SCH2", None),
            party("EHS", None),
            party("GP1", None),
            party("ACU", None),
            party("CSCN", None),
        ]
    )
    gov.import_agreement(w.store, w.audit, parse_agreement(unsigned), actor=OPERATOR)
    gov.propose(w.store, w.audit, "anyshire-charter", actor=OPERATOR)
    w.relate()
    assert w.decide() == [("deny", ["AGREEMENT_NOT_IN_FORCE"])]
    for org in [p["org"] for p in unsigned["parties"]]:
        signed = gov.sign_agreement(
            w.store,
            w.audit,
            "anyshire-charter",
            org=org,
            name=f"Signatory {org}",
            role="Director",
            actor=OPERATOR,
            at=datetime(2025, 12, 5, tzinfo=UTC),
        )
    assert signed.unsigned() == ()
    assert w.decide() == [("permit", ["AGREEMENT"])]
    stored = gov.stored_version(w.store, "anyshire-charter")
    assert stored.proposed_at is not None
    assert [e.outcome for e in w.audit.events if e.kind is AuditKind.AGREEMENT_CHANGE][:3] == [
        "imported",
        "proposed",
        "signed",
    ]


def test_a_draft_cannot_be_signed_before_it_is_proposed(world: World) -> None:
    with pytest.raises(ValidationError, match="still a draft"):
        gov.sign_agreement(
            world.store,
            world.audit,
            "anyshire-charter",
            org="POL",
            name="X",
            role="Y",
            actor=OPERATOR,
        )


def test_signing_twice_is_refused_and_changes_nothing(world: World) -> None:
    gov.propose(world.store, world.audit, "anyshire-charter", actor=OPERATOR)
    before = len(world.audit.events)
    with pytest.raises(ValidationError, match="already signed"):
        gov.sign_agreement(
            world.store,
            world.audit,
            "anyshire-charter",
            org="POL",
            name="X",
            role="Y",
            actor=OPERATOR,
        )
    assert len(world.audit.events) == before


def test_amendment_must_be_the_next_version_and_a_bad_one_changes_nothing(world: World) -> None:
    with pytest.raises(ValidationError, match="must be version 2"):
        gov.import_agreement(
            world.store, world.audit, parse_agreement(charter(version=3)), actor=OPERATOR
        )
    assert world.count(AgreementVersionRow) == 1
    gov.import_agreement(
        world.store, world.audit, parse_agreement(charter(version=2)), actor=OPERATOR
    )
    assert world.count(AgreementVersionRow) == 2


def test_only_a_party_may_terminate_an_agreement(world: World) -> None:
    world.relate()
    before = len(world.audit.events)
    with pytest.raises(PermissionDenied, match="HSG1 is not a party to anyshire-charter@1") as no:
        gov.terminate_agreement(
            world.store,
            world.audit,
            "anyshire-charter",
            reason="Not ours to end",
            actor=gov.Actor.of(HOUSING_IG),
            at=AT - timedelta(seconds=1),
        )
    assert no.value.field == "agreement"
    assert len(world.audit.events) == before
    assert world.decide() == [("permit", ["AGREEMENT"])]  # still in force
    gov.terminate_agreement(
        world.store,
        world.audit,
        "anyshire-charter",
        reason="Partnership restructured",
        actor=gov.Actor.of(POLICE_IG),
        at=AT - timedelta(seconds=1),
    )
    assert world.decide() == [("deny", ["AGREEMENT_NOT_IN_FORCE"])]


def test_only_a_party_may_upload_or_propose_a_version(world: World) -> None:
    housing = gov.Actor.of(HOUSING_IG)
    with pytest.raises(PermissionDenied, match="only its parties may upload it"):
        gov.import_agreement(
            world.store, world.audit, parse_agreement(charter(id="other", title="X")), actor=housing
        )
    # Naming yourself in an amendment does not make you a party to the version it amends.
    joined = charter(version=2, parties=[*charter()["parties"], party("HSG1", None)])
    with pytest.raises(PermissionDenied, match="only its parties may amend it"):
        gov.import_agreement(world.store, world.audit, parse_agreement(joined), actor=housing)
    assert world.count(AgreementVersionRow) == 1
    with pytest.raises(PermissionDenied, match="only its parties may propose it"):
        gov.propose(world.store, world.audit, "anyshire-charter", actor=housing)
    # A party may bring a new organisation in, and the new party may then propose it.
    gov.import_agreement(
        world.store, world.audit, parse_agreement(joined), actor=gov.Actor.of(POLICE_IG)
    )
    gov.propose(world.store, world.audit, "anyshire-charter", version=2, actor=housing)
    assert world.count(AgreementVersionRow) == 2


def test_an_ig_lead_signs_only_for_their_own_organisation(world: World) -> None:
    gov.propose(world.store, world.audit, "anyshire-charter", actor=gov.Actor.of(POLICE_IG))
    with pytest.raises(PermissionDenied, match="only for your own organisation"):
        gov.sign_agreement(
            world.store,
            world.audit,
            "anyshire-charter",
            org="SCH1",
            name="Graham Hart",
            role="IG lead",
            actor=gov.Actor.of(POLICE_IG),
        )


def test_termination_takes_effect_on_the_very_next_decision(world: World) -> None:
    world.relate()
    assert world.decide() == [("permit", ["AGREEMENT"])]
    gov.terminate_agreement(
        world.store,
        world.audit,
        "anyshire-charter",
        reason="Partnership restructured",
        actor=OPERATOR,
        at=AT - timedelta(seconds=1),
    )
    assert world.decide() == [("deny", ["AGREEMENT_NOT_IN_FORCE"])]


def test_consent_withdrawal_takes_effect_on_the_very_next_decision(world: World) -> None:
    world.relate(EARLY_HELP)
    gov.record_consent(
        world.store,
        world.audit,
        ConsentRecord(
            "s1",
            Purpose.EARLY_HELP,
            "all",
            ConsentState.GIVEN,
            AT - timedelta(days=10),
            obtained_how="in person",
            recorded_by="eh1",
            capacity_notes="has capacity",
        ),
        actor=gov.Actor.of(EARLY_HELP),
    )
    assert world.decide(ATTENDANCE, who=EARLY_HELP) == [("permit", ["AGREEMENT"])]
    gov.record_consent(
        world.store,
        world.audit,
        ConsentRecord(
            "s1", Purpose.EARLY_HELP, "all", ConsentState.WITHDRAWN, AT - timedelta(minutes=1)
        ),
        actor=gov.Actor.of(EARLY_HELP),
    )
    assert world.decide(ATTENDANCE, who=EARLY_HELP) == [("deny", ["CONSENT_WITHDRAWN"])]
    assert world.count(ConsentRecordRow) == 2  # the history is kept


def test_ended_relationship_takes_effect_on_the_very_next_decision(world: World) -> None:
    relationship = world.relate()
    assert world.decide() == [("permit", ["AGREEMENT"])]
    assert relationship.id is not None
    gov.end_relationship(
        world.store,
        world.practitioners,
        world.audit,
        relationship.id,
        on=date(2026, 3, 1),
        actor=gov.Actor.of(DSL),
    )
    assert world.decide() == [("deny", ["NO_LEGITIMATE_RELATIONSHIP"])]


def _end(world: World, relationship: Relationship, by: gov.Actor) -> Relationship:
    assert relationship.id is not None
    return gov.end_relationship(
        world.store,
        world.practitioners,
        world.audit,
        relationship.id,
        on=date(2026, 3, 1),
        actor=by,
        at=AT,
    )


def test_another_agency_cannot_end_a_practitioners_relationship(world: World) -> None:
    relationship = world.relate(DSL)
    before = len(world.audit.events)
    with pytest.raises(PermissionDenied, match="practitioner at SCH1") as refused:
        _end(world, relationship, gov.Actor.of(EARLY_HELP))
    assert refused.value.field == "relationship"
    assert len(world.audit.events) == before  # nothing changed, nothing audited
    assert world.decide() == [("permit", ["AGREEMENT"])]  # still in force


def test_a_colleague_without_a_managing_role_cannot_end_it(world: World) -> None:
    relationship = world.relate(DSL)
    with pytest.raises(PermissionDenied, match="team manager or designated safeguarding lead"):
        _end(world, relationship, gov.Actor.of(TEACHER))
    with pytest.raises(PermissionDenied, match="practitioner at SCH1"):
        _end(world, relationship, gov.Actor.of(POLICE_IG))


def test_the_practitioner_or_a_manager_of_their_organisation_may_end_it(world: World) -> None:
    own = world.relate(TEACHER)
    assert _end(world, own, gov.Actor.of(TEACHER)).ends_on == date(2026, 3, 1)
    managed = world.relate(TEACHER)
    assert _end(world, managed, gov.Actor.of(DSL)).ends_on == date(2026, 3, 1)
    assert [e.outcome for e in world.audit.events].count("ended") == 2


def test_a_teams_relationship_is_ended_only_by_a_member_of_that_team(world: World) -> None:
    team = gov.start_relationship(
        world.store,
        world.audit,
        Relationship("s1", RelationshipKind.PUPIL_ON_ROLL, date(2025, 9, 1), team="Year 4"),
        actor=OPERATOR,
    )
    with pytest.raises(PermissionDenied, match="team 'Year 4'"):
        _end(world, team, gov.Actor.of(DSL))
    assert _end(world, team, gov.Actor.of(TEACHER)).ends_on == date(2026, 3, 1)


def test_lapsed_training_takes_effect_on_the_next_decision(world: World) -> None:
    world.relate()
    assert world.decide(at=datetime(2027, 1, 9, 12, tzinfo=UTC)) == [("permit", ["AGREEMENT"])]
    assert world.decide(at=datetime(2027, 1, 10, 12, tzinfo=UTC)) == [
        ("deny", ["TRAINING_EXPIRED"])
    ]


def test_national_opt_out_is_recorded_with_history(world: World) -> None:
    gov.set_national_opt_out(world.store, world.audit, "s1", True, actor=OPERATOR, at=AT)
    gov.set_national_opt_out(
        world.store, world.audit, "s1", False, actor=OPERATOR, at=AT + timedelta(hours=1)
    )
    with world.store.transaction() as tx:
        assert tx.opt_outs.current("s1") is False
    gov.set_national_opt_out(
        world.store, world.audit, "s1", True, actor=OPERATOR, at=AT + timedelta(hours=2)
    )
    with world.store.transaction() as tx:
        assert tx.opt_outs.current("s1") is True


def test_every_decision_is_audited_permits_and_denials(world: World) -> None:
    world.decide()
    world.relate()
    world.decide()
    decisions = [e for e in world.audit.events if e.kind is AuditKind.DECISION]
    assert [e.outcome for e in decisions] == ["deny", "permit"]
    assert decisions[0].reasons == ("NO_LEGITIMATE_RELATIONSHIP",)
    assert decisions[1].refs["POL/criminal_offence"] == "permit:AGREEMENT@anyshire-charter@1"
    assert decisions[1].subject_id == "s1"


def test_emergency_override_creates_an_ig_review_with_a_deadline(world: World) -> None:
    result, review = gov.request_override(
        world.store,
        world.practitioners,
        world.audit,
        actor=gov.Actor.of(DSL),
        person_id="s1",
        request=POLICE_INCIDENTS,
        tier=OverrideTier.EMERGENCY,
        basis=OverrideBasis.SAFEGUARDING,
        justification="Pupil disclosed injuries this morning",
        at=AT,
    )
    [decision] = result.decisions
    assert decision.permitted and decision.expires_at == AT + timedelta(hours=4)
    assert review is not None and review.review_due_at == AT + timedelta(days=3)
    assert world.audit.events[-1].kind is AuditKind.OVERRIDE
    with world.store.transaction() as tx:
        [pending] = tx.overrides.pending()
    assert pending.id == review.id
    assert pending.decisions[0]["overridden"] == "NO_LEGITIMATE_RELATIONSHIP"
    with pytest.raises(PermissionDenied):
        gov.review_override(
            world.store,
            world.audit,
            review.id,
            outcome=ReviewOutcome.JUSTIFIED,
            notes="ok",
            actor=gov.Actor.of(DSL),
        )
    done = gov.review_override(
        world.store,
        world.audit,
        review.id,
        outcome=ReviewOutcome.JUSTIFIED,
        notes="Immediate risk; sharing was proportionate",
        actor=gov.Actor.of(POLICE_IG),
        at=AT + timedelta(days=1),
    )
    assert done.outcome is ReviewOutcome.JUSTIFIED
    with world.store.transaction() as tx:
        assert tx.overrides.pending() == []
    with pytest.raises(ValidationError, match="already been reviewed"):
        gov.review_override(
            world.store,
            world.audit,
            review.id,
            outcome=ReviewOutcome.NOT_JUSTIFIED,
            notes="again",
            actor=gov.Actor.of(POLICE_IG),
        )


def test_approved_override_needs_the_holders_ig_lead(world: World) -> None:
    world.relate()
    sealed = AccessRequest(
        POLICE_INCIDENTS.purpose,
        POLICE_INCIDENTS.holders,
        POLICE_INCIDENTS.categories,
        frozenset({"POL"}),
    )
    with pytest.raises(PermissionDenied):
        gov.request_override(
            world.store,
            world.practitioners,
            world.audit,
            actor=gov.Actor.of(DSL),
            person_id="s1",
            request=sealed,
            tier=OverrideTier.APPROVED,
            basis=OverrideBasis.SAFEGUARDING,
            justification="Strategy meeting needs it today",
            approver_id="dsl1",
        )
    wrong, review = gov.request_override(
        world.store,
        world.practitioners,
        world.audit,
        actor=gov.Actor.of(DSL),
        person_id="s1",
        request=sealed,
        tier=OverrideTier.APPROVED,
        basis=OverrideBasis.SAFEGUARDING,
        justification="Strategy meeting needs it today",
        approver_id="ig2",
        at=AT,
    )
    assert [r.value for r in wrong.decisions[0].reasons] == ["SEALED"] and review is None
    right, review = gov.request_override(
        world.store,
        world.practitioners,
        world.audit,
        actor=gov.Actor.of(DSL),
        person_id="s1",
        request=sealed,
        tier=OverrideTier.APPROVED,
        basis=OverrideBasis.SAFEGUARDING,
        justification="Strategy meeting needs it today",
        approver_id="ig1",
        at=AT,
    )
    assert right.decisions[0].permitted and review is not None


def test_approved_override_cannot_bypass_approval_through_decide_access(world: World) -> None:
    from sharewell.domain.access import Override

    request = AccessRequest(
        POLICE_INCIDENTS.purpose,
        POLICE_INCIDENTS.holders,
        POLICE_INCIDENTS.categories,
        frozenset({"POL"}),
        Override(
            OverrideTier.APPROVED,
            OverrideBasis.SAFEGUARDING,
            "I approved this myself, honestly",
            "Me",
            "POL",
        ),
    )
    with pytest.raises(ValidationError):
        gov.decide_access(
            world.store,
            world.practitioners,
            world.audit,
            actor=gov.Actor.of(DSL),
            person_id="s1",
            request=request,
            at=AT,
        )


# --- Failing closed ---------------------------------------------------------------------------


def test_fails_closed_when_the_audit_log_cannot_be_written(world: World) -> None:
    world.relate()
    world.audit.fail_next = True
    assert world.decide() == [("deny", ["DECISION_UNAVAILABLE"])]
    assert world.decide() == [("permit", ["AGREEMENT"])]


def test_override_not_kept_when_its_audit_entry_fails(world: World) -> None:
    world.audit.fail_next = True
    result, review = gov.request_override(
        world.store,
        world.practitioners,
        world.audit,
        actor=gov.Actor.of(DSL),
        person_id="s1",
        request=POLICE_INCIDENTS,
        tier=OverrideTier.EMERGENCY,
        basis=OverrideBasis.SAFEGUARDING,
        justification="Pupil disclosed injuries this morning",
        at=AT,
    )
    assert not result.decisions[0].permitted and review is None
    assert world.count(OverrideReviewRow) == 0


class BrokenStore:
    """A governance store whose storage fails, as a database outage would."""

    def transaction(self) -> AbstractContextManager[GovernanceTransaction]:
        raise ConnectionError("database went away")

    def reads(self) -> AbstractContextManager[GovernanceTransaction]:
        raise ConnectionError("database went away")


class BrokenConsents:
    """A store whose reads for a decision fail (a consent table unreadable) while the rest
    works."""

    def __init__(self, inner: SqlGovernance) -> None:
        self.inner = inner

    def transaction(self) -> AbstractContextManager[GovernanceTransaction]:
        return self._broken(self.inner.transaction)

    def reads(self) -> AbstractContextManager[GovernanceTransaction]:
        return self._broken(self.inner.reads)

    def _broken(
        self, opener: Callable[[], AbstractContextManager[GovernanceTransaction]]
    ) -> AbstractContextManager[GovernanceTransaction]:
        from contextlib import contextmanager

        @contextmanager
        def broken() -> Iterator[GovernanceTransaction]:
            with opener() as tx:

                def failing(_person_id: str, **_inputs: Any) -> Any:
                    raise RuntimeError("consent table unreadable")

                tx.decision_inputs = failing  # type: ignore[method-assign]
                yield tx

        return broken()


def test_fails_closed_when_storage_raises(world: World) -> None:
    world.relate()
    for store in (BrokenStore(), BrokenConsents(world.store)):
        result = gov.decide_access(
            store,
            world.practitioners,
            world.audit,  # type: ignore[arg-type]
            actor=gov.Actor.of(DSL),
            person_id="s1",
            request=POLICE_INCIDENTS,
            at=AT,
        )
        assert [r.value for r in result.decisions[0].reasons] == ["DECISION_UNAVAILABLE"]
        assert not result.decisions[0].permitted


def test_unknown_practitioner_is_denied(world: World) -> None:
    result = gov.decide_access(
        world.store,
        world.practitioners,
        world.audit,
        actor=gov.Actor("ghost", "SCH1"),
        person_id="s1",
        request=POLICE_INCIDENTS,
        at=AT,
    )
    assert [r.value for r in result.decisions[0].reasons] == ["PRACTITIONER_INACTIVE"]


class _CountingPractitioners:
    """The practitioner repository, counting reads of an account."""

    def __init__(self, inner: SqlPractitioners) -> None:
        self.inner = inner
        self.reads = 0

    def get(self, practitioner_id: str) -> Practitioner | None:
        self.reads += 1
        return self.inner.get(practitioner_id)


def _unrecorded(world: World, practitioners: object, actor: gov.Actor) -> list[str]:
    decision, event = gov.decide_unrecorded(
        world.store,
        practitioners,  # type: ignore[arg-type]
        actor=actor,
        person_id="s1",
        request=POLICE_INCIDENTS,
        at=AT,
    )
    assert event.actor_id == actor.id
    return [r.value for r in decision.decisions[0].reasons]


def test_a_signed_in_decision_uses_the_account_its_request_read(world: World) -> None:
    world.relate()
    counting = _CountingPractitioners(world.practitioners)
    # As the session check read it at the start of the request: not read again.
    loaded = world.practitioners.get(DSL.id)
    assert loaded is not None
    assert _unrecorded(world, counting, gov.Actor.signed_in(loaded)) == ["AGREEMENT"]
    assert counting.reads == 0
    # Any other actor is read afresh, every time.
    assert _unrecorded(world, counting, gov.Actor.of(DSL)) == ["AGREEMENT"]
    assert counting.reads == 1
    # An account that is not the actor's own is never used in its place.
    stranger = gov.Actor("ghost", "SCH1", Role.DESIGNATED_SAFEGUARDING_LEAD, account=loaded)
    assert _unrecorded(world, counting, stranger) == ["PRACTITIONER_INACTIVE"]
    assert counting.reads == 2


# --- Decision records ---------------------------------------------------------------------------


def _record(world: World, **changes: object) -> object:
    values: dict[str, object] = {
        "actor": gov.Actor.of(DSL),
        "person_id": "s1",
        "purpose": Purpose.SAFEGUARDING_CHILDREN,
        "choice": ShareChoice.SHARE,
        "what_was_asked": "Police asked about recent absences",
        "consent_sought": False,
        "consent_detail": "Seeking consent could place the child at greater risk",
        "legal_basis": ("6(1)(e)", "Children Act 2004 s.11"),
        "safety_considered": "Child's safety at home after the incident",
        "shared_what": "Attendance for the last four weeks",
        "shared_with": "PC Lambert, POL",
        "necessary_and_proportionate": "Only the weeks since the incident",
        "advice_sought": "Discussed with the DSL deputy",
        "disclosure_ref": "audit:42",
        "at": AT,
    }
    values.update(changes)
    return gov.submit_decision_record(world.store, world.audit, **values)  # type: ignore[arg-type]


def test_decision_record_is_kept_linked_and_immutable(world: World) -> None:
    record = _record(world)
    with world.store.transaction() as tx:
        [stored] = tx.decision_records.for_person("s1")
    assert stored == record
    assert stored.disclosure_ref == "audit:42"
    assert world.audit.events[-1].kind is AuditKind.DECISION_RECORD
    with pytest.raises(Exception, match="append-only"), world.engine.begin() as conn:
        conn.execute(text("UPDATE decision_records SET shared_what = 'everything'"))
    with pytest.raises(Exception, match="append-only"), world.engine.begin() as conn:
        conn.execute(text("DELETE FROM decision_records"))
    with world.store.transaction() as tx:
        assert tx.decision_records.get(stored.id) == record


def test_decision_not_to_share_needs_no_recipient(world: World) -> None:
    record = _record(
        world, choice=ShareChoice.NOT_SHARE, shared_what="", shared_with="", legal_basis=()
    )
    assert record.choice is ShareChoice.NOT_SHARE  # type: ignore[attr-defined]


def test_incomplete_decision_record_is_refused_and_nothing_stored(world: World) -> None:
    with pytest.raises(ValidationError) as raised:
        _record(world, necessary_and_proportionate="  ")
    assert raised.value.field == "necessary_and_proportionate"
    with world.store.transaction() as tx:
        assert tx.decision_records.for_person("s1") == []


def test_consent_history_refuses_changes(world: World) -> None:
    gov.record_consent(
        world.store,
        world.audit,
        ConsentRecord("s1", Purpose.EARLY_HELP, "all", ConsentState.GIVEN, AT),
        actor=OPERATOR,
    )
    with pytest.raises(Exception, match="append-only"), world.engine.begin() as conn:
        conn.execute(text("UPDATE consent_records SET state = 'refused'"))
    with pytest.raises(Exception, match="append-only"), world.engine.begin() as conn:
        conn.execute(text("DELETE FROM consent_records"))
    with world.store.transaction() as tx:
        [kept] = tx.consents.history("s1")
    assert kept.state is ConsentState.GIVEN


def test_read_services_for_pages_and_api(world: World) -> None:
    from sharewell.domain.agreements import AgreementStatus

    gov.import_agreement(
        world.store, world.audit, parse_agreement(charter(version=2)), actor=OPERATOR
    )
    [first, second] = gov.list_agreements(world.store, at=AT)
    assert (first.status, second.status) == (AgreementStatus.SUPERSEDED, AgreementStatus.IN_FORCE)
    world.relate()
    assert [r.practitioner_id for r in gov.relationships_of(world.store, "s1")] == ["dsl1"]
    gov.record_consent(
        world.store,
        world.audit,
        ConsentRecord("s1", Purpose.EARLY_HELP, "all", ConsentState.REFUSED, AT),
        actor=OPERATOR,
    )
    assert [c.state for c in gov.consent_history(world.store, "s1")] == [ConsentState.REFUSED]
    _result, review = gov.request_override(
        world.store,
        world.practitioners,
        world.audit,
        actor=gov.Actor.of(EARLY_HELP),
        person_id="s1",
        request=ATTENDANCE,
        tier=OverrideTier.EMERGENCY,
        basis=OverrideBasis.VITAL_INTERESTS,
        justification="Child missing, school may know where",
        at=AT,
    )
    assert review is not None
    [(pending, overdue)] = gov.pending_override_reviews(world.store, at=AT + timedelta(days=4))
    assert pending.id == review.id and overdue
    _record(world)
    assert len(gov.decision_records_for(world.store, "s1")) == 1
