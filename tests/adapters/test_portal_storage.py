"""The portal's storage on SQLite and PostgreSQL: "who has looked" filters withheld entries in
the query (before counting and paging) and releases them on their date; codes and requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sharewell.adapters.crypto.signing import TreeHeadSigner
from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.db.portal import SqlPortal
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.citizens import (
    CitizenRequest,
    OneTimeCode,
    RequestKind,
    WithholdingRule,
    code_digest,
    release_at,
    statutory_deadline,
)
from tests.adapters.audit_helpers import new_log

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
RULES = (WithholdingRule("crime_prevention", "POL", 30, "a crime investigation"),)


def _look(
    n: int, *, person: str, org: str, purpose: str, kind: AuditKind = AuditKind.DECISION
) -> AuditEvent:
    return AuditEvent(
        kind=kind,
        at=START + timedelta(minutes=n),
        actor_id=f"p{n}",
        actor_org=org,
        purpose=purpose,
        subject_id=person,
        outcome="permit",
        refs={"request": f"r{n}"},
    )


@pytest.fixture
def portal(engine: Engine) -> SqlPortal:
    upgrade(engine)
    log = new_log(engine, TreeHeadSigner.generate())
    events = [
        _look(0, person="P1", org="SCH1", purpose="early_help"),
        _look(1, person="P1", org="POL", purpose="crime_prevention"),  # withheld 30 days
        _look(2, person="P2", org="SCH1", purpose="early_help"),  # someone else
        _look(3, person="P1", org="POL", purpose="safeguarding_children"),
        _look(4, person="P1", org="SCH1", purpose="early_help", kind=AuditKind.CONSENT_CHANGE),
        _look(5, person="P1_", org="SCH1", purpose="early_help"),  # LIKE wildcards stay literal
        _look(6, person="P1", org="POL", purpose="crime_prevention", kind=AuditKind.DISCLOSURE),
        _look(7, person="P1", org="SCH1", purpose="early_help"),
    ]
    for event in events:
        log.append(event)
    log.close()
    return SqlPortal(engine)


def test_withheld_entries_are_neither_listed_nor_counted_until_released(portal: SqlPortal) -> None:
    now = START + timedelta(days=1)
    shown, total = portal.accesses("P1", RULES, at=now, offset=0, limit=10)
    assert [e.index for e in shown] == [7, 3, 0]
    assert total == 3
    # Paging sees only what is shown: page 2 of size 2 is the last shown entry.
    page2, total2 = portal.accesses("P1", RULES, at=now, offset=2, limit=2)
    assert [e.index for e in page2] == [0] and total2 == 3
    assert portal.access_entry("P1", 1, RULES, at=now) is None
    assert portal.access_entry("P1", 2, RULES, at=now) is None  # another person's entry
    # On its release date it appears, and is counted.
    release = release_at(portal.access_entry("P1", 1, (), at=now), RULES)  # type: ignore[arg-type]
    assert release == START + timedelta(minutes=1, days=30)
    later, total = portal.accesses("P1", RULES, at=release, offset=0, limit=10)
    assert [e.index for e in later] == [7, 3, 1, 0] and total == 4  # entry 6 is 5 minutes younger
    latest, total = portal.accesses(
        "P1", RULES, at=release + timedelta(minutes=5), offset=0, limit=10
    )
    assert [e.index for e in latest] == [7, 6, 3, 1, 0] and total == 5
    assert portal.access_entry("P1", 1, RULES, at=release) is not None


def test_an_unusual_person_id_matches_nothing(portal: SqlPortal) -> None:
    assert portal.accesses("%", (), at=START, offset=0, limit=10) == ([], 0)
    assert portal.accesses("P1' OR 1=1 --", (), at=START, offset=0, limit=10) == ([], 0)
    only, total = portal.accesses("P1_", (), at=START, offset=0, limit=10)
    assert [e.index for e in only] == [5] and total == 1


def test_only_the_newest_code_works_and_it_is_stored_hashed(portal: SqlPortal) -> None:
    first = OneTimeCode(
        "c1",
        "email:a@example.com",
        code_digest("123456", salt="s"),
        "s",
        START,
        START + timedelta(minutes=10),
    )
    portal.add_code(first)
    second = OneTimeCode(
        "c2",
        "email:a@example.com",
        code_digest("654321", salt="t"),
        "t",
        START,
        START + timedelta(minutes=10),
    )
    portal.add_code(second)
    found = portal.latest_code("email:a@example.com")
    assert found is not None and found.id == "c2" and found.matches("654321")
    assert not found.matches("123456")
    assert portal.use_code("c2", START) and not portal.use_code("c2", START)
    assert portal.latest_code("email:a@example.com") is None
    # By its reference (what the browser's session keeps): the first stopped working when the
    # second was sent, and the second is now used.
    by_id = portal.code("c1")
    assert by_id is not None and by_id.login == "email:a@example.com"
    assert by_id.used_at is not None
    used = portal.code("c2")
    assert used is not None and used.used_at is not None
    assert portal.code("no-such-code") is None


def test_requests_go_to_the_holders_queue_with_the_one_month_deadline(portal: SqlPortal) -> None:
    received = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)
    request = CitizenRequest(
        "q1", "a1", "P1", "GP1", RequestKind.COPY, "", received, statutory_deadline(received)
    )
    portal.add_request(request)
    (queued,) = portal.requests_to("GP1")
    assert queued.due_on == date(2026, 2, 28)  # no 31 February: the month's last day
    assert portal.requests_to("POL") == [] and portal.requests_of("P1") == [queued]
    portal.mark_answered("q1")
    assert portal.request("q1").status.value == "answered"  # type: ignore[union-attr]


def test_who_has_looked_reads_only_the_persons_entries_through_the_subject_index(
    engine: Engine,
) -> None:
    from sqlalchemy import select

    from sharewell.adapters.db.tables_audit import AuditEntryRow

    shown = SqlPortal(engine)._shown("PP0000001", [], datetime(2026, 3, 1, tzinfo=UTC))
    query = select(AuditEntryRow.idx).where(shown).order_by(AuditEntryRow.idx.desc()).limit(20)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(row) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        else:
            # The tables are empty: tell the planner not to prefer reading them whole.
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(str(row) for row in conn.exec_driver_sql("EXPLAIN " + sql))
    assert "ix_audit_entries_subject" in plan
