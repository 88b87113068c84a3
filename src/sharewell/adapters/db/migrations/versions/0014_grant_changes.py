"""PostgreSQL announces every change to a practitioner's sharing grants (NOTIFY)

Revision ID: 0014_grant_changes
Revises: 0013_sign_in_failures

Each server process keeps, per practitioner, which people they hold sharing grants about, so
that a record read by someone with no grant about the person needs no statement for grants
(adapters/db/sharing.py). The word that a grant was added, changed or removed goes out on the
practitioners' channel of migration 0011, with the recipient's id, from the same trigger
function: the channel now says "something about this practitioner, or what they were given,
changed". SQLite has no notifications and reads grants on every record.
"""

from __future__ import annotations

from alembic import op

revision = "0014_grant_changes"
down_revision = "0013_sign_in_failures"
branch_labels = None
depends_on = None

_TABLE = "sharing_grants"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # sharewell_practitioner_changed(column) is migration 0011's: it notifies the value of
    # `column` in the old and new row (or '*' when the table is emptied).
    op.execute(
        f"CREATE TRIGGER {_TABLE}_changed AFTER INSERT OR UPDATE OR DELETE ON {_TABLE}"
        " FOR EACH ROW EXECUTE FUNCTION sharewell_practitioner_changed('recipient_id')"
    )
    op.execute(
        f"CREATE TRIGGER {_TABLE}_emptied AFTER TRUNCATE ON {_TABLE}"
        " FOR EACH STATEMENT EXECUTE FUNCTION sharewell_practitioner_changed('recipient_id')"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP TRIGGER {_TABLE}_emptied ON {_TABLE}")
    op.execute(f"DROP TRIGGER {_TABLE}_changed ON {_TABLE}")
