"""Engines for SQLite (WAL, foreign keys) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from sharewell.domain.errors import StorageUnavailable


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
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
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise StorageUnavailable(
            f"Sharewell supports SQLite and PostgreSQL, not {parsed.get_backend_name()!r}"
        )
    return create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )


def reads_only(engine: Engine) -> Engine:
    """The same engine and pool, for connections that only read, a statement at a time.

    Each statement commits itself (AUTOCOMMIT): no BEGIN before the first statement and no
    ROLLBACK when the connection goes back to the pool, which on PostgreSQL are two round trips
    saved on every read (the hot path of the disclosure gate makes several). Several statements
    on one such connection are not one snapshot: use it only where that does not matter.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT")


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
