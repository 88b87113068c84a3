"""Pooled PostgreSQL connections: pinged only after sitting idle, replaced when dead."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, bindparam, column, insert, literal_column, select, table, text
from sqlalchemy.exc import DBAPIError

from sharewell.adapters.db.engine import (
    fetch_all,
    make_engine,
    one_read_connection,
    read_connection,
    reads_only,
)
from sharewell.adapters.db.governance import _DECISION_INPUTS
from sharewell.adapters.db.tables_governance import (
    ConsentRecordRow,
    OverrideReviewRow,
    RelationshipRow,
)


def _kill_other_backends(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )


_ONE = select(literal_column("1").label("n")).where(bindparam("n") > 0)


def _one(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT 1")).scalar_one())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_idle_connection_is_pinged_and_replaced_when_dead(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=1, ping_after_idle_seconds=0)
    admin = make_engine(database_url)
    try:
        assert _one(engine) == 1
        _kill_other_backends(admin)  # as a database restart would
        assert _one(engine) == 1  # the ping found it dead; the pool connected afresh
    finally:
        engine.dispose()
        admin.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_back_a_moment_ago_is_not_pinged_and_one_failure_renews_the_pool(
    database_url: str,
) -> None:
    engine = make_engine(database_url, pool_size=2, ping_after_idle_seconds=3600)
    admin = make_engine(database_url)
    try:
        with engine.connect() as first, engine.connect() as second:
            first.execute(text("SELECT 1"))
            second.execute(text("SELECT 1"))
        _kill_other_backends(admin)
        # Used a moment ago, so not pinged: the first use finds it dead and says so plainly...
        with pytest.raises(DBAPIError) as caught:
            _one(engine)
        assert caught.value.connection_invalidated
        # ...and the pool throws away every connection as old as it, so the next use works.
        assert _one(engine) == 1
        assert _one(engine) == 1
    finally:
        engine.dispose()
        admin.dispose()


def test_database_errors_never_carry_the_values_of_a_statement(engine: Engine) -> None:
    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table WHERE name = :name"), {"name": "Jane Doe"})
    assert "Jane Doe" not in str(caught.value)


def test_reads_share_one_connection_inside_one_read_connection(engine: Engine) -> None:
    # A record read's adapters each ask for a connection: inside the block they get one.
    with read_connection(engine) as first, read_connection(engine) as second:
        assert first is not second
    with one_read_connection(engine):
        with read_connection(engine) as first:
            assert first.execute(text("SELECT 1")).scalar() == 1
        with read_connection(reads_only(engine)) as second:
            assert second is first
        with one_read_connection(engine), read_connection(engine) as nested:
            assert nested is first
    with read_connection(engine) as after:
        assert after is not first


def test_a_shared_read_connection_is_only_for_its_own_pool(engine: Engine, tmp_path: Path) -> None:
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with (
            one_read_connection(engine),
            read_connection(engine) as shared,
            read_connection(other) as own,
        ):
            assert own is not shared
            assert own.engine.pool is other.pool
    finally:
        other.dispose()


def test_fetch_all_gives_what_sqlalchemy_gives(engine: Engine) -> None:
    # The decision's one statement: every column type a record read's prebuilt statements
    # return (text, integers, booleans, timestamps with a zone, dates, typed NULLs).
    with engine.begin() as conn:
        conn.execute(
            insert(ConsentRecordRow).values(
                person_id="p1",
                purpose="direct_care",
                scope="all",
                state="given",
                recorded_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                valid_until=None,
            )
        )
        conn.execute(
            insert(RelationshipRow).values(
                id="r1",
                person_id="p1",
                practitioner_id="gp1",
                kind="care_team",
                starts_on=date(2026, 1, 1),
                recorded_by="gp1",
            )
        )
        conn.execute(
            insert(OverrideReviewRow).values(
                id="o1",
                practitioner_id="gp1",
                org="GP1",
                person_id="p1",
                purpose="direct_care",
                tier="emergency",
                basis="vital_interests",
                justification="Unconscious in A&E, history needed now",
                decisions=[{"holder": "POL", "category": "criminal_offence"}],
                granted_at=datetime(2026, 1, 3, 9, tzinfo=UTC),
                expires_at=datetime(2026, 1, 3, 13, tzinfo=UTC),
                review_due_at=datetime(2026, 1, 6, 9, tzinfo=UTC),
            )
        )
    inputs = {
        "person_id": "p1",
        "practitioner_id": "gp1",
        "at": datetime(2026, 1, 3, 10, tzinfo=UTC),
    }
    with read_connection(engine) as conn:
        fast = fetch_all(conn, _DECISION_INPUTS, inputs)
        slow = conn.execute(_DECISION_INPUTS, inputs).all()
    assert [tuple(row) for row in fast] == [tuple(row) for row in slow]
    assert [row.kind for row in fast] == ["a", "c", "o", "r"]
    recorded = fast[1][12]  # naive from SQLite, as through SQLAlchemy (the adapters add UTC)
    assert (recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)) == datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=UTC
    )
    assert fast[3][14] == date(2026, 1, 1)
    assert json.loads(fast[2][17]) == [{"holder": "POL", "category": "criminal_offence"}]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_fetch_all_on_a_lost_connection_fails_as_any_statement_does(database_url: str) -> None:
    # A driver error goes back through SQLAlchemy: the connection is invalidated, the error
    # is SQLAlchemy's (a 503 for the gate), and the next checkout gets a working connection.
    engine = make_engine(database_url, pool_size=1, ping_after_idle_seconds=60)
    admin = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert fetch_all(conn, _ONE, {"n": 1})[0].n == 1
            _kill_other_backends(admin)
            with pytest.raises(DBAPIError) as failed:
                fetch_all(conn, _ONE, {"n": 2})
            assert failed.value.connection_invalidated
        assert _one(engine) == 1
    finally:
        engine.dispose()
        admin.dispose()


def test_fetch_all_reports_the_real_error_inside_a_transaction_too(engine: Engine) -> None:
    missing = select(table("no_such_table", column("n"))).where(bindparam("n") > 0)
    with read_connection(engine) as conn, pytest.raises(DBAPIError) as failed:
        fetch_all(conn, missing, {"n": 1})
    assert "no_such_table" in str(failed.value)
    with engine.begin() as conn:
        assert fetch_all(conn, _ONE, {"n": 1})[0].n == 1
        with pytest.raises(DBAPIError) as failed:
            fetch_all(conn, missing, {"n": 1})
        assert "no_such_table" in str(failed.value)


def test_the_reads_only_engine_is_made_once_and_commits_each_statement(engine: Engine) -> None:
    # Made once per engine: making one registers event listeners, too dear for every read.
    reads = reads_only(engine)
    assert reads_only(engine) is reads
    assert reads.pool is engine.pool
    with reads.connect() as conn:
        conn.execute(text("CREATE TABLE reads_only_probe (n INTEGER)"))
        conn.execute(text("INSERT INTO reads_only_probe VALUES (1)"))
    # Each statement committed itself: another connection sees the row.
    with engine.connect() as other:
        assert other.execute(text("SELECT n FROM reads_only_probe")).scalar() == 1
