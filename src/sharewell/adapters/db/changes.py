"""Word from PostgreSQL that rows have changed, so that a process may keep what it read until then.

Triggers (migration 0011) send `NOTIFY sharewell_practitioners, '<practitioner id>'` in every
transaction that adds, changes or removes a practitioner or their training, whoever makes the
change (Sharewell, a command, an administrator at the SQL prompt). PostgreSQL delivers it to
every listening connection when that transaction commits. A `ChangeListener` keeps one such
connection in a thread of its own and tells its subscribers which id changed ("*" for "anything
may have changed": when it starts listening and whenever it has stopped).

What was kept may be relied on only while notifications are known to arrive: `trusted()` is
true while the listener's own ping has come back within the last `trust_seconds`. Every
`check_seconds` the thread sends a notification on the channel it listens on, with a payload only
it uses, and counts the time it sent one that came back. An answer to a query would prove only
that the connection is alive, not that notifications reach it (a pooler between the listener and
PostgreSQL may pass queries and drop them). PostgreSQL delivers notifications in the order their
transactions committed, so once a ping comes back every change committed before it was sent has
been heard. A lost connection is noticed within `check_seconds`, and once `trust_seconds` pass
without a ping back nothing kept is used until the listener is back and has told its subscribers
to forget everything. Triggers that are missing would not be noticed this way: what is kept is
also read again after a time (`SqlPractitioners`). See
docs/decisions/0018-admission-and-practitioner-cache.md.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import structlog
from sqlalchemy import Engine

log = structlog.get_logger("sharewell.db.changes")

PRACTITIONERS_CHANNEL = "sharewell_practitioners"
EVERYTHING = "*"
APPLICATION_NAME = "sharewell change listener"

# How long one wait for notifications lasts: also how soon close() is noticed.
_WAIT_SECONDS = 0.2
# The pause before listening again after the connection was lost or refused: doubled after each
# failure up to the most, back to the first after a spell of listening that worked.
_FIRST_PAUSE = 0.5
_MOST_PAUSE = 5.0


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
        # When the last ping that came back was sent (time.monotonic()); None while not
        # listening, or before the first ping is back.
        self._answered: float | None = None
        # This listener's pings: "<prefix><n>", not a practitioner id, unique to this listener.
        self._ping_prefix = f"ping {uuid.uuid4().hex} "
        # Whether a ping came back in the current spell of listening.
        self._heard_itself = False

    def subscribe(self, callback: Callable[[str], None]) -> None:
        """Call `callback(id)` from the listener's thread for every change heard, and
        `callback("*")` whenever anything may have changed unheard."""
        self._subscribers.append(callback)

    def trusted(self) -> bool:
        """Whether a change committed now will be heard: listening, and its own ping came back
        lately."""
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
        pause = _FIRST_PAUSE
        while not self._stop.is_set():
            self._heard_itself = False
            try:
                self._listen()
            except Exception as exc:  # a lost or refused connection: try again shortly
                log.warning(
                    "changes.not_listening", channel=self._channel, error=type(exc).__name__
                )
            finally:
                self._answered = None
                self._tell(EVERYTHING)
            if self._heard_itself:
                # It listened well until now: this is a new failure, not one of a run.
                pause = _FIRST_PAUSE
            if self._stop.wait(pause):
                return
            pause = min(pause * 2, _MOST_PAUSE)

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
            # Pings sent and not yet back, oldest first (they come back in that order).
            sent: deque[tuple[str, float]] = deque(maxlen=64)
            pings = 0
            pinged = 0.0
            while not self._stop.is_set():
                now = time.monotonic()
                if now - pinged >= self._check_seconds:
                    pings += 1
                    payload = f"{self._ping_prefix}{pings}"
                    conn.execute("SELECT pg_notify(%s, %s)", (self._channel, payload))
                    sent.append((payload, now))
                    pinged = now
                for notice in conn.notifies(timeout=_WAIT_SECONDS):
                    payload = notice.payload
                    if payload.startswith(self._ping_prefix):
                        self._came_back(payload, sent)
                        continue
                    self._tell(payload or EVERYTHING)
        finally:
            # Never back to the pool: it is still listening.
            proxied.invalidate()

    def _came_back(self, payload: str, sent: deque[tuple[str, float]]) -> None:
        """One of this listener's pings came back: every change committed before it was sent
        has been heard."""
        while sent:
            ping, at = sent.popleft()
            if ping == payload:
                self._answered = at
                self._heard_itself = True
                return


# How long anything kept until it changes is kept at most, whatever was heard: a change that is
# never announced (a trigger missing or switched off) is seen within this time.
KEEP_SECONDS = 60.0

V = TypeVar("V")


class Kept(Generic[V]):
    """Values read from the database, by practitioner id, each kept until the listener says
    that practitioner changed, used only while the listener is trusted, and read again after
    `keep_seconds` all the same. Without a listener (SQLite) nothing is kept."""

    def __init__(
        self,
        changes: ChangeListener | None,
        *,
        keep_at_most: int = 20_000,
        keep_seconds: float = KEEP_SECONDS,
    ) -> None:
        self._changes = changes
        self._keep_at_most = keep_at_most
        self._keep_seconds = keep_seconds
        # Each with when its read began (time.monotonic()).
        self._kept: dict[str, tuple[V, float]] = {}
        # Moves on with every change heard, so a read that raced a change is not kept.
        self._generation = 0
        self._lock = threading.Lock()
        if changes is not None:
            changes.subscribe(self.forget)

    def forget(self, key: str) -> None:
        """Forget what is kept for `key` (EVERYTHING: all of it)."""
        with self._lock:
            self._generation += 1
            if key == EVERYTHING:
                self._kept.clear()
            else:
                self._kept.pop(key, None)

    def relied_on(self) -> bool:
        """Whether what is kept may be used just now (a listener, and trusted)."""
        return self._changes is not None and self._changes.trusted()

    def get(self, key: str) -> V | None:
        """What is kept for `key`, if kept and still to be relied on; never reads the database
        (so an event loop may call it without handing it to a thread)."""
        if not self.relied_on():
            return None
        found = self._kept.get(key)
        if found is None or time.monotonic() - found[1] >= self._keep_seconds:
            return None
        return found[0]

    def read(self, key: str, load: Callable[[], V], *, keep: Callable[[V], bool]) -> V:
        """What is kept for `key`, else `load()`, kept if `keep(value)` and nothing about `key`
        changed while it was being read."""
        kept = self.get(key)
        if kept is not None:
            return kept
        generation = self._generation
        began = time.monotonic()
        found = load()
        if keep(found) and self.relied_on():
            with self._lock:
                if generation != self._generation:
                    return found
                if len(self._kept) >= self._keep_at_most:
                    self._forget_old(began)
                if len(self._kept) < self._keep_at_most:
                    self._kept[key] = (found, began)
        return found

    def _forget_old(self, now: float) -> None:
        """Make room: drop what is kept too long to be used (called holding the lock)."""
        self._kept = {
            key: kept for key, kept in self._kept.items() if now - kept[1] < self._keep_seconds
        }
