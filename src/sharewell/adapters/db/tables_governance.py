"""Governance storage: agreements, signatures, consent, opt-outs, relationships, overrides,
decision records. Consent, opt-out and decision records are append-only (database triggers in
migration 0003_governance refuse UPDATE and DELETE on them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.adapters.db.tables import Base

APPEND_ONLY = ("consent_records", "national_opt_outs", "decision_records")


class AgreementVersionRow(Base):
    """One version of an agreement; the document is stored without signatures or termination."""

    __tablename__ = "agreement_versions"
    agreement_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # draft | proposed
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column()
    imported_by: Mapped[str] = mapped_column(String(80))
    proposed_at: Mapped[datetime | None] = mapped_column()


class AgreementSignatureRow(Base):
    __tablename__ = "agreement_signatures"
    agreement_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column()
    recorded_by: Mapped[str] = mapped_column(String(80))


class AgreementTerminationRow(Base):
    __tablename__ = "agreement_terminations"
    agreement_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    terminated_at: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(80))


class ConsentRecordRow(Base):
    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_person_purpose", "person_id", "purpose"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12))
    recorded_at: Mapped[datetime] = mapped_column()
    obtained_how: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(80))
    capacity_notes: Mapped[str | None] = mapped_column(Text)
    valid_until: Mapped[datetime | None] = mapped_column()


class NationalOptOutRow(Base):
    __tablename__ = "national_opt_outs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(40), index=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column()
    recorded_by: Mapped[str] = mapped_column(String(80))


class RelationshipRow(Base):
    __tablename__ = "legitimate_relationships"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(40), index=True)
    practitioner_id: Mapped[str | None] = mapped_column(String(40))
    team: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(80))


class OverrideReviewRow(Base):
    """An override used, waiting for (or after) information governance review."""

    __tablename__ = "override_reviews"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    practitioner_id: Mapped[str] = mapped_column(String(40), index=True)
    org: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str] = mapped_column(String(12))
    basis: Mapped[str] = mapped_column(String(30))
    justification: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_by_org: Mapped[str | None] = mapped_column(String(16))
    decisions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    granted_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    review_due_at: Mapped[datetime] = mapped_column(index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    review_outcome: Mapped[str | None] = mapped_column(String(20))
    review_notes: Mapped[str | None] = mapped_column(Text)


class DecisionRecordRow(Base):
    """Golden rule 7 records; immutable once submitted (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "decision_records"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    practitioner_id: Mapped[str] = mapped_column(String(40), index=True)
    org: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str] = mapped_column(String(40), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    choice: Mapped[str] = mapped_column(String(12))
    what_was_asked: Mapped[str] = mapped_column(Text)
    consent_sought: Mapped[bool] = mapped_column(Boolean)
    consent_detail: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[list[str]] = mapped_column(JSON)
    safety_considered: Mapped[str] = mapped_column(Text)
    shared_what: Mapped[str] = mapped_column(Text)
    shared_with: Mapped[str] = mapped_column(Text)
    necessary_and_proportionate: Mapped[str] = mapped_column(Text)
    advice_sought: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column()
    disclosure_ref: Mapped[str | None] = mapped_column(String(80), index=True)
