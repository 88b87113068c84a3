"""Early alerts on the demo partnership (SQLite and PostgreSQL): events raise alerts in the same
transaction, the dispatcher decides each through the disclosure gate at dispatch time, the
recipient sees only the minimum data set, the citizen's access log shows it, a terminated
agreement stops it, and an unread alert past its deadline goes to the recipient's manager."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.domain.alerts import AlertStatus, DeliveryStatus
from sharewell.domain.errors import NotFound
from sharewell.domain.vocabulary import DataCategory
from sharewell.services import alerts
from sharewell.services import governance as gov
from sharewell.services.audit_search import AuditQuery, search_audit
from sharewell.services.governance import Actor
from tests.alerts_kit import (
    CLINICIAN,
    OFFICER,
    SCHOOL_DSL,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    AlertScenario,
    Receiver,
    alerts_partnership,
    register_webhook,
)
from tests.disclosure_fixtures import OPERATOR

FRIDAY_EVENING = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)
SECRET = "webhook-secret-for-cscn-0001"


@pytest.fixture
def partnership(settings: Settings) -> Iterator[tuple[Container, AlertScenario]]:
    container, scenario = alerts_partnership(settings)
    yield container, scenario
    container.close()


def _settled(container: Container, alert_id: str, seconds: float = 60) -> AlertStatus:
    """The alert's status once it is no longer pending (or when `seconds` have passed)."""
    deadline = time.monotonic() + seconds
    while True:
        status = container.alerts.get_alert(alert_id).status
        if status is not AlertStatus.PENDING or time.monotonic() >= deadline:
            return status
        time.sleep(0.1)


def _ae(container: Container, child: str, at: datetime) -> alerts.RaisedEvent:
    return alerts.report_event(
        container.alerts,
        container.organisations,
        actor=CLINICIAN,
        person_id=child,
        category=DataCategory.HEALTH,
        code="ae_attendance",
        occurred_at=at - timedelta(minutes=20),
        summary="Attended with a head injury; fall reported by parent",
        detail={"triage_notes": "Parent intoxicated at triage"},
        calendar=container.school_calendar,
        at=at,
    )


def test_ae_attendance_reaches_the_social_worker_with_the_minimum_data_set(
    partnership: tuple[Container, AlertScenario],
) -> None:
    container, scenario = partnership
    receiver = Receiver(SECRET.encode()).start()
    try:
        register_webhook(container, "CSCN", receiver.url, SECRET)
        raised = _ae(container, scenario.child, FRIDAY_EVENING)
        assert [a.recipient_id for a in raised.alerts] == [SOCIAL_WORKER]
        # The outbox row is written with the fact: pending until the dispatcher decides it.
        assert container.alerts.get_alert(raised.alerts[0].id).status is AlertStatus.PENDING
        dispatcher = container.alert_dispatcher()
        try:
            report = dispatcher.run_once(FRIDAY_EVENING + timedelta(seconds=1))
            assert report.delivered == 1
            dispatcher.run_once(FRIDAY_EVENING + timedelta(seconds=2))
        finally:
            dispatcher.close()
    finally:
        receiver.stop()
    [alert] = alerts.inbox(container.alerts, actor=Actor(SOCIAL_WORKER, "CSCN"))
    assert set(alert.content) == {"occurred_at", "code", "summary"}
    assert alert.content["code"] == "ae_attendance"
    assert not alert.late(FRIDAY_EVENING + timedelta(seconds=2))
    # The signed webhook carried the same minimum data set, once.
    assert len(receiver.received) == 1
    assert set(receiver.received[0]["content"]) == {"occurred_at", "code", "summary"}
    by_channel = {d.channel.value: d for d in container.alerts.deliveries_of(alert.id)}
    webhook = by_channel["webhook"]
    assert by_channel["email"].status is DeliveryStatus.CANCELLED  # no SMTP server configured
    assert webhook.status is DeliveryStatus.DELIVERED and webhook.receipt == "HTTP 200"
    # The disclosure is in the child's access log, with the agreement relied on.
    hits, _ = search_audit(container.audit_reader, AuditQuery(subject_id=scenario.child))
    disclosed = [h.entry for h in hits if h.entry.get("outcome") == "alert_disclosed"]
    assert disclosed and disclosed[0]["actor_id"] == SOCIAL_WORKER
    assert disclosed[0]["agreement"].startswith("anyshire-charter@")
    # Reading it records the acknowledgement once.
    read = alerts.open_alert(
        container.alerts, container.audit, alert.id, actor=Actor(SOCIAL_WORKER, "CSCN")
    )
    assert read.status is AlertStatus.READ and read.read_at is not None
    with pytest.raises(NotFound):
        alerts.open_alert(container.alerts, container.audit, alert.id, actor=Actor(TEAM_MANAGER))


def test_friday_evening_domestic_incident_reaches_the_school_before_monday(
    partnership: tuple[Container, AlertScenario],
) -> None:
    container, scenario = partnership
    raised = alerts.report_event(
        container.alerts,
        container.organisations,
        actor=OFFICER,
        person_id=scenario.pupil,
        category=DataCategory.CRIMINAL_OFFENCE,
        code="domestic_abuse_incident",
        occurred_at=FRIDAY_EVENING - timedelta(hours=1),
        summary="Officers attended a domestic incident at the home address",
        detail={"incident_type": "domestic_abuse", "officer_notes": "Father arrested"},
        calendar=container.school_calendar,
        at=FRIDAY_EVENING,
    )
    [pending] = raised.alerts
    assert pending.recipient_id == SCHOOL_DSL
    assert pending.due_at == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # Monday, 08:30 GMT
    dispatcher = container.alert_dispatcher()
    try:
        dispatcher.run_once(FRIDAY_EVENING + timedelta(minutes=1))
    finally:
        dispatcher.close()
    [alert] = alerts.inbox(container.alerts, actor=Actor(SCHOOL_DSL, "SCH6"))
    assert set(alert.content) == {"occurred_at", "incident_type"}
    assert alert.content["incident_type"] == "domestic_abuse"
    assert alert.delivered_at is not None and alert.delivered_at < alert.due_at


def test_alert_whose_agreement_was_terminated_after_the_event_is_not_sent(
    partnership: tuple[Container, AlertScenario],
) -> None:
    container, scenario = partnership
    receiver = Receiver(SECRET.encode()).start()
    try:
        register_webhook(container, "CSCN", receiver.url, SECRET)
        raised = _ae(container, scenario.child, FRIDAY_EVENING)
        gov.terminate_agreement(
            container.governance,
            container.audit,
            "anyshire-charter",
            reason="Partnership dissolved by the board",
            actor=OPERATOR,
            at=FRIDAY_EVENING + timedelta(seconds=30),
        )
        dispatcher = container.alert_dispatcher()
        try:
            report = dispatcher.run_once(FRIDAY_EVENING + timedelta(minutes=1))
            dispatcher.run_once(FRIDAY_EVENING + timedelta(minutes=2))
        finally:
            dispatcher.close()
    finally:
        receiver.stop()
    assert report.withheld == 1 and report.delivered == 0
    alert = container.alerts.get_alert(raised.alerts[0].id)
    assert alert is not None and alert.status is AlertStatus.WITHHELD
    assert "AGREEMENT_NOT_IN_FORCE" in alert.withheld_reasons
    assert alert.content == {}
    assert alerts.inbox(container.alerts, actor=Actor(SOCIAL_WORKER, "CSCN")) == []
    assert receiver.received == []
    assert {d.status for d in container.alerts.deliveries_of(alert.id)} == {
        DeliveryStatus.CANCELLED
    }
    hits, _ = search_audit(container.audit_reader, AuditQuery(subject_id=scenario.child))
    assert any(h.entry.get("outcome") == "alert_withheld" for h in hits)


def test_unread_alert_past_its_deadline_escalates_to_the_manager_and_the_dashboard(
    partnership: tuple[Container, AlertScenario],
) -> None:
    container, scenario = partnership
    raised = _ae(container, scenario.child, FRIDAY_EVENING)
    dispatcher = container.alert_dispatcher()
    try:
        dispatcher.run_once(FRIDAY_EVENING + timedelta(minutes=1))
        report = dispatcher.run_once(FRIDAY_EVENING + timedelta(hours=5))
    finally:
        dispatcher.close()
    assert report.escalated == 1
    [chase] = alerts.escalations(container.alerts, actor=Actor(TEAM_MANAGER, "CSCN"))
    assert chase.id == raised.alerts[0].id
    board = alerts.dashboard(
        container.alerts,
        since=FRIDAY_EVENING - timedelta(days=1),
        at=FRIDAY_EVENING + timedelta(hours=5),
    )
    assert board.total == 1 and board.delivered == 1 and board.escalated == 1
    assert board.by_route == (("ACU", "CSCN", 1),)


def test_event_about_someone_the_agency_holds_no_record_of_is_refused(
    partnership: tuple[Container, AlertScenario],
) -> None:
    container, _ = partnership
    with pytest.raises(NotFound) as caught:
        _ae(container, "P-nobody", FRIDAY_EVENING)
    assert caught.value.field == "person"


def test_the_web_server_dispatches_alerts_while_it_runs(
    partnership: tuple[Container, AlertScenario],
) -> None:
    from fastapi.testclient import TestClient

    from sharewell.entrypoints.web.app import create_app

    container, scenario = partnership
    raised = _ae(container, scenario.child, datetime.now(UTC))
    app = create_app(container.settings, container=container)
    with TestClient(app):
        # The server (leading the dispatch: no other process here) runs the dispatcher as well.
        status = _settled(container, raised.alerts[0].id)
        assert status is AlertStatus.DELIVERED
    assert not any(t.name == "sharewell-alert-dispatcher" for t in threading.enumerate())


def test_a_server_process_that_does_not_lead_stands_by_and_takes_over(
    partnership: tuple[Container, AlertScenario],
) -> None:
    """Several server processes each start a dispatcher; only the leader sends."""
    from fastapi.testclient import TestClient

    from sharewell.entrypoints.web.app import create_app

    container, scenario = partnership
    other_process = container.alert_dispatch_leadership()
    assert other_process.try_lead()
    raised = _ae(container, scenario.child, datetime.now(UTC))
    app = create_app(container.settings, container=container)
    try:
        with TestClient(app):
            time.sleep(1.0)
            # Another process leads (and here sends nothing): this one must not send either.
            assert container.alerts.get_alert(raised.alerts[0].id).status is AlertStatus.PENDING
            other_process.release()
            status = _settled(container, raised.alerts[0].id)
            assert status is AlertStatus.DELIVERED
    finally:
        other_process.release()


class _Leader:
    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.tries = 0
        self.released = False

    def try_lead(self) -> bool:
        self.tries += 1
        return self.tries > self.refusals

    def release(self) -> None:
        self.released = True


def test_serve_while_leading_waits_for_leadership_and_steps_down_after(
    partnership: tuple[Container, AlertScenario],
) -> None:
    container, _ = partnership
    dispatcher = container.alert_dispatcher()
    leader = _Leader(refusals=2)
    waits: list[float] = []
    try:
        led = dispatcher.serve_while_leading(
            leader,
            should_stop=lambda: leader.tries > 2,
            wait=waits.append,
            retry_seconds=3.0,
        )
    finally:
        dispatcher.close()
    assert led and leader.tries == 3 and waits == [3.0, 3.0] and leader.released

    never = _Leader(refusals=10**6)
    dispatcher = container.alert_dispatcher()
    try:
        led = dispatcher.serve_while_leading(
            never, should_stop=lambda: never.tries >= 4, wait=lambda _: None
        )
    finally:
        dispatcher.close()
    assert not led and never.tries == 4 and never.released
