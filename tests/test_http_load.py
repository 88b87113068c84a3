"""The benchmarks' load generator (benchmarks/http_load.py) against a tiny local server."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any


def _http_load() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "http_load.py"
    spec = importlib.util.spec_from_file_location("http_load", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["http_load"] = module
    spec.loader.exec_module(module)
    return module


http_load = _http_load()


class _Server:
    """Answers /ok (a length and a new cookie), /chunked (chunked body) and /bad (500, then
    closes the connection); remembers the cookies it was sent."""

    def __init__(self) -> None:
        self.cookies: list[str] = []
        self.served = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                path = head.split(" ", 2)[1]
                for line in head.split("\r\n")[1:]:
                    if line.lower().startswith("cookie:"):
                        self.cookies.append(line.split(":", 1)[1].strip())
                self.served += 1
                if path == "/ok":
                    body = b'{"ok": true}'
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n"
                        b"set-cookie: s=fresh; Path=/; HttpOnly\r\n\r\n%s" % (len(body), body)
                    )
                elif path == "/chunked":
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                    )
                else:
                    writer.write(
                        b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n"
                        b"connection: close\r\n\r\n"
                    )
                    await writer.drain()
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _run(spec_changes: dict[str, Any]) -> tuple[dict[str, Any], _Server]:
    server = _Server()

    async def main() -> dict[str, Any]:
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        port = listening.sockets[0].getsockname()[1]
        spec = {
            "host": "127.0.0.1",
            "port": port,
            "cookie_name": "s",
            "cookies": ["first", "first"],
            "server_pid": os.getpid(),
            **spec_changes,
        }
        try:
            result: dict[str, Any] = await http_load.run(spec)
        finally:
            listening.close()
            await listening.wait_closed()
        return result

    # In a thread of its own: the test session's thread may already run an event loop (the
    # browser tests' Playwright does).
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(lambda: asyncio.run(main())).result()
    return result, server


def test_reads_whole_responses_follows_the_cookie_and_counts_errors_by_status() -> None:
    result, server = _run(
        {
            "warmup": [{"paths": ["/ok"], "seconds": 0.05}],
            "phases": [
                {"name": "good", "paths": ["/ok", "/chunked"], "seconds": 0.2},
                {"name": "bad", "paths": ["/bad"], "seconds": 0.1},
            ],
        }
    )
    good, bad = result["good"], result["bad"]
    assert good["requests"] > 0 and good["errors"] == 0 and good["error_statuses"] == {}
    assert good["p50_ms"] <= good["p99_ms"]
    assert bad["errors"] == bad["requests"] > 0
    assert set(bad["error_statuses"]) == {"500"}
    # Each client started with its own cookie and then sent the one the server set.
    assert server.cookies[0] == "s=first" and "s=fresh" in server.cookies
    assert {"server_cpu_ms_per_request", "client_cpu_ms_per_request"} <= set(good)


def test_connection_failures_are_errors_by_exception_name() -> None:
    result, _ = _run({"port": 9, "phases": [{"name": "down", "paths": ["/ok"], "seconds": 0.1}]})
    down = result["down"]
    assert down["requests"] == 0
    assert down["errors"] > 0
    assert all(key.startswith("exception:") for key in down["error_statuses"])


def test_cpu_time_of_a_process_tree_counts_this_process() -> None:
    sum(range(2_000_000))
    assert http_load.tree_cpu_seconds(os.getpid()) > 0
