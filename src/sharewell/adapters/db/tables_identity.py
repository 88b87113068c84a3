"""Tables for identity across agencies: ingest history, match keys, people and review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.adapters.db.tables import Base


class SourceRecordVersionRow(Base):
    """Every version of an agency's record, so a changed row keeps its history."""

    __tablename__ = "source_record_versions"
    __table_args__ = (UniqueConstraint("record_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_name: Mapped[str] = mapped_column(String(300))
    recorded_at: Mapped[datetime] = mapped_column()


class QuarantinedRowRow(Base):
    """A row an ingest refused, with its row number and the reason, for the agency to fix."""

    __tablename__ = "quarantined_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_code: Mapped[str] = mapped_column(String(16), index=True)
    source_name: Mapped[str] = mapped_column(String(300))
    row_number: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    raw_hash: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column()


class MatchRecordRow(Base):
    """A source record in the form linkage compares, with indexed blocking keys.

    Only valid NHS numbers are copied here, so an invalid one never takes part in matching.
    """

    __tablename__ = "match_records"
    __table_args__ = (
        Index("ix_match_records_sector_surname", "postcode_sector", "family_phonetic"),
        Index("ix_match_records_dob", "dob"),
        Index("ix_match_records_nhs", "nhs_number"),
        Index("ix_match_records_shared", "shared_id"),
        Index("ix_match_records_names_year", "family_phonetic", "given_canonical", "dob_year"),
        Index("ix_match_records_given_year", "given_canonical", "dob_year"),
        Index("ix_match_records_family_year", "family_phonetic", "dob_year"),
        Index("ix_match_records_postcode_given", "postcode", "given_canonical"),
        Index("ix_match_records_postcode_surname", "postcode", "family_phonetic"),
        Index("ix_match_records_swapped", "given_name", "family_name"),
        Index("ix_match_records_address_key", "address_key"),
        Index("ix_match_records_address_tokens", "address_tokens"),
    )
    record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"), primary_key=True)
    org_code: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    given_name: Mapped[str | None] = mapped_column(String(120))
    given_canonical: Mapped[str | None] = mapped_column(String(120))
    middle_names: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(120))
    family_phonetic: Mapped[str | None] = mapped_column(String(20))
    dob: Mapped[str | None] = mapped_column(String(10))
    dob_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(10))
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    shared_id: Mapped[str | None] = mapped_column(String(40))
    postcode: Mapped[str | None] = mapped_column(String(10))
    postcode_sector: Mapped[str | None] = mapped_column(String(10))
    postcode_district: Mapped[str | None] = mapped_column(String(6))
    address_tokens: Mapped[str | None] = mapped_column(String(300))
    address_key: Mapped[str | None] = mapped_column(String(40))


class PersonRow(Base):
    """A person Sharewell knows across agencies; merged IDs point at the one that replaced them."""

    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    merged_into: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class PersonLinkRow(Base):
    """Which person each source record belongs to, and how that was decided."""

    __tablename__ = "person_links"
    record_id: Mapped[int] = mapped_column(ForeignKey("source_records.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(40), index=True)
    method: Mapped[str] = mapped_column(String(12))
    match_probability: Mapped[float | None] = mapped_column(Float)
    linked_at: Mapped[datetime] = mapped_column()


class PersonEventRow(Base):
    """History of person IDs: created, merged, split, record linked, review decided."""

    __tablename__ = "person_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[str] = mapped_column(String(40), index=True)
    other_ids: Mapped[list[str]] = mapped_column(JSON)
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column()


class ReviewPairRow(Base):
    """A pair of records the model was unsure about, for a person to decide."""

    __tablename__ = "review_pairs"
    __table_args__ = (UniqueConstraint("record_l", "record_r"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_l: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    record_r: Mapped[int] = mapped_column(ForeignKey("source_records.id"))
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    waterfall: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
