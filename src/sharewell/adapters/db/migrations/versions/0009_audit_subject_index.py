"""an index on the person each audit entry is about (a citizen's "who has looked" page)

Revision ID: 0009_audit_subject_index
Revises: 0008_identity_postcode_surname
"""

from __future__ import annotations

from alembic import op

revision = "0009_audit_subject_index"
down_revision = "0008_identity_postcode_surname"
branch_labels = None
depends_on = None

# The expression must be written exactly as the queries write it (adapters/db/portal.py,
# SUBJECT_OF_ENTRY) for the database to use the index. The entries themselves are not touched:
# the table is append-only and its writer unchanged. The expression never fails on a body that
# is not JSON (a damaged log must still be storable, and found by verification): on PostgreSQL
# it reads the last key of the canonical body (`subject_id` always comes last, merkle.py), on
# SQLite only valid JSON is parsed.
SUBJECT = {
    "postgresql": '(substring(body from \'"subject_id":"([^"]*)"}$\'))',
    "sqlite": "(CASE WHEN json_valid(body) THEN json_extract(body, '$.subject_id') END)",
}


def upgrade() -> None:
    expression = SUBJECT[op.get_bind().dialect.name]
    op.execute(f"CREATE INDEX ix_audit_entries_subject ON audit_entries ({expression}, idx)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_audit_entries_subject")
