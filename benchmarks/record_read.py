"""Joined-up record reads through the API on PostgreSQL, against a one-row baseline.

    PYTHONPATH=src python benchmarks/record_read.py [--people 100000] [--facts 1000000]
        [--clients 32] [--seconds 20]

Builds a scratch database: the synthetic partnership for --people people, linked into person ids
(by the generator's ground truth, standing in for identity linking), the example charter signed by
every party, and extra facts copied from the generated ones until there are --facts facts. Then
Sharewell runs under uvicorn on loopback and --clients threads, each signed in as the GP demo
account with purpose direct_care, read `/api/v1/people/{id}` for the GP's patients for --seconds
(the full gate: decision, audited, fields selected, disclosure audited). The same clients then
read a minimal endpoint that selects one row from the same database, behind the same session
middleware, for the same time. Prints one JSON line with records/s and p50/p99 latencies of both
and their ratio. Targets (issue 5): p99 <= 60 ms and >= 500 records/s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request
from sqlalchemy import create_engine, select, text
from starlette.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.disclosure_fixtures import (
    GP_EMAIL,
    NOW,
    _person_links,
    link_by_truth,
    sign_charter,
)

from sharewell.adapters.db.tables import SourceRecordRow
from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app

ADMIN_URL = os.environ.get(
    "SHAREWELL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _build(url: str, people: int, facts: int) -> tuple[Any, list[str], dict[str, float]]:
    from sharewell.adapters.db.migrate import upgrade
    from sharewell.adapters.synthetic.generator import DemoConfig
    from sharewell.adapters.synthetic.loader import load_demo_data
    from sharewell.bootstrap import build

    timings: dict[str, float] = {}
    settings = _settings(url)
    container = build(settings)
    started = time.perf_counter()
    upgrade(container.engine)
    load_demo_data(container.engine, DemoConfig(people=people, seed=5, as_of=date(2026, 3, 1)))
    link_by_truth(container.engine)
    sign_charter(container)
    timings["load_s"] = round(time.perf_counter() - started, 1)
    with container.engine.begin() as conn:
        have = conn.execute(text("select count(*) from facts")).scalar_one()
        copy = 0
        while have < facts:
            copy += 1
            conn.execute(
                text(
                    "insert into facts (id, org_code, local_id, category, code, occurred_at,"
                    " summary, detail, sensitivity, latitude, longitude)"
                    " select id || '-c' || :n, org_code, local_id, category, code,"
                    " occurred_at - (:n || ' days')::interval, summary, detail, sensitivity,"
                    " latitude, longitude from facts where id not like '%-c%'"
                    " limit :room"
                ),
                {"n": copy, "room": facts - have},
            )
            have = conn.execute(text("select count(*) from facts")).scalar_one()
        conn.execute(text("analyze"))
    timings["facts"] = have
    links = _person_links(container.engine)
    with container.engine.connect() as conn:
        patients = list(
            conn.execute(
                select(links.c.person_id)
                .join(SourceRecordRow, SourceRecordRow.id == links.c.record_id)
                .where(SourceRecordRow.org_code == "GP1")
                .distinct()
            ).scalars()
        )
    return container, patients, timings


def _sign_in(base: str, clients: int) -> list[httpx.Client]:
    """One signed-in client per simulated user, before any clock starts (sign-in is slow on
    purpose: a password hash)."""
    signed: list[httpx.Client] = []
    for _ in range(clients):
        client = httpx.Client(base_url=base, timeout=30)
        page = client.get("/sign-in").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/sign-in", data={"email": GP_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token}
        )
        signed.append(client)
    return signed


def _run(signed: list[httpx.Client], paths: list[str], seconds: float) -> dict[str, Any]:
    clients = len(signed)
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(n: int) -> None:
        nonlocal errors
        client = signed[n]
        mine: list[float] = []
        bad = 0
        i = n
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += clients
            t0 = time.perf_counter()
            answer = client.get(path, headers={"x-sharewell-purpose": "direct_care"})
            mine.append(time.perf_counter() - t0)
            if answer.status_code not in (200, 404):
                bad += 1
                with lock:
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else 0.0,
        "errors": errors,
        "error_statuses": {str(k): v for k, v in statuses.items()},
    }


def _settings(url: str) -> Settings:
    # Quiet request logs (the one JSON line is the output) and room for every client to sign in
    # from 127.0.0.1; everything else as configured by default.
    return Settings(
        database_url=url, demo_mode=True, log_level="WARNING", sign_in_attempts_per_ip=10_000
    )


def _serve(url: str, port: int) -> None:
    """The server process: Sharewell plus the one-row baseline, under uvicorn."""
    import uvicorn

    app = create_app(_settings(url), clock=lambda: NOW)

    @app.get("/bench/one-row", include_in_schema=False)
    def one_row(request: Request) -> JSONResponse:
        # The baseline: the same app, middleware and session, one indexed row read.
        with request.app.state.container.engine.connect() as conn:
            row = conn.execute(select(SourceRecordRow.id).where(SourceRecordRow.id == 1)).first()
        return JSONResponse({"id": row[0] if row else None})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def _wait_up(base: str, server: Any) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not server.is_alive():
            raise SystemExit("the benchmark server stopped while starting")
        try:
            httpx.get(base + "/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the benchmark server did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--profile", metavar="FILE", help="record the server with py-spy (if installed) to FILE"
    )
    args = parser.parse_args()

    name = f"sharewell_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    server = None
    try:
        container, patients, timings = _build(url, args.people, args.facts)
        # The builder lets go of the sequencer lock: the server process takes it.
        container.close()
        port = 18000 + os.getpid() % 1000
        # The server runs in its own process (its own interpreter lock), the clients here.
        server = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(url, port), daemon=True
        )
        server.start()
        base = f"http://127.0.0.1:{port}"
        _wait_up(base, server)
        signed = _sign_in(base, args.clients)
        _run(signed, [f"/api/v1/people/{p}" for p in patients[:50]], 2)  # warm up
        spy = None
        if args.profile:
            spy = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--gil",
                    "--pid",
                    str(server.pid),
                    "--format",
                    "raw",
                    "-o",
                    args.profile,
                    "--duration",
                    str(int(args.seconds)),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        records = _run(signed, [f"/api/v1/people/{p}" for p in patients], args.seconds)
        if spy is not None:
            spy.wait(timeout=60)
        baseline = _run(signed, ["/bench/one-row"], args.seconds)
        for client in signed:
            client.close()
        print(
            json.dumps(
                {
                    "people": args.people,
                    "facts": timings["facts"],
                    "load_s": timings["load_s"],
                    "clients": args.clients,
                    "patients_read": len(patients),
                    "records": records,
                    "one_row_baseline": baseline,
                    "p99_ratio": round(records["p99_ms"] / baseline["p99_ms"], 2)
                    if baseline["p99_ms"]
                    else None,
                    "throughput_ratio": round(records["per_s"] / baseline["per_s"], 3)
                    if baseline["per_s"]
                    else None,
                    "targets_met": records["p99_ms"] <= 60 and records["per_s"] >= 500,
                }
            )
        )
    finally:
        if server is not None and server.is_alive():
            server.terminate()
            server.join(timeout=30)
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


if __name__ == "__main__":
    main()
