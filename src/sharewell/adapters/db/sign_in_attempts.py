"""Sign-in attempts per client address, on top of account lockout, so that one address cannot
try many accounts (password spraying).

Counted in the database, so every server process shares one count per address (an in-memory
count gave a deployment of N processes N times the limit). Addresses are personal data: only
an HMAC-SHA256 of each, under a key derived from the secret key, is stored, and attempts older
than the window are deleted at the next attempt (from any address).

An IPv6 address is counted with its /64 network: one host, or one home connection, is commonly
given a whole /64 and can send from any of its 2^64 addresses. IPv4 addresses count one by one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from sharewell.adapters.db.tables import SignInAttemptRow

_row = SignInAttemptRow
IPV6_PREFIX = 64


class KeyedHash:
    """HMAC-SHA256 under a key derived from the secret key for one `purpose`: what is stored
    instead of an address (a client's or an email), so the table holds no personal data."""

    def __init__(self, secret: str, purpose: bytes) -> None:
        self._key = hmac.new(secret.encode(), purpose, hashlib.sha256).digest()

    def __call__(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()


def one_key_at_a_time(conn: Connection, key: str) -> None:
    """Within this transaction, counts for `key` are taken one after another, across processes:
    on PostgreSQL an advisory transaction lock on the key; on SQLite the transaction's first
    write (which the caller makes next) takes the database's write lock, with the same effect."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def counted_as(address: str) -> str:
    """The address whose attempts `address` counts towards: an IPv6 address's /64 network
    (`2001:db8:1:2::/64`), an IPv4 address (also one written as IPv6, `::ffff:192.0.2.1`) as
    it is. Anything that is not an IP address (a Unix socket's name) counts as itself."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


class SqlSignInThrottle:
    """At most `attempts` sign-in attempts per client address in any `window`."""

    def __init__(self, engine: Engine, *, attempts: int, window: timedelta, secret: str) -> None:
        self._engine = engine
        self._attempts = attempts
        self._window = window
        self._hash = KeyedHash(secret, b"sharewell.sign-in-attempts")

    def client_key(self, address: str) -> str:
        """What is stored for `address`: the keyed hash of what it counts as (`counted_as`)."""
        return self._hash(counted_as(address))

    def allow(self, address: str, at: datetime) -> bool:
        """Count an attempt from `address`; False when it is over the limit (not counted)."""
        client = self.client_key(address)
        since = at - self._window
        with self._engine.begin() as conn:
            one_key_at_a_time(conn, client)
            conn.execute(delete(_row).where(_row.at <= since))
            recent = conn.execute(
                select(func.count()).where(_row.client == client, _row.at > since)
            ).scalar_one()
            if recent >= self._attempts:
                return False
            conn.execute(insert(_row).values(client=client, at=at))
        return True
