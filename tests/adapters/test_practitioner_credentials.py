"""The SQL practitioner store gives sign-in the credentials it needs (both databases)."""

from __future__ import annotations

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
