"""Word from PostgreSQL that rows have changed, so that a process may keep what it read until then.

Triggers (migration 0011) send `NOTIFY sharewell_practitioners, '<practitioner id>'` in every
transaction that adds, changes or removes a practitioner or their training, whoever makes the
change (Sharewell, a command, an administrator at the SQL prompt). PostgreSQL delivers it to
every listening connection when that transaction commits. A `ChangeListener` keeps one such
connection in a thread of its own and tells its subscribers which id changed ("*" for "anything
may have changed": when it starts listening and whenever it has stopped).

What was kept may be relied on only while the listener is known to be listening: `trusted()` is
true while its connection has answered within the last `trust_seconds`. The thread checks the
connection every `check_seconds`, so a lost connection is noticed within that time, and once
`trust_seconds` pass without an answer (a connection that hangs rather than fails) nothing kept
is used until the listener is back and has told its subscribers to forget everything. See
docs/decisions/0018-admission-and-practitioner-cache.md.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import Engine

log = structlog.get_logger("sharewell.db.changes")

PRACTITIONERS_CHANNEL = "sharewell_practitioners"
EVERYTHING = "*"
APPLICATION_NAME = "sharewell change listener"

# How long one wait for notifications lasts: also how soon close() is noticed.
_WAIT_SECONDS = 0.2


class ChangeListener:
    """LISTEN on one channel, in a daemon thread started by the first `trusted()` call."""

    def __init__(
        self,
        engine: Engine,
        channel: str,
        *,
        check_seconds: float = 2.0,
        trust_seconds: float = 6.0,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("Change notifications need PostgreSQL")
        if not channel.isidentifier():
            raise ValueError(f"Not a channel name: {channel!r}")
        self._engine = engine
        self._channel = channel
        self._check_seconds = check_seconds
        self._trust_seconds = trust_seconds
        self._subscribers: list[Callable[[str], None]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # When the connection last answered (time.monotonic()); None while not listening.
        self._answered: float | None = None

    def subscribe(self, callback: Callable[[str], None]) -> None:
        """Call `callback(id)` from the listener's thread for every change heard, and
        `callback("*")` whenever anything may have changed unheard."""
        self._subscribers.append(callback)

    def trusted(self) -> bool:
        """Whether a change committed now will be heard: listening, and answered lately."""
        if self._thread is None:
            self._start()
        answered = self._answered
        return answered is not None and time.monotonic() - answered < self._trust_seconds

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(
                target=self._run, name=f"listen-{self._channel}", daemon=True
            )
            self._thread.start()

    def _tell(self, changed: str) -> None:
        for callback in self._subscribers:
            callback(changed)

    def _run(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # a lost or refused connection: try again shortly
                log.warning(
                    "changes.not_listening", channel=self._channel, error=type(exc).__name__
                )
            finally:
                self._answered = None
                self._tell(EVERYTHING)
            if self._stop.wait(pause):
                return
            pause = min(pause * 2, 5.0)

    def _listen(self) -> None:
        proxied = self._engine.raw_connection()
        try:
            conn: Any = proxied.driver_connection
            conn.autocommit = True
            # Named, so that an administrator can tell it apart in pg_stat_activity.
            conn.execute(f"SET application_name = '{APPLICATION_NAME}'")
            conn.execute(f"LISTEN {self._channel}")
            # Listening from here on: whatever was kept before may be stale.
            self._tell(EVERYTHING)
            self._answered = checked = time.monotonic()
            while not self._stop.is_set():
                for notice in conn.notifies(timeout=_WAIT_SECONDS):
                    self._tell(notice.payload or EVERYTHING)
                if time.monotonic() - checked >= self._check_seconds:
                    conn.execute("SELECT 1")
                    self._answered = checked = time.monotonic()
        finally:
            # Never back to the pool: it is still listening.
            proxied.invalidate()
