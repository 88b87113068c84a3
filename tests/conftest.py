"""Shared fixtures: a fresh database on SQLite and on PostgreSQL for every storage test.

`database_url` and `engine` give a database already at the newest migration, copied from a
template migrated once per test session (a file copy on SQLite, `CREATE DATABASE ... TEMPLATE`
on PostgreSQL), so each test does not pay for running every migration. Tests of migrations and
of `sharewell init` on a new database take `empty_database_url` instead."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.db.migrate import upgrade
from sharewell.config import Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "SHAREWELL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    return _postgres_available()


def _create_postgres_database(template: str | None = None) -> str:
    name = f"sharewell_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        # Test databases are thrown away: commits need not wait for the disk. (The audit log
        # turns synchronous commit back on for its own connection, as in production.)
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _require_postgres() -> None:
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not running but CI must test on it")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest migration, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "sharewell.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """A PostgreSQL database at the newest migration, the template for each test's database."""
    _require_postgres()
    url = _create_postgres_database()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url.rsplit("/", 1)[1]
    _drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL (no tables), once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sharewell.db'}"
        return
    _require_postgres()
    url = _create_postgres_database()
    try:
        yield url
    finally:
        _drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new database at the newest migration, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "sharewell.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    with _migrated_postgres_database(request) as url:
        yield url


@contextmanager
def _migrated_postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new PostgreSQL database copied from the migrated template, dropped afterwards."""
    _require_postgres()
    url = _create_postgres_database(template=request.getfixturevalue("_postgres_template"))
    try:
        yield url
    finally:
        _drop_postgres_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty PostgreSQL database, for what only PostgreSQL does."""
    with _migrated_postgres_database(request) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Demo-mode settings pointing at the test database."""
    return Settings(database_url=database_url, demo_mode=True)
