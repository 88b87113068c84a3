"""Two builds of Sharewell compared on record reads, in turn, on one database at one time.

    PYTHONPATH=src python benchmarks/paired_record_read.py --b OTHER_CHECKOUT [--a CHECKOUT]
        [--a-env KEY=VALUE ...] [--b-env KEY=VALUE ...] [--people 20000] [--facts 200000]
        [--clients 32] [--workers 2] [--rounds 10] [--seconds 2]

Full runs of `record_read.py` move by a quarter from one run to the next on a shared machine,
more than most changes do, so one full run of each build says little. Here both builds serve the
same scratch database at once (each from its own checkout, `--a` defaulting to this one, each
with its own environment additions, e.g. `--b-env SHAREWELL_CONCURRENT_REQUESTS=6`), and one load
generator drives them in turn, in alternating blocks of `--seconds` (`--rounds` blocks each, the
order swapped every round), so the machine's drift falls on both alike. Each build's server runs
only while it is driven. `--clients 1 --workers 1` measures one request at a time.

Prints one JSON line: for each build its records/s, p50 and p99 (over all its blocks; each block
starts with every client sending at once, so the p99 is higher than a full run's), and server CPU
per record read (its process tree, from /proc); and B's CPU per read and records/s as ratios of
A's. The two checkouts must share the database schema (the same migrations). The database is
built with this checkout's code, as `record_read.py` builds it, and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_load
import record_read

ROOT = Path(__file__).resolve().parents[1]
# uvicorn closes a keep-alive connection idle for 5 s; a build waits one block of the other's.
LONGEST_BLOCK_SECONDS = 4.0


def _environment(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"an environment addition must be KEY=VALUE, not {pair!r}")
        found[key] = value
    return found


def _start(checkout: Path, extra: dict[str, str], url: str, port: int, args: Any) -> Any:
    script = checkout / "benchmarks" / "record_read.py"
    env = dict(os.environ)
    env[record_read.URL_VARIABLE] = url
    env[record_read.POOL_VARIABLE] = str(record_read._pool_size(args.clients))
    env["PYTHONPATH"] = os.pathsep.join([str(checkout / "src"), str(checkout)])
    env.update(extra)
    command = [sys.executable, str(script), "--serve", str(port), "--workers", str(args.workers)]
    return subprocess.Popen(command, env=env)


async def _block(side: dict[str, Any], paths: list[str], seconds: float, offset: int) -> None:
    tally = http_load._Tally()
    stop = time.monotonic() + seconds
    cpu_before = http_load.tree_cpu_seconds(side["pid"])
    began = time.monotonic()
    connections = side["connections"]
    await asyncio.gather(
        *(
            c.loop(paths, offset + k, len(connections), stop, tally)
            for k, c in enumerate(connections)
        )
    )
    side["elapsed"] += time.monotonic() - began
    side["cpu"] += http_load.tree_cpu_seconds(side["pid"]) - cpu_before
    side["latencies"].extend(tally.latencies)
    for status, count in tally.statuses.items():
        side["errors"][status] = side["errors"].get(status, 0) + count


async def _compare(sides: list[dict[str, Any]], paths: list[str], args: Any) -> None:
    for side in sides:
        if args.workers > 1:
            await http_load._spread(side["connections"], args.workers, "/healthz")
        warm = {"pid": side["pid"], "connections": side["connections"]}
        await _block(
            {**warm, "elapsed": 0.0, "cpu": 0.0, "latencies": [], "errors": {}}, paths[:200], 2.0, 0
        )
    offset = 0
    for round_ in range(args.rounds):
        for side in sides if round_ % 2 == 0 else sides[::-1]:
            offset += 1000
            await _block(side, paths, args.seconds, offset)
    for side in sides:
        for connection in side["connections"]:
            connection.close()


def _summary(side: dict[str, Any]) -> dict[str, Any]:
    latencies = sorted(side["latencies"])
    done = max(len(latencies), 1)
    return {
        "checkout": str(side["checkout"]),
        "env": side["env"],
        "requests": len(latencies),
        "per_s": round(len(latencies) / side["elapsed"], 1) if side["elapsed"] else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
        "p99_ms": round(latencies[max(int(done * 0.99) - 1, 0)] * 1000, 1) if latencies else 0.0,
        "server_cpu_us_per_request": round(side["cpu"] * 1e6 / done),
        "errors": side["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--a", type=Path, default=ROOT, help="checkout A (default: this one)")
    parser.add_argument("--b", type=Path, required=True, help="checkout B")
    parser.add_argument("--a-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--b-env", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--facts", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    if not 0 < args.seconds <= LONGEST_BLOCK_SECONDS:
        raise SystemExit(f"--seconds must be above 0 and at most {LONGEST_BLOCK_SECONDS}")
    if args.rounds < 2 or args.clients < 1 or args.workers < 1:
        raise SystemExit("--rounds must be 2 or more, --clients and --workers 1 or more")
    builds = [
        (args.a.resolve(), _environment(args.a_env)),
        (args.b.resolve(), _environment(args.b_env)),
    ]
    for checkout, _extra in builds:
        if not (checkout / "benchmarks" / "record_read.py").is_file():
            raise SystemExit(
                f"{checkout} is not a Sharewell checkout (no benchmarks/record_read.py)"
            )

    name = f"sharewell_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(record_read.ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = record_read.ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    servers: list[Any] = []
    try:
        container, patients, _timings = record_read._build(url, args.people, args.facts)
        container.close()
        sides: list[dict[str, Any]] = []
        for number, (checkout, extra) in enumerate(builds):
            port = 18000 + (os.getpid() + 1 + number) % 1000
            server = _start(checkout, extra, url, port, args)
            servers.append(server)
            base = f"http://127.0.0.1:{port}"
            record_read._wait_up(base, server)
            record_read._wait_for_workers(base, args.workers, server)
            spec = {
                "host": "127.0.0.1",
                "port": port,
                "cookie_name": record_read.cookie_name(https=False),
                "headers": {"x-sharewell-purpose": "direct_care"},
            }
            cookies = record_read._sign_in(base, args.clients)
            sides.append(
                {
                    "checkout": checkout,
                    "env": extra,
                    "pid": server.pid,
                    "connections": [http_load._Connection(spec, c) for c in cookies],
                    "elapsed": 0.0,
                    "cpu": 0.0,
                    "latencies": [],
                    "errors": {},
                }
            )
        paths = [f"/api/v1/people/{p}" for p in patients]
        asyncio.run(_compare(sides, paths, args))
        a, b = (_summary(side) for side in sides)
        print(
            json.dumps(
                {
                    "people": args.people,
                    "clients": args.clients,
                    "workers": args.workers,
                    "rounds": args.rounds,
                    "seconds": args.seconds,
                    "a": a,
                    "b": b,
                    "b_cpu_ratio": round(
                        b["server_cpu_us_per_request"] / max(a["server_cpu_us_per_request"], 1), 3
                    ),
                    "b_throughput_ratio": round(b["per_s"] / a["per_s"], 3) if a["per_s"] else None,
                    "cpu_check_ms": record_read._cpu_check_ms(),
                }
            )
        )
    finally:
        for server in servers:
            record_read.stop_server(server)
        record_read.drop_database(admin, name)
        admin.dispose()


if __name__ == "__main__":
    main()
