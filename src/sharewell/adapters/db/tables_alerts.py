"""Early alerts (rules, situations, webhooks, the alert outbox and its deliveries) and MASH
referrals (referrals, research requests and contributions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.adapters.db.tables import Base


class AlertRuleRow(Base):
    """A partnership's alert rule, tied to an agreement."""

    __tablename__ = "alert_rules"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agreement_id: Mapped[str] = mapped_column(String(80))
    source_kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    fact_codes: Mapped[list[str]] = mapped_column(JSON)
    situation: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(20))
    recipient_roles: Mapped[list[str]] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(40))
    fields: Mapped[list[str]] = mapped_column(JSON)
    deadline: Mapped[str] = mapped_column(String(20))
    channels: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AlertSituationRow(Base):
    """A person in a situation an alert rule watches, and who is responsible for them."""

    __tablename__ = "alert_situations"
    __table_args__ = (Index("ix_alert_situations_person", "person_id", "situation"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(40))
    situation: Mapped[str] = mapped_column(String(40))
    org_code: Mapped[str] = mapped_column(String(16))
    practitioner_id: Mapped[str | None] = mapped_column(String(40))
    team: Mapped[str | None] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class AlertWebhookRow(Base):
    """An organisation's webhook endpoint; alerts to its practitioners are posted there."""

    __tablename__ = "alert_webhooks"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_code: Mapped[str] = mapped_column(String(16), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AlertRow(Base):
    """One alert to one practitioner: written in the same transaction as the fact (outbox)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_recipient_status", "recipient_id", "status"),
        Index("ix_alerts_status_due", "status", "due_at"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(40))
    fact_id: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str] = mapped_column(String(40))
    holder_org: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(40))
    recipient_org: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    fields: Mapped[list[str]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(12))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivered_at: Mapped[datetime | None] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column()
    withheld_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    escalated_to: Mapped[str | None] = mapped_column(String(40))
    escalated_at: Mapped[datetime | None] = mapped_column()


class AlertDeliveryRow(Base):
    """One channel's delivery of an alert, with retries, receipt and dead-lettering."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(12))
    target: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column()
    receipt: Mapped[str | None] = mapped_column(String(300))


class MashReferralRow(Base):
    """A referral to the multi-agency safeguarding hub."""

    __tablename__ = "mash_referrals"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(10))
    referrer_id: Mapped[str] = mapped_column(String(40), index=True)
    referrer_org: Mapped[str] = mapped_column(String(16))
    concern: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column()
    hub_org: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(12))
    rag: Mapped[str | None] = mapped_column(String(8))
    triaged_by: Mapped[str | None] = mapped_column(String(40))
    triaged_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_record_id: Mapped[str | None] = mapped_column(String(40))


class MashResearchRow(Base):
    """The hub's research request to one partner agency, and that agency's contribution."""

    __tablename__ = "mash_research"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    referral_id: Mapped[str] = mapped_column(String(40), index=True)
    person_id: Mapped[str] = mapped_column(String(40))
    org: Mapped[str] = mapped_column(String(16), index=True)
    asked_by: Mapped[str] = mapped_column(String(40))
    asked_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    contribution: Mapped[str] = mapped_column(Text, default="")
    contributed_by: Mapped[str | None] = mapped_column(String(40))
    contributed_at: Mapped[datetime | None] = mapped_column()
