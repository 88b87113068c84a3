"""The demo partnership prepared for the citizen portal's tests: the school pupil from
tests/disclosure_fixtures.py has given consent for early help, and the family hub's early help
practitioner works with them (so an early help request relies on that consent)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from sharewell.adapters.db.tables import SourceRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.domain.consent import ConsentRecord, ConsentState
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.domain.vocabulary import Purpose
from sharewell.entrypoints.web.app import create_app
from sharewell.services import governance as gov
from tests.disclosure_fixtures import OPERATOR, Scenario, demo_partnership, sign_in
from tests.entrypoints.conftest import Clock

EH_EMAIL = "eh@ehn.anyshire.example"
OFFICER_EMAIL = "officer@pol.anyshire.example"
EH_ID = "demo-eh-ehn"
CITIZEN_EMAIL = "pupil.parent@example.com"


@dataclass(frozen=True)
class Details:
    """What a person types to prove who they are (from one of their own records)."""

    person_id: str
    name: str
    date_of_birth: date
    postcode: str


def details_of(container: Container, person_id: str, org_prefix: str = "SCH") -> Details:
    links = PersonLinkRow.__table__
    query = (
        select(SourceRecordRow)
        .join(links, links.c.record_id == SourceRecordRow.id)
        .where(links.c.person_id == person_id, SourceRecordRow.org_code.like(f"{org_prefix}%"))
        .order_by(SourceRecordRow.id)
    )
    with container.engine.connect() as conn:
        row = conn.execute(query).first()
    assert row is not None and row.dob_year and row.postcode
    return Details(
        person_id,
        f"{row.given_name} {row.family_name}",
        date(row.dob_year, row.dob_month, row.dob_day),
        row.postcode,
    )


def early_help_child(container: Container, scenario: Scenario) -> str:
    """The school pupil, now also known to the family hub (EHN has opened its own record), so
    an early help practitioner sees who they are and asks the school for the rest."""
    links = PersonLinkRow.__table__
    with container.engine.begin() as conn:
        school = conn.execute(
            select(SourceRecordRow)
            .join(links, links.c.record_id == SourceRecordRow.id)
            .where(links.c.person_id == scenario.pupil, SourceRecordRow.org_code == "SCH6")
        ).first()
        assert school is not None
        record_id = conn.execute(
            insert(SourceRecordRow).values(
                org_code="EHN",
                local_id="EH-PORTAL-1",
                given_name=school.given_name,
                family_name=school.family_name,
                dob_year=school.dob_year,
                dob_month=school.dob_month,
                dob_day=school.dob_day,
                sex=school.sex,
                address=school.address,
                postcode=school.postcode,
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(links).values(
                record_id=record_id,
                person_id=scenario.pupil,
                method="truth",
                linked_at=datetime(2026, 1, 10, tzinfo=UTC),
            )
        )
    return scenario.pupil


def prepare_early_help(container: Container, person_id: str) -> None:
    """Consent given for early help, and the early help practitioner allocated to the person."""
    gov.record_consent(
        container.governance,
        container.audit,
        ConsentRecord(
            person_id,
            Purpose.EARLY_HELP,
            "all",
            ConsentState.GIVEN,
            datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
            obtained_how="in person at the family hub",
        ),
        actor=OPERATOR,
    )
    gov.start_relationship(
        container.governance,
        container.audit,
        Relationship(
            person_id,
            RelationshipKind.ALLOCATED_WORKER,
            date(2026, 1, 10),
            practitioner_id=EH_ID,
        ),
        actor=OPERATOR,
        at=datetime(2026, 1, 10, tzinfo=UTC),
    )


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def latest_code(container: Container) -> str:
    messages = container.portal.store.outbox(1)
    found = re.search(r"code is (\d{6})", messages[0][1])
    assert found
    return found.group(1)


def citizen_sign_in(client: TestClient, container: Container, email: str, who: Details) -> None:
    """Sign in with a demo code and prove who you are, as a citizen does in the browser."""
    sent = client.post(
        "/my/sign-in",
        data={"email": email, "csrf_token": csrf(client, "/my/sign-in")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    signed = client.post(
        "/my/sign-in/code",
        data={"code": latest_code(container), "csrf_token": csrf(client, "/my/sign-in/code")},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    if signed.headers["location"] == "/my/verify":
        verified = client.post(
            "/my/verify",
            data={
                "name": who.name,
                "dob-day": str(who.date_of_birth.day),
                "dob-month": str(who.date_of_birth.month),
                "dob-year": str(who.date_of_birth.year),
                "postcode": who.postcode,
                "csrf_token": csrf(client, "/my/verify"),
            },
            follow_redirects=False,
        )
        assert verified.status_code == 303, verified.text


@dataclass
class Portal:
    client: TestClient
    container: Container
    child: str
    clock: Clock
    me: Details
    scenario: Scenario


@pytest.fixture(name="portal_site")
def portal_site_fixture(tmp_path: Path) -> Iterator[Portal]:
    database = tmp_path / "sharewell.db"
    settings = Settings(database_url=f"sqlite:///{database}", demo_mode=True)
    container, scenario = demo_partnership(settings)
    child = early_help_child(container, scenario)
    prepare_early_help(container, child)
    clock = Clock()
    clock.now = clock.now.replace(day=2, hour=10)
    app = create_app(settings, container=container, clock=clock)
    with TestClient(app) as client:
        yield Portal(client, container, child, clock, details_of(container, child), scenario)
    container.close()


def practitioner_reads(site: Portal, purpose: str = "early_help") -> dict[str, object]:
    """The early help practitioner asks for the child's record through the API."""
    site.client.cookies.clear()
    sign_in(site.client, EH_EMAIL)
    answer = site.client.get(
        f"/api/v1/people/{site.child}", headers={"X-Sharewell-Purpose": purpose}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    site.client.cookies.clear()
    return body
