"""The alerts and MASH API and form errors, signed in with a session (CSRF header on writes):
an event raises an alert the school reads with only the minimum data set; a MASH referral goes
from referral to the referrer's outcome; errors have the one JSON shape and name the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app
from tests.alerts_kit import AlertScenario, alerts_partnership
from tests.entrypoints.conftest import Clock

OFFICER = "officer@pol.anyshire.example"
SCHOOL_DSL = "dsl@sch6.anyshire.example"
TEACHER = "teacher@sch1.anyshire.example"
HUB = "mash@cscn.anyshire.example"
POLICE_PPU = "ppu@pol.anyshire.example"


@dataclass
class Api:
    client: TestClient
    container: Container
    scenario: AlertScenario
    clock: Clock
    csrf: str = ""

    def sign_in(self, email: str) -> None:
        self.client.cookies.clear()
        page = self.client.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        answer = self.client.post(
            "/sign-in",
            data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        form = re.search(
            r'name="csrf_token" value="([^"]+)"', self.client.get("/mash/referrals/new").text
        )
        assert form
        self.csrf = form.group(1)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body, headers={"x-csrf-token": self.csrf})


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    container, scenario = alerts_partnership(settings)
    clock = Clock()
    with TestClient(create_app(settings, container=container, clock=clock)) as client:
        yield Api(client, container, scenario, clock)
    container.close()


def test_event_over_the_api_reaches_the_school_with_the_minimum_data_set(api: Api) -> None:
    api.sign_in(OFFICER)
    made = api.post(
        "/api/v1/alerts/events",
        {
            "person_id": api.scenario.pupil,
            "category": "criminal_offence",
            "code": "domestic_abuse_incident",
            "occurred_at": "2026-03-02T08:00:00Z",
            "summary": "Officers attended",
            "detail": {"incident_type": "domestic_abuse", "officer_notes": "arrest made"},
        },
    )
    assert made.status_code == 201, made.text
    [alert_id] = made.json()["alerts"]
    dispatcher = api.container.alert_dispatcher()
    try:
        dispatcher.run_once(api.clock())
    finally:
        dispatcher.close()
    api.sign_in(SCHOOL_DSL)
    [listed] = api.client.get("/api/v1/alerts").json()
    assert listed["id"] == alert_id and listed["read_at"] is None
    assert set(listed["content"]) == {"occurred_at", "incident_type"}
    read = api.client.get(f"/api/v1/alerts/{alert_id}").json()
    assert read["status"] == "read" and read["read_at"] is not None
    # Nobody else can read it, and the answer is the one error shape.
    api.sign_in(TEACHER)
    refused = api.client.get(f"/api/v1/alerts/{alert_id}")
    assert refused.status_code == 404
    assert refused.json()["error"]["field"] == "alert"


def test_event_about_a_person_the_agency_does_not_hold_names_the_field(api: Api) -> None:
    api.sign_in(OFFICER)
    answer = api.post(
        "/api/v1/alerts/events",
        {
            "person_id": "P-unknown",
            "category": "criminal_offence",
            "code": "domestic_abuse_incident",
            "occurred_at": "2026-03-02T08:00:00Z",
        },
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "person"


def test_event_form_without_a_choice_says_what_to_fix(api: Api) -> None:
    api.sign_in(OFFICER)
    answer = api.client.post(
        "/alerts/events",
        data={"csrf_token": api.csrf, "person": api.scenario.pupil, "date": "2026-03-02"},
    )
    assert answer.status_code == 422
    assert "Choose what happened" in answer.text
    assert 'href="#code"' in answer.text


def test_mash_referral_over_the_api_from_referral_to_outcome(api: Api) -> None:
    api.sign_in(TEACHER)
    made = api.post(
        "/api/v1/mash/referrals",
        {
            "person_id": api.scenario.pupil,
            "subject": "child",
            "concern": "Arrives hungry most days and has missed a week of school",
        },
    )
    assert made.status_code == 201, made.text
    referral = made.json()["id"]
    api.sign_in(HUB)
    rated = api.post(f"/api/v1/mash/referrals/{referral}/triage", {"rag": "amber"})
    assert rated.json()["rag"] == "amber"
    asked = api.post(f"/api/v1/mash/referrals/{referral}/research", {"orgs": ["POL"]})
    assert asked.status_code == 201
    api.sign_in(POLICE_PPU)
    [request] = api.client.get("/api/v1/mash/research").json()
    given = api.post(
        f"/api/v1/mash/research/{request['id']}/contribution",
        {"contribution": "Two domestic incidents at the address this year."},
    )
    assert given.status_code == 200, given.text
    api.sign_in(HUB)
    view = api.client.get(f"/api/v1/mash/referrals/{referral}").json()
    assert [c["org"] for c in view["contributions"]] == ["POL"]
    decided = api.post(
        f"/api/v1/mash/referrals/{referral}/decision",
        {
            "outcome": "strategy_discussion",
            "note": "Strategy discussion with police and health today",
            "legal_basis": ["Children Act 1989 s.47"],
            "consent_sought": False,
            "consent_detail": "Seeking consent could place the child at greater risk",
            "safety_considered": "Risk of significant harm",
            "necessary_and_proportionate": "Only the outcome goes to the school",
            "advice_sought": "MASH team manager",
        },
    )
    assert decided.status_code == 200, decided.text
    api.sign_in(TEACHER)
    [mine] = api.client.get("/api/v1/mash/referrals").json()
    assert mine["outcome"] == "strategy_discussion"
    assert mine["contributions"] == []  # the referrer sees the outcome, not the partners' words


def _fields_with_ids(page: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea|fieldset)[^>]*\bid="([^"]+)"', page))


def test_mash_form_errors_link_to_their_fields(api: Api) -> None:
    api.sign_in(TEACHER)
    made = api.post(
        "/api/v1/mash/referrals",
        {
            "person_id": api.scenario.pupil,
            "subject": "child",
            "concern": "Arrives hungry most days and has missed a week of school",
        },
    )
    referral = made.json()["id"]
    api.sign_in(HUB)
    unrated = api.client.post(f"/mash/referrals/{referral}/triage", data={"csrf_token": api.csrf})
    assert unrated.status_code == 422
    assert 'href="#rag"' in unrated.text
    assert "rag" in _fields_with_ids(unrated.text)
    assert 'aria-describedby="rag-error"' in unrated.text
    api.post(f"/api/v1/mash/referrals/{referral}/triage", {"rag": "amber"})
    undecided = api.client.post(
        f"/mash/referrals/{referral}/decision",
        data={"csrf_token": api.csrf, "note": "Early help offered"},
    )
    assert undecided.status_code == 422
    summary = undecided.text.split("govuk-error-summary__list")[1].split("</ul>")[0]
    links = re.findall(r'<a href="#([^"]+)"', summary)
    assert links == ["outcome", "consent_sought"]
    assert set(links) <= _fields_with_ids(undecided.text)
    assert ">Early help offered</textarea>" in undecided.text


@pytest.fixture
def quiet_api(settings: Settings) -> Iterator[Api]:
    """As `api`, without the server's own dispatcher thread: the test dispatches, so no
    delivery is being saved while the alert is read."""
    quiet = settings.model_copy(update={"alerts_dispatch_in_server": False})
    container, scenario = alerts_partnership(quiet)
    clock = Clock()
    with TestClient(create_app(quiet, container=container, clock=clock)) as client:
        yield Api(client, container, scenario, clock)
    container.close()


def test_the_alert_page_records_the_reading_only_from_its_form(quiet_api: Api) -> None:
    """A GET changes nothing: the page of an unread alert offers a button (a POST with the
    CSRF token) that records the acknowledgement, then shows the content."""
    api = quiet_api
    api.sign_in(OFFICER)
    made = api.post(
        "/api/v1/alerts/events",
        {
            "person_id": api.scenario.pupil,
            "category": "criminal_offence",
            "code": "domestic_abuse_incident",
            "occurred_at": "2026-03-02T08:00:00Z",
            "summary": "Officers attended",
            "detail": {"incident_type": "domestic_abuse", "officer_notes": "arrest made"},
        },
    )
    [alert_id] = made.json()["alerts"]
    dispatcher = api.container.alert_dispatcher()
    try:
        dispatcher.run_once(api.clock())
    finally:
        dispatcher.close()
    api.sign_in(SCHOOL_DSL)
    for _ in range(2):
        page = api.client.get(f"/alerts/{alert_id}")
        assert page.status_code == 200
        assert "Read the alert" in page.text and 'id="alert-content"' not in page.text
    assert api.container.alerts.get_alert(alert_id).read_at is None  # type: ignore[union-attr]
    forged = api.client.post(f"/alerts/{alert_id}/read", follow_redirects=False)
    assert forged.status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    read = api.client.post(
        f"/alerts/{alert_id}/read", data={"csrf_token": token.group(1)}, follow_redirects=False
    )
    assert read.status_code == 303 and read.headers["location"] == f"/alerts/{alert_id}"
    alert = api.container.alerts.get_alert(alert_id)
    assert alert is not None and alert.read_at is not None
    shown = api.client.get(f"/alerts/{alert_id}")
    assert 'id="alert-content"' in shown.text and "Read the alert" not in shown.text
    # Someone else's alert is not theirs to read.
    api.sign_in(TEACHER)
    refused = api.client.post(
        f"/alerts/{alert_id}/read", data={"csrf_token": api.csrf}, follow_redirects=False
    )
    assert refused.status_code == 404
