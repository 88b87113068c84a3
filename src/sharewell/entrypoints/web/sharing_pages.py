"""Pages for requests to share (ask, inbox, answer with a decision record, see what was shared)
and for emergency overrides (justify, banner with the time left)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from sharewell.bootstrap import Container
from sharewell.domain.access import AccessRequest, OverrideBasis, OverrideTier
from sharewell.domain.decision_records import ShareChoice
from sharewell.domain.errors import SharewellError
from sharewell.domain.organisations import Practitioner
from sharewell.domain.sharing import RequestStatus, SharedItem, Urgency
from sharewell.domain.times import london
from sharewell.domain.vocabulary import LEGAL_BASES, DataCategory, Purpose
from sharewell.entrypoints.api.deps import container, current_practitioner
from sharewell.entrypoints.web.sessions import session_of
from sharewell.entrypoints.web.templating import render
from sharewell.services import governance as gov
from sharewell.services import sharing

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]
SignedIn = Annotated[Practitioner, Depends(current_practitioner)]

OVERRIDE_MIN_CHARS = 20


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": f"#{field}"} for field, message in errors.items()]


def _organisations(wiring: Container, exclude: str) -> list[Any]:
    return [o for o in wiring.organisations.list() if o.code != exclude]


# --- Ask ----------------------------------------------------------------------------------------


def _request_form(
    request: Request,
    wiring: Wiring,
    practitioner: Practitioner,
    person_id: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    errors = errors or {}
    return render(
        request,
        "share_request_new.html",
        {
            "title": "Ask for information",
            "person_id": person_id,
            "values": values,
            "errors": errors,
            "error_summary": _summary(errors),
            "organisations": _organisations(wiring, practitioner.org_code),
            "categories": list(DataCategory),
            "purposes": list(Purpose),
            "urgencies": list(Urgency),
            "times": wiring.response_times,
        },
        status=422 if errors else 200,
    )


@router.get("/people/{person_id}/requests/new")
def new_request(
    request: Request,
    person_id: str,
    wiring: Wiring,
    practitioner: SignedIn,
    holder: str = "",
    category: str = "",
) -> Response:
    values = {
        "holder": holder,
        "categories": [category] if category else [],
        "purpose": "",
        "urgency": "",
        "reason": "",
    }
    return _request_form(request, wiring, practitioner, person_id, values)


@router.post("/people/{person_id}/requests")
async def create_request(
    request: Request, person_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "holder": str(form.get("holder", "")),
        "categories": [str(c) for c in form.getlist("categories")],
        "purpose": str(form.get("purpose", "")),
        "urgency": str(form.get("urgency", "")),
        "reason": str(form.get("reason", "")),
    }
    errors: dict[str, str] = {}
    if values["holder"] not in {o.code for o in _organisations(wiring, practitioner.org_code)}:
        errors["holder"] = "Choose the organisation that holds the information"
    if not values["categories"] or any(
        c not in DataCategory.__members__.values() for c in values["categories"]
    ):
        errors["categories"] = "Choose at least one kind of information"
    if values["purpose"] not in Purpose.__members__.values():
        errors["purpose"] = "Choose the purpose of your work"
    if values["urgency"] not in Urgency.__members__.values():
        errors["urgency"] = "Choose how urgent this is"
    if errors:
        return _request_form(request, wiring, practitioner, person_id, values, errors)
    try:
        made = sharing.request_to_share(
            wiring.sharing,
            wiring.audit,
            actor=gov.Actor.of(practitioner),
            person_id=person_id,
            holder=values["holder"],
            purpose=Purpose(values["purpose"]),
            categories=[DataCategory(c) for c in values["categories"]],
            urgency=Urgency(values["urgency"]),
            reason=values["reason"],
            times=wiring.response_times,
            at=_now(request),
        )
    except SharewellError as exc:
        field = exc.field if exc.field in values else "reason"
        return _request_form(request, wiring, practitioner, person_id, values, {field: exc.message})
    session = session_of(request)
    if session is not None:
        session.flash(f"Your request was sent. It is due by {london(made.due_at)}.")
    return RedirectResponse(f"/sharing/requests/{made.id}", status_code=303)


# --- Lists --------------------------------------------------------------------------------------


def _line(line: sharing.RequestLine, org_names: dict[str, str]) -> dict[str, Any]:
    r = line.request
    return {
        "id": r.id,
        "person_id": r.person_id,
        "from": org_names.get(r.requester_org, r.requester_org),
        "to": org_names.get(r.holder_org, r.holder_org),
        "categories": ", ".join(c.label for c in r.categories),
        "urgency": r.urgency.label,
        "due": london(r.due_at),
        "status": r.status.value.capitalize(),
        "overdue": line.overdue,
    }


def _org_names(wiring: Container) -> dict[str, str]:
    return wiring.organisations.names()


@router.get("/sharing/inbox")
def inbox_page(request: Request, wiring: Wiring, practitioner: SignedIn) -> Response:
    names = _org_names(wiring)
    lines = sharing.inbox(wiring.sharing, practitioner.org_code, at=_now(request))
    return render(
        request,
        "share_inbox.html",
        {
            "title": "Requests to your organisation",
            "nav": "inbox",
            "lines": [_line(line, names) for line in lines],
        },
    )


@router.get("/sharing/requests")
def sent_page(request: Request, wiring: Wiring, practitioner: SignedIn) -> Response:
    names = _org_names(wiring)
    lines = sharing.requests_made(wiring.sharing, practitioner.id, at=_now(request))
    return render(
        request,
        "share_sent.html",
        {
            "title": "Your requests",
            "nav": "sent",
            "lines": [_line(line, names) for line in lines],
        },
    )


# --- One request: answer it, or see what was shared ---------------------------------------------


def _request_page(
    request: Request,
    wiring: Container,
    practitioner: Practitioner,
    request_id: str,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    actor = gov.Actor.of(practitioner)
    found = sharing.visible_request(wiring.sharing, request_id, actor=actor)
    names = _org_names(wiring)
    held: list[Any] = []
    shared: list[Any] = []
    holder_view = practitioner.org_code == found.holder_org
    if holder_view and found.status is RequestStatus.OPEN:
        held = wiring.disclosure.own_items(
            actor=actor,
            person_id=found.person_id,
            categories=found.categories,
            purpose=found.purpose,
        )
    if found.requester_id == practitioner.id and found.status is RequestStatus.SHARED:
        shared = sharing.shared_with_me(
            wiring.sharing, wiring.disclosure, actor=actor, request_id=found.id, at=_now(request)
        )
    errors = errors or {}
    return render(
        request,
        "share_request.html",
        {
            "title": "Request to share",
            "r": found,
            "line": _line(sharing.RequestLine(found, found.overdue(_now(request))), names),
            "holder_view": holder_view,
            "held": held,
            "shared": shared,
            "requested_at": london(found.requested_at),
            "decided_at": london(found.decided_at) if found.decided_at else None,
            "errors": errors,
            "error_summary": _summary(errors),
            "values": values or {},
            "legal_bases": [(b.code, b.citation) for b in LEGAL_BASES.values()],
        },
        status=422 if errors else 200,
    )


@router.get("/sharing/requests/{request_id}")
def request_page(
    request: Request, request_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    return _request_page(request, wiring, practitioner, request_id)


GOLDEN_FIELDS = (
    "consent_detail",
    "safety_considered",
    "necessary_and_proportionate",
    "advice_sought",
)


@router.post("/sharing/requests/{request_id}/answer")
async def answer(
    request: Request, request_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in GOLDEN_FIELDS}
    values["choice"] = str(form.get("choice", ""))
    values["consent_sought"] = str(form.get("consent_sought", ""))
    values["legal_basis"] = [str(b) for b in form.getlist("legal_basis")]
    chosen = [str(v) for v in form.getlist("share")]
    values["share"] = chosen  # ticked again if the form comes back with an error
    errors: dict[str, str] = {}
    if values["choice"] not in {"share", "not_share"}:
        errors["choice"] = "Choose whether to share"
    if values["consent_sought"] not in {"yes", "no"}:
        errors["consent_sought"] = "Say whether consent was sought"
    if errors:
        return _request_page(request, wiring, practitioner, request_id, errors, values)
    fields_by_fact: dict[str, list[str]] = {}
    categories: dict[str, DataCategory] = {}
    for value in chosen:
        # Each checkbox is "fact_id|category|field"; the service checks the fact is the
        # holder's own, of a category asked for, about this person.
        fact_id, _, rest = value.partition("|")
        category, _, field = rest.partition("|")
        if category in DataCategory.__members__.values() and field:
            fields_by_fact.setdefault(fact_id, []).append(field)
            categories[fact_id] = DataCategory(category)
    items = [SharedItem(f, categories[f], tuple(fs)) for f, fs in fields_by_fact.items()]
    try:
        sharing.answer_request(
            wiring.sharing,
            wiring.governance,
            wiring.disclosure,
            wiring.audit,
            actor=gov.Actor.of(practitioner),
            request_id=request_id,
            choice=ShareChoice(values["choice"]),
            items=items,
            answers=sharing.DecisionAnswers(
                consent_sought=values["consent_sought"] == "yes",
                consent_detail=values["consent_detail"],
                legal_basis=tuple(values["legal_basis"]),
                safety_considered=values["safety_considered"],
                necessary_and_proportionate=values["necessary_and_proportionate"],
                advice_sought=values["advice_sought"],
            ),
            at=_now(request),
        )
    except SharewellError as exc:
        if exc.code == "NOT_FOUND" or exc.http_status == 403:
            raise
        field = exc.field if exc.field in {*GOLDEN_FIELDS, "legal_basis", "items"} else "choice"
        return _request_page(
            request, wiring, practitioner, request_id, {field: exc.message}, values
        )
    session = session_of(request)
    if session is not None:
        session.flash("Your decision is recorded and the requester has been told.")
    return RedirectResponse(f"/sharing/requests/{request_id}", status_code=303)


# --- Emergency override -------------------------------------------------------------------------


def _override_form(
    request: Request,
    wiring: Container,
    practitioner: Practitioner,
    person_id: str,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    denied: list[str] | None = None,
) -> Response:
    errors = errors or {}
    return render(
        request,
        "override_new.html",
        {
            "title": "Emergency override",
            "person_id": person_id,
            "organisations": _organisations(wiring, practitioner.org_code),
            "values": values,
            "errors": errors,
            "error_summary": _summary(errors),
            "bases": list(OverrideBasis),
            "purposes": list(Purpose),
            "categories": list(DataCategory),
            "denied": denied or [],
            "min_chars": OVERRIDE_MIN_CHARS,
        },
        status=422 if errors or denied else 200,
    )


@router.get("/people/{person_id}/override")
def override_form(
    request: Request,
    person_id: str,
    wiring: Wiring,
    practitioner: SignedIn,
    holder: str = "",
    category: str = "",
) -> Response:
    values = {
        "holder": holder,
        "category": category,
        "basis": "",
        "purpose": "",
        "justification": "",
    }
    return _override_form(request, wiring, practitioner, person_id, values)


@router.post("/people/{person_id}/override")
async def override(
    request: Request, person_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    form = await request.form()
    values = {
        k: str(form.get(k, "")) for k in ("holder", "category", "basis", "purpose", "justification")
    }
    errors: dict[str, str] = {}
    # Only a partner organisation can hold the information: a mistyped or made-up code is
    # refused here rather than decided (and audited) as a request to nobody.
    if values["holder"] not in {o.code for o in _organisations(wiring, practitioner.org_code)}:
        errors["holder"] = "Choose the organisation that holds the information"
    if values["category"] not in DataCategory.__members__.values():
        errors["category"] = "Choose the kind of information"
    if values["purpose"] not in Purpose.__members__.values():
        errors["purpose"] = "Choose the purpose of your work"
    if values["basis"] not in OverrideBasis.__members__.values():
        errors["basis"] = "Choose the basis for the override"
    if len(values["justification"].strip()) < OVERRIDE_MIN_CHARS:
        errors["justification"] = (
            f"Explain why this cannot wait, in at least {OVERRIDE_MIN_CHARS} characters"
        )
    if errors:
        return _override_form(request, wiring, practitioner, person_id, values, errors)
    result, review = gov.request_override(
        wiring.governance,
        wiring.practitioners,
        wiring.audit,
        actor=gov.Actor.of(practitioner),
        person_id=person_id,
        request=AccessRequest(
            Purpose(values["purpose"]),
            (values["holder"],),
            (DataCategory(values["category"]),),
        ),
        tier=OverrideTier.EMERGENCY,
        basis=OverrideBasis(values["basis"]),
        justification=values["justification"].strip(),
        at=_now(request),
    )
    if review is None:
        denied = sorted(
            {r.explanation for d in result.decisions for r in d.reasons},
        )
        return _override_form(request, wiring, practitioner, person_id, values, denied=denied)
    session = session_of(request)
    if session is not None:
        overrides = dict(session.data.get("overrides") or {})
        overrides[person_id] = int(review.expires_at.timestamp())
        session.data["overrides"] = overrides
        session.flash(
            "Emergency override in force until "
            f"{london(review.expires_at)}. Information governance will review it."
        )
    return RedirectResponse(f"/people/{person_id}/override/active", status_code=303)


@router.get("/people/{person_id}/override/active")
def override_active(request: Request, person_id: str, _practitioner: SignedIn) -> Response:
    return render(
        request,
        "override_active.html",
        {
            "title": "Emergency override",
            "person_id": person_id,
            "record_href": f"/people/{quote(person_id, safe='')}",
        },
    )
