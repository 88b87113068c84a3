"""Failed sign-ins per email address, in the database (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from sharewell.adapters.db.sign_in_failures import SqlSignInFailures
from sharewell.adapters.db.tables import SignInFailureRow

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def _failures(engine: Engine) -> SqlSignInFailures:
    return SqlSignInFailures(engine, secret="s" * 32, window=WINDOW)


def test_counts_failures_per_address_within_the_window(engine: Engine) -> None:
    failures = _failures(engine)
    since = AT - WINDOW
    assert failures.record("dana@sch1.example.org", at=AT, since=since) == [AT]
    later = AT + timedelta(minutes=1)
    assert failures.record("dana@sch1.example.org", at=later, since=since) == [AT, later]
    assert failures.recent("dana@sch1.example.org", since=since) == [AT, later]
    assert failures.recent("other@sch1.example.org", since=since) == []
    # Out of the window: not counted, and deleted at the next failure.
    much_later = AT + timedelta(minutes=30)
    recorded = failures.record("other@sch1.example.org", at=much_later, since=much_later - WINDOW)
    assert recorded == [much_later]
    assert failures.recent("dana@sch1.example.org", since=AT - timedelta(days=1)) == []


def test_clear_forgets_one_address(engine: Engine) -> None:
    failures = _failures(engine)
    since = AT - WINDOW
    failures.record("dana@sch1.example.org", at=AT, since=since)
    failures.record("other@sch1.example.org", at=AT, since=since)
    failures.clear("dana@sch1.example.org")
    assert failures.recent("dana@sch1.example.org", since=since) == []
    assert failures.recent("other@sch1.example.org", since=since) == [AT]


def test_stores_only_a_keyed_hash_of_the_address(engine: Engine) -> None:
    failures = _failures(engine)
    failures.record("dana@sch1.example.org", at=AT, since=AT - WINDOW)
    with engine.connect() as conn:
        stored = conn.execute(select(SignInFailureRow.email)).scalars().all()
    assert stored == [failures.email_key("dana@sch1.example.org")]
    assert "dana" not in stored[0]
