"""Ports: what the services need from storage and the outside world. Adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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


class AuditLog(Protocol):
    """The append-only, tamper-evident log.

    `append` returns only once the entry is durable and raises if it cannot be made so: callers
    must disclose nothing when it raises (fail closed).
    """

    def append(self, event: AuditEvent) -> AuditReceipt: ...
