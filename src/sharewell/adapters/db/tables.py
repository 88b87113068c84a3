"""The database schema (SQLAlchemy 2 typed declarative). Change it only with a migration."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """All tables share one metadata with stable constraint names (for migrations)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, str]: JSON,
    }


class OrganisationRow(Base):
    __tablename__ = "organisations"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    council_area: Mapped[str | None] = mapped_column(String(80))
    contact_email: Mapped[str | None] = mapped_column(String(200))


class PractitionerRow(Base):
    __tablename__ = "practitioners"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisations.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    team: Mapped[str | None] = mapped_column(String(120))
    manager_id: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # No longer used: failed sign-ins are counted per email address (sign_in_failures, 0013).
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()


class SignInAttemptRow(Base):
    """A practitioner sign-in attempt, counted against its client address's limit. The address
    is kept only as a keyed hash (adapters/db/sign_in_attempts.py)."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_client_at", "client", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class SignInFailureRow(Base):
    """A failed practitioner sign-in, counted against its email address whether or not an
    account has it. The address is kept only as a keyed hash (adapters/db/sign_in_failures.py)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_email_at", "email", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


class TrainingRecordRow(Base):
    __tablename__ = "training_records"
    practitioner_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"), primary_key=True)
    module: Mapped[str] = mapped_column(String(80), primary_key=True)
    completed_on: Mapped[date] = mapped_column(Date)


class SourceRecordRow(Base):
    __tablename__ = "source_records"
    __table_args__ = (UniqueConstraint("org_code", "local_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisations.code"))
    local_id: Mapped[str] = mapped_column(String(64))
    given_name: Mapped[str] = mapped_column(String(120))
    middle_names: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(120))
    dob_year: Mapped[int | None] = mapped_column(Integer)
    dob_month: Mapped[int | None] = mapped_column(Integer)
    dob_day: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str] = mapped_column(String(10))
    nhs_number: Mapped[str | None] = mapped_column(String(16))
    nhs_number_valid: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(10), index=True)


class FactRow(Base):
    __tablename__ = "facts"
    __table_args__ = (Index("ix_facts_org_local", "org_code", "local_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_code: Mapped[str] = mapped_column(ForeignKey("organisations.code"))
    local_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime] = mapped_column()
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, str]] = mapped_column()
    sensitivity: Mapped[str] = mapped_column(String(12), default="normal")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class PostcodeRow(Base):
    """The fictional partnership's gazetteer: every postcode with its council area and centre."""

    __tablename__ = "postcodes"
    postcode: Mapped[str] = mapped_column(String(10), primary_key=True)
    district: Mapped[str] = mapped_column(String(6))
    sector: Mapped[str] = mapped_column(String(8))
    council_area: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


class HouseholdRow(Base):
    __tablename__ = "households"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(10))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    council_area: Mapped[str] = mapped_column(String(80))


class HouseholdMemberRow(Base):
    __tablename__ = "household_members"
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    relationship: Mapped[str] = mapped_column(String(20))
    moved_in: Mapped[date | None] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)


class KeyBuildingRow(Base):
    """Buildings risk is looked at around: care homes, schools, hostels."""

    __tablename__ = "key_buildings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    org_code: Mapped[str | None] = mapped_column(String(16))
    postcode: Mapped[str] = mapped_column(String(10))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


# Ground truth of the synthetic partnership, kept apart from what agencies hold: used only to
# measure linkage and hot-spot detection, never read by the services practitioners use.


class TruthPersonRow(Base):
    __tablename__ = "truth_people"
    person_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(40))
    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120))
    birth_family_name: Mapped[str] = mapped_column(String(120))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10))
    nhs_number: Mapped[str] = mapped_column(String(10))


class TruthRecordRow(Base):
    __tablename__ = "truth_records"
    org_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    local_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(40), index=True)
    errors: Mapped[str] = mapped_column(String(200), default="")


class TruthClusterRow(Base):
    __tablename__ = "truth_clusters"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(40))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float)
    incidents: Mapped[int] = mapped_column(Integer)
    building_id: Mapped[str | None] = mapped_column(String(40))


class TruthFamilyRow(Base):
    __tablename__ = "truth_families"
    household_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    problems: Mapped[str] = mapped_column(String(300))
