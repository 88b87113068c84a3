"""Tables for risk calibrations, their signatures, agencies' assessments and evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKeyConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.adapters.db.tables import Base


class RiskCalibrationRow(Base):
    """One version of a calibration document (as proposed; never edited afterwards)."""

    __tablename__ = "risk_calibrations"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column()


class RiskCalibrationSignatureRow(Base):
    """A party's signature on a calibration version."""

    __tablename__ = "risk_calibration_signatures"
    __table_args__ = (
        ForeignKeyConstraint(
            ["calibration_id", "version"], ["risk_calibrations.id", "risk_calibrations.version"]
        ),
    )
    calibration_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_role: Mapped[str] = mapped_column(String(60))
    signed_at: Mapped[datetime] = mapped_column()


class RiskAssessmentRow(Base):
    """An agency's assessment of a person on its own scale."""

    __tablename__ = "risk_assessments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_code: Mapped[str] = mapped_column(String(16))
    org_name: Mapped[str] = mapped_column(String(200))
    scale_id: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str] = mapped_column(String(40), index=True)
    household_id: Mapped[str | None] = mapped_column(String(40), index=True)
    indicators: Mapped[int | None] = mapped_column(Integer)
    assessed_at: Mapped[datetime] = mapped_column()
    # The data category the access decision governs it by (migration 0008); rows from before
    # it have none and are shown to nobody until an agency gives one.
    category: Mapped[str | None] = mapped_column(String(40))


class RiskEvidenceRow(Base):
    """A factual or anecdotal evidence item recorded by an agency."""

    __tablename__ = "risk_evidence"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(Text)
    person_id: Mapped[str | None] = mapped_column(String(40), index=True)
    household_id: Mapped[str | None] = mapped_column(String(40), index=True)
    occurred_at: Mapped[datetime] = mapped_column()
    category: Mapped[str | None] = mapped_column(String(40))
