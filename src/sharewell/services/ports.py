"""Ports: what the services need from storage and the outside world. Adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sharewell.domain.accounts import Credentials
from sharewell.domain.audit import AuditEvent, AuditReceipt
from sharewell.domain.organisations import Organisation, Practitioner


class OrganisationRepository(Protocol):
    """Partner organisations."""

    def add(self, organisation: Organisation) -> None: ...

    def get(self, code: str) -> Organisation | None: ...

    def list(self) -> Sequence[Organisation]: ...


class PractitionerRepository(Protocol):
    """Practitioner accounts, with the credential fields sign-in needs."""

    def add(self, practitioner: Practitioner, *, password_hash: str | None) -> None: ...

    def get(self, practitioner_id: str) -> Practitioner | None: ...

    def by_email(self, email: str) -> Practitioner | None: ...

    def credentials(self, email: str) -> Credentials | None:
        """The account with this email address (any case) and its password hash."""
        ...


class SignInFailures(Protocol):
    """Failed sign-ins per email address (lower case), whether or not an account has it."""

    def recent(self, email: str, *, since: datetime) -> list[datetime]:
        """When the failures with `email` after `since` happened."""
        ...

    def record(self, email: str, *, at: datetime, since: datetime) -> list[datetime]:
        """Count a failure at `at`; the failures after `since`, this one included. Failures
        from parallel requests are all counted."""
        ...

    def clear(self, email: str) -> None:
        """Forget the failures with `email` (it was just used to sign in)."""
        ...


class PasswordVerifier(Protocol):
    """Checks a password against a stored hash."""

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """True on a match. With no hash it still does the work, then says False, so an
        unknown account takes as long to refuse as a wrong password."""
        ...


class AuditLog(Protocol):
    """The append-only, tamper-evident log.

    `append` returns only once the entry is durable and raises if it cannot be made so: callers
    must disclose nothing when it raises (fail closed).
    """

    def append(self, event: AuditEvent) -> AuditReceipt: ...

    def append_many(self, events: Sequence[AuditEvent]) -> list[AuditReceipt]:
        """`append` for several entries in order, made durable together (one wait, not one
        each); raises if any cannot be, and then the caller must disclose nothing."""
        ...
