"""A lean HTTP/1.1 load generator for the benchmarks: standard library only, one process.

    python benchmarks/http_load.py < spec.json > result.json

Opens one keep-alive connection per client and runs each as a closed loop (send a request, read
the whole response, send the next) on one asyncio event loop, so the clients cost the machine
little CPU next to the server they measure. The latency of a request runs from just before it is
sent to the last byte of its response. The spec (JSON on stdin):

    {"host": "127.0.0.1", "port": 8000, "cookie_name": "...", "cookies": ["...", ...],
     "headers": {"x-sharewell-purpose": "direct_care"}, "server_pid": 1234,
     "workers": 2, "probe": "/healthz",
     "warmup": [{"paths": [...], "seconds": 2}],
     "phases": [{"name": "records", "paths": [...], "seconds": 20, "profile": [...argv...]}]}

Each connection carries one cookie (a signed-in user) and follows the session cookie the server
sends back. With "workers" above 1, the connections are first spread evenly over the server's
worker processes (see `_spread`). Phases run one after another on the same connections; for
each, the result has requests, per_s, p50/p99, errors by status (anything but 200 and 404, and
exceptions by name), requests answered by each worker,
and the CPU time per request of the server's process tree (read from /proc, so it does not
depend on the machine's load), of this process and (with "database": its name) of the
PostgreSQL backends serving that database on this machine. `profile`, if given, is started as
a subprocess when the phase's clock starts and waited for after it ends.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

OK_STATUSES = frozenset({200, 404})


def _stat_fields(pid: str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            raw = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return raw[raw.rindex(")") + 2 :].split()


def tree_cpu_seconds(root: int) -> float:
    """User plus system CPU time of `root` and every process descended from it, now."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(entry)
        if fields is None:
            continue
        # After the name: state, ppid, ... utime is the 12th, stime the 13th.
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = int(fields[11]) + int(fields[12])
    total = 0
    for pid, used in cpu.items():
        walk = pid
        while walk not in (root, 0, 1) and walk in parents:
            walk = parents[walk]
        if walk == root:
            total += used
    return total / ticks


def database_cpu_seconds(database: str) -> float:
    """User plus system CPU time, now, of the PostgreSQL backends serving `database` (on this
    machine; a backend that has exited is no longer counted)."""
    ticks = os.sysconf("SC_CLK_TCK")
    marker = f" {database} ".encode()
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            continue
        if not command.startswith(b"postgres: ") or marker not in command:
            continue
        fields = _stat_fields(entry)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    workers: dict[str, int] = field(default_factory=dict)

    def bad(self, key: str) -> None:
        self.statuses[key] = self.statuses.get(key, 0) + 1


class _Connection:
    """One client: a keep-alive connection and its session cookie."""

    def __init__(self, spec: dict[str, Any], cookie: str) -> None:
        self._host = spec["host"]
        self._port = int(spec["port"])
        self._cookie_name = spec.get("cookie_name")
        self._cookie = cookie
        extra = "".join(f"{k}: {v}\r\n" for k, v in spec.get("headers", {}).items())
        self._fixed = f"Host: {self._host}:{self._port}\r\n{extra}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        # The server process that answered last (the `x-bench-worker` header), if it says.
        self.worker: str | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        return self._reader, self._writer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def get(self, path: str) -> int:
        """Send GET `path` and read the whole response; its status."""
        reader, writer = await self._open()
        cookie = f"Cookie: {self._cookie_name}={self._cookie}\r\n" if self._cookie_name else ""
        writer.write(f"GET {path} HTTP/1.1\r\n{self._fixed}{cookie}\r\n".encode("latin-1"))
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        chunked = False
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "x-bench-worker":
                self.worker = value
            elif (
                name == "set-cookie"
                and self._cookie_name
                and value.startswith(self._cookie_name + "=")
            ):
                sent = value.split(";", 1)[0].split("=", 1)[1]
                if sent and sent != '""':
                    self._cookie = sent
        if chunked:
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await reader.readexactly(length)
        if close:
            self.close()
        return status

    async def loop(self, paths: list[str], start: int, stride: int, stop: float, t: _Tally) -> None:
        i = start
        while time.monotonic() < stop:
            path = paths[i % len(paths)]
            i += stride
            began = time.perf_counter()
            try:
                status = await self.get(path)
            except (
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                t.bad(f"exception:{type(exc).__name__}")
                self.close()
                await asyncio.sleep(0.05)
                continue
            t.latencies.append(time.perf_counter() - began)
            if self.worker is not None:
                t.workers[self.worker] = t.workers.get(self.worker, 0) + 1
            if status not in OK_STATUSES:
                t.bad(str(status))


async def _phase(
    connections: list[_Connection], paths: list[str], seconds: float
) -> tuple[_Tally, float]:
    tally = _Tally()
    began = time.monotonic()
    stop = began + seconds
    n = len(connections)
    await asyncio.gather(*(c.loop(paths, k, n, stop, tally) for k, c in enumerate(connections)))
    return tally, time.monotonic() - began


def _summary(tally: _Tally, elapsed: float) -> dict[str, Any]:
    latencies = sorted(tally.latencies)
    return {
        "requests": len(latencies),
        "per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else 0.0,
        "p99_ms": round(latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000, 1)
        if latencies
        else 0.0,
        "errors": sum(tally.statuses.values()),
        "error_statuses": dict(sorted(tally.statuses.items())),
        # Requests answered by each server process (when it names itself), busiest first.
        "requests_by_worker": sorted(tally.workers.values(), reverse=True),
    }


async def _spread(connections: list[_Connection], workers: int, probe: str) -> None:
    """Open the connections one at a time so that each server worker holds its share.

    Worker processes share one listening socket and the first to wake accepts every connection
    waiting, so connections opened at once may all land on one worker. Each connection asks
    `probe` which worker answered (the `x-bench-worker` header) and, while that worker has its
    share already, is closed and opened again (a bounded number of times), as a load balancer in
    front of the workers would spread them."""
    share = -(-len(connections) // workers)
    held: dict[str | None, int] = {}
    for connection in connections:
        for _ in range(50):
            await connection.get(probe)
            if connection.worker is None or held.get(connection.worker, 0) < share:
                break
            connection.close()
        held[connection.worker] = held.get(connection.worker, 0) + 1


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    connections = [_Connection(spec, cookie) for cookie in spec["cookies"]]
    if int(spec.get("workers", 1)) > 1:
        await _spread(connections, int(spec["workers"]), spec.get("probe", "/"))
    for warm in spec.get("warmup", []):
        await _phase(connections, warm["paths"], float(warm["seconds"]))
    server = int(spec["server_pid"]) if spec.get("server_pid") else None
    database = spec.get("database")
    results: dict[str, Any] = {}
    for phase in spec["phases"]:
        profiler = None
        if phase.get("profile"):
            profiler = subprocess.Popen(
                phase["profile"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        server_before = tree_cpu_seconds(server) if server else 0.0
        database_before = database_cpu_seconds(database) if database else 0.0
        own_before = _own_cpu_seconds()
        tally, elapsed = await _phase(connections, phase["paths"], float(phase["seconds"]))
        server_used = (tree_cpu_seconds(server) - server_before) if server else 0.0
        database_used = (database_cpu_seconds(database) - database_before) if database else 0.0
        own_used = _own_cpu_seconds() - own_before
        summary = _summary(tally, elapsed)
        done = max(summary["requests"], 1)
        summary["server_cpu_ms_per_request"] = round(server_used * 1000 / done, 2)
        summary["client_cpu_ms_per_request"] = round(own_used * 1000 / done, 2)
        if database:
            summary["database_cpu_ms_per_request"] = round(database_used * 1000 / done, 2)
        results[phase["name"]] = summary
        if profiler is not None:
            profiler.wait(timeout=120)
    for c in connections:
        c.close()
    return results


def main() -> None:
    spec = json.load(sys.stdin)
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
