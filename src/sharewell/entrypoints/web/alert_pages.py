"""Pages for early alerts: the practitioner's inbox (and alerts escalated to them as a
manager), one alert (reading it records the read acknowledgement), reporting an event, the
partnership dashboard and the dead-letter list with replay."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from sharewell.bootstrap import Container
from sharewell.domain.alerts import TEMPLATES, Alert
from sharewell.domain.errors import NotFound, PermissionDenied, SharewellError
from sharewell.domain.organisations import Practitioner
from sharewell.domain.times import LONDON, london
from sharewell.domain.vocabulary import DataCategory, IncidentType
from sharewell.entrypoints.api.deps import container, current_practitioner
from sharewell.entrypoints.web.sessions import session_of
from sharewell.entrypoints.web.templating import render
from sharewell.services import alerts as alert_service
from sharewell.services import governance as gov

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]
SignedIn = Annotated[Practitioner, Depends(current_practitioner)]

DASHBOARD_ROLES = alert_service.DASHBOARD_ROLES
FIELD_LABELS = {
    "occurred_at": "When",
    "code": "What happened",
    "summary": "Summary",
    "incident_type": "Incident type",
    "risk_level": "Risk level",
}


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _names(wiring: Container) -> dict[str, str]:
    return wiring.organisations.names()


def _show(name: str, value: str) -> str:
    if name == "incident_type" and value in IncidentType.__members__.values():
        return IncidentType(value).label
    if name == "occurred_at":
        try:
            return london(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value.replace("_", " ")


def _row(alert: Alert, names: dict[str, str], at: datetime) -> dict[str, Any]:
    return {
        "id": alert.id,
        "from": names.get(alert.holder_org, alert.holder_org),
        "to": names.get(alert.recipient_org, alert.recipient_org),
        "person_id": alert.person_id,
        "raised": london(alert.raised_at),
        "due": london(alert.due_at),
        "delivered": london(alert.delivered_at) if alert.delivered_at else None,
        "read": london(alert.read_at) if alert.read_at else None,
        "late": alert.late(at),
        "status": alert.status.value,
    }


def _who(wiring: Container, practitioner: Practitioner, alert: Alert, at: datetime) -> str | None:
    """The person's name if the viewer may see who they are (decided and audited by the
    disclosure gate for the alert's purpose), else None: the page then shows the id only."""
    try:
        person = wiring.disclosure.person(
            actor=gov.Actor.signed_in(practitioner),
            purpose=alert.purpose,
            person_id=alert.person_id,
            at=at,
        )
    except NotFound:
        return None
    return person.name


def _escalation_row(
    wiring: Container, alert: Alert, names: dict[str, str], at: datetime
) -> dict[str, Any]:
    recipient = wiring.practitioners.get(alert.recipient_id)
    row = _row(alert, names, at)
    row.update(
        recipient=recipient.name if recipient is not None else alert.recipient_id,
        about=alert.category.label,
    )
    return row


@router.get("/alerts")
def inbox_page(request: Request, wiring: Wiring, practitioner: SignedIn) -> Response:
    actor = gov.Actor.of(practitioner)
    names = _names(wiring)
    at = _now(request)
    mine = alert_service.inbox(wiring.alerts, actor=actor)
    chase = alert_service.escalations(wiring.alerts, actor=actor)
    return render(
        request,
        "alerts_inbox.html",
        {
            "title": "Your alerts",
            "nav": "alerts",
            "alerts": [_row(a, names, at) for a in mine],
            # No names in the list: who each is about is decided (and audited) only when the
            # manager opens one, not every time the inbox is shown.
            "escalations": [_escalation_row(wiring, a, names, at) for a in chase],
            "can_report": bool(reportable_events(wiring, practitioner)),
            "dashboard": practitioner.role in DASHBOARD_ROLES,
        },
    )


@router.get("/alerts/dashboard")
def dashboard_page(request: Request, wiring: Wiring, practitioner: SignedIn) -> Response:
    if practitioner.role not in DASHBOARD_ROLES:
        raise PermissionDenied("Only partnership leads, IG leads and team managers see this")
    at = _now(request)
    board = alert_service.dashboard(wiring.alerts, since=at - timedelta(days=30), at=at)
    names = _names(wiring)
    return render(
        request,
        "alerts_dashboard.html",
        {
            "title": "Alerts across the partnership",
            "nav": "alerts",
            "board": board,
            "late": [_row(a, names, at) for a in board.late],
            "routes": [(names.get(h, h), names.get(r, r), n) for h, r, n in board.by_route],
            "dead": alert_service.dead_letters(wiring.alerts)
            if practitioner.role in alert_service.MANAGING_ROLES
            else [],
            "can_replay": practitioner.role in alert_service.MANAGING_ROLES,
        },
    )


@router.post("/alerts/deliveries/{delivery_id}/replay")
def replay(request: Request, delivery_id: str, wiring: Wiring, practitioner: SignedIn) -> Response:
    if practitioner.role not in alert_service.MANAGING_ROLES:
        raise PermissionDenied("Only an IG lead or partnership lead replays deliveries")
    alert_service.replay(
        wiring.alerts, wiring.audit, delivery_id, actor=gov.Actor.of(practitioner), at=_now(request)
    )
    session = session_of(request)
    if session is not None:
        session.flash("The delivery is back in the outbox and will be tried again.")
    return RedirectResponse("/alerts/dashboard", status_code=303)


# --- Reporting an event ------------------------------------------------------------------------


def reportable_events(wiring: Container, practitioner: Practitioner) -> list[tuple[str, str, str]]:
    """(code, category, label) of events the practitioner's organisation can report."""
    org = wiring.organisations.get(practitioner.org_code)
    if org is None:
        return []
    return [
        (code, t.category.value, t.name)
        for t in TEMPLATES
        if t.source_kind is org.kind
        for code in t.fact_codes
    ]


def _event_form(
    request: Request,
    wiring: Container,
    practitioner: Practitioner,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    errors = errors or {}
    return render(
        request,
        "alerts_event_new.html",
        {
            "title": "Report an event",
            "nav": "alerts",
            "codes": reportable_events(wiring, practitioner),
            "incident_types": [(t.value, t.label) for t in IncidentType],
            "values": values,
            "errors": errors,
            "error_summary": [{"text": m, "href": f"#{f}"} for f, m in errors.items()],
        },
        status=422 if errors else 200,
    )


EVENT_FIELDS = ("person", "code", "date", "time", "summary", "incident_type", "notes")


@router.get("/alerts/events/new")
def new_event(
    request: Request, wiring: Wiring, practitioner: SignedIn, person: str = ""
) -> Response:
    at = _now(request).astimezone(LONDON)
    values = dict.fromkeys(EVENT_FIELDS, "")
    values.update(person=person, date=at.date().isoformat(), time=at.strftime("%H:%M"))
    return _event_form(request, wiring, practitioner, values)


@router.post("/alerts/events")
async def report_event(request: Request, wiring: Wiring, practitioner: SignedIn) -> Response:
    form = await request.form()
    values = {name: str(form.get(name, "")).strip() for name in EVENT_FIELDS}
    codes = {code: category for code, category, _ in reportable_events(wiring, practitioner)}
    errors: dict[str, str] = {}
    if not values["person"]:
        errors["person"] = "Enter the person's Sharewell id"
    if values["code"] not in codes:
        errors["code"] = "Choose what happened"
    if values["incident_type"] and values["incident_type"] not in IncidentType.__members__.values():
        errors["incident_type"] = "Choose the incident type from the list, or leave it as not given"
    occurred = None
    try:
        occurred = datetime.fromisoformat(f"{values['date']}T{values['time']}").replace(
            tzinfo=LONDON
        )
    except ValueError:
        errors["date"] = "Enter the date and time it happened, like 2026-11-20 and 19:30"
    if errors or occurred is None:
        return _event_form(request, wiring, practitioner, values, errors)
    detail = {"incident_type": values["incident_type"], "notes": values["notes"]}
    try:
        raised = alert_service.report_event(
            wiring.alerts,
            wiring.organisations,
            actor=gov.Actor.of(practitioner),
            person_id=values["person"],
            category=DataCategory(codes[values["code"]]),
            code=values["code"],
            occurred_at=occurred,
            summary=values["summary"],
            detail=detail,
            calendar=wiring.school_calendar,
            at=_now(request),
        )
    except SharewellError as exc:
        field = exc.field if exc.field in values else "person"
        return _event_form(request, wiring, practitioner, values, {field: exc.message})
    session = session_of(request)
    if session is not None:
        count = len(raised.alerts)
        session.flash(
            f"The event was recorded. {count} alert{'s' if count != 1 else ''} raised."
            if count
            else "The event was recorded. No alert rule applies to this person."
        )
    return RedirectResponse("/alerts", status_code=303)


# --- One alert ----------------------------------------------------------------------------------


@router.get("/alerts/escalated/{alert_id}")
def escalated_page(
    request: Request, alert_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    """What a manager sees of an alert escalated to them: who, from whom, to whom and when, but
    not its content, which was shared with the recipient only."""
    alert = alert_service.escalated_alert(wiring.alerts, alert_id, actor=gov.Actor.of(practitioner))
    at = _now(request)
    return render(
        request,
        "alerts_escalated.html",
        {
            "title": "Alert escalated to you",
            "nav": "alerts",
            "a": {
                **_escalation_row(wiring, alert, _names(wiring), at),
                "person_name": _who(wiring, practitioner, alert, at),
            },
            "escalated": london(alert.escalated_at) if alert.escalated_at else None,
        },
    )


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: str, wiring: Wiring, practitioner: SignedIn) -> Response:
    """An alert: its content once it has been read; before that, a button that reads it.

    Reading records the acknowledgement (and the disclosure), a change of state, so it is a
    POST (`read_alert`): a GET changes nothing, whoever or whatever makes it."""
    alert = alert_service.alert_for_recipient(
        wiring.alerts, alert_id, actor=gov.Actor.of(practitioner)
    )
    # Unread: no content until the recipient reads it (the form), which is recorded.
    content = (
        None
        if alert.read_at is None
        else [
            (FIELD_LABELS.get(k, k.replace("_", " ").capitalize()), _show(k, v))
            for k, v in sorted(
                alert.content.items(),
                key=lambda kv: alert.fields.index(kv[0]) if kv[0] in alert.fields else 99,
            )
        ]
    )
    return render(
        request,
        "alerts_alert.html",
        {
            "title": "Alert",
            "nav": "alerts",
            "a": _row(alert, _names(wiring), _now(request)),
            "alert": alert,
            "content": content,
        },
    )


@router.post("/alerts/{alert_id}/read")
def read_alert(request: Request, alert_id: str, wiring: Wiring, practitioner: SignedIn) -> Response:
    """Read an alert: the acknowledgement is recorded (once) and audited; then the alert."""
    alert_service.open_alert(
        wiring.alerts, wiring.audit, alert_id, actor=gov.Actor.of(practitioner), at=_now(request)
    )
    return RedirectResponse(f"/alerts/{quote(alert_id, safe='')}", status_code=303)
