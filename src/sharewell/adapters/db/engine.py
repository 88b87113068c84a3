"""Engines for SQLite (WAL, foreign keys) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Engine, Executable, create_engine, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.sql import ClauseElement

from sharewell.domain.errors import StorageUnavailable

# A connection back from the pool sooner than this is used without a ping. Under load connections
# come back within milliseconds, and pinging at every checkout (SQLAlchemy's pool_pre_ping: about
# six per record read) cost a round trip and about 8% of the server's CPU each time; a connection
# that sat idle (across a database restart, say) is pinged before use and replaced if dead.
PING_AFTER_IDLE_SECONDS = 2.0


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(
    url: str, *, pool_size: int = 10, ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS
) -> Engine:
    """An engine for `url`; creates the SQLite file's folder. Raises StorageUnavailable."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        raise StorageUnavailable(f"The database URL {url!r} is not valid") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageUnavailable(
                    f"Cannot create the folder {str(folder)!r} for the SQLite database: "
                    f"{exc.strerror or exc}"
                ) from None
        engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise StorageUnavailable(
            f"Sharewell supports SQLite and PostgreSQL, not {parsed.get_backend_name()!r}"
        )
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"connect_timeout": 5},
        # Errors (and so crash logs) never carry the values bound to a statement: they may be
        # personal data.
        hide_parameters=True,
    )
    _ping_after_idle(engine, ping_after_idle_seconds)
    return engine


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling, as SQLAlchemy documents it for a custom check: raising
    DisconnectionError at checkout makes the pool throw the connection away and try another."""

    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["sharewell_returned_at"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.closed or getattr(dbapi_connection, "broken", False):
            raise DisconnectionError("the connection is closed")
        back = record.info.get("sharewell_returned_at")
        if back is None or time.monotonic() - back < idle_seconds:
            return  # new, or back a moment ago
        try:
            with dbapi_connection.cursor() as cur:
                cur.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError(f"the connection failed its ping: {exc}") from exc

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checked_out)


def reads_only(engine: Engine) -> Engine:
    """The same engine and pool, for connections that only read, a statement at a time.

    Each statement commits itself (AUTOCOMMIT): no BEGIN before the first statement and no
    ROLLBACK when the connection goes back to the pool, which on PostgreSQL are two round trips
    saved on every read (the hot path of the disclosure gate makes several). Several statements
    on one such connection are not one snapshot: use it only where that does not matter.

    Made once per engine and kept on it: making one registers event listeners, which cost
    about a twentieth of a record read's server CPU when every read made its own.
    """
    found: Engine | None = engine.__dict__.get(_READS_ONLY)
    if found is None:
        found = engine.execution_options(isolation_level="AUTOCOMMIT")
        setattr(engine, _READS_ONLY, found)
    return found


_READS_ONLY = "_sharewell_reads_only"


# The connection that reads share inside `one_read_connection` (per thread of work: a context
# variable, so a request's reads in the thread pool never see another request's connection).
_SHARED_READS: ContextVar[Connection | None] = ContextVar("sharewell_shared_reads", default=None)


@contextmanager
def one_read_connection(engine: Engine) -> Iterator[None]:
    """Within the block, every `read_connection` on `engine`'s pool uses one connection.

    A record read makes several reads through several adapters; each took its own connection
    from the pool and gave it back, and every checkout and return costs CPU (about a tenth of
    a record read's, measured). Nested blocks use the outer block's connection. The connection
    is a `reads_only` one: no transaction, so the reads are not one snapshot.
    """
    if _SHARED_READS.get() is not None:
        yield
        return
    with reads_only(engine).connect() as conn:
        token = _SHARED_READS.set(conn)
        try:
            yield
        finally:
            _SHARED_READS.reset(token)


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A `reads_only` connection for a few reads: the shared one inside `one_read_connection`
    on the same pool, otherwise one of its own, given back at the end of the block."""
    shared = _SHARED_READS.get()
    if shared is not None and shared.engine.pool is engine.pool and not shared.closed:
        yield shared
        return
    with reads_only(engine).connect() as conn:
        yield conn


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def check_reachable(engine: Engine) -> None:
    """Connect once, so an unreachable database is reported plainly before work starts."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageUnavailable(f"Cannot reach the database at {where}: {first}") from None


@lru_cache(maxsize=2048)
def _compiled(statement: Executable, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """A prebuilt statement's SQL for `dialect` and the values bound in it (a LIMIT, say).
    Bounded: statements cached by shape elsewhere may be dropped there and built again."""
    built = cast(ClauseElement, statement).compile(dialect=dialect)
    return built.string, {name: value for name, value in built.params.items() if value is not None}


def fetch_all(conn: Connection, statement: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
    """Every row of a statement built once (a module constant, or one cached by shape) with
    named bound parameters, none expanding; each column reachable by name and by position.

    On PostgreSQL its compiled text runs on the psycopg connection itself: SQLAlchemy's
    execution path around the driver is about half of a small statement's CPU time, and a
    record read runs several such statements. Any driver error sends the statement through
    SQLAlchemy again on the same connection, so a lost connection is handled (invalidated,
    and reported) exactly as for any other statement. Only on a `reads_only` (autocommit)
    connection; in a transaction, and on SQLite, plain `conn.execute`.
    """
    if conn.dialect.name != "postgresql":
        return conn.execute(statement, params).all()
    driver = conn.connection.driver_connection
    if driver is None or not driver.autocommit:
        # Inside a transaction a failed statement would leave it aborted, and running it
        # again through SQLAlchemy would then report that instead of the real error.
        return conn.execute(statement, params).all()
    sql, bound = _compiled(statement, conn.dialect)
    try:
        with driver.cursor(row_factory=namedtuple_row) as cursor:
            cursor.execute(sql, {**bound, **params})
            rows: list[Any] = cursor.fetchall()
            return rows
    except psycopg.Error:
        return conn.execute(statement, params).all()
