"""Calibrations and signatures stored on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from sharewell.adapters.db.risk_repositories import SqlCalibrationStore, SqlRiskRecords
from sharewell.domain.errors import Conflict, NotFound
from sharewell.domain.risk import Assessment, EvidenceItem, EvidenceKind
from sharewell.services.joint_risk import RiskCalibrations
from tests.risk_fixtures import POLICE_IG, SCHOOL_IG, small_document

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_stored_calibration_is_in_force_only_when_all_have_signed(engine: Engine) -> None:
    service = RiskCalibrations(store=SqlCalibrationStore(engine), clock=lambda: T0)
    service.propose(small_document(1), actor=POLICE_IG)
    service.sign("test-calibration", 1, actor=POLICE_IG, at=T0)
    with pytest.raises(NotFound):
        service.in_force("test-calibration", at=T0 + timedelta(hours=1))
    service.sign("test-calibration", 1, actor=SCHOOL_IG, at=T0 + timedelta(hours=2))
    with pytest.raises(NotFound):
        service.in_force("test-calibration", at=T0 + timedelta(hours=1))  # before the 2nd signature
    found = service.in_force("test-calibration", at=T0 + timedelta(hours=3))
    assert found.ref == "test-calibration@1"
    assert {s.org for s in found.signatures} == {"POL", "SCH1"}
    assert found.signatures[0].signed_at.tzinfo is not None
    with pytest.raises(Conflict):
        SqlCalibrationStore(engine).sign("test-calibration", 1, found.signatures[0])


def test_assessments_and_evidence_are_recorded(engine: Engine) -> None:
    records = SqlRiskRecords(engine)
    records.add_assessment(
        Assessment("a1", "POL", "Police", "police_dash", "high", "S1", T0, "H1", 15)
    )
    records.add_evidence(EvidenceItem("e1", "POL", EvidenceKind.FACTUAL, "Incident", T0, "S1"))
    with pytest.raises(IntegrityError):  # the same id twice
        records.add_assessment(Assessment("a1", "POL", "Police", "police_dash", "high", "S1", T0))
