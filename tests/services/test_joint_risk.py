"""A calibration change takes effect only when every party has signed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sharewell.adapters.memory.risk import MemoryCalibrationStore, MemoryVisibleRisk
from sharewell.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sharewell.domain.risk import Assessment, VisibleRisk
from sharewell.services.joint_risk import JointRisk, RiskCalibrations
from tests.risk_fixtures import POLICE_IG, SCHOOL_IG, SOCIAL_WORKER, small_document

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def calibrations(clock: Clock) -> RiskCalibrations:
    return RiskCalibrations(store=MemoryCalibrationStore(), clock=clock)


def police_high(at: datetime) -> VisibleRisk:
    return VisibleRisk(
        (
            Assessment("a1", "POL", "Police", "police_dash", "high", "S1", at - timedelta(days=1)),
            Assessment("a2", "SCH1", "School", "school_concern", "medium", "S1", at),
        ),
        (),
    )


def test_calibration_change_takes_effect_only_when_every_party_signs(
    calibrations: RiskCalibrations, clock: Clock
) -> None:
    visible = MemoryVisibleRisk()
    visible.people["S1"] = police_high(T0)
    joint = JointRisk(
        calibrations=calibrations, visible=visible, calibration_id="test-calibration", clock=clock
    )
    calibrations.propose(small_document(1, police_high=4), actor=POLICE_IG)
    with pytest.raises(NotFound):
        joint.for_person("S1", viewer=SOCIAL_WORKER)  # nothing signed yet
    calibrations.sign("test-calibration", 1, actor=POLICE_IG)
    calibrations.sign("test-calibration", 1, actor=SCHOOL_IG)
    first = joint.for_person("S1", viewer=SOCIAL_WORKER)
    assert first.calibration == "test-calibration@1"
    assert first.combined == 4
    assert first.disagreement  # police 4, school 2

    # The amendment maps police "high" to 3; signed by the police only, it is not in force.
    calibrations.propose(small_document(2, police_high=3), actor=POLICE_IG)
    clock.now += timedelta(hours=1)
    calibrations.sign("test-calibration", 2, actor=POLICE_IG)
    clock.now += timedelta(hours=1)
    still = joint.for_person("S1", viewer=SOCIAL_WORKER)
    assert still.calibration == "test-calibration@1"
    assert still.combined == 4

    calibrations.sign("test-calibration", 2, actor=SCHOOL_IG)
    clock.now += timedelta(hours=1)
    amended = joint.for_person("S1", viewer=SOCIAL_WORKER)
    assert amended.calibration == "test-calibration@2"
    assert amended.combined == 3
    assert not amended.disagreement  # police 3, school 2
    assert visible.asked[-1][1] == SOCIAL_WORKER.id


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
