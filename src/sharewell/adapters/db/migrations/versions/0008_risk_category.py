"""risk assessments and evidence carry a data category

Revision ID: 0008_risk_category
Revises: 0007_sharing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_risk_category"
down_revision = "0007_sharing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: rows recorded before this have no category, and the disclosure gate shows such
    # rows to nobody (fail closed) until the agency gives one.
    for table in ("risk_assessments", "risk_evidence"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("category", sa.String(length=40), nullable=True))


def downgrade() -> None:
    for table in ("risk_evidence", "risk_assessments"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("category")
