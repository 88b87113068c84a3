"""Per-organisation API tokens: scoped, revocable, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

TOKEN_PREFIX = "swt_"


class Scope(StrEnum):
    """What a token may do: read (lists, records), share (requests, answers, overrides),
    admin (IG lead work: tokens, override reviews)."""

    READ = "read"
    SHARE = "share"
    ADMIN = "admin"


def digest(secret: str) -> str:
    """The stored form of a token. A fast hash is enough: the token has 256 random bits, so
    there is nothing to guess, unlike a password."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An organisation's API token; it acts as the practitioner named, within its scopes."""

    id: str
    org: str
    name: str
    scopes: frozenset[Scope]
    practitioner_id: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def revoked(self, at: datetime) -> ApiToken:
        """This token, revoked (a new value)."""
        return replace(self, revoked_at=at)
