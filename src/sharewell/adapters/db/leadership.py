"""One process at a time does a job that must not run twice at once (the alert dispatcher).

On PostgreSQL the leader holds a session advisory lock on a connection of its own for as long as
it leads; the lock goes with the process, so when a leader dies another process takes over at its
next try. On SQLite the leader holds an exclusive lock on a file next to the database (released by
the operating system when the process dies). See docs/decisions/0014-several-server-processes.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine


def job_lock_key(job: str) -> int:
    """A stable signed 64-bit advisory-lock key for `job`."""
    digest = hashlib.sha256(f"sharewell-job:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


class Leadership:
    """Whether this process leads `job`: `try_lead()` never waits; `release()` steps down."""

    def __init__(self, engine: Engine, job: str) -> None:
        self._engine = engine
        self._job = job
        self._key = job_lock_key(job)
        self._proxied: Any = None
        self._fd: int | None = None
        self._leading = False

    @property
    def leading(self) -> bool:
        return self._leading

    def try_lead(self) -> bool:
        """Become the leader if no other process is; True if this process leads now."""
        if self._leading:
            return True
        if self._engine.dialect.name == "postgresql":
            self._leading = self._try_postgres()
        else:
            self._leading = self._try_file()
        return self._leading

    def release(self) -> None:
        """Step down (also safe when not leading)."""
        self._leading = False
        if self._proxied is not None:
            proxied, self._proxied = self._proxied, None
            # Unlocked here, so that another process can lead as soon as this returns: closing
            # the connection drops its session locks too, but only once the server has noticed
            # (a test saw the next try fail on a busy machine).
            with contextlib.suppress(Exception), proxied.driver_connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
            with contextlib.suppress(Exception):
                proxied.invalidate()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)

    def _try_postgres(self) -> bool:
        proxied = self._engine.raw_connection()
        try:
            conn: Any = proxied.driver_connection
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
                row = cur.fetchone()
            got = bool(row and row[0])
        except BaseException:
            with contextlib.suppress(Exception):
                proxied.invalidate()
            raise
        if got:
            self._proxied = proxied
        else:
            proxied.invalidate()
        return got

    def _try_file(self) -> bool:
        database = self._engine.url.database
        if not database or database == ":memory:":
            return True  # an in-memory database lives in one process only
        where = Path(database).expanduser()
        path = where.with_name(f"{where.name}.{self._job}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True
