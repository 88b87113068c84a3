"""On PostgreSQL the practitioner store keeps what it read until the database says it changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text

from sharewell.adapters.db.changes import APPLICATION_NAME, PRACTITIONERS_CHANNEL, ChangeListener
from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.db.repositories import SqlOrganisations, SqlPractitioners
from sharewell.domain.organisations import Organisation, Practitioner
from sharewell.domain.vocabulary import OrganisationKind, Role


@pytest.fixture
def engine(postgres_engine: Engine) -> Engine:
    """PostgreSQL only here: SQLite has no change notifications (it reads every time)."""
    return postgres_engine


@pytest.fixture
def store(engine: Engine) -> Iterator[SqlPractitioners]:
    SqlOrganisations(engine).add(
        Organisation(code="SCH1", name="Brookfield Primary", kind=OrganisationKind.SCHOOL)
    )
    listener = ChangeListener(engine, PRACTITIONERS_CHANNEL, check_seconds=0.2, trust_seconds=1)
    store = SqlPractitioners(engine, changes=listener)
    store.add(
        Practitioner(
            id="p1",
            org_code="SCH1",
            name="Dana",
            email="dana@sch1.example.org",
            role=Role.DESIGNATED_SAFEGUARDING_LEAD,
        ),
        password_hash=None,
    )
    _until(listener.trusted)
    yield store
    store.close()


def _until(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.01)


def _unannounced(engine: Engine, statement: str) -> None:
    """A change PostgreSQL does not announce (triggers off for this transaction)."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(statement))


def _name(store: SqlPractitioners) -> str | None:
    found = store.get("p1")
    return found.name if found else None


def test_keeps_what_it_read_until_told(store: SqlPractitioners, engine: Engine) -> None:
    assert _name(store) == "Dana"
    _unannounced(engine, "UPDATE practitioners SET name = 'Unannounced' WHERE id = 'p1'")
    # Kept: the change was not announced, so the store does not know of it.
    assert _name(store) == "Dana"
    with engine.begin() as conn:
        conn.execute(text("UPDATE practitioners SET active = false WHERE id = 'p1'"))

    def switched_off() -> bool:
        found = store.get("p1")
        return found is not None and not found.active

    _until(switched_off, seconds=2)
    assert _name(store) == "Unannounced"


def test_hears_of_training_and_of_practitioners_removed(
    store: SqlPractitioners, engine: Engine
) -> None:
    assert store.get("p1") is not None
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO training_records (practitioner_id, module, completed_on)"
                " VALUES ('p1', 'golden-rules', '2026-01-10')"
            )
        )

    def trained() -> bool:
        found = store.get("p1")
        return found is not None and found.completed("golden-rules") == date(2026, 1, 10)

    _until(trained, seconds=2)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM training_records WHERE practitioner_id = 'p1'"))
        conn.execute(text("DELETE FROM practitioners WHERE id = 'p1'"))
    _until(lambda: store.get("p1") is None, seconds=2)


def test_forgets_everything_when_it_stops_listening(
    store: SqlPractitioners, engine: Engine
) -> None:
    assert _name(store) == "Dana"
    with engine.begin() as conn:
        ended = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": APPLICATION_NAME},
        ).all()
    assert ended
    # Changed while nobody was listening: read afresh once the listener is back.
    _unannounced(engine, "UPDATE practitioners SET name = 'Changed unheard' WHERE id = 'p1'")
    _until(lambda: _name(store) == "Changed unheard")


def test_a_read_that_raced_a_change_is_not_kept(store: SqlPractitioners, engine: Engine) -> None:
    real_load = store._load

    def load_during_a_change(query: object, key: str) -> Practitioner | None:
        found = real_load(query, key)
        store._kept.forget(key)  # the word that it changed arrives while this read is under way
        return found

    store._load = load_during_a_change  # type: ignore[method-assign]
    assert _name(store) == "Dana"
    store._load = real_load  # type: ignore[method-assign]
    _unannounced(engine, "UPDATE practitioners SET name = 'Newer' WHERE id = 'p1'")
    assert _name(store) == "Newer"


def test_untrusted_listener_means_reading_afresh(store: SqlPractitioners, engine: Engine) -> None:
    assert _name(store) == "Dana"
    store.close()  # stops listening: nothing kept may be relied on from now
    _until(lambda: not store._changes.trusted() if store._changes else True)
    _unannounced(engine, "UPDATE practitioners SET name = 'Fresh' WHERE id = 'p1'")
    assert _name(store) == "Fresh"


def test_needs_postgresql() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        ChangeListener(make_engine("sqlite://"), PRACTITIONERS_CHANNEL)


def _listener_and_store(
    engine: Engine, keep_seconds: float = 60.0
) -> tuple[ChangeListener, SqlPractitioners]:
    listener = ChangeListener(engine, PRACTITIONERS_CHANNEL, check_seconds=0.2, trust_seconds=1)
    return listener, SqlPractitioners(engine, changes=listener, keep_seconds=keep_seconds)


def _no_notifications(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries are answered but no notification arrives (as behind a pooler that drops them)."""

    def silent(*_args: object, **_kwargs: object) -> Iterator[object]:
        return iter(())

    monkeypatch.setattr(psycopg.Connection, "notifies", silent)


def test_not_trusted_while_its_own_pings_do_not_come_back(
    store: SqlPractitioners, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.close()
    _no_notifications(monkeypatch)
    listener, fresh = _listener_and_store(engine)
    try:
        deadline = time.monotonic() + 1.5  # several checks, longer than trust_seconds
        while time.monotonic() < deadline:
            assert not listener.trusted()
            time.sleep(0.05)
        assert _name(fresh) == "Dana"
        _unannounced(engine, "UPDATE practitioners SET name = 'Read afresh' WHERE id = 'p1'")
        assert _name(fresh) == "Read afresh"
    finally:
        fresh.close()


def test_trust_ends_when_notifications_stop_arriving(
    store: SqlPractitioners, monkeypatch: pytest.MonkeyPatch
) -> None:
    listener = store._changes
    assert listener is not None and listener.trusted()
    _no_notifications(monkeypatch)
    # The connection still answers, but its pings no longer come back: within trust_seconds.
    _until(lambda: not listener.trusted(), seconds=3)


def test_kept_practitioners_are_read_again_after_their_time(engine: Engine, store: object) -> None:
    listener, short = _listener_and_store(engine, keep_seconds=0.3)
    try:
        _until(listener.trusted)
        assert _name(short) == "Dana"
        _unannounced(engine, "UPDATE practitioners SET name = 'Never announced' WHERE id = 'p1'")
        assert _name(short) == "Dana"  # kept, and no word of the change
        _until(lambda: _name(short) == "Never announced", seconds=2)
    finally:
        short.close()


class _ScriptedStop:
    """Stands in for the listener's stop event: records each pause, stops after the script."""

    def __init__(self, spells: int) -> None:
        self.pauses: list[float] = []
        self._spells = spells

    def is_set(self) -> bool:
        return len(self.pauses) >= self._spells

    def wait(self, seconds: float) -> bool:
        self.pauses.append(seconds)
        return self.is_set()


def test_the_pause_before_listening_again_starts_afresh_after_listening_well() -> None:
    listener = ChangeListener(
        create_engine("postgresql+psycopg://nobody@127.0.0.1/none"), PRACTITIONERS_CHANNEL
    )
    # Spells of listening: refused, refused, refused, listened well then lost, refused.
    heard = iter([False, False, False, True, False])

    def spell() -> None:
        listener._heard_itself = next(heard)
        raise ConnectionError("lost")

    stop = _ScriptedStop(spells=5)
    listener._stop = stop  # type: ignore[assignment]
    listener._listen = spell  # type: ignore[method-assign]
    listener._run()
    assert stop.pauses == [0.5, 1.0, 2.0, 0.5, 1.0]
