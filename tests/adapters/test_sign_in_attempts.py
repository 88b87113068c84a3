"""Sign-in attempts per client address are counted in the database (both databases); an IPv6
address counts with its /64 network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from sharewell.adapters.db.sign_in_attempts import SqlSignInThrottle, counted_as
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


def test_an_ipv6_address_counts_with_its_whole_64_network(engine: Engine) -> None:
    # One host is commonly given a /64: moving to another address in it gains no attempts.
    throttle = _throttle(engine)
    tries = [throttle.allow(f"2001:db8:5:6::{n:x}", AT) for n in range(1, 5)]
    tries.append(throttle.allow("2001:db8:5:6:ffff:ffff:ffff:ffff", AT))
    assert tries == [True, True, True, False, False]
    # The next /64 is someone else.
    assert throttle.allow("2001:db8:5:7::1", AT) is True


def test_ipv4_addresses_count_one_by_one_however_they_are_written(engine: Engine) -> None:
    throttle = _throttle(engine)
    assert [throttle.allow("192.0.2.1", AT) for _ in range(2)] == [True, True]
    assert throttle.allow("::ffff:192.0.2.1", AT) is True  # the same address, written as IPv6
    assert throttle.allow("192.0.2.1", AT) is False
    assert throttle.allow("192.0.2.2", AT) is True  # the neighbouring address has its own


@pytest.mark.parametrize(
    ("address", "counted"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("unknown", "unknown"),
    ],
)
def test_what_an_address_counts_as(address: str, counted: str) -> None:
    assert counted_as(address) == counted
