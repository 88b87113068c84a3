"""Sign-in attempts per client address are counted in the database (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from sharewell.adapters.db.sign_in_attempts import SqlSignInThrottle
from sharewell.adapters.db.tables import SignInAttemptRow

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "a-test-secret-of-at-least-thirty-two-characters"


def _throttle(engine: Engine, secret: str = SECRET) -> SqlSignInThrottle:
    return SqlSignInThrottle(engine, attempts=3, window=timedelta(minutes=15), secret=secret)


def test_every_process_shares_one_count_per_address(engine: Engine) -> None:
    # Two throttles on one database stand for two server processes.
    first, second = _throttle(engine), _throttle(engine)
    tries = [first.allow("198.51.100.7", AT), second.allow("198.51.100.7", AT)]
    tries += [first.allow("198.51.100.7", AT), second.allow("198.51.100.7", AT)]
    assert tries == [True, True, True, False]
    assert first.allow("198.51.100.7", AT + timedelta(minutes=1)) is False
    # Another address has its own count.
    assert second.allow("203.0.113.9", AT) is True


def test_attempts_older_than_the_window_stop_counting_and_are_deleted(engine: Engine) -> None:
    throttle = _throttle(engine)
    assert all(throttle.allow("198.51.100.7", AT) for _ in range(3))
    assert throttle.allow("198.51.100.7", AT + timedelta(minutes=14, seconds=59)) is False
    assert throttle.allow("198.51.100.7", AT + timedelta(minutes=15)) is True
    with engine.connect() as conn:
        kept = conn.execute(select(SignInAttemptRow.at)).scalars().all()
    assert len(kept) == 1  # only the newest attempt is left


def test_addresses_are_stored_only_as_a_keyed_hash(engine: Engine) -> None:
    throttle = _throttle(engine)
    throttle.allow("198.51.100.7", AT)
    with engine.connect() as conn:
        stored = conn.execute(select(SignInAttemptRow.client)).scalar_one()
    assert "198.51.100.7" not in stored
    assert stored == throttle.client_key("198.51.100.7")
    other_key = _throttle(engine, secret="another-secret-of-at-least-thirty-two-chars")
    assert other_key.client_key("198.51.100.7") != stored
