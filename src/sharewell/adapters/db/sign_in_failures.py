"""Failed sign-ins per email address, whether or not an account has the address.

Counting them per address rather than per account means an address nobody has is locked after
the same number of failures as a real account's, so a lock tells nobody that an account exists.
Counted in the database, so every server process shares one count. Addresses are personal data
and include ones typed by mistake: only an HMAC-SHA256 of each, under a key derived from the
secret key, is stored, and failures older than the window are deleted at the next failure.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select

from sharewell.adapters.db.sign_in_attempts import KeyedHash, one_key_at_a_time
from sharewell.adapters.db.tables import SignInFailureRow

_row = SignInFailureRow


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SqlSignInFailures:
    """The SignInFailures port in the relational store."""

    def __init__(self, engine: Engine, *, secret: str, window: timedelta) -> None:
        self._engine = engine
        # Rows older than this are deleted: no count looks further back.
        self._window = window
        self._hash = KeyedHash(secret, b"sharewell.sign-in-failures")

    def email_key(self, email: str) -> str:
        """What is stored for `email`: its keyed hash."""
        return self._hash(email)

    def recent(self, email: str, *, since: datetime) -> list[datetime]:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(_row.at).where(_row.email == self.email_key(email), _row.at > since)
            ).scalars()
            return [_utc(at) for at in found]

    def record(self, email: str, *, at: datetime, since: datetime) -> list[datetime]:
        key = self.email_key(email)
        with self._engine.begin() as conn:
            one_key_at_a_time(conn, key)
            conn.execute(delete(_row).where(_row.at <= at - self._window))
            conn.execute(insert(_row).values(email=key, at=at))
            found = conn.execute(
                select(_row.at).where(_row.email == key, _row.at > since)
            ).scalars()
            return [_utc(value) for value in found]

    def clear(self, email: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(_row).where(_row.email == self.email_key(email)))
