"""Requests to share, the grants their decisions create, and per-organisation API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.adapters.db.tables import Base


class ShareRequestRow(Base):
    """A request from one organisation to another for categories of a person's information."""

    __tablename__ = "share_requests"
    __table_args__ = (
        Index("ix_share_requests_holder_status", "holder_org", "status"),
        Index("ix_share_requests_requester", "requester_id"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(40))
    requester_id: Mapped[str] = mapped_column(String(40))
    requester_org: Mapped[str] = mapped_column(String(16))
    holder_org: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(40))
    categories: Mapped[list[str]] = mapped_column(JSON)
    urgency: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12))
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decision_record_id: Mapped[str | None] = mapped_column(String(40))


class SharingGrantRow(Base):
    """What a holder's decision to share lets one practitioner see (items and their fields)."""

    __tablename__ = "sharing_grants"
    __table_args__ = (Index("ix_sharing_grants_recipient_person", "recipient_id", "person_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(40), index=True)
    person_id: Mapped[str] = mapped_column(String(40))
    holder_org: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(40))
    recipient_org: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(40))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    decision_record_id: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()


class ApiTokenRow(Base):
    """An organisation's API token: only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_code: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(120))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    practitioner_id: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
