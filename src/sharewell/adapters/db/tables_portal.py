"""Tables of the citizen portal: accounts, one-time codes, identity verification, who may act for
whom, citizens' requests to holding organisations, and the demo outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.adapters.db.tables import Base


class CitizenAccountRow(Base):
    """A citizen's sign-in: `login` is `email:<address>` or `oidc:<issuer>|<subject>`."""

    __tablename__ = "citizen_accounts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    login: Mapped[str] = mapped_column(String(400), unique=True)
    created_at: Mapped[datetime]


class CitizenCodeRow(Base):
    """A one-time sign-in code, kept only as a keyed hash."""

    __tablename__ = "citizen_codes"
    __table_args__ = (Index("ix_citizen_codes_login", "login"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    login: Mapped[str] = mapped_column(String(400))
    digest: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None]


class IdentityVerificationRow(Base):
    """How an account was bound to a person: method, level, which details matched."""

    __tablename__ = "identity_verifications"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    person_id: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(12))
    evidence: Mapped[list[str]] = mapped_column(JSON)
    verified_at: Mapped[datetime]


class ActingForRow(Base):
    """An account may act for a person (`self` today; parents, carers, appointees later)."""

    __tablename__ = "citizen_acting_for"
    __table_args__ = (Index("ix_citizen_acting_for_account", "account_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str] = mapped_column(String(40))
    relation: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    verification_id: Mapped[str | None] = mapped_column(String(40))


class CitizenRequestRow(Base):
    """A copy, correction or concern, in the holding organisation's IG queue."""

    __tablename__ = "citizen_requests"
    __table_args__ = (
        Index("ix_citizen_requests_org_status", "org_code", "status"),
        Index("ix_citizen_requests_person", "person_id"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str] = mapped_column(String(40))
    org_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))


class DemoOutboxRow(Base):
    """Messages the demo would have sent (one-time codes): shown only in demo mode."""

    __tablename__ = "demo_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]
