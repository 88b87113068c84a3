"""governance: agreements, signatures, consent, opt-outs, relationships, overrides, decision records

Revision ID: 0003_governance
Revises: 0001_foundation
Create Date: 2026-11-25 20:20:08.664548
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_governance"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


APPEND_ONLY = ("consent_records", "national_opt_outs", "decision_records")


def _protect() -> None:
    """Refuse UPDATE and DELETE on the append-only tables, on both SQLite and PostgreSQL."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION sharewell_refuse_change() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END; "
            "$$ LANGUAGE plpgsql"
        )
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            if dialect == "postgresql":
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION sharewell_refuse_change()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {action} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )


def _unprotect() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            if dialect == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sharewell_refuse_change()")


def upgrade() -> None:
    op.create_table(
        "agreement_signatures",
        sa.Column("agreement_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("org", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint(
            "agreement_id", "version", "org", name=op.f("pk_agreement_signatures")
        ),
    )
    op.create_table(
        "agreement_terminations",
        sa.Column("agreement_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", "version", name=op.f("pk_agreement_terminations")),
    )
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=80), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("agreement_id", "version", name=op.f("pk_agreement_versions")),
    )
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("obtained_how", sa.String(length=200), nullable=True),
        sa.Column("recorded_by", sa.String(length=80), nullable=True),
        sa.Column("capacity_notes", sa.Text(), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_records_person_purpose", ["person_id", "purpose"], unique=False
        )

    op.create_table(
        "decision_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("practitioner_id", sa.String(length=40), nullable=False),
        sa.Column("org", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("choice", sa.String(length=12), nullable=False),
        sa.Column("what_was_asked", sa.Text(), nullable=False),
        sa.Column("consent_sought", sa.Boolean(), nullable=False),
        sa.Column("consent_detail", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.JSON(), nullable=False),
        sa.Column("safety_considered", sa.Text(), nullable=False),
        sa.Column("shared_what", sa.Text(), nullable=False),
        sa.Column("shared_with", sa.Text(), nullable=False),
        sa.Column("necessary_and_proportionate", sa.Text(), nullable=False),
        sa.Column("advice_sought", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disclosure_ref", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_records")),
    )
    with op.batch_alter_table("decision_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_records_disclosure_ref"), ["disclosure_ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_decision_records_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_decision_records_practitioner_id"), ["practitioner_id"], unique=False
        )

    op.create_table(
        "legitimate_relationships",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("practitioner_id", sa.String(length=40), nullable=True),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legitimate_relationships")),
    )
    with op.batch_alter_table("legitimate_relationships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legitimate_relationships_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "national_opt_outs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_opt_outs")),
    )
    with op.batch_alter_table("national_opt_outs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_national_opt_outs_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "override_reviews",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("practitioner_id", sa.String(length=40), nullable=False),
        sa.Column("org", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=12), nullable=False),
        sa.Column("basis", sa.String(length=30), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_by_org", sa.String(length=16), nullable=True),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=80), nullable=True),
        sa.Column("review_outcome", sa.String(length=20), nullable=True),
        sa.Column("review_notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_override_reviews")),
    )
    with op.batch_alter_table("override_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_override_reviews_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_override_reviews_review_due_at"), ["review_due_at"], unique=False
        )

    _protect()


def downgrade() -> None:
    _unprotect()
    with op.batch_alter_table("override_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_override_reviews_review_due_at"))
        batch_op.drop_index(batch_op.f("ix_override_reviews_practitioner_id"))

    op.drop_table("override_reviews")
    with op.batch_alter_table("national_opt_outs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_national_opt_outs_person_id"))

    op.drop_table("national_opt_outs")
    with op.batch_alter_table("legitimate_relationships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legitimate_relationships_person_id"))

    op.drop_table("legitimate_relationships")
    with op.batch_alter_table("decision_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_records_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_decision_records_person_id"))
        batch_op.drop_index(batch_op.f("ix_decision_records_disclosure_ref"))

    op.drop_table("decision_records")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_records_person_purpose")

    op.drop_table("consent_records")
    op.drop_table("agreement_versions")
    op.drop_table("agreement_terminations")
    op.drop_table("agreement_signatures")
