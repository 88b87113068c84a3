"""An in-memory audit log for tests; can be told to fail, to prove callers fail closed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

from sharewell.domain.audit import AuditEvent, AuditReceipt
from sharewell.domain.errors import StorageUnavailable


class MemoryAuditLog:
    """Keeps events in a list; `fail_next` makes the next append raise."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.fail_next = False

    def append(self, event: AuditEvent) -> AuditReceipt:
        if self.fail_next:
            self.fail_next = False
            raise StorageUnavailable("The audit log could not be written (injected fault)")
        self.events.append(event)
        body = json.dumps(asdict(event), default=str, sort_keys=True).encode()
        return AuditReceipt(len(self.events) - 1, hashlib.sha256(b"\x00" + body).hexdigest())
