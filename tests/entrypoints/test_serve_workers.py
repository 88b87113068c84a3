"""`sharewell serve --workers 2`: several server processes append to one audit log."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

import sharewell
from sharewell.adapters.crypto.signing import DEMO_KEY_NAME, load_signer
from sharewell.adapters.db.audit_log import SqlAuditReader
from sharewell.config import Settings
from sharewell.entrypoints.web.app import SERVING_GC_THRESHOLDS, settle_for_serving
from sharewell.services.audit import verify_audit_log
from sharewell.verify import tree_head_is_signed
from tests.entrypoints.conftest import _free_port

ATTEMPTS = 40
SHAREWELL = str(Path(sys.executable).parent / "sharewell")


def _wait_until_serving(base: str, server: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert server.poll() is None, output.read_text()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_server_processes_append_to_one_audit_log(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SHAREWELL_DATABASE_URL": database_url,
        "SHAREWELL_DEMO_MODE": "true",
        "SHAREWELL_SIGN_IN_ATTEMPTS_PER_IP": "10000",
        "SHAREWELL_LOG_LEVEL": "WARNING",
        # This checkout's code, whatever the working directory.
        "PYTHONPATH": str(Path(sharewell.__file__).resolve().parents[1]),
    }
    output = tmp_path / "server.log"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            [SHAREWELL, "serve", "--workers", "2", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, server, output)

        def failed_sign_in(n: int) -> int:
            # A new connection each time, so both processes take some of them.
            with httpx.Client(base_url=base, timeout=30) as client:
                page = client.get("/sign-in").text
                token = page.split('name="csrf_token" value="')[1].split('"')[0]
                answer = client.post(
                    "/sign-in",
                    data={"email": f"nobody{n}@example.org", "password": "x", "csrf_token": token},
                )
                return answer.status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(failed_sign_in, range(ATTEMPTS)))
        # Every failed sign-in was refused plainly (not a 500 from a refused audit append).
        assert set(statuses) == {401}, statuses
    finally:
        _stop(server)
    assert server.returncode == 0, output.read_text()

    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind, count(*) FROM audit_entries GROUP BY kind")).all()
    assert dict(kinds).get("sign_in_failed") == ATTEMPTS
    signer = load_signer(
        Settings(database_url=database_url, demo_mode=True).model_copy(
            update={"audit_signing_key_file": tmp_path / "var" / DEMO_KEY_NAME}
        )
    )
    report = verify_audit_log(
        SqlAuditReader(engine), lambda head: tree_head_is_signed(head, signer.public_key)
    )
    assert report.intact, report.summary()
    head = SqlAuditReader(engine).latest_head()
    total = sum(count for _, count in kinds)
    assert head is not None and head.tree_size == total


def test_serve_refuses_no_workers() -> None:
    result = subprocess.run(
        [SHAREWELL, "serve", "--workers", "0"],
        capture_output=True,
        text=True,
        env={**os.environ, "SHAREWELL_DEMO_MODE": "true"},
        timeout=60,
    )
    assert result.returncode != 0
    assert "--workers must be 1 or more" in result.stdout + result.stderr


def test_a_serving_process_settles_its_heap_before_taking_requests() -> None:
    # What each server process does once its application is built: everything built so far is
    # kept out of the collector's full passes, which then run less often.
    thresholds = gc.get_threshold()
    try:
        settle_for_serving()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == SERVING_GC_THRESHOLDS
        assert SERVING_GC_THRESHOLDS[0] > thresholds[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_serve_logs_requests_without_their_query_strings(tmp_path: Path) -> None:
    # A search by name puts the name in the query string; uvicorn's own access log would print
    # it. Sharewell logs each request itself, the path only.
    port = _free_port()
    env = {
        **os.environ,
        "SHAREWELL_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SHAREWELL_DEMO_MODE": "true",
        "SHAREWELL_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(Path(sharewell.__file__).resolve().parents[1]),
    }
    subprocess.run([SHAREWELL, "init"], cwd=tmp_path, env=env, check=True, capture_output=True)
    output = tmp_path / "server.log"
    with output.open("wb") as sink:
        server = subprocess.Popen(
            [SHAREWELL, "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, server, output)
        answer = httpx.get(f"{base}/people?name=Zebedee+Quaintance&postcode=ZZ9+9ZZ", timeout=10)
        assert answer.status_code == 303  # to sign in
    finally:
        _stop(server)
    logged = output.read_text()
    assert '"path": "/people"' in logged  # the request was logged, at INFO
    assert "Zebedee" not in logged and "ZZ9" not in logged, logged
