"""In-memory practitioner accounts and a plain-text password checker, for service tests."""

from __future__ import annotations

from dataclasses import replace
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

    def record_failed_sign_in(self, practitioner_id: str) -> int:
        account = self.accounts[practitioner_id]
        self.accounts[practitioner_id] = replace(
            account, failed_sign_ins=account.failed_sign_ins + 1
        )
        return account.failed_sign_ins + 1

    def lock(self, practitioner_id: str, *, until: datetime) -> None:
        account = self.accounts[practitioner_id]
        self.accounts[practitioner_id] = replace(account, locked_until=until, failed_sign_ins=0)

    def record_successful_sign_in(self, practitioner_id: str) -> None:
        account = self.accounts[practitioner_id]
        self.accounts[practitioner_id] = replace(account, locked_until=None, failed_sign_ins=0)


class PlainPasswords:
    """A PasswordVerifier for tests: the 'hash' is the password itself; counts checks."""

    def __init__(self) -> None:
        self.checks = 0

    def verify(self, stored_hash: str | None, password: str) -> bool:
        self.checks += 1
        return stored_hash is not None and stored_hash == password
