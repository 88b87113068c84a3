"""The disclosure gate: decide -> read only permitted fields -> audit -> return; fail closed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sharewell.adapters.memory.audit import MemoryAuditLog
from sharewell.adapters.memory.disclosure import (
    MemoryFactReader,
    MemoryPersonDirectory,
    StoredFact,
)
from sharewell.domain.access import AccessDecision, AccessRequest, Decision, Outcome, Reason
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.errors import NotFound, StorageUnavailable, ValidationError
from sharewell.domain.vocabulary import DataCategory, Purpose, Role
from sharewell.services.disclosure import DisclosureGate, IdentityRecord, PersonQuery
from sharewell.services.governance import Actor

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
SCHOOL_LEAD = Actor("p-sch", "SCH1", Role.DESIGNATED_SAFEGUARDING_LEAD)
DEMO = DataCategory.DEMOGRAPHICS
CRIME = DataCategory.CRIMINAL_OFFENCE


class TableDecider:
    """Permits exactly the (holder, category) pairs given, with their fields; denies the rest."""

    def __init__(self, permits: dict[tuple[str, DataCategory], tuple[str, ...] | None]) -> None:
        self.permits = permits
        self.calls = 0

    def __call__(
        self, *, actor: Actor, person_id: str, request: AccessRequest, at: datetime
    ) -> tuple[AccessDecision, AuditEvent]:
        # The table answers the same for everyone, at any time.
        self.calls += 1
        out = []
        for holder in request.holders:
            for category in request.categories:
                key = (holder, category)
                if key in self.permits:
                    out.append(
                        Decision(
                            holder,
                            actor.org or "",
                            category,
                            request.purpose,
                            Outcome.PERMIT,
                            (Reason.AGREEMENT,),
                            "charter@1",
                            fields=self.permits[key],
                        )
                    )
                else:
                    out.append(
                        Decision(
                            holder,
                            actor.org or "",
                            category,
                            request.purpose,
                            Outcome.DENY,
                            (Reason.NO_AGREEMENT,),
                        )
                    )
        return AccessDecision(tuple(out)), _decided(actor, person_id, request, at)


def _decided(actor: Actor, person_id: str, request: AccessRequest, at: datetime) -> AuditEvent:
    return AuditEvent(
        AuditKind.DECISION,
        at,
        actor.id,
        actor.org,
        purpose=request.purpose.value,
        subject_id=person_id,
        outcome="decided",
    )


def _shown(audit: MemoryAuditLog) -> list[AuditEvent]:
    """The gate's own entries (not the decisions' entries it appends with them)."""
    return [e for e in audit.events if e.kind is not AuditKind.DECISION]


def raising_decider(
    *, actor: Actor, person_id: str, request: AccessRequest, at: datetime
) -> tuple[AccessDecision, AuditEvent]:
    raise RuntimeError("governance store down")


def _record(org: str, local: str, given: str = "Liam", family: str = "Carter") -> IdentityRecord:
    return IdentityRecord(org, local, given, family, date(2015, 4, 2), "male", None, "AN1 2BC")


@pytest.fixture
def directory() -> MemoryPersonDirectory:
    d = MemoryPersonDirectory()
    d.add("child", _record("SCH1", "pupil-1"))
    d.add("child", _record("POL", "nominal-9"))
    d.add("stranger", _record("POL", "nominal-5", "Liam", "Carter"))
    return d


@pytest.fixture
def facts() -> MemoryFactReader:
    return MemoryFactReader(
        [
            StoredFact(
                "f1",
                "POL",
                "nominal-9",
                CRIME,
                AT,
                "DA1",
                "Domestic incident at home",
                {"incident_type": "domestic_abuse", "officer_notes": "secret"},
            ),
            StoredFact(
                "f2",
                "POL",
                "nominal-9",
                DataCategory.POLICE_INTELLIGENCE,
                AT,
                "INT",
                "Intelligence",
                {"grading": "B2"},
            ),
            StoredFact(
                "f3",
                "POL",
                "nominal-9",
                DataCategory.POLICE_INTELLIGENCE,
                AT,
                "INT",
                "More intelligence",
                {"grading": "C3"},
            ),
            StoredFact("f4", "SCH1", "pupil-1", DataCategory.EDUCATION, AT, "ABS", "Absent", {}),
            StoredFact("f5", "POL", "nominal-5", CRIME, AT, "ARR", "Arrest", {}),
        ]
    )


def _gate(directory, facts, decider, audit=None) -> DisclosureGate:  # type: ignore[no-untyped-def]
    return DisclosureGate(
        directory=directory,
        facts=facts,
        decide=decider,
        audit=audit or MemoryAuditLog(),
        org_names=lambda: {"POL": "Anyshire Police", "SCH1": "Anyshire Primary"},
    )


SCHOOL_PERMITS = {
    ("SCH1", DEMO): None,
    ("SCH1", DataCategory.EDUCATION): None,
    ("POL", CRIME): ("occurred_at", "incident_type"),
}


def test_permit_returns_only_the_allowed_fields(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    record = gate.joined_up_record(
        actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="child", at=AT
    )
    police = [f for f in record.chronology if f.org_code == "POL"]
    assert [dict(f.fields) for f in police] == [{"incident_type": "domestic_abuse"}]
    assert police[0].occurred_at == AT
    assert ("POL", CRIME, ("occurred_at", "incident_type")) in facts.asked
    # The police's intelligence was never read, only counted.
    assert all(c is not DataCategory.POLICE_INTELLIGENCE for _, c, _ in facts.asked)
    assert [(w.org_code, w.category, w.count) for w in record.withheld] == [
        ("POL", DataCategory.POLICE_INTELLIGENCE, 2)
    ]
    assert record.withheld[0].sentence == (
        "Anyshire Police hold 2 items of police intelligence data."
    )
    assert "no agreement" in record.withheld[0].explanation
    # Identity details come only from holders whose demographics may be seen.
    assert [i.org_code for i in record.person.identities] == ["SCH1"]
    [event] = _shown(audit)
    assert event.kind is AuditKind.DISCLOSURE
    assert event.subject_id == "child"
    assert event.purpose == "safeguarding_children"
    assert event.refs["POL/criminal_offence"] == "1"
    assert event.refs["withheld:POL/police_intelligence"] == "2"
    assert "domestic" not in repr(event) and "secret" not in repr(event)


def test_denial_of_everything_looks_like_an_unknown_person(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    with pytest.raises(NotFound) as hidden:
        gate.joined_up_record(
            actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="stranger", at=AT
        )
    with pytest.raises(NotFound) as unknown:
        gate.joined_up_record(
            actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="nobody", at=AT
        )
    assert hidden.value.message == unknown.value.message
    assert facts.asked == []
    assert [e.outcome for e in _shown(audit)] == ["not_found", "not_found"]


def test_audit_failure_discloses_nothing(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    audit.fail_next = True
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    with pytest.raises(StorageUnavailable):
        gate.joined_up_record(
            actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="child", at=AT
        )
    assert audit.events == []


def test_decider_failure_discloses_nothing(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    gate = _gate(directory, facts, raising_decider, audit)
    with pytest.raises(StorageUnavailable):
        gate.joined_up_record(
            actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="child", at=AT
        )
    assert facts.asked == []
    assert audit.events == []


def test_decision_unavailable_denials_disclose_nothing(directory, facts) -> None:  # type: ignore[no-untyped-def]
    def unavailable(
        *, actor: Actor, person_id: str, request: AccessRequest, at: datetime
    ) -> tuple[AccessDecision, AuditEvent]:
        return AccessDecision(
            tuple(
                Decision(
                    h, "SCH1", c, request.purpose, Outcome.DENY, (Reason.DECISION_UNAVAILABLE,)
                )
                for h in request.holders
                for c in request.categories
            )
        ), _decided(actor, person_id, request, at)

    gate = _gate(directory, facts, unavailable)
    with pytest.raises(StorageUnavailable):
        gate.joined_up_record(
            actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="child", at=AT
        )
    assert facts.asked == []


def test_search_leaves_out_people_the_practitioner_may_not_see(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    results = gate.search(
        actor=SCHOOL_LEAD,
        purpose=Purpose.SAFEGUARDING_CHILDREN,
        query=PersonQuery(name="liam carter"),
        at=AT,
    )
    # Two people are called Liam Carter; only the pupil is visible, and the count says one.
    assert [p.person_id for p in results] == ["child"]
    [event] = _shown(audit)
    assert event.kind is AuditKind.SEARCH
    assert event.outcome == "1 results"
    assert "stranger" not in repr(event)
    assert "liam" not in repr(event).casefold()
    assert event.refs["criteria"] == "name"


def test_search_tolerates_nicknames(facts) -> None:  # type: ignore[no-untyped-def]
    directory = MemoryPersonDirectory()
    directory.add("w", _record("SCH1", "pupil-2", "William", "Jones"))
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS))
    found = gate.search(
        actor=SCHOOL_LEAD,
        purpose=Purpose.SAFEGUARDING_CHILDREN,
        query=PersonQuery(name="Bill Jones"),
        at=AT,
    )
    assert [p.person_id for p in found] == ["w"]


def test_search_needs_a_criterion(directory, facts) -> None:  # type: ignore[no-untyped-def]
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS))
    with pytest.raises(ValidationError):
        gate.search(actor=SCHOOL_LEAD, purpose=Purpose.EARLY_HELP, query=PersonQuery(), at=AT)


def test_search_audit_failure_returns_nothing(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    audit.fail_next = True
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    with pytest.raises(StorageUnavailable):
        gate.search(
            actor=SCHOOL_LEAD,
            purpose=Purpose.SAFEGUARDING_CHILDREN,
            query=PersonQuery(name="Liam"),
            at=AT,
        )


def test_household_shows_only_visible_members(directory, facts) -> None:  # type: ignore[no-untyped-def]
    directory.households["h"] = ["child", "stranger"]
    directory.add("sibling", _record("SCH1", "pupil-3", "Mia", "Carter"))
    directory.households["h"].append("sibling")
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS))
    members = gate.household(
        actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="child", at=AT
    )
    assert [m.person_id for m in members] == ["sibling"]
    with pytest.raises(NotFound):
        gate.household(
            actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="stranger", at=AT
        )


def test_person_shows_identity_only_from_permitted_holders(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    person = gate.person(actor=SCHOOL_LEAD, purpose=Purpose.EARLY_HELP, person_id="child", at=AT)
    assert [i.org_code for i in person.identities] == ["SCH1"]
    assert facts.asked == []
    with pytest.raises(NotFound):
        gate.person(actor=SCHOOL_LEAD, purpose=Purpose.EARLY_HELP, person_id="stranger", at=AT)
    assert [e.outcome for e in _shown(audit)] == ["identity", "not_found"]


def test_the_decision_and_the_disclosure_are_recorded_in_one_commit(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    gate.joined_up_record(
        actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="child", at=AT
    )
    assert [e.kind for e in audit.events] == [AuditKind.DECISION, AuditKind.DISCLOSURE]
    assert audit.batches == [2]


def test_a_failed_read_still_records_the_decision(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()

    def broken(_asks: object) -> list[object]:
        raise RuntimeError("facts table unreadable")

    facts.read_many = broken
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    with pytest.raises(RuntimeError):
        gate.joined_up_record(
            actor=SCHOOL_LEAD, purpose=Purpose.SAFEGUARDING_CHILDREN, person_id="child", at=AT
        )
    assert [e.kind for e in audit.events] == [AuditKind.DECISION]


def test_a_search_records_its_decisions_with_its_own_entry_in_one_commit(directory, facts) -> None:  # type: ignore[no-untyped-def]
    audit = MemoryAuditLog()
    gate = _gate(directory, facts, TableDecider(SCHOOL_PERMITS), audit)
    gate.search(
        actor=SCHOOL_LEAD,
        purpose=Purpose.SAFEGUARDING_CHILDREN,
        query=PersonQuery(name="liam carter"),
        at=AT,
    )
    # Both Liam Carters were decided on (one is hidden); then the search entry.
    assert [e.kind for e in audit.events] == [AuditKind.DECISION] * 2 + [AuditKind.SEARCH]
    assert audit.batches == [3]
    audit.fail_next = True
    with pytest.raises(StorageUnavailable):
        gate.search(
            actor=SCHOOL_LEAD,
            purpose=Purpose.SAFEGUARDING_CHILDREN,
            query=PersonQuery(name="liam carter"),
            at=AT,
        )
