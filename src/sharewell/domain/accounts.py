"""Sign-in credentials and the lockout rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sharewell.domain.organisations import Practitioner


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """How many failed sign-ins lock an account, and for how long."""

    attempts: int
    minutes: int

    def locks_after(self, failures: int) -> bool:
        """True when `failures` consecutive failures should lock the account."""
        return failures >= self.attempts

    def locked_until(self, at: datetime) -> datetime:
        """When a lock that starts at `at` ends."""
        return at + timedelta(minutes=self.minutes)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What sign-in needs to know about an account (never shown or logged)."""

    practitioner: Practitioner
    password_hash: str | None
    failed_sign_ins: int = 0
    locked_until: datetime | None = None

    def is_locked(self, at: datetime) -> bool:
        """True while a lockout is running at `at`."""
        return self.locked_until is not None and at < self.locked_until
