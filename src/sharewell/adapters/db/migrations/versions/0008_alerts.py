"""early alerts and MASH referrals

Revision ID: 0008_alerts
Revises: 0007_sharing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_alerts"
down_revision = "0008_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("alert_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_alert_deliveries_idempotency_key")),
    )
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_deliveries_alert_id"), ["alert_id"], unique=False
        )
        batch_op.create_index(
            "ix_alert_deliveries_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agreement_id", sa.String(length=80), nullable=False),
        sa.Column("source_kind", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("fact_codes", sa.JSON(), nullable=False),
        sa.Column("situation", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("recipient_roles", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.String(length=20), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_table(
        "alert_situations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("situation", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("practitioner_id", sa.String(length=40), nullable=True),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_situations")),
    )
    with op.batch_alter_table("alert_situations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_situations_person", ["person_id", "situation"], unique=False
        )

    op.create_table(
        "alert_webhooks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_webhooks")),
    )
    with op.batch_alter_table("alert_webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_webhooks_org_code"), ["org_code"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("fact_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("holder_org", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_org", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withheld_reasons", sa.JSON(), nullable=False),
        sa.Column("escalated_to", sa.String(length=40), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alerts_recipient_status", ["recipient_id", "status"], unique=False
        )
        batch_op.create_index("ix_alerts_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "mash_referrals",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("referrer_id", sa.String(length=40), nullable=False),
        sa.Column("referrer_org", sa.String(length=16), nullable=False),
        sa.Column("concern", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hub_org", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rag", sa.String(length=8), nullable=True),
        sa.Column("triaged_by", sa.String(length=40), nullable=True),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_record_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mash_referrals")),
    )
    with op.batch_alter_table("mash_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mash_referrals_hub_org"), ["hub_org"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mash_referrals_referrer_id"), ["referrer_id"], unique=False
        )

    op.create_table(
        "mash_research",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("referral_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("org", sa.String(length=16), nullable=False),
        sa.Column("asked_by", sa.String(length=40), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contribution", sa.Text(), nullable=False),
        sa.Column("contributed_by", sa.String(length=40), nullable=True),
        sa.Column("contributed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mash_research")),
    )
    with op.batch_alter_table("mash_research", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mash_research_org"), ["org"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mash_research_referral_id"), ["referral_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mash_research", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mash_research_referral_id"))
        batch_op.drop_index(batch_op.f("ix_mash_research_org"))

    op.drop_table("mash_research")
    with op.batch_alter_table("mash_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mash_referrals_referrer_id"))
        batch_op.drop_index(batch_op.f("ix_mash_referrals_hub_org"))

    op.drop_table("mash_referrals")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_status_due")
        batch_op.drop_index("ix_alerts_recipient_status")

    op.drop_table("alerts")
    with op.batch_alter_table("alert_webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_webhooks_org_code"))

    op.drop_table("alert_webhooks")
    with op.batch_alter_table("alert_situations", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_situations_person")

    op.drop_table("alert_situations")
    op.drop_table("alert_rules")
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_deliveries_due")
        batch_op.drop_index(batch_op.f("ix_alert_deliveries_alert_id"))

    op.drop_table("alert_deliveries")
