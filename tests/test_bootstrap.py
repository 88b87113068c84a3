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


def test_the_web_app_closes_the_container_it_built_on_shutdown(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from sharewell.entrypoints.web.app import create_app

    key = tmp_path / "key.pem"
    write_private_key(TreeHeadSigner.generate(), key)
    others = {t for t in threading.enumerate() if t.name == "sharewell-audit-sequencer"}
    app = create_app(
        Settings(database_url=database_url, audit_signing_key_file=key, demo_mode=True)
    )
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        app.state.container.audit.append(decision(1))
        assert any(
            t.name == "sharewell-audit-sequencer" and t not in others for t in threading.enumerate()
        )
    assert not any(
        t.name == "sharewell-audit-sequencer" and t not in others for t in threading.enumerate()
    )
    head = SqlAuditReader(engine).latest_head()
    assert head is not None and head.tree_size == 1
