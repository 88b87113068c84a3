"""A small demo partnership behind the disclosure gate, for web, API and browser tests.

Demo data from `sharewell.adapters.synthetic`; the example charter imported, proposed and signed
by every party through the governance services. Identity linking is stood in for by the
generator's ground truth: person_links gets one person per true person (a test harness may read
the truth tables; services never do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import (
    Engine,
    Table,
    func,
    insert,
    select,
)

from sharewell.adapters.db.identity import SqlSourceRecords
from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.db.tables import FactRow, SourceRecordRow, TruthRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.adapters.synthetic.charter import sign_demo_charter
from sharewell.adapters.synthetic.generator import DemoConfig
from sharewell.adapters.synthetic.loader import load_demo_data
from sharewell.adapters.synthetic.risk import plant_demo_risk, sign_demo_calibration
from sharewell.bootstrap import Container, build
from sharewell.config import REPO_ROOT, Settings
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.services import governance as gov
from sharewell.services.governance import Actor

AS_OF = date(2026, 3, 1)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OPERATOR = Actor("operator")
CHARTER = REPO_ROOT / "examples" / "agreements" / "anyshire-charter.yaml"
GP_EMAIL = "gp@gp1.anyshire.example"
DSL_EMAIL = "dsl@sch6.anyshire.example"


def _person_links(engine: Engine) -> Table:
    del engine  # made by the identity migration
    table: Table = PersonLinkRow.__table__  # type: ignore[assignment]
    return table


def link_by_truth(engine: Engine) -> None:
    """One person id per true person (what identity linking would find, without its errors)."""
    links = _person_links(engine)
    query = select(SourceRecordRow.id, TruthRecordRow.person_key).join(
        TruthRecordRow,
        (TruthRecordRow.org_code == SourceRecordRow.org_code)
        & (TruthRecordRow.local_id == SourceRecordRow.local_id),
    )
    with engine.begin() as conn:
        rows = [
            {"record_id": rid, "person_id": f"P{key}", "method": "truth", "linked_at": NOW}
            for rid, key in conn.execute(query)
        ]
        conn.execute(links.delete())
        conn.execute(insert(links), rows)


def sign_charter(container: Container) -> None:
    sign_demo_charter(container.governance, container.audit, actor=OPERATOR)


@dataclass(frozen=True)
class Scenario:
    """The people the walk-throughs look at."""

    patient: str  # a GP1 patient with hospital or mental health records
    pupil: str  # a SCH6 pupil who was present at a police-attended domestic incident


def _person_with(engine: Engine, own: str, other_org: str, code: str | None) -> str:
    links = _person_links(engine)
    own_rec = (
        select(links.c.person_id)
        .join(SourceRecordRow, SourceRecordRow.id == links.c.record_id)
        .where(SourceRecordRow.org_code == own)
    )
    facts = (
        select(links.c.person_id)
        .join(SourceRecordRow, SourceRecordRow.id == links.c.record_id)
        .join(
            FactRow,
            (FactRow.org_code == SourceRecordRow.org_code)
            & (FactRow.local_id == SourceRecordRow.local_id),
        )
        .where(FactRow.org_code.like(other_org))
    )
    if code:
        facts = facts.where(FactRow.code == code)
    query = select(func.min(links.c.person_id)).where(
        links.c.person_id.in_(own_rec), links.c.person_id.in_(facts)
    )
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    assert found, f"no {own} person with {other_org} {code} facts in the demo data"
    return str(found)


def demo_partnership(settings: Settings, *, people: int = 300) -> tuple[Container, Scenario]:
    container = build(settings)
    upgrade(container.engine)
    load_demo_data(container.engine, DemoConfig(people=people, seed=5, as_of=AS_OF))
    link_by_truth(container.engine)
    SqlSourceRecords(container.engine).backfill_match_records()
    sign_charter(container)
    sign_demo_calibration(container.risk_calibrations)
    plant_demo_risk(container.engine, as_of=NOW)
    scenario = Scenario(
        patient=_person_with(container.engine, "GP1", "ACU", None),
        pupil=_person_with(container.engine, "SCH6", "POL", "domestic_abuse_incident"),
    )
    # Working relationships the flows require: the GP's patient, the school's pupil.
    for person, kind, practitioner in (
        (scenario.patient, RelationshipKind.REGISTERED_PATIENT, "demo-gp-gp1"),
        (scenario.pupil, RelationshipKind.PUPIL_ON_ROLL, "demo-dsl-sch6"),
    ):
        gov.start_relationship(
            container.governance,
            container.audit,
            Relationship(person, kind, date(2025, 9, 1), practitioner_id=practitioner),
            actor=OPERATOR,
            at=datetime(2026, 1, 5, tzinfo=UTC),
        )
    return container, scenario


def sign_in(client: TestClient, email: str, purpose: str | None = None) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert token
    answer = client.post(
        "/sign-in",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    if purpose:
        form = client.get("/purpose")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token
        chosen = client.post(
            "/purpose",
            data={"purpose": purpose, "next": "/people", "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert chosen.status_code == 303
