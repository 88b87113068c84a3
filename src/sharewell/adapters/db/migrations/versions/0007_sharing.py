"""sharing requests, grants and API tokens

Revision ID: 0007_sharing
Revises: 0005_identity
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sharing"
down_revision = "0005_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("practitioner_id", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_org_code"), ["org_code"], unique=False)

    op.create_table(
        "share_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("requester_id", sa.String(length=40), nullable=False),
        sa.Column("requester_org", sa.String(length=16), nullable=False),
        sa.Column("holder_org", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("urgency", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decision_record_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_requests")),
    )
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_share_requests_holder_status", ["holder_org", "status"], unique=False
        )
        batch_op.create_index("ix_share_requests_requester", ["requester_id"], unique=False)

    op.create_table(
        "sharing_grants",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("holder_org", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=40), nullable=False),
        sa.Column("recipient_org", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("decision_record_id", sa.String(length=40), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_grants")),
    )
    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sharing_grants_recipient_person", ["recipient_id", "person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_grants_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_grants_request_id"))
        batch_op.drop_index("ix_sharing_grants_recipient_person")

    op.drop_table("sharing_grants")
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_share_requests_requester")
        batch_op.drop_index("ix_share_requests_holder_status")

    op.drop_table("share_requests")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_org_code"))

    op.drop_table("api_tokens")
