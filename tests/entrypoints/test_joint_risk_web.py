"""The joint risk profile on the joined-up record, the household page and the API, through the
disclosure gate, on the demo partnership (its planted disagreement: police high, school low)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sharewell.adapters.db.tables_audit import AuditEntryRow
from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app
from sharewell.services.joint_risk import JointRisk
from tests.disclosure_fixtures import (
    DSL_EMAIL,
    GP_EMAIL,
    NOW,
    Scenario,
    demo_partnership,
    sign_in,
)

HOSPITAL = "Anyshire Hospitals NHS Foundation Trust"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, Scenario]]:
    database: Path = tmp_path_factory.mktemp("risk") / "sharewell.db"
    settings = Settings(database_url=f"sqlite:///{database}", demo_mode=True)
    container, scenario = demo_partnership(settings)
    yield container, scenario
    container.close()


@pytest.fixture
def client(demo: tuple[Container, Scenario]) -> Iterator[TestClient]:
    container, _ = demo
    app = create_app(container.settings, container=container, clock=lambda: NOW)
    with TestClient(app) as client:
        yield client


def _risk_entries(container: Container, person: str) -> list[dict[str, object]]:
    with container.engine.connect() as conn:
        bodies = conn.execute(
            select(AuditEntryRow.body)
            .where(AuditEntryRow.kind == "disclosure")
            .order_by(AuditEntryRow.idx)
        ).scalars()
        entries = [json.loads(b) for b in bodies]
    return [
        e
        for e in entries
        if e.get("subject_id") == person and e.get("refs", {}).get("view") == "risk"
    ]


def test_school_lead_sees_the_profile_with_the_disagreement_and_the_hospital_withheld(
    client: TestClient, demo: tuple[Container, Scenario]
) -> None:
    container, scenario = demo
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    before = len(_risk_entries(container, scenario.pupil))
    page = client.get(f"/people/{scenario.pupil}")
    assert page.status_code == 200
    text = page.text
    assert "Joint risk" in text
    assert "Agencies disagree by two or more levels." in text
    assert "Anyshire Police: high. Anyford Academy: low." in text
    assert "Combined level: <strong>4 very high</strong>" in text
    assert "Police DASH" in text and "School safeguarding concern" in text
    # The hospital's assessment does not count and is not shown: only that it exists, and why.
    assert f"{HOSPITAL} hold 1 item of health data." in text
    assert "Health RAG" not in text and "amber" not in text
    # Police evidence comes without its words (the charter shares date and kind only).
    assert "Details not shared with you" in text
    assert "Officers attended" not in text
    [entry] = _risk_entries(container, scenario.pupil)[before:]
    refs = entry["refs"]
    assert isinstance(refs, dict)
    assert refs["risk:POL/criminal_offence"] == "2"
    assert refs["withheld:ACU/health"] == "1"


def test_the_api_gives_the_same_profile_and_hides_what_the_page_hides(
    client: TestClient, demo: tuple[Container, Scenario]
) -> None:
    _, scenario = demo
    sign_in(client, DSL_EMAIL)
    headers = {"X-Sharewell-Purpose": "safeguarding_children"}
    answer = client.get(f"/api/v1/people/{scenario.pupil}/risk", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["disagreement"] is True
    assert body["disagreement_text"] == "Anyshire Police: high. Anyford Academy: low."
    assert body["combined"] == 4 and body["combined_label"] == "very high"
    assert {(a["holder"], a["level"], a["common"]) for a in body["agencies"]} >= {
        ("POL", "high", 4),
        ("SCH6", "low", 1),
    }
    assert "ACU" not in {a["holder"] for a in body["agencies"]}
    assert [(w["person_id"], w["holder"], w["category"], w["count"]) for w in body["withheld"]] == [
        (scenario.pupil, "ACU", "health", 1)
    ]
    assert body["withheld_count"] == 1
    assert "amber" not in answer.text
    police = [e for e in body["evidence"] if e["holder"] == "POL"]
    assert police and police[0]["summary"] is None and police[0]["kind"] == "factual"
    school = [e for e in body["evidence"] if e["holder"] == "SCH6"]
    assert school[0]["summary"] and school[0]["kind"] == "anecdotal"
    household = client.get(f"/api/v1/people/{scenario.pupil}/household/risk", headers=headers)
    assert household.status_code == 200
    assert household.json()["disagreement"] is True

    # Unknown and hidden people are answered alike.
    unknown = client.get("/api/v1/people/no-such-person/risk", headers=headers)
    hidden = client.get(f"/api/v1/people/{scenario.patient}/risk", headers=headers)
    assert unknown.status_code == hidden.status_code == 404
    assert unknown.json() == hidden.json()
    assert client.get(f"/api/v1/people/{scenario.pupil}/risk").status_code in (200, 409)


def test_a_gp_sees_no_police_or_school_risk_for_direct_care(
    client: TestClient, demo: tuple[Container, Scenario]
) -> None:
    _, scenario = demo
    sign_in(client, GP_EMAIL, "direct_care")
    body = client.get(f"/api/v1/people/{scenario.patient}/risk").json()
    assert not body["disagreement"]
    assert {a["holder"] for a in body["agencies"]} <= {"ACU"}


def test_household_page_shows_the_households_profile(
    client: TestClient, demo: tuple[Container, Scenario]
) -> None:
    _, scenario = demo
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    page = client.get(f"/people/{scenario.pupil}/household")
    assert page.status_code == 200
    assert "Joint risk for the household" in page.text
    assert "Anyshire Police: high. Anyford Academy: low." in page.text


def test_without_a_calibration_in_force_the_record_says_so_and_reads_no_risk(
    client: TestClient, demo: tuple[Container, Scenario]
) -> None:
    container, scenario = demo
    kept = container.joint_risk
    container.joint_risk = JointRisk(
        calibrations=container.risk_calibrations,
        visible=container.disclosure,
        calibration_id="not-signed",
    )
    try:
        sign_in(client, DSL_EMAIL, "safeguarding_children")
        before = len(_risk_entries(container, scenario.pupil))
        page = client.get(f"/people/{scenario.pupil}")
        assert page.status_code == 200
        assert "No risk calibration is signed by every partner" in page.text
        assert len(_risk_entries(container, scenario.pupil)) == before
        api = client.get(
            f"/api/v1/people/{scenario.pupil}/risk",
            headers={"X-Sharewell-Purpose": "safeguarding_children"},
        )
        assert api.status_code == 404 and api.json()["error"]["field"] == "calibration"
    finally:
        container.joint_risk = kept
