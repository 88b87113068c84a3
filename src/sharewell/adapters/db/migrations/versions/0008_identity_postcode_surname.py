"""an index for the postcode + surname sound blocking rule (real-time candidate lookup)

Revision ID: 0008_identity_postcode_surname
Revises: 0007_sharing
"""

from __future__ import annotations

from alembic import op

revision = "0008_identity_postcode_surname"
down_revision = "0008_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Without it SQLite looked the rule up by surname sound alone and read every record of a
    # common surname to find those at the postcode.
    op.create_index(
        "ix_match_records_postcode_surname",
        "match_records",
        ["postcode", "family_phonetic"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_match_records_postcode_surname", table_name="match_records")
