"""PostgreSQL announces every change to a practitioner or their training (NOTIFY)

Revision ID: 0011_practitioner_changes
Revises: 0010_identity_address_key

Each server process keeps the practitioners it has read and forgets one when told that it
changed (adapters/db/changes.py). Triggers, not the application, send the word, so a change made
by any means (a command, an administrator at the SQL prompt) is announced, in the transaction
that makes it: PostgreSQL delivers it when that transaction commits. SQLite has no
notifications; Sharewell on SQLite reads the practitioner on every request instead.
"""

from __future__ import annotations

from alembic import op

revision = "0011_practitioner_changes"
down_revision = "0010_identity_address_key"
branch_labels = None
depends_on = None

# The channel is adapters/db/changes.PRACTITIONERS_CHANNEL (a migration keeps its own copy).
_FUNCTION = """
CREATE FUNCTION sharewell_practitioner_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    column_name text := TG_ARGV[0];
    before text;
    after text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('sharewell_practitioners', '*');
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        before := to_jsonb(OLD) ->> column_name;
        PERFORM pg_notify('sharewell_practitioners', before);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        after := to_jsonb(NEW) ->> column_name;
        IF after IS DISTINCT FROM before THEN
            PERFORM pg_notify('sharewell_practitioners', after);
        END IF;
    END IF;
    RETURN NULL;
END;
$$
"""

# (table, the column holding the practitioner's id)
_TABLES = (("practitioners", "id"), ("training_records", "practitioner_id"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    for table, column in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION sharewell_practitioner_changed('{column}')"
        )
        op.execute(
            f"CREATE TRIGGER {table}_emptied AFTER TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION sharewell_practitioner_changed('{column}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, _ in _TABLES:
        op.execute(f"DROP TRIGGER {table}_emptied ON {table}")
        op.execute(f"DROP TRIGGER {table}_changed ON {table}")
    op.execute("DROP FUNCTION sharewell_practitioner_changed()")
