"""A demo partnership (300 people, the Anyshire charter in force) behind a TestClient, for the
sharing page and API tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from sharewell.adapters.agreement_files import load_agreement
from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.db.tables import FactRow, SourceRecordRow, TruthRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.adapters.synthetic.generator import DemoConfig
from sharewell.adapters.synthetic.loader import load_demo_data
from sharewell.bootstrap import Container, build
from sharewell.config import REPO_ROOT, Settings
from sharewell.entrypoints.web.app import create_app
from sharewell.services import governance as gov
from tests.entrypoints.conftest import Clock

OFFICER = "officer@pol.anyshire.example"
DSL = "dsl@sch1.anyshire.example"


class Site:
    def __init__(self, client: TestClient, container: Container, clock: Clock) -> None:
        self.client = client
        self.container = container
        self.clock = clock

    def token(self, path: str) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(path).text)
        assert found, path
        return found.group(1)

    def sign_in(self, email: str) -> None:
        self.client.cookies.clear()
        answer = self.client.post(
            "/sign-in",
            data={"email": email, "password": DEMO_PASSWORD, "csrf_token": self.token("/sign-in")},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text

    def child_with_attendance(self) -> tuple[str, str]:
        return child_with_attendance(self.container)


def seeded_partnership(settings: Settings) -> Container:
    """300 demo people and the Anyshire charter, imported and proposed through the governance
    services (every party in the file has signed, so it is in force)."""
    container = build(settings)
    upgrade(container.engine)
    load_demo_data(container.engine, DemoConfig(people=300, seed=3, as_of=date(2026, 3, 1)))
    link_by_truth(container)
    charter = load_agreement((REPO_ROOT / "examples/agreements/anyshire-charter.yaml").read_text())
    operator = gov.Actor("test:ig")
    at = datetime(2026, 2, 1, tzinfo=UTC)
    gov.import_agreement(container.governance, container.audit, charter, actor=operator, at=at)
    gov.propose(container.governance, container.audit, charter.id, actor=operator, at=at)
    return container


def link_by_truth(container: Container) -> None:
    """Person links as identity linking would make them (from the demo data's truth), so person
    ids are those the identity index gives."""
    query = select(SourceRecordRow.id, TruthRecordRow.person_key).join(
        TruthRecordRow,
        (TruthRecordRow.org_code == SourceRecordRow.org_code)
        & (TruthRecordRow.local_id == SourceRecordRow.local_id),
    )
    at = datetime(2026, 2, 1, tzinfo=UTC)
    with container.engine.begin() as conn:
        rows = [
            {"record_id": rid, "person_id": f"P{key}", "method": "truth", "linked_at": at}
            for rid, key in conn.execute(query)
        ]
        conn.execute(insert(PersonLinkRow), rows)


def child_with_attendance(container: Container) -> tuple[str, str]:
    """A person with an education item held by SCH1, and that item's id."""
    with container.engine.connect() as conn:
        row = conn.execute(
            select(PersonLinkRow.person_id, FactRow.id)
            .join(SourceRecordRow, SourceRecordRow.id == PersonLinkRow.record_id)
            .join(
                FactRow,
                (FactRow.org_code == SourceRecordRow.org_code)
                & (FactRow.local_id == SourceRecordRow.local_id),
            )
            .where(FactRow.org_code == "SCH1", FactRow.category == "education")
            .order_by(FactRow.id)
            .limit(1)
        ).first()
    assert row is not None
    return row[0], row[1]


def make_site(settings: Settings) -> Iterator[Site]:
    """A seeded site behind a TestClient with a clock the test moves."""
    container = seeded_partnership(settings)
    clock = Clock()
    with TestClient(create_app(settings, container=container, clock=clock)) as client:
        yield Site(client, container, clock)
    container.close()
