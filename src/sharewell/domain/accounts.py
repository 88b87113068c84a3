"""Sign-in credentials and the lockout rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sharewell.domain.organisations import Practitioner


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """How many failed sign-ins with one email address lock it, and for how long.

    Counted per email address whether or not an account has it, so that a lock tells nobody
    whether the address belongs to an account."""

    attempts: int
    minutes: int

    @property
    def window(self) -> timedelta:
        """Failures older than this no longer count."""
        return timedelta(minutes=self.minutes)

    def lock_end(self, failures: Sequence[datetime]) -> datetime | None:
        """When the lock put on an address by `failures` (its failed sign-ins within the
        window) ends: `minutes` after the first of the last `attempts` of them; None when
        they are too few to lock it."""
        if len(failures) < self.attempts:
            return None
        return sorted(failures)[-self.attempts] + self.window


@dataclass(frozen=True, slots=True)
class Credentials:
    """What sign-in needs to know about an account (never shown or logged)."""

    practitioner: Practitioner
    password_hash: str | None
