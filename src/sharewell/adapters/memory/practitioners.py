"""In-memory practitioner accounts and a plain-text password checker, for service tests."""

from __future__ import annotations

from datetime import datetime

from sharewell.domain.accounts import Credentials
from sharewell.domain.errors import Conflict
from sharewell.domain.organisations import Practitioner


class MemoryPractitioners:
    """The PractitionerRepository port in a dict."""

    def __init__(self) -> None:
        self.accounts: dict[str, Credentials] = {}

    def add(self, practitioner: Practitioner, *, password_hash: str | None) -> None:
        if practitioner.id in self.accounts:
            raise Conflict(f"Practitioner {practitioner.id} already exists")
        self.accounts[practitioner.id] = Credentials(practitioner, password_hash)

    def get(self, practitioner_id: str) -> Practitioner | None:
        found = self.accounts.get(practitioner_id)
        return found.practitioner if found else None

    def by_email(self, email: str) -> Practitioner | None:
        found = self.credentials(email)
        return found.practitioner if found else None

    def credentials(self, email: str) -> Credentials | None:
        wanted = email.strip().lower()
        for account in self.accounts.values():
            if account.practitioner.email.lower() == wanted:
                return account
        return None


class MemorySignInFailures:
    """The SignInFailures port in a dict."""

    def __init__(self) -> None:
        self.failures: dict[str, list[datetime]] = {}

    def recent(self, email: str, *, since: datetime) -> list[datetime]:
        return [at for at in self.failures.get(email, []) if at > since]

    def record(self, email: str, *, at: datetime, since: datetime) -> list[datetime]:
        self.failures[email] = [*self.recent(email, since=since), at]
        return list(self.failures[email])

    def clear(self, email: str) -> None:
        self.failures.pop(email, None)


class PlainPasswords:
    """A PasswordVerifier for tests: the 'hash' is the password itself; counts checks."""

    def __init__(self) -> None:
        self.checks = 0

    def verify(self, stored_hash: str | None, password: str) -> bool:
        self.checks += 1
        return stored_hash is not None and stored_hash == password
