"""match records get an address key (postcode and house numbers); both same-address rules indexed

Revision ID: 0010_identity_address_key
Revises: 0009_audit_subject_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_identity_address_key"
down_revision = "0009_audit_subject_index"
branch_labels = None
depends_on = None


def _key(postcode: str | None, tokens: str | None) -> str | None:
    # As features.address_key when this revision was written (a migration keeps its own copy).
    if not postcode or not tokens:
        return None
    numbers = [t for t in tokens.split(" ") if t.isdigit()]
    if not numbers:
        return None
    return f"{postcode} {' '.join(numbers)}"[:40]


def upgrade() -> None:
    op.add_column("match_records", sa.Column("address_key", sa.String(length=40), nullable=True))
    bind = op.get_bind()
    table = sa.table(
        "match_records",
        sa.column("record_id", sa.Integer),
        sa.column("postcode", sa.String),
        sa.column("address_tokens", sa.String),
        sa.column("address_key", sa.String),
    )
    rows = bind.execute(
        sa.select(table.c.record_id, table.c.postcode, table.c.address_tokens).where(
            table.c.postcode.is_not(None), table.c.address_tokens.is_not(None)
        )
    ).all()
    updates = [
        {"rid": rid, "key": key}
        for rid, postcode, tokens in rows
        if (key := _key(postcode, tokens)) is not None
    ]
    if updates:
        bind.execute(
            table.update()
            .where(table.c.record_id == sa.bindparam("rid"))
            .values(address_key=sa.bindparam("key")),
            updates,
        )
    op.create_index("ix_match_records_address_key", "match_records", ["address_key"], unique=False)
    op.create_index(
        "ix_match_records_address_tokens", "match_records", ["address_tokens"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_match_records_address_tokens", table_name="match_records")
    op.drop_index("ix_match_records_address_key", table_name="match_records")
    op.drop_column("match_records", "address_key")
