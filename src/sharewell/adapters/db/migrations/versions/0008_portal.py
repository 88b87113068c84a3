"""citizen portal: accounts, one-time codes, identity verification, acting-for, requests, outbox

Revision ID: 0008_portal
Revises: 0007_sharing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_portal"
down_revision = "0008_risk_category"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "citizen_accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("login", sa.String(length=400), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_accounts")),
        sa.UniqueConstraint("login", name=op.f("uq_citizen_accounts_login")),
    )
    op.create_table(
        "citizen_codes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("login", sa.String(length=400), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_codes")),
    )
    with op.batch_alter_table("citizen_codes", schema=None) as batch_op:
        batch_op.create_index("ix_citizen_codes_login", ["login"], unique=False)
    op.create_table(
        "identity_verifications",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("verified_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_verifications")),
    )
    with op.batch_alter_table("identity_verifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_verifications_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "citizen_acting_for",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_at", WHEN, nullable=True),
        sa.Column("verification_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_acting_for")),
    )
    with op.batch_alter_table("citizen_acting_for", schema=None) as batch_op:
        batch_op.create_index("ix_citizen_acting_for_account", ["account_id"], unique=False)
    op.create_table(
        "citizen_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_requests")),
    )
    with op.batch_alter_table("citizen_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_citizen_requests_org_status", ["org_code", "status"], unique=False
        )
        batch_op.create_index("ix_citizen_requests_person", ["person_id"], unique=False)
    op.create_table(
        "demo_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(length=400), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demo_outbox")),
    )


def downgrade() -> None:
    op.drop_table("demo_outbox")
    with op.batch_alter_table("citizen_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_citizen_requests_person")
        batch_op.drop_index("ix_citizen_requests_org_status")
    op.drop_table("citizen_requests")
    with op.batch_alter_table("citizen_acting_for", schema=None) as batch_op:
        batch_op.drop_index("ix_citizen_acting_for_account")
    op.drop_table("citizen_acting_for")
    with op.batch_alter_table("identity_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_verifications_account_id"))
    op.drop_table("identity_verifications")
    with op.batch_alter_table("citizen_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_citizen_codes_login")
    op.drop_table("citizen_codes")
    op.drop_table("citizen_accounts")
