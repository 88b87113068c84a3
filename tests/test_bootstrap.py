"""The container wires the SQL audit log and stops its sequencer thread on close."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine

from sharewell.adapters.crypto.signing import TreeHeadSigner, write_private_key
from sharewell.adapters.db.audit_log import SqlAuditReader
from sharewell.bootstrap import build
from sharewell.config import Settings
from tests.adapters.audit_helpers import decision


def test_container_audit_log_appends_durably_and_stops_on_close(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "key.pem"
    write_private_key(TreeHeadSigner.generate(), key)
    # Other tests' apps may still run sequencers of their own; this test is about this one.
    others = {t for t in threading.enumerate() if t.name == "sharewell-audit-sequencer"}
    container = build(Settings(database_url=database_url, audit_signing_key_file=key))
    try:
        receipt = container.audit.append(decision(1))
    finally:
        container.close()
    assert receipt.index == 0
    head = SqlAuditReader(engine).latest_head()
    assert head is not None and head.tree_size == 1
    assert not any(
        t.name == "sharewell-audit-sequencer" and t not in others for t in threading.enumerate()
    )
