"""risk calibrations, signatures, assessments and evidence

Revision ID: 0006_risk
Revises: 0004_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_risk"
down_revision = "0004_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_calibrations",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name=op.f("pk_risk_calibrations")),
    )
    op.create_table(
        "risk_calibration_signatures",
        sa.Column("calibration_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_role", sa.String(length=60), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calibration_id", "version"],
            ["risk_calibrations.id", "risk_calibrations.version"],
            name=op.f("fk_risk_calibration_signatures_calibration_id_risk_calibrations"),
        ),
        sa.PrimaryKeyConstraint(
            "calibration_id", "version", "org_code", name=op.f("pk_risk_calibration_signatures")
        ),
    )
    op.create_table(
        "risk_assessments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("org_name", sa.String(length=200), nullable=False),
        sa.Column("scale_id", sa.String(length=60), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("household_id", sa.String(length=40), nullable=True),
        sa.Column("indicators", sa.Integer(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
    )
    op.create_index(
        op.f("ix_risk_assessments_person_id"), "risk_assessments", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_risk_assessments_household_id"), "risk_assessments", ["household_id"], unique=False
    )
    op.create_table(
        "risk_evidence",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=True),
        sa.Column("household_id", sa.String(length=40), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_evidence")),
    )
    op.create_index(
        op.f("ix_risk_evidence_person_id"), "risk_evidence", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_risk_evidence_household_id"), "risk_evidence", ["household_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_risk_evidence_household_id"), table_name="risk_evidence")
    op.drop_index(op.f("ix_risk_evidence_person_id"), table_name="risk_evidence")
    op.drop_table("risk_evidence")
    op.drop_index(op.f("ix_risk_assessments_household_id"), table_name="risk_assessments")
    op.drop_index(op.f("ix_risk_assessments_person_id"), table_name="risk_assessments")
    op.drop_table("risk_assessments")
    op.drop_table("risk_calibration_signatures")
    op.drop_table("risk_calibrations")
