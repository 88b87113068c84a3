"""A calibration change takes effect only when every party has signed it; joint risk profiles
come through the disclosure gate; calibration changes are audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sharewell.adapters.memory.audit import MemoryAuditLog
from sharewell.adapters.memory.disclosure import MemoryFactReader, MemoryPersonDirectory
from sharewell.adapters.memory.risk import MemoryCalibrationStore
from sharewell.domain.audit import AuditKind
from sharewell.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sharewell.domain.risk import Assessment, EvidenceItem, EvidenceKind
from sharewell.domain.vocabulary import DataCategory, Purpose, Role
from sharewell.services.disclosure import DisclosureGate, IdentityRecord
from sharewell.services.governance import Actor
from sharewell.services.joint_risk import JointRisk, RiskCalibrations
from tests.risk_fixtures import POLICE_IG, SCHOOL_IG, SOCIAL_WORKER, small_document
from tests.services.test_disclosure import TableDecider

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
CRIME = DataCategory.CRIMINAL_OFFENCE
EDUCATION = DataCategory.EDUCATION
HEALTH = DataCategory.HEALTH
SCHOOL_LEAD = Actor("p-sch", "SCH1", Role.DESIGNATED_SAFEGUARDING_LEAD)
SAFEGUARDING = Purpose.SAFEGUARDING_CHILDREN
# The school lead sees their own school's records, the police's criminal offence data (date and
# kind only: the minimum data set) and nobody's health data.
SCHOOL_PERMITS: dict[tuple[str, DataCategory], tuple[str, ...] | None] = {
    ("SCH1", DataCategory.DEMOGRAPHICS): None,
    ("SCH1", EDUCATION): None,
    ("POL", DataCategory.DEMOGRAPHICS): ("given_name",),
    ("POL", CRIME): ("occurred_at", "incident_type"),
}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def audit() -> MemoryAuditLog:
    return MemoryAuditLog()


@pytest.fixture
def calibrations(clock: Clock, audit: MemoryAuditLog) -> RiskCalibrations:
    return RiskCalibrations(store=MemoryCalibrationStore(), audit=audit, clock=clock)


def _record(org: str, local: str, given: str = "Liam") -> IdentityRecord:
    return IdentityRecord(org, local, given, "Carter", date(2015, 4, 2), "male", None, "AN1 2BC")


def world(at: datetime) -> tuple[MemoryPersonDirectory, MemoryFactReader]:
    """S1: police say high, the school says low, the hospital holds a red it may not share."""
    directory = MemoryPersonDirectory()
    for org, local in (("SCH1", "pupil-1"), ("POL", "nominal-9"), ("ACU", "mrn-4")):
        directory.add("S1", _record(org, local))
    directory.add("SIB", _record("SCH1", "pupil-2", "Mia"))
    directory.add("HIDDEN", _record("ACU", "mrn-7", "Tom"))
    directory.households["H"] = ["S1", "SIB", "HIDDEN"]
    facts = MemoryFactReader()
    facts.assessments = [
        Assessment(
            "a1",
            "POL",
            "Police",
            "police_dash",
            "high",
            "S1",
            at - timedelta(days=1),
            category=CRIME,
        ),
        Assessment("a2", "SCH1", "School", "school_concern", "low", "S1", at, category=EDUCATION),
        Assessment("a3", "ACU", "Hospital", "police_dash", "high", "S1", at, category=HEALTH),
        Assessment(
            "a4", "SCH1", "School", "school_concern", "medium", "SIB", at, category=EDUCATION
        ),
        Assessment("a5", "ACU", "Hospital", "police_dash", "high", "HIDDEN", at, category=HEALTH),
        # No category: no decision can govern it, so nobody is shown it.
        Assessment("a6", "SCH1", "School", "school_concern", "high", "S1", at),
    ]
    facts.evidence = [
        EvidenceItem(
            "e1",
            "POL",
            EvidenceKind.FACTUAL,
            "Officers attended",
            at - timedelta(days=3),
            "S1",
            category=CRIME,
        ),
        EvidenceItem(
            "e2",
            "SCH1",
            EvidenceKind.ANECDOTAL,
            "A parent's worry",
            at - timedelta(days=10),
            "S1",
            category=EDUCATION,
        ),
        EvidenceItem(
            "e3", "ACU", EvidenceKind.FACTUAL, "Injury seen in A&E", at, "S1", category=HEALTH
        ),
    ]
    return directory, facts


def joint_risk(
    calibrations: RiskCalibrations, clock: Clock, audit: MemoryAuditLog, at: datetime = T0
) -> tuple[JointRisk, MemoryFactReader]:
    directory, facts = world(at)
    gate = DisclosureGate(
        directory=directory,
        facts=facts,
        decide=TableDecider(SCHOOL_PERMITS),
        audit=audit,
        org_names=lambda: {
            "POL": "Anyshire Police",
            "SCH1": "Anyshire Primary",
            "ACU": "Anyshire Hospital",
        },
    )
    return (
        JointRisk(
            calibrations=calibrations, visible=gate, calibration_id="test-calibration", clock=clock
        ),
        facts,
    )


def sign_both(calibrations: RiskCalibrations, version: int = 1) -> None:
    calibrations.sign("test-calibration", version, actor=POLICE_IG)
    calibrations.sign("test-calibration", version, actor=SCHOOL_IG)


def test_calibration_change_takes_effect_only_when_every_party_signs(
    calibrations: RiskCalibrations, clock: Clock, audit: MemoryAuditLog
) -> None:
    joint, _ = joint_risk(calibrations, clock, audit)
    calibrations.propose(small_document(1, police_high=4), actor=POLICE_IG)
    with pytest.raises(NotFound) as missing:
        joint.for_person("S1", actor=SCHOOL_LEAD, purpose=SAFEGUARDING)  # nothing signed yet
    assert missing.value.field == "calibration"
    assert not [e for e in audit.events if e.kind is AuditKind.DISCLOSURE]  # nothing was read
    sign_both(calibrations)
    first = joint.for_person("S1", actor=SCHOOL_LEAD, purpose=SAFEGUARDING).profile
    assert first.calibration == "test-calibration@1"
    assert first.combined == 4
    assert first.disagreement  # police 4, school 1

    # The amendment maps police "high" to 2; signed by the police only, it is not in force.
    calibrations.propose(small_document(2, police_high=2), actor=POLICE_IG)
    clock.now += timedelta(hours=1)
    calibrations.sign("test-calibration", 2, actor=POLICE_IG)
    clock.now += timedelta(hours=1)
    still = joint.for_person("S1", actor=SCHOOL_LEAD, purpose=SAFEGUARDING).profile
    assert still.calibration == "test-calibration@1"
    assert still.combined == 4

    calibrations.sign("test-calibration", 2, actor=SCHOOL_IG)
    clock.now += timedelta(hours=1)
    amended = joint.for_person("S1", actor=SCHOOL_LEAD, purpose=SAFEGUARDING).profile
    assert amended.calibration == "test-calibration@2"
    assert amended.combined == 2
    assert not amended.disagreement  # police 2, school 1


def test_profile_shows_only_what_the_viewer_may_see_and_says_what_is_withheld(
    calibrations: RiskCalibrations, clock: Clock, audit: MemoryAuditLog
) -> None:
    joint, facts = joint_risk(calibrations, clock, audit)
    calibrations.propose(small_document(1), actor=POLICE_IG)
    sign_both(calibrations)
    before = len(audit.events)
    view = joint.for_person("S1", actor=SCHOOL_LEAD, purpose=SAFEGUARDING)
    profile = view.profile
    assert [(a.org_code, a.level, a.common) for a in profile.agencies] == [
        ("POL", "high", 4),
        ("SCH1", "low", 1),
    ]
    assert profile.disagreement
    assert profile.disagreement_text == "Police: high. School: low."
    assert profile.combined == 4
    # The hospital's red neither counts nor shows; it is said to exist, with the reason.
    assert "ACU" not in {e.item.org_code for e in profile.evidence}
    [withheld] = view.withheld
    assert (withheld.org_code, withheld.category, withheld.count) == ("ACU", HEALTH, 2)
    assert withheld.sentence == "Anyshire Hospital hold 2 items of health data."
    assert withheld.explanation
    assert profile.withheld == 2
    # The police share the kind and date of evidence, not its words (the minimum data set).
    police = next(e for e in profile.evidence if e.item.org_code == "POL")
    assert police.item.summary == "" and police.weight == 1.0
    assert view.limits
    assert ("ACU", "S1", HEALTH, True) not in facts.risk_asked  # never read
    assert {(o, c) for o, _, c, _ in facts.risk_asked} == {("POL", CRIME), ("SCH1", EDUCATION)}
    # One durable disclosure entry, naming counts, never content.
    # (The decision entries, committed with it, come first.)
    [entry] = [e for e in audit.events[before:] if e.kind is not AuditKind.DECISION]
    assert entry.kind is AuditKind.DISCLOSURE and entry.subject_id == "S1"
    assert entry.refs["risk:POL/criminal_offence"] == "2"
    assert entry.refs["withheld:ACU/health"] == "2"
    assert "Officers attended" not in str(entry)


def test_an_unknown_or_hidden_person_is_not_found_alike_and_audited(
    calibrations: RiskCalibrations, clock: Clock, audit: MemoryAuditLog
) -> None:
    joint, facts = joint_risk(calibrations, clock, audit)
    calibrations.propose(small_document(1), actor=POLICE_IG)
    sign_both(calibrations)
    messages = []
    for person in ("HIDDEN", "nobody"):
        with pytest.raises(NotFound) as error:
            joint.for_person(person, actor=SCHOOL_LEAD, purpose=SAFEGUARDING)
        messages.append(error.value.message)
        assert audit.events[-1].outcome == "not_found"
    assert messages[0] == messages[1]
    assert facts.risk_asked == []


def test_household_profile_includes_visible_members_only(
    calibrations: RiskCalibrations, clock: Clock, audit: MemoryAuditLog
) -> None:
    joint, _ = joint_risk(calibrations, clock, audit)
    calibrations.propose(small_document(1), actor=POLICE_IG)
    sign_both(calibrations)
    view = joint.for_household("S1", actor=SCHOOL_LEAD, purpose=SAFEGUARDING)
    assert [m.person_id for m in view.members] == ["SIB"]
    assert {(a.person_id, a.org_code) for a in view.profile.agencies} == {
        ("S1", "POL"),
        ("S1", "SCH1"),
        ("SIB", "SCH1"),
    }
    assert view.profile.disagreement_text == "Police: high. School: low."
    assert view.withheld_about == ("S1",)  # the hospital's items about S1 (HIDDEN is left out)


def test_a_failed_audit_discloses_nothing(
    calibrations: RiskCalibrations, clock: Clock, audit: MemoryAuditLog
) -> None:
    from sharewell.domain.errors import StorageUnavailable

    joint, _ = joint_risk(calibrations, clock, audit)
    calibrations.propose(small_document(1), actor=POLICE_IG)
    sign_both(calibrations)
    audit.fail_next = True
    with pytest.raises(StorageUnavailable):
        joint.for_person("S1", actor=SCHOOL_LEAD, purpose=SAFEGUARDING)


def test_proposing_signing_and_coming_into_force_are_audited(
    calibrations: RiskCalibrations, clock: Clock, audit: MemoryAuditLog
) -> None:
    calibrations.propose(small_document(1), actor=POLICE_IG)
    sign_both(calibrations)
    calibrations.propose(small_document(2, police_high=3), actor=SCHOOL_IG)
    calibrations.sign("test-calibration", 2, actor=SCHOOL_IG)
    clock.now += timedelta(hours=1)
    calibrations.sign("test-calibration", 2, actor=POLICE_IG)
    changes = [
        (e.outcome, e.agreement, e.actor_id, dict(e.refs))
        for e in audit.events
        if e.kind is AuditKind.CALIBRATION_CHANGE
    ]
    assert changes == [
        ("proposed", "test-calibration@1", "pol-ig", {"parties": "POL,SCH1"}),
        ("signed", "test-calibration@1", "pol-ig", {"org": "POL"}),
        ("signed", "test-calibration@1", "sch-ig", {"org": "SCH1"}),
        ("in_force", "test-calibration@1", "sch-ig", {}),
        ("proposed", "test-calibration@2", "sch-ig", {"parties": "POL,SCH1"}),
        ("signed", "test-calibration@2", "sch-ig", {"org": "SCH1"}),
        ("signed", "test-calibration@2", "pol-ig", {"org": "POL"}),
        ("in_force", "test-calibration@2", "pol-ig", {"replaces": "test-calibration@1"}),
    ]


def test_nothing_is_proposed_or_signed_when_the_audit_log_cannot_take_it(
    calibrations: RiskCalibrations, audit: MemoryAuditLog
) -> None:
    from sharewell.domain.errors import StorageUnavailable

    audit.fail_next = True
    with pytest.raises(StorageUnavailable):
        calibrations.propose(small_document(1), actor=POLICE_IG)
    assert calibrations.ids() == []
    calibrations.propose(small_document(1), actor=POLICE_IG)
    audit.fail_next = True
    with pytest.raises(StorageUnavailable):
        calibrations.sign("test-calibration", 1, actor=POLICE_IG)
    assert calibrations.status("test-calibration").pending[0].unsigned_parties() == ("POL", "SCH1")


def test_only_parties_propose_and_sign_once(calibrations: RiskCalibrations) -> None:
    with pytest.raises(PermissionDenied):
        calibrations.propose(small_document(1), actor=SOCIAL_WORKER)
    calibrations.propose(small_document(1), actor=POLICE_IG)
    with pytest.raises(Conflict):
        calibrations.propose(small_document(1), actor=POLICE_IG)
    with pytest.raises(ValidationError) as error:
        calibrations.propose(small_document(3), actor=POLICE_IG)
    assert error.value.field == "version"
    with pytest.raises(ValidationError):
        calibrations.sign("test-calibration", 1, actor=SOCIAL_WORKER)
    calibrations.sign("test-calibration", 1, actor=POLICE_IG)
    with pytest.raises(ValidationError):
        calibrations.sign("test-calibration", 1, actor=POLICE_IG)


def test_status_shows_the_version_in_force_and_the_amendment_awaiting_signatures(
    calibrations: RiskCalibrations, clock: Clock
) -> None:
    calibrations.propose(small_document(1), actor=POLICE_IG)
    calibrations.sign("test-calibration", 1, actor=POLICE_IG)
    calibrations.sign("test-calibration", 1, actor=SCHOOL_IG)
    calibrations.propose(small_document(2, police_high=3), actor=SCHOOL_IG)
    calibrations.sign("test-calibration", 2, actor=SCHOOL_IG)
    status = calibrations.status("test-calibration")
    assert status.in_force is not None and status.in_force.version == 1
    assert [(p.version, p.unsigned_parties()) for p in status.pending] == [(2, ("POL",))]
    assert calibrations.ids() == ["test-calibration"]
    with pytest.raises(NotFound):
        calibrations.status("nope")


def test_a_bad_calibration_is_refused_naming_the_field_and_nothing_is_stored(
    calibrations: RiskCalibrations, audit: MemoryAuditLog
) -> None:
    twice = small_document()
    twice["mapping"]["school_concern"].append({"level": "low", "common": 2})
    unknown = small_document()
    unknown["mapping"]["ambulance_triage"] = [{"level": "red", "common": 4}]
    for doc, field in (
        (twice, "mapping.school_concern.low"),
        (unknown, "mapping.ambulance_triage"),
    ):
        with pytest.raises(ValidationError) as error:
            calibrations.propose(doc, actor=POLICE_IG)
        assert error.value.field == field
    assert calibrations.ids() == []
    assert audit.events == []
