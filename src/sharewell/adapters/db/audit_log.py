"""The audit log in SQL: a sequencer thread per process that appends in group-committed batches.

Callers (any number of threads) put their event in an inbox and wait. A single writer thread takes
whatever is queued and, in one transaction holding the log's write lock, first takes in the
entries other processes appended since it last wrote (checking each against its leaf hash), then
gives each event the next index, hashes the leaves into the Merkle tree it keeps in memory (a
compact range), writes the batch (with a signed tree head when one is due), and only once that is
committed answers every caller in the batch. If anything fails, every caller in the batch gets
StorageUnavailable and nothing is acknowledged (fail closed); the writer then reloads the tree from
the table, which is the truth.

Any number of processes may append (see docs/decisions/0004-audit-log.md): the write lock is a
transaction-scoped advisory lock on PostgreSQL and SQLite's own write lock (BEGIN IMMEDIATE), held
only while one batch is written.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, literal_column, select

from sharewell.adapters.crypto.signing import TreeHeadSigner
from sharewell.adapters.db.tables_audit import SUBJECT_OF_ENTRY, AuditEntryRow
from sharewell.domain.audit import AuditEvent, AuditReceipt
from sharewell.domain.errors import StorageUnavailable
from sharewell.domain.merkle import (
    TILE,
    CompactRange,
    TiledTree,
    TreeHead,
    canonical_parts,
    leaf_hash,
    tree_root,
)

# pg_advisory_xact_lock key: "swaudit1" read as a signed 64-bit integer.
SEQUENCER_LOCK_KEY = int.from_bytes(b"swaudit1", "big") & 0x7FFF_FFFF_FFFF_FFFF
_STOP = object()


class _Checkpoint:
    """A request to sign a tree head now, for whatever is committed before it."""

    __slots__ = ("done", "error", "head")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.head: TreeHead | None = None
        self.error: BaseException | None = None

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.done.set()


class _Ticket:
    """One caller waiting for its event to become durable."""

    __slots__ = ("at", "done", "error", "event", "head", "receipt", "tail")

    def __init__(self, event: AuditEvent) -> None:
        self.event = event
        # Serialised here, in the caller's thread, while the writer is waiting on the disk.
        self.head, self.tail = canonical_parts(event)
        self.at = event.at.astimezone(UTC)
        # A bare lock held until the writer answers: much cheaper to wait on and to release
        # than an Event, which matters with thousands of callers a second.
        self.done = threading.Lock()
        self.done.acquire()
        self.receipt: AuditReceipt | None = None
        self.error: BaseException | None = None

    def answer(self, receipt: AuditReceipt) -> None:
        self.receipt = receipt
        self.done.release()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.done.release()

    def wait(self, timeout: float) -> bool:
        return self.done.acquire(timeout=timeout)


class _Inbox:
    """Where callers leave work for the writer: one list under one lock, and a count of callers.

    The writer sleeps until there is work, then - group commit - until every caller that is
    inside `append` has its entry queued (or `linger` passes). Callers wake it only when that
    moment comes, not once per entry, which keeps thread switching (and the GIL) out of the way.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._ready = threading.Condition(self._mutex)
        self._items: list[Any] = []
        self._callers = 0
        self._want = 1
        self._urgent = False
        self._writer_waiting = False

    def put(self, item: Any, *, caller: bool = False) -> None:
        with self._mutex:
            self._items.append(item)
            if caller:
                self._callers += 1
            else:
                self._urgent = True  # stop or checkpoint: no lingering
            if self._writer_waiting and (self._urgent or len(self._items) >= self._want):
                self._ready.notify()

    def put_many(self, tickets: Sequence[_Ticket]) -> None:
        """Several entries of one caller, queued together (so they are committed together,
        unless the batch limit splits them); each counts as a caller until `left`."""
        with self._mutex:
            self._items.extend(tickets)
            self._callers += len(tickets)
            if self._writer_waiting and (self._urgent or len(self._items) >= self._want):
                self._ready.notify()

    def left(self, count: int = 1) -> None:
        """A caller has its answer and has left `append`."""
        with self._mutex:
            self._callers -= count
            if self._writer_waiting and self._items and len(self._items) >= self._callers:
                self._ready.notify()

    def take(self, timeout: float | None, linger: float, limit: int) -> list[Any]:
        """Everything queued (at most `limit`), after waiting as described; [] on timeout."""
        with self._mutex:
            self._writer_waiting = True
            try:
                self._want = 1
                deadline = None if timeout is None else time.monotonic() + timeout
                while not self._items:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return []
                    self._ready.wait(remaining)
                until = time.monotonic() + linger
                while not self._urgent:
                    self._want = min(self._callers, limit)
                    if len(self._items) >= self._want:
                        break
                    remaining = until - time.monotonic()
                    if remaining <= 0:
                        break
                    self._ready.wait(remaining)
                taken = self._items[:limit]
                del self._items[:limit]
                self._urgent = any(not isinstance(item, _Ticket) for item in self._items)
                return taken
            finally:
                self._writer_waiting = False

    def drain(self) -> list[Any]:
        with self._mutex:
            taken, self._items = self._items, []
            self._urgent = False
            return taken


@dataclass(frozen=True, slots=True)
class _Row:
    index: int
    body: bytes
    leaf: bytes
    ticket: _Ticket


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class SqlAuditLog:
    """The `AuditLog` port on SQLite or PostgreSQL; the sequencer thread starts on first use."""

    def __init__(
        self,
        engine: Engine,
        signer: Callable[[], TreeHeadSigner],
        *,
        head_interval: float = 0.5,
        max_batch: int = 5000,
        answer_timeout: float = 30.0,
        lock_wait_seconds: float = 10.0,
        linger: float = 0.001,
    ) -> None:
        self._engine = engine
        self._signer_factory = signer
        self._signer: TreeHeadSigner | None = None
        self._head_interval = head_interval
        self._max_batch = max_batch
        self._answer_timeout = answer_timeout
        self._lock_wait_ms = int(lock_wait_seconds * 1000)
        self._linger = linger
        self._inbox = _Inbox()
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._closed = False
        self._running = threading.Event()
        # Writer-thread state (touched only by the writer once started).
        self._conn: Any = None
        self._compact: CompactRange | None = None
        self._last_head: TreeHead | None = None
        self._last_head_clock = 0.0
        self.heads_signed = 0
        self.batches_committed = 0

    # -- the port ---------------------------------------------------------------------------

    def append(self, event: AuditEvent) -> AuditReceipt:
        """Append `event`; returns once it is committed durably, else raises StorageUnavailable."""
        self.start()
        try:
            ticket = _Ticket(event)
        except (ValueError, TypeError, AttributeError) as exc:
            raise StorageUnavailable(f"The audit event cannot be recorded: {exc}") from None
        self._inbox.put(ticket, caller=True)
        try:
            answered = ticket.wait(self._answer_timeout)
        finally:
            self._inbox.left()
        if not answered:
            raise StorageUnavailable(
                "The audit log did not confirm the entry in time; nothing may be disclosed"
            )
        if ticket.error is not None:
            if isinstance(ticket.error, StorageUnavailable):
                raise ticket.error
            raise StorageUnavailable(
                "The audit log could not record the entry durably; nothing may be disclosed"
            ) from ticket.error
        assert ticket.receipt is not None
        return ticket.receipt

    def append_many(self, events: Sequence[AuditEvent]) -> list[AuditReceipt]:
        """Append `events` in order, committed together (one wait for the disk, not one each);
        returns once every one is durable, else raises StorageUnavailable (and then none may
        be relied on)."""
        if not events:
            return []
        self.start()
        try:
            tickets = [_Ticket(event) for event in events]
        except (ValueError, TypeError, AttributeError) as exc:
            raise StorageUnavailable(f"The audit event cannot be recorded: {exc}") from None
        self._inbox.put_many(tickets)
        deadline = time.monotonic() + self._answer_timeout
        try:
            answered = all(ticket.wait(max(0.0, deadline - time.monotonic())) for ticket in tickets)
        finally:
            self._inbox.left(len(tickets))
        if not answered:
            raise StorageUnavailable(
                "The audit log did not confirm the entries in time; nothing may be disclosed"
            )
        receipts = []
        for ticket in tickets:
            if ticket.error is not None:
                if isinstance(ticket.error, StorageUnavailable):
                    raise ticket.error
                raise StorageUnavailable(
                    "The audit log could not record the entries durably; nothing may be disclosed"
                ) from ticket.error
            assert ticket.receipt is not None
            receipts.append(ticket.receipt)
        return receipts

    def checkpoint(self) -> TreeHead:
        """Sign a tree head now over everything committed so far and return it.

        Heads are signed on their own while entries arrive; this is for shutdown, tests and
        benchmarks that need a head at a known size.
        """
        self.start()
        request = _Checkpoint()
        self._inbox.put(request)
        if not request.done.wait(self._answer_timeout):
            raise StorageUnavailable("The audit log did not sign a tree head in time")
        if request.error is not None:
            raise StorageUnavailable("The audit log could not sign a tree head") from request.error
        assert request.head is not None
        return request.head

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def signer(self) -> TreeHeadSigner:
        """The tree-head signer (loaded from settings on first use)."""
        if self._signer is None:
            self._signer = self._signer_factory()
        return self._signer

    def start(self) -> None:
        """Start the sequencer if it is not running; raises if it cannot (missing key, no lock).

        A failed start leaves nothing behind, so the next append tries again (the database may
        be back by then); until then every append fails, so nothing is disclosed.
        """
        if self._running.is_set():
            return
        with self._lifecycle:
            if self._closed:
                raise StorageUnavailable("The audit log is closed")
            if self._running.is_set():
                return
            self.signer  # noqa: B018 - load the key now, so a bad key fails here
            self._ready.clear()
            self._start_error = None
            thread = threading.Thread(
                target=self._run, name="sharewell-audit-sequencer", daemon=True
            )
            thread.start()
            self._ready.wait()
            error = self._failed_start()
            if error is not None:
                thread.join()
                raise error
            self._thread = thread
            self._running.set()

    def _failed_start(self) -> BaseException | None:
        # Read through a method: set by the writer thread, which the type checker cannot see.
        return self._start_error

    def close(self) -> None:
        """Commit what is queued, sign a last head, stop the thread and release its connection."""
        with self._lifecycle:
            if self._closed:
                return
            self._closed = True
            self._running.clear()
            thread = self._thread
        if thread is not None:
            self._inbox.put(_STOP)
            thread.join()
        # A caller that slipped in while closing is answered rather than left waiting.
        self._fail_queued(StorageUnavailable("The audit log is closed"))

    # -- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._open()
            self._recover()
        except BaseException as exc:
            self._start_error = (
                exc
                if isinstance(exc, StorageUnavailable)
                else StorageUnavailable(f"The audit log cannot start: {exc}")
            )
            self._release()
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop()
        except BaseException as exc:  # pragma: no cover - a bug; callers must still be answered
            self._closed = True
            self._running.clear()
            self._fail_queued(StorageUnavailable(f"The audit log stopped: {exc}"))
        finally:
            self._release()

    def _loop(self) -> None:
        while True:
            items = self._inbox.take(self._head_due_in(), self._linger, self._max_batch)
            if not items:
                self._sign_pending_head()
                continue
            batch: list[_Ticket] = []
            for position, item in enumerate(items):
                if isinstance(item, _Ticket):
                    batch.append(item)
                    continue
                # A stop or a checkpoint applies after the entries queued before it.
                if batch:
                    self._commit(batch)
                    batch = []
                if item is _STOP:
                    closed = StorageUnavailable("The audit log is closed")
                    for late in items[position + 1 :]:
                        late.fail(closed)
                    self._finish()
                    return
                self._checkpoint(item)
            if batch:
                self._commit(batch)

    def _finish(self) -> None:
        # Anything queued after the stop marker was a race with close(): refuse it plainly.
        self._sign_pending_head()
        self._fail_queued(StorageUnavailable("The audit log is closed"))

    def _fail_queued(self, error: BaseException) -> None:
        for item in self._inbox.drain():
            if isinstance(item, _Ticket | _Checkpoint):
                item.fail(error)

    def _head_due_in(self) -> float | None:
        """Seconds until a head must be signed for unsigned entries, None if all are signed."""
        compact = self._compact
        signed = self._last_head.tree_size if self._last_head else 0
        if compact is None or compact.size == signed:
            return None
        return max(0.0, self._last_head_clock + self._head_interval - time.monotonic())

    def _head_due(self) -> bool:
        return time.monotonic() - self._last_head_clock >= self._head_interval

    def _make_head(self, compact: CompactRange) -> TreeHead:
        stamp = _now_ms()
        if self._last_head is not None:
            # Heads must never go back in time, even if the wall clock does.
            stamp = max(stamp, self._last_head.timestamp_ms)
        return self.signer.sign(TreeHead(compact.size, compact.root(), stamp))

    def _ensure_tree(self) -> None:
        """After a failure: reconnect if need be and reload the tree from the table."""
        if self._compact is not None:
            return
        try:
            if self._conn is None:
                self._open()
            self._recover()
        except BaseException:
            # Start from a fresh connection next time: this one may be the problem.
            self._compact = None
            self._release()
            raise

    def _commit(self, batch: Sequence[_Ticket]) -> None:
        try:
            self._ensure_tree()
        except BaseException as exc:
            error = StorageUnavailable(f"The audit log cannot be written: {exc}")
            for ticket in batch:
                ticket.fail(error)
            return
        try:
            rows, _ = self._locked_write(batch, lambda _: self._head_due())
        except BaseException as exc:
            error = StorageUnavailable(
                "The audit log could not record the entry durably; nothing may be disclosed"
            )
            error.__cause__ = exc
            for ticket in batch:
                ticket.fail(error)
            self._after_failure()
            return
        self.batches_committed += 1
        for row in rows:
            row.ticket.answer(AuditReceipt(row.index, row.leaf.hex()))

    def _checkpoint(self, request: _Checkpoint) -> None:
        try:
            self._ensure_tree()
            self._locked_write([], lambda _: True)
        except BaseException as exc:
            self._after_failure()
            request.fail(exc)
            return
        request.head = self._last_head
        request.done.set()

    def _signed(self, head: TreeHead) -> None:
        self._last_head = head
        self._last_head_clock = time.monotonic()
        self.heads_signed += 1

    def _sign_pending_head(self) -> None:
        compact = self._compact
        if compact is None or compact.size == (self._last_head.tree_size if self._last_head else 0):
            return
        try:
            # Another process may have signed a head over these entries meanwhile: then no new
            # head is needed (the catch-up adopts it).
            self._locked_write([], lambda _: True)
        except BaseException:
            self._after_failure()

    def _after_failure(self) -> None:
        """The table is the truth: forget the in-memory tree and reload it (now or next batch)."""
        self._compact = None
        try:
            self._rollback()
            self._recover()
        except BaseException:
            self._compact = None
            self._reconnect()

    # -- SQL --------------------------------------------------------------------------------

    @property
    def _postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    def _open(self) -> None:
        proxied = self._engine.raw_connection()
        self._proxied: Any = proxied
        conn: Any = proxied.driver_connection
        self._conn = conn
        if self._postgres:
            # Autocommit: each batch sends its own BEGIN (with the lock and the catch-up read in
            # the same round trip) and COMMIT. See _locked_write.
            conn.autocommit = True
            with conn.cursor() as cur:
                # Durable means flushed to the WAL on disk before COMMIT returns.
                cur.execute("SET synchronous_commit = on")
                # How long a batch waits for another process's batch before failing closed.
                cur.execute(f"SET lock_timeout = {int(self._lock_wait_ms)}")
        else:
            cur = conn.cursor()
            # WAL plus synchronous=FULL: a commit is on disk (WAL fsynced) before it returns.
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute(f"PRAGMA busy_timeout={int(self._lock_wait_ms)}")
            cur.close()
            conn.commit()

    def _release(self) -> None:
        proxied = getattr(self, "_proxied", None)
        if proxied is None:
            return
        self._proxied = None
        # Close the DBAPI connection outright: it carries the log's own settings.
        with contextlib.suppress(Exception):
            proxied.invalidate()
        self._conn = None

    def _reconnect(self) -> None:
        self._release()
        try:
            self._open()
        except BaseException:
            self._release()

    def _rollback(self) -> None:
        conn = self._conn
        if conn is None:
            raise StorageUnavailable("The audit log has no database connection")
        if self._postgres:
            # Autocommit connection with an explicit BEGIN: end it explicitly too.
            if conn.info.transaction_status != _PG_IDLE:
                with conn.cursor() as cur:
                    cur.execute("ROLLBACK")
        else:
            conn.rollback()

    def _locked_write(
        self, batch: Sequence[_Ticket], want_head: Callable[[CompactRange], bool]
    ) -> tuple[list[_Row], TreeHead | None]:
        """In one transaction holding the log's write lock: take in what other processes
        appended, number and insert `batch`, and a signed head if `want_head(tree)`; commit.

        On success the in-memory tree and head are those committed; on failure the transaction
        is rolled back and the error raised (the in-memory tree still holds only committed
        leaves, but the caller reloads it anyway).
        """
        conn = self._conn
        if conn is None:
            self._reconnect()
            conn = self._conn
            if conn is None:
                raise StorageUnavailable("The audit log has no database connection")
        try:
            self._lock_and_catch_up(conn)
            assert self._compact is not None
            compact = self._compact.copy()
            rows: list[_Row] = []
            for ticket in batch:
                body = b"%s%d%s" % (ticket.head, compact.size, ticket.tail)
                leaf = leaf_hash(body)
                rows.append(_Row(compact.size, body, leaf, ticket))
                compact.append(leaf)
            unsigned = self._last_head is None or self._last_head.tree_size != compact.size
            head = self._make_head(compact) if unsigned and want_head(compact) else None
            self._insert(conn, rows, head, compact)
        except BaseException:
            with contextlib.suppress(Exception):
                self._rollback()
            raise
        self._compact = compact
        if head is not None:
            self._signed(head)
        return rows, head

    def _lock_and_catch_up(self, conn: Any) -> None:
        """Begin, take the write lock, and read the entries and newest head written since."""
        assert self._compact is not None
        size = int(self._compact.size)
        if self._postgres:
            with conn.cursor() as cur:
                # No parameters, so one simple-protocol round trip carries all four statements.
                cur.execute(
                    f"BEGIN; SELECT pg_advisory_xact_lock({SEQUENCER_LOCK_KEY}); "
                    f"{_CATCH_UP_ENTRIES.format(size=size)}; {_NEWEST_HEAD}"
                )
                cur.nextset()  # past BEGIN's result to the lock's
                cur.nextset()
                entries = cur.fetchall()
                cur.nextset()
                newest = cur.fetchone()
        else:
            cur = conn.cursor()
            try:
                if conn.in_transaction:
                    conn.rollback()
                # SQLite's write lock, taken now (not at the first INSERT), so that what is read
                # next is all there is until this transaction ends.
                cur.execute("BEGIN IMMEDIATE")
                cur.execute(_CATCH_UP_ENTRIES.format(size=size))
                entries = cur.fetchall()
                cur.execute(_NEWEST_HEAD)
                newest = cur.fetchone()
            finally:
                cur.close()
        self._take_in(entries, newest)

    def _take_in(self, entries: Sequence[Any], newest: Any) -> None:
        """Add other processes' entries to the in-memory tree, each checked against its stored
        leaf hash and position; adopt the newest head if another process signed it."""
        compact = self._compact
        assert compact is not None
        _append_checked(compact, entries)
        if newest is None:
            return
        size, root, stamp, signature, key = newest
        mine = self._last_head.tree_size if self._last_head else -1
        if int(size) > mine and int(size) <= compact.size:
            head = TreeHead(int(size), bytes(root), int(stamp), bytes(signature), str(key))
            self._last_head = head
            # When that head was signed, on this process's clock (heads carry wall-clock ms).
            age = max(0.0, (_now_ms() - head.timestamp_ms) / 1000)
            self._last_head_clock = time.monotonic() - age

    def _insert(
        self, conn: Any, rows: Sequence[_Row], head: TreeHead | None, compact: CompactRange
    ) -> None:
        """Insert the batch and head inside the locked transaction, then commit durably."""
        if self._postgres:
            # One round trip while the write lock is held: the inserts and the COMMIT go out
            # together (pipeline mode) and the answers are read once, at the end of the block.
            with conn.pipeline(), conn.cursor() as cur:
                if rows:
                    cur.executemany(
                        _PG_INSERT_ENTRIES,
                        [
                            (
                                row.index,
                                row.ticket.at,
                                row.ticket.event.kind.value,
                                row.body.decode(),
                                row.leaf,
                            )
                            for row in rows
                        ],
                    )
                if head is not None:
                    cur.execute(_PG_INSERT_HEAD, _head_values(head, compact))
                # synchronous_commit = on: answered once the WAL is flushed to disk.
                cur.execute("COMMIT")
            return
        cur = conn.cursor()
        try:
            if rows:
                cur.executemany(
                    "INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES (?,?,?,?,?)",
                    [
                        (
                            row.index,
                            row.ticket.at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                            row.ticket.event.kind.value,
                            row.body.decode(),
                            row.leaf,
                        )
                        for row in rows
                    ],
                )
            if head is not None:
                cur.execute(
                    "INSERT INTO tree_heads (tree_size, root_hash, timestamp_ms, signature, "
                    "key_id, compact_range) VALUES (?, ?, ?, ?, ?, ?)",
                    _head_values(head, compact),
                )
            conn.commit()
        finally:
            cur.close()

    def _recover(self) -> None:
        """Rebuild the in-memory tree from the newest signed head and the entries after it."""
        conn = self._conn
        if conn is None:
            raise StorageUnavailable("The audit log has no database connection")
        mark = "%s" if self._postgres else "?"
        cur = conn.cursor()
        try:
            cur.execute(
                "SELECT tree_size, root_hash, timestamp_ms, signature, key_id, compact_range "
                "FROM tree_heads ORDER BY tree_size DESC LIMIT 1"
            )
            found = cur.fetchone()
            head: TreeHead | None = None
            if found is None:
                compact = CompactRange()
            else:
                size, root, stamp, signature, key, stored_range = found
                head = TreeHead(int(size), bytes(root), int(stamp), bytes(signature), str(key))
                try:
                    compact = CompactRange.from_bytes(head.tree_size, bytes(stored_range))
                    matches = compact.root() == head.root_hash
                except ValueError:
                    matches = False
                if not matches:
                    raise StorageUnavailable(
                        f"The newest signed tree head (size {head.tree_size:,}) does not match "
                        "its stored tree state; run `sharewell audit verify`"
                    )
                cur.execute(
                    f"SELECT 1 FROM audit_entries WHERE idx = {mark}", (head.tree_size - 1,)
                )
                if head.tree_size and cur.fetchone() is None:
                    raise StorageUnavailable(
                        f"The audit log is shorter than its signed tree head of size "
                        f"{head.tree_size:,}; run `sharewell audit verify`"
                    )
            cur.execute(_CATCH_UP_ENTRIES.format(size=int(compact.size)))
            _append_checked(compact, cur.fetchall())
        finally:
            cur.close()
        self._rollback()
        self._compact = compact
        self._last_head = head
        # Entries acknowledged before a crash but not yet under a head get one at once (if
        # another process has not signed one meanwhile).
        self._last_head_clock = time.monotonic() - self._head_interval
        signed = head.tree_size if head else 0
        if compact.size != signed:
            self._locked_write([], lambda _: True)


_PG_INSERT_ENTRIES = (
    "INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES (%s, %s, %s, %s, %s)"
)
_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE
_CATCH_UP_ENTRIES = (
    "SELECT idx, body, leaf_hash FROM audit_entries WHERE idx >= {size} ORDER BY idx"
)
_NEWEST_HEAD = (
    "SELECT tree_size, root_hash, timestamp_ms, signature, key_id FROM tree_heads "
    "ORDER BY tree_size DESC LIMIT 1"
)
_PG_INSERT_HEAD = (
    "INSERT INTO tree_heads (tree_size, root_hash, timestamp_ms, signature, key_id, "
    "compact_range) VALUES (%s, %s, %s, %s, %s, %s)"
)


def _append_checked(compact: CompactRange, entries: Sequence[Any]) -> None:
    """Add stored (index, body, leaf hash) rows to `compact`, each checked against its position
    and its body; StorageUnavailable at the first that does not match."""
    for index, body, leaf in entries:
        stored = bytes(leaf)
        text = body if isinstance(body, str) else bytes(body).decode()
        if int(index) != compact.size or leaf_hash(text.encode()) != stored:
            raise StorageUnavailable(
                f"The audit log is damaged at entry {compact.size:,}; run `sharewell audit verify`"
            )
        compact.append(stored)


def _head_values(head: TreeHead, compact: CompactRange) -> tuple[Any, ...]:
    return (
        head.tree_size,
        head.root_hash,
        head.timestamp_ms,
        head.signature,
        head.key_id,
        compact.to_bytes(),
    )


class SqlAuditReader:
    """Read side of the log for verification and proofs; needs no sequencer."""

    def __init__(self, engine: Engine, *, chunk: int = 50_000) -> None:
        self._engine = engine
        self._chunk = chunk
        # Roots of complete tiles, computed once per process and extended as the log grows;
        # only the proofs use them (verification always recomputes from the entries).
        self._tiles: list[bytes] = []
        self._tiles_lock = threading.Lock()

    def heads(self) -> list[TreeHead]:
        """Every signed tree head, smallest first."""
        return self._heads("ORDER BY tree_size")

    def latest_head(self) -> TreeHead | None:
        """The newest signed tree head."""
        found = self._heads("ORDER BY tree_size DESC LIMIT 1")
        return found[0] if found else None

    def _heads(self, order: str) -> list[TreeHead]:
        proxied = self._engine.raw_connection()
        try:
            cur = proxied.cursor()
            cur.execute(
                "SELECT tree_size, root_hash, timestamp_ms, signature, key_id FROM tree_heads "
                + order
            )
            found = [
                TreeHead(int(size), bytes(root), int(stamp), bytes(signature), str(key))
                for size, root, stamp, signature, key in cur.fetchall()
            ]
            cur.close()
            proxied.rollback()
            return found
        finally:
            proxied.close()

    def entries(self) -> Generator[tuple[int, bytes, bytes], None, None]:
        """Every stored entry as (index, body, leaf hash), in index order, streamed."""
        proxied = self._engine.raw_connection()
        try:
            conn: Any = proxied.driver_connection
            if self._engine.dialect.name == "postgresql":
                yield from self._prefetched(conn)
                return
            cur = conn.cursor()
            try:
                cur.execute("SELECT idx, body, leaf_hash FROM audit_entries ORDER BY idx")
                while True:
                    batch = cur.fetchmany(self._chunk)
                    if not batch:
                        break
                    for index, body, leaf in batch:
                        yield index, body.encode(), bytes(leaf)
            finally:
                # Also when the caller stops early at the first problem.
                cur.close()
                conn.rollback()
        finally:
            proxied.close()

    def entries_about(self, subject_id: str) -> Generator[tuple[int, bytes, bytes], None, None]:
        """The entries about one person, in index order, read through the index on the subject
        (migration 0009_audit_subject_index) rather than the whole log."""
        subject: Any = literal_column(SUBJECT_OF_ENTRY[self._engine.dialect.name])
        query = (
            select(AuditEntryRow.idx, AuditEntryRow.body, AuditEntryRow.leaf_hash)
            .where(subject == subject_id)
            .order_by(AuditEntryRow.idx)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        for index, body, leaf in rows:
            yield int(index), str(body).encode(), bytes(leaf)

    def _prefetched(self, conn: Any) -> Generator[tuple[int, bytes, bytes], None, None]:
        """PostgreSQL rows in binary, fetched by a helper thread while the caller hashes.

        The server reads and sends the next chunk while this thread verifies the last one, so a
        million entries cost roughly the larger of the two, not their sum.
        """
        chunks: queue.Queue[Any] = queue.Queue(maxsize=3)
        stop = threading.Event()

        def fetch() -> None:
            try:
                # A server-side cursor: a million rows never sit in memory at once.
                with conn.cursor(name="sharewell_audit_entries", binary=True) as cur:
                    cur.itersize = self._chunk
                    cur.execute(
                        "SELECT idx, convert_to(body, 'UTF8'), leaf_hash FROM audit_entries "
                        "ORDER BY idx"
                    )
                    while not stop.is_set():
                        rows = cur.fetchmany(self._chunk)
                        chunks.put(rows)
                        if not rows:
                            return
            except BaseException as exc:
                chunks.put(exc)

        fetcher = threading.Thread(target=fetch, name="sharewell-audit-read", daemon=True)
        fetcher.start()
        try:
            while True:
                rows = chunks.get()
                if isinstance(rows, BaseException):
                    raise StorageUnavailable(f"Cannot read the audit log: {rows}") from rows
                if not rows:
                    return
                yield from rows
        finally:
            stop.set()
            while fetcher.is_alive():
                # Unblock a fetcher waiting to put into a full queue.
                with contextlib.suppress(queue.Empty):
                    chunks.get(timeout=0.05)
            fetcher.join()
            conn.rollback()

    def leaf_range(self, start: int, end: int) -> list[bytes]:
        """The stored leaf hashes of entries start .. end-1, in order."""
        proxied = self._engine.raw_connection()
        try:
            cur = proxied.cursor()
            mark = "%s" if self._engine.dialect.name == "postgresql" else "?"
            cur.execute(
                f"SELECT leaf_hash FROM audit_entries WHERE idx >= {mark} AND idx < {mark} "
                "ORDER BY idx",
                (start, end),
            )
            leaves = [bytes(leaf) for (leaf,) in cur.fetchall()]
            cur.close()
            proxied.rollback()
            return leaves
        finally:
            proxied.close()

    def tree(self, size: int) -> TiledTree:
        """The first `size` leaves as a `TiledTree`, for proofs that stay quick on a long log.

        The first call reads every complete tile's leaves once (in chunks) to compute their
        roots; later calls read only the tiles completed since.
        """
        with self._tiles_lock:
            complete = size // TILE
            while len(self._tiles) < complete:
                first = len(self._tiles)
                last = min(complete, first + max(1, self._chunk // TILE))
                leaves = self.leaf_range(first * TILE, last * TILE)
                if len(leaves) != (last - first) * TILE:
                    raise StorageUnavailable(
                        f"The audit log is missing entries between {first * TILE:,} and "
                        f"{last * TILE - 1:,}; run `sharewell audit verify`"
                    )
                for t in range(last - first):
                    self._tiles.append(tree_root(leaves[t * TILE : (t + 1) * TILE]))
            tiles = self._tiles[:complete]
        return TiledTree(size, tiles, self.leaf_range)

    def entry(self, index: int) -> tuple[str, bytes] | None:
        """One entry's (body, leaf hash), or None."""
        proxied = self._engine.raw_connection()
        try:
            cur = proxied.cursor()
            mark = "%s" if self._engine.dialect.name == "postgresql" else "?"
            cur.execute(f"SELECT body, leaf_hash FROM audit_entries WHERE idx = {mark}", (index,))
            found = cur.fetchone()
            cur.close()
            proxied.rollback()
            return (str(found[0]), bytes(found[1])) if found else None
        finally:
            proxied.close()
