"""The signed session cookie: decoded once per value, never trusting what is not signed."""

from __future__ import annotations

from unittest import mock

from sharewell.entrypoints.web import sessions
from sharewell.entrypoints.web.sessions import SessionCodec

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def test_a_cookie_decodes_to_what_was_signed() -> None:
    codec = SessionCodec(SECRET)
    value = codec.dumps({"pid": "PR1", "seen": 1_700_000_000, "csrf": "t"})
    assert codec.loads(value) == {"pid": "PR1", "seen": 1_700_000_000, "csrf": "t"}
    assert codec.loads(value) == {"pid": "PR1", "seen": 1_700_000_000, "csrf": "t"}


def test_a_cookie_seen_again_is_not_checked_again_and_each_request_gets_its_own_copy() -> None:
    codec = SessionCodec(SECRET)
    value = codec.dumps({"pid": "PR1", "seen": 1})
    first = codec.loads(value)
    first["pid"] = "changed by the request"
    with mock.patch.object(codec._serializer, "loads", side_effect=AssertionError("checked")):
        again = codec.loads(value)
        again["purpose"] = "direct_care"
        assert codec.loads(value) == {"pid": "PR1", "seen": 1}


def test_forged_and_garbled_cookies_are_empty_sessions_every_time() -> None:
    codec = SessionCodec(SECRET)
    value = codec.dumps({"pid": "PR1"})
    forged = SessionCodec("another-secret-that-is-long-enough-98765").dumps({"pid": "PR9"})
    for bad in (forged, value[:-2] + "xx", "garbage", value + "."):
        assert codec.loads(bad) == {}
        assert codec.loads(bad) == {}
    assert codec.loads(value) == {"pid": "PR1"}


def test_a_session_holding_more_than_plain_values_is_decoded_every_time() -> None:
    codec = SessionCodec(SECRET)
    value = codec.dumps({"pid": "PR1", "list": ["a"]})
    first = codec.loads(value)
    first["list"].append("b")
    assert codec.loads(value) == {"pid": "PR1", "list": ["a"]}


def test_only_the_latest_cookies_are_kept() -> None:
    codec = SessionCodec(SECRET)
    with mock.patch.object(sessions, "KEPT_COOKIES", 3):
        values = [codec.dumps({"n": n}) for n in range(5)]
        for value in values:
            codec.loads(value)
        assert list(codec._kept) == values[2:]
        assert codec.loads(values[0]) == {"n": 0}  # decoded again, and kept again
        assert list(codec._kept) == [*values[3:], values[0]]
