"""Helpers for audit-log storage tests: events, and an attacker who drops the triggers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from sharewell.adapters.crypto.signing import TreeHeadSigner
from sharewell.adapters.db.audit_log import SqlAuditLog
from sharewell.domain.audit import AuditEvent, AuditKind

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def decision(n: int) -> AuditEvent:
    """A denied request by a school safeguarding lead: references and reason codes only."""
    return AuditEvent(
        kind=AuditKind.DECISION,
        at=START + timedelta(seconds=n),
        actor_id=f"p{n % 7}",
        actor_org="SCH1",
        purpose="safeguarding_children",
        subject_id=f"s{n % 11}",
        outcome="deny",
        reasons=("NO_AGREEMENT",),
        refs={"request": f"r{n}", "holder": "POL"},
    )


def new_log(engine: Engine, signer: TreeHeadSigner, **options: float) -> SqlAuditLog:
    return SqlAuditLog(engine, lambda: signer, **options)  # type: ignore[arg-type]


def refuse_next_write(log: SqlAuditLog, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database refuses the log's next write, as a full disk or a lost connection would:
    the transaction holding it is rolled back."""
    real = log._insert
    refused: list[bool] = []

    def insert_then_fail(conn: Any, *args: Any) -> None:
        if refused:
            real(conn, *args)
            return
        refused.append(True)
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(log, "_insert", insert_then_fail)


def drop_triggers(engine: Engine) -> None:
    """What an attacker with database admin rights does first."""
    with engine.begin() as conn:
        for table in ("audit_entries", "tree_heads"):
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
                conn.execute(text(f"DROP TRIGGER {table}_no_truncate ON {table}"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))


def append_from_another_process(url: str, key_pem: bytes, worker: int, count: int) -> list[int]:
    """Run in a separate process (multiprocessing, spawn): its own engine and sequencer append
    `count` entries one at a time; returns their indexes."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from sharewell.adapters.db.engine import make_engine

    key: Any = load_pem_private_key(key_pem, password=None)
    engine = make_engine(url)
    log = SqlAuditLog(engine, lambda: TreeHeadSigner(key), head_interval=0.01)
    try:
        return [log.append(decision(worker * 1000 + n)).index for n in range(count)]
    finally:
        log.close()
        engine.dispose()
