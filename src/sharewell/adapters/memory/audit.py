"""An in-memory audit log for tests; can be told to fail, to prove callers fail closed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict

from sharewell.domain.audit import AuditEvent, AuditReceipt
from sharewell.domain.errors import StorageUnavailable


class MemoryAuditLog:
    """Keeps events in a list; `fail_next` makes the next append raise."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.fail_next = False
        # How many entries each append_many committed together.
        self.batches: list[int] = []

    def append_many(self, events: Sequence[AuditEvent]) -> list[AuditReceipt]:
        """All or nothing, like the SQL log's single commit."""
        if self.fail_next:
            self.fail_next = False
            raise StorageUnavailable("The audit log could not be written (injected fault)")
        self.batches.append(len(events))
        return [self.append(event) for event in events]

    def append(self, event: AuditEvent) -> AuditReceipt:
        if self.fail_next:
            self.fail_next = False
            raise StorageUnavailable("The audit log could not be written (injected fault)")
        self.events.append(event)
        body = json.dumps(asdict(event), default=str, sort_keys=True).encode()
        return AuditReceipt(len(self.events) - 1, hashlib.sha256(b"\x00" + body).hexdigest())
