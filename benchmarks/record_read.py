"""Joined-up record reads through the API on PostgreSQL, against a one-row baseline.

    PYTHONPATH=src python benchmarks/record_read.py [--people 100000] [--facts 1000000]
        [--clients 32] [--seconds 20] [--workers CPUS] [--profile FILE]

Builds a scratch database: the synthetic partnership for --people people, linked into person ids
(by the generator's ground truth, standing in for identity linking), the example charter signed by
every party, and extra facts copied from the generated ones until there are --facts facts. Then
Sharewell runs under uvicorn on loopback with --workers worker processes, and --clients clients,
each signed in as the GP demo account with purpose direct_care, read `/api/v1/people/{id}` for the
GP's patients for --seconds (the full gate: decision, audited, fields selected, disclosure
audited). The same clients then read a minimal endpoint that selects one row from the same
database, behind the same session middleware, for the same time. The clients are one lean asyncio
process (benchmarks/http_load.py): one keep-alive connection each, a closed loop. Prints one JSON
line with records/s, p50/p99 latencies of both and their ratio, errors by status, the server's CPU
time per request (its whole process tree, read from /proc) and the load average before and after.
Targets (issue 5): p99 <= 60 ms and >= 500 records/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from sqlalchemy import create_engine, select, text
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from sharewell.entrypoints.web.app import create_app, settle_for_serving
from sharewell.entrypoints.web.sessions import cookie_name

ROOT = Path(__file__).resolve().parents[1]
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
    timings["facts"] = have
    # As a database in service would be: vacuumed (hint bits and the visibility map set, so the
    # first read of a freshly loaded page does not write it) and analysed, with the load's dirty
    # pages written out by a checkpoint before any clock starts.
    with container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("vacuum (analyze)"))
        conn.execute(text("checkpoint"))
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


def _sign_in(base: str, clients: int) -> list[str]:
    """One signed-in session cookie per simulated user, before any clock starts (sign-in is slow
    on purpose: a password hash)."""
    cookies: list[str] = []
    name = cookie_name(https=False)
    for _ in range(clients):
        with httpx.Client(base_url=base, timeout=60) as client:
            page = client.get("/sign-in").text
            token = page.split('name="csrf_token" value="')[1].split('"')[0]
            answer = client.post(
                "/sign-in",
                data={"email": GP_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token},
            )
            value = client.cookies.get(name)
            if answer.status_code >= 400 or not value:
                raise SystemExit(f"signing a benchmark client in failed: {answer.status_code}")
            cookies.append(value)
    return cookies


def _settings(url: str) -> Settings:
    # Quiet request logs (the one JSON line is the output) and room for every client to sign in
    # from 127.0.0.1; everything else as configured by default.
    return Settings(
        database_url=url, demo_mode=True, log_level="WARNING", sign_in_attempts_per_ip=10_000
    )


URL_VARIABLE = "SHAREWELL_BENCH_DATABASE_URL"
POOL_VARIABLE = "SHAREWELL_DATABASE_POOL_SIZE"


def _pool_size(clients: int) -> int:
    """Connections each worker keeps: one per request it may have in flight (a smaller pool
    makes and drops PostgreSQL connections all the time) and a few more. A client's keep-alive
    connection stays with the worker that accepted it, and workers share the clients unevenly,
    so each worker gets room for all of them; together they still open only about one
    connection per client (plus a few each), well within PostgreSQL's default 100."""
    return clients + 8


def server_app() -> FastAPI:
    """uvicorn's factory, called once in each worker process: Sharewell plus the one-row
    baseline, for the database named in the environment."""
    app = create_app(_settings(os.environ[URL_VARIABLE]), clock=lambda: NOW)

    @app.get("/bench/one-row", include_in_schema=False)
    def one_row(request: Request) -> JSONResponse:
        # The baseline: the same app, middleware and session, one indexed row read.
        with request.app.state.container.engine.connect() as conn:
            row = conn.execute(select(SourceRecordRow.id).where(SourceRecordRow.id == 1)).first()
        return JSONResponse({"id": row[0] if row else None})

    # Which worker answered (on every response, /healthz too): the benchmark waits until it
    # has heard from every one before anyone signs in.
    app.add_middleware(_WorkerHeader)
    settle_for_serving()  # as `sharewell serve` does
    return app


class _WorkerHeader:
    """Plain ASGI middleware adding `x-bench-worker: <pid>` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._header = (b"x-bench-worker", str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self._header]
            await send(message)

        await self._app(scope, receive, sending)


def _serve(port: int, workers: int) -> None:
    """The server process (started as `record_read.py --serve PORT`)."""
    import uvicorn

    uvicorn.run(
        "record_read:server_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        lifespan="off",
    )


def _start_server(url: str, port: int, workers: int, clients: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env[URL_VARIABLE] = url
    env.setdefault(POOL_VARIABLE, str(_pool_size(clients)))
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=str(ROOT),
    )


def _wait_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the benchmark server stopped while starting")
        try:
            httpx.get(base + "/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the benchmark server did not start within 120 s")


def _wait_for_workers(base: str, workers: int, server: subprocess.Popen[bytes]) -> int:
    """Until every worker has answered (each on a new connection); how many answered."""
    seen: set[str] = set()
    deadline = time.monotonic() + 120
    while len(seen) < workers and time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the benchmark server stopped while its workers started")
        try:
            answer = httpx.get(base + "/healthz", timeout=5)
            if answer.status_code == 200 and "x-bench-worker" in answer.headers:
                seen.add(answer.headers["x-bench-worker"])
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    if len(seen) < workers:
        raise SystemExit(f"only {len(seen)} of {workers} workers answered within 120 s")
    return len(seen)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop a benchmark server (and its workers), if it is still running."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def drop_database(admin: Any, name: str) -> None:
    """Drop a scratch database, even with connections still open to it."""
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}" with (force)'))


def _sessions(admin: Any, name: str) -> int:
    with admin.connect() as conn:
        found = conn.execute(
            text("select sessions from pg_stat_database where datname = :name"), {"name": name}
        ).scalar()
    return int(found or 0)


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_check_ms() -> float:
    """How fast this machine runs plain Python just now: the best of five timings of a fixed
    workload (calls, dicts, strings), in ms. Shared and virtual machines vary from hour to hour;
    a run whose figure is well above another's ran on a slower machine, whatever the code."""

    def work() -> int:
        kept: dict[str, tuple[int, str]] = {}
        for i in range(200_000):
            kept[f"k{i % 1000}"] = (i, str(i))
        return len(kept)

    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the clients in their own process (benchmarks/http_load.py)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("http_load.py"))],
        input=json.dumps(spec).encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace"))
        raise SystemExit("the load generator failed")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn worker processes (default: one per processor, as one would serve)",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="record the server with py-spy (if installed) to FILE"
    )
    parser.add_argument(
        "--profile-phase",
        choices=("records", "one_row"),
        default="records",
        help="which phase --profile records (default: records)",
    )
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.workers)
        return

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
        # The server runs in its own process(es), the clients in another.
        server = _start_server(url, port, args.workers, args.clients)
        base = f"http://127.0.0.1:{port}"
        _wait_up(base, server)
        _wait_for_workers(base, args.workers, server)
        cookies = _sign_in(base, args.clients)
        record_paths = [f"/api/v1/people/{p}" for p in patients]
        profile = None
        if args.profile:
            profile = ["py-spy", "record", "--gil", "--pid", str(server.pid), "--subprocesses"]
            profile += ["--format", "raw", "-o", args.profile, "--nonblocking"]
            profile += ["--duration", str(int(args.seconds))]
        spec = {
            "host": "127.0.0.1",
            "port": port,
            "cookie_name": cookie_name(https=False),
            "cookies": cookies,
            "headers": {"x-sharewell-purpose": "direct_care"},
            "server_pid": server.pid,
            "database": name,
            # Spread the clients' connections evenly over the workers first.
            "workers": args.workers,
            "probe": "/healthz",
            # Every worker warm (connections, caches, compiled statements) before any clock.
            "warmup": [
                {"paths": record_paths[:200], "seconds": 3},
                {"paths": ["/bench/one-row"], "seconds": 1},
            ],
            "phases": [
                {
                    "name": "records",
                    "paths": record_paths,
                    "seconds": args.seconds,
                    "profile": profile if args.profile_phase == "records" else None,
                },
                {
                    "name": "one_row",
                    "paths": ["/bench/one-row"],
                    "seconds": args.seconds,
                    "profile": profile if args.profile_phase == "one_row" else None,
                },
            ],
        }
        load_before = _load_average()
        cpu_check_before = _cpu_check_ms()
        sessions_before = _sessions(admin, name)
        results = _drive(spec)
        sessions_opened = _sessions(admin, name) - sessions_before
        load_after = _load_average()
        cpu_check_after = _cpu_check_ms()
        records, baseline = results["records"], results["one_row"]
        print(
            json.dumps(
                {
                    "people": args.people,
                    "facts": timings["facts"],
                    "load_s": timings["load_s"],
                    "clients": args.clients,
                    "workers": args.workers,
                    "database_pool_size": int(os.environ.get(POOL_VARIABLE, 0))
                    or _pool_size(args.clients),
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
                    # Connections the server opened to PostgreSQL during warm-up and both phases
                    # (a pool too small for the threads makes and drops connections).
                    "database_sessions_opened": sessions_opened,
                    "load_average_before": load_before,
                    "load_average_after": load_after,
                    # The same fixed Python workload timed before and after the phases (ms).
                    "cpu_check_ms": [cpu_check_before, cpu_check_after],
                }
            )
        )
    finally:
        if server is not None:
            stop_server(server)
        drop_database(admin, name)
        admin.dispose()


if __name__ == "__main__":
    main()
