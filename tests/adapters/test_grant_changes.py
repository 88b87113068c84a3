"""On PostgreSQL, which people a practitioner has sharing grants about is kept until the database
says one of their grants changed; a record read by someone with no grant then needs no statement
for grants. SQLite reads grants every time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text

from sharewell.adapters.db import sharing as sharing_adapter
from sharewell.adapters.db.changes import PRACTITIONERS_CHANNEL, ChangeListener
from sharewell.adapters.db.engine import fetch_all
from sharewell.adapters.db.sharing import SqlSharing
from sharewell.domain.sharing import SharedItem, SharingGrant
from sharewell.domain.vocabulary import DataCategory, Purpose

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _grant(grant_id: str, recipient: str, person: str) -> SharingGrant:
    return SharingGrant(
        id=grant_id,
        request_id=f"req-{grant_id}",
        person_id=person,
        holder_org="SCH1",
        recipient_id=recipient,
        recipient_org="POL",
        purpose=Purpose.SAFEGUARDING_CHILDREN,
        items=(SharedItem("f1", DataCategory.EDUCATION, ("occurred_at",)),),
        decision_record_id="dr1",
        granted_at=AT,
    )


def _until(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.01)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the grants adapter runs, by its first words."""
    seen: list[str] = []

    def counting(conn: Any, statement: Any, params: Any) -> Any:
        seen.append("people" if "DISTINCT" in str(statement) else "grants")
        return fetch_all(conn, statement, params)

    monkeypatch.setattr(sharing_adapter, "fetch_all", counting)
    return seen


def _for(store: SqlSharing, recipient: str, person: str) -> list[str]:
    with store.reads() as tx:
        return [g.id for g in tx.grants.for_recipient(recipient, person)]


@pytest.fixture
def listening(postgres_engine: Engine) -> Iterator[SqlSharing]:
    # Trusted for long after each ping: a busy machine must not make what is kept unusable
    # halfway through a test (these tests are about what changes announce, not about trust).
    listener = ChangeListener(
        postgres_engine, PRACTITIONERS_CHANNEL, check_seconds=0.2, trust_seconds=60
    )
    store = SqlSharing(postgres_engine, changes=listener)
    _until(listener.trusted)
    store.listener = listener  # type: ignore[attr-defined]
    yield store
    listener.close()


def _heard_all_so_far(store: SqlSharing) -> None:
    """Until every change committed so far has been heard: a ping sent after now came back
    (PostgreSQL delivers notifications in commit order)."""
    now = time.monotonic()
    listener = store.listener  # type: ignore[attr-defined]
    _until(lambda: (listener._answered or 0.0) > now)


def test_no_statement_for_a_person_the_practitioner_has_no_grant_about(
    listening: SqlSharing, statements: list[str]
) -> None:
    with listening.transaction() as tx:
        tx.grants.add(_grant("g1", "officer", "child-a"))
    _heard_all_so_far(listening)
    assert _for(listening, "officer", "child-a") == ["g1"]
    statements.clear()
    assert _for(listening, "officer", "child-b") == []
    assert _for(listening, "nobody", "child-a") == []  # the first read for them asks once
    assert _for(listening, "nobody", "child-b") == []
    assert statements == ["people"]
    # About a person they do have a grant about: the grants are read, as before.
    assert _for(listening, "officer", "child-a") == ["g1"]
    assert statements == ["people", "grants"]


def test_a_new_grant_is_seen_once_announced(listening: SqlSharing, postgres_engine: Engine) -> None:
    assert _for(listening, "officer", "child-a") == []  # kept: no grants at all
    with listening.transaction() as tx:
        tx.grants.add(_grant("g2", "officer", "child-a"))
    _until(lambda: _for(listening, "officer", "child-a") == ["g2"], seconds=2)
    # Removed by hand at the SQL prompt: announced by the trigger all the same.
    with postgres_engine.begin() as conn:
        conn.execute(text("DELETE FROM sharing_grants WHERE id = 'g2'"))
    _until(lambda: _for(listening, "officer", "child-a") == [], seconds=2)


def test_without_a_listener_grants_are_read_every_time(
    engine: Engine, statements: list[str]
) -> None:
    store = SqlSharing(engine)
    with store.transaction() as tx:
        tx.grants.add(_grant("g3", "officer", "child-a"))
    assert _for(store, "officer", "child-b") == []
    assert _for(store, "officer", "child-a") == ["g3"]
    assert statements == ["grants", "grants"]
