"""Calibrations, signatures, assessments and evidence stored on SQLite and PostgreSQL, and read
back for the disclosure gate by holder and category."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError

from sharewell.adapters.db.fact_reads import SqlFactReader
from sharewell.adapters.db.risk_repositories import SqlCalibrationStore, SqlRiskRecords
from sharewell.adapters.db.tables_risk import RiskAssessmentRow
from sharewell.adapters.memory.audit import MemoryAuditLog
from sharewell.domain.audit import AuditKind
from sharewell.domain.errors import Conflict, NotFound, ValidationError
from sharewell.domain.risk import Assessment, EvidenceItem, EvidenceKind
from sharewell.domain.vocabulary import DataCategory
from sharewell.services.joint_risk import RiskCalibrations
from tests.risk_fixtures import POLICE_IG, SCHOOL_IG, small_document

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_stored_calibration_is_in_force_only_when_all_have_signed(engine: Engine) -> None:
    audit = MemoryAuditLog()
    service = RiskCalibrations(store=SqlCalibrationStore(engine), audit=audit, clock=lambda: T0)
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
    assert [e.outcome for e in audit.events if e.kind is AuditKind.CALIBRATION_CHANGE] == [
        "proposed",
        "signed",
        "signed",
        "in_force",
    ]


CRIME = DataCategory.CRIMINAL_OFFENCE


def test_assessments_and_evidence_are_recorded_and_read_by_holder_and_category(
    engine: Engine,
) -> None:
    records = SqlRiskRecords(engine)
    records.add_assessment(
        Assessment("a1", "POL", "Police", "police_dash", "high", "S1", T0, "H1", 15, CRIME)
    )
    records.add_assessment(
        Assessment(
            "a2",
            "POL",
            "Police",
            "police_dash",
            "medium",
            "S1",
            T0 - timedelta(days=9),
            None,
            None,
            CRIME,
        )
    )
    records.add_assessment(
        Assessment(
            "a3", "ACU", "Hospital", "health_rag", "red", "S1", T0, None, None, DataCategory.HEALTH
        )
    )
    records.add_assessment(
        Assessment("a4", "POL", "Police", "police_dash", "high", "OTHER", T0, None, None, CRIME)
    )
    records.add_evidence(
        EvidenceItem("e1", "POL", EvidenceKind.FACTUAL, "Incident", T0, "S1", category=CRIME)
    )
    # A row from before categories (migration 0008): nobody may be shown it.
    with engine.begin() as conn:
        conn.execute(
            insert(RiskAssessmentRow).values(
                id="old",
                org_code="SCH1",
                org_name="School",
                scale_id="school_concern",
                level="low",
                person_id="S1",
                assessed_at=T0,
            )
        )
    with pytest.raises(IntegrityError):  # the same id twice
        records.add_assessment(
            Assessment("a1", "POL", "Police", "police_dash", "high", "S1", T0, category=CRIME)
        )

    reader = SqlFactReader(engine)
    assert sorted((h.org_code, h.category.value, h.count) for h in reader.risk_holdings("S1")) == [
        ("ACU", "health", 1),
        ("POL", "criminal_offence", 3),
    ]
    assessed, evidence = reader.read_risk("POL", "S1", CRIME, summaries=True)
    assert [a.id for a in assessed] == ["a1", "a2"]  # newest first, only S1's, only this category
    first = assessed[0]
    assert (first.level, first.indicators, first.household_id, first.category) == (
        "high",
        15,
        "H1",
        CRIME,
    )
    assert first.assessed_at == T0 and first.assessed_at.tzinfo is not None
    assert [(e.id, e.summary, e.kind) for e in evidence] == [
        ("e1", "Incident", EvidenceKind.FACTUAL)
    ]
    _, without = reader.read_risk("POL", "S1", CRIME, summaries=False)
    assert without[0].summary == ""
    assert reader.read_risk("ACU", "S1", CRIME, summaries=True) == ([], [])


def test_an_assessment_without_a_category_is_refused(engine: Engine) -> None:
    records = SqlRiskRecords(engine)
    with pytest.raises(ValidationError) as error:
        records.add_assessment(Assessment("a1", "POL", "Police", "police_dash", "high", "S1", T0))
    assert error.value.field == "category"
    with pytest.raises(ValidationError):
        records.add_evidence(EvidenceItem("e1", "POL", EvidenceKind.FACTUAL, "x", T0, "S1"))
