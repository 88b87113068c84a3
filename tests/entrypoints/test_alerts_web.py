"""Alert pages behind a TestClient: a team manager opens an alert escalated to them and sees who
it is about (through the disclosure gate) and when it was due, never its content."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sharewell.config import Settings
from sharewell.domain.vocabulary import DataCategory
from sharewell.entrypoints.web.app import create_app
from sharewell.services import alerts
from sharewell.services.audit_search import AuditQuery, search_audit
from tests.alerts_kit import CLINICIAN, TEAM_MANAGER, alerts_partnership
from tests.entrypoints.conftest import Clock
from tests.entrypoints.sharing_kit import Site

FRIDAY_EVENING = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)
MANAGER = "tm@cscn.anyshire.example"
SOCIAL_WORKER = "sw@cscn.anyshire.example"
OFFICER = "officer@pol.anyshire.example"


@pytest.fixture
def escalated(settings: Settings) -> Iterator[tuple[Site, str, str]]:
    """A site where an A&E alert to the social worker went unread past its deadline."""
    container, scenario = alerts_partnership(settings)
    raised = alerts.report_event(
        container.alerts,
        container.organisations,
        actor=CLINICIAN,
        person_id=scenario.child,
        category=DataCategory.HEALTH,
        code="ae_attendance",
        occurred_at=FRIDAY_EVENING - timedelta(minutes=20),
        summary="Attended with a head injury; fall reported by parent",
        detail={},
        calendar=container.school_calendar,
        at=FRIDAY_EVENING,
    )
    dispatcher = container.alert_dispatcher()
    try:
        dispatcher.run_once(FRIDAY_EVENING + timedelta(minutes=1))
        assert dispatcher.run_once(FRIDAY_EVENING + timedelta(hours=5)).escalated == 1
    finally:
        dispatcher.close()
    clock = Clock()
    clock.now = FRIDAY_EVENING + timedelta(hours=5)
    with TestClient(create_app(settings, container=container, clock=clock)) as client:
        yield Site(client, container, clock), scenario.child, raised.alerts[0].id
    container.close()


def test_a_manager_opens_an_escalated_alert_and_sees_who_but_not_what(
    escalated: tuple[Site, str, str],
) -> None:
    site, child, alert_id = escalated
    site.sign_in(MANAGER)
    inbox = site.client.get("/alerts").text
    table = inbox.split('id="escalations"')[1]
    assert f'href="/alerts/escalated/{alert_id}"' in table
    # The list shows the id the alert carries, never a name: showing the inbox asks the gate
    # nothing, so it puts nothing in the person's access log.
    assert f"Person {child}" in table and "Sam Okafor" in table
    looked, _ = search_audit(
        site.container.audit_reader, AuditQuery(subject_id=child, actor_id=TEAM_MANAGER)
    )
    assert looked == []
    page = site.client.get(f"/alerts/escalated/{alert_id}")
    assert page.status_code == 200
    assert "Alert escalated to you" in page.text
    assert f"Sharewell id {child}. You may not see this person" in page.text
    assert "Health information" in page.text and "Sent to</dt>" in page.text
    assert "Sam Okafor" in page.text  # the recipient to chase
    assert "head injury" not in page.text  # the content went to the recipient only
    # Asking who it is about went through the gate, so it is in the person's access log.
    hits, _ = search_audit(
        site.container.audit_reader, AuditQuery(subject_id=child, actor_id=TEAM_MANAGER)
    )
    assert any(h.entry.get("outcome") == "not_found" for h in hits)


def test_only_the_manager_it_was_escalated_to_opens_it(escalated: tuple[Site, str, str]) -> None:
    site, _, alert_id = escalated
    site.sign_in(SOCIAL_WORKER)
    assert site.client.get(f"/alerts/escalated/{alert_id}").status_code == 404


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    container, _ = alerts_partnership(settings)
    clock = Clock()
    clock.now = FRIDAY_EVENING
    with TestClient(create_app(settings, container=container, clock=clock)) as client:
        yield Site(client, container, clock)
    container.close()


def test_the_incident_type_is_chosen_from_plain_english_labels_and_kept_on_error(
    site: Site,
) -> None:
    site.sign_in(OFFICER)
    form = site.client.get("/alerts/events/new").text
    assert '<option value="domestic_abuse">Domestic abuse</option>' in form
    assert "domestic_abuse (optional)" not in form
    assert 'name="incident_type" type="text"' not in form
    answer = site.client.post(
        "/alerts/events",
        data={
            "csrf_token": site.token("/alerts/events/new"),
            "person": "",
            "code": "domestic_abuse_incident",
            "date": "2026-11-20",
            "time": "18:45",
            "incident_type": "missing_person",
        },
    )
    assert answer.status_code == 422
    assert 'href="#person"' in answer.text
    assert '<option value="missing_person" selected>Missing person</option>' in answer.text
    unknown = site.client.post(
        "/alerts/events",
        data={
            "csrf_token": site.token("/alerts/events/new"),
            "person": "P-1",
            "code": "domestic_abuse_incident",
            "date": "2026-11-20",
            "time": "18:45",
            "incident_type": "burglary",
        },
    )
    assert unknown.status_code == 422
    assert 'href="#incident_type"' in unknown.text and 'id="incident_type-error"' in unknown.text
