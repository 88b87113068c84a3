"""The SQL practitioner store keeps the sign-in state (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from sharewell.adapters.crypto.passwords import Argon2Passwords, hash_password
from sharewell.adapters.db.repositories import SqlOrganisations, SqlPractitioners
from sharewell.domain.organisations import Organisation, Practitioner
from sharewell.domain.vocabulary import OrganisationKind, Role


def _store(engine: Engine) -> SqlPractitioners:
    SqlOrganisations(engine).add(
        Organisation(code="SCH1", name="Brookfield Primary", kind=OrganisationKind.SCHOOL)
    )
    store = SqlPractitioners(engine)
    store.add(
        Practitioner(
            id="p1",
            org_code="SCH1",
            name="Dana",
            email="Dana@SCH1.example.org",
            role=Role.DESIGNATED_SAFEGUARDING_LEAD,
        ),
        password_hash=hash_password("secret words", fast=True),
    )
    return store


def test_counts_failures_and_locks_and_unlocks(engine: Engine) -> None:
    store = _store(engine)
    assert [store.record_failed_sign_in("p1") for _ in range(3)] == [1, 2, 3]
    until = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    store.lock("p1", until=until)
    locked = store.credentials("dana@sch1.example.org")
    assert locked is not None
    assert locked.locked_until == until
    assert locked.locked_until.tzinfo is not None
    assert locked.failed_sign_ins == 0
    store.record_failed_sign_in("p1")
    store.record_successful_sign_in("p1")
    cleared = store.credentials("DANA@sch1.example.org")
    assert cleared is not None
    assert (cleared.failed_sign_ins, cleared.locked_until) == (0, None)


def test_credentials_carry_a_hash_the_verifier_accepts(engine: Engine) -> None:
    store = _store(engine)
    credentials = store.credentials("dana@sch1.example.org")
    assert credentials is not None
    assert credentials.practitioner.id == "p1"
    verifier = Argon2Passwords()
    assert verifier.verify(credentials.password_hash, "secret words")
    assert not verifier.verify(credentials.password_hash, "other words")
    assert not verifier.verify(None, "secret words")
    assert store.credentials("nobody@example.org") is None
