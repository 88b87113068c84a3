"""Purpose of use, find a person, the joined-up record, household, consent and relationships.

Every page that shows anything about a person goes through the disclosure gate and needs the
purpose of the practitioner's work first (chosen on /purpose, kept in the session)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from markupsafe import escape
from starlette.responses import RedirectResponse, Response

from sharewell.bootstrap import Container
from sharewell.domain.consent import ALL_PARTNERS, ConsentRecord, ConsentState
from sharewell.domain.errors import NotFound, PermissionDenied, SharewellError, ValidationError
from sharewell.domain.organisations import Practitioner
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.domain.times import LONDON, london
from sharewell.domain.vocabulary import Purpose
from sharewell.entrypoints.api.deps import container, current_practitioner
from sharewell.entrypoints.web.alert_pages import reportable_events
from sharewell.entrypoints.web.sessions import session_of
from sharewell.entrypoints.web.templating import render
from sharewell.services import governance
from sharewell.services.disclosure import FactView, PersonQuery, PersonSummary, WithheldGroup
from sharewell.services.governance import Actor
from sharewell.services.joint_risk import RiskView

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]
SignedIn = Annotated[Practitioner, Depends(current_practitioner)]

PURPOSE_KEY = "purpose"


def purpose_of(request: Request) -> Purpose | None:
    """The purpose the practitioner chose for this session, if any."""
    session = session_of(request)
    value = session.data.get(PURPOSE_KEY) if session is not None else None
    try:
        return Purpose(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _choose_first(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/purpose?next={quote(target, safe='')}", status_code=303)


def _now(request: Request) -> datetime:
    # The application's clock (tests and the demo fix it); decisions are made at this moment.
    now: datetime = request.app.state.clock()
    return now


def _safe_next(value: str) -> str:
    # Only a path on this site: never an absolute or protocol-relative URL (open redirect).
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/people"


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": f"#{field}"} for field, message in errors.items()]


# --- Purpose ------------------------------------------------------------------------------------


def _purpose_page(
    request: Request, *, next_url: str, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    errors = errors or {}
    current = purpose_of(request)
    return render(
        request,
        "purpose.html",
        {
            "title": "Purpose of your work",
            "items": [
                {"value": p.value, "text": p.label.capitalize(), "checked": p is current}
                for p in Purpose
            ],
            "next_url": next_url,
            "errors": errors,
            "error_summary": _summary(errors),
        },
        status=status,
    )


@router.get("/purpose")
def purpose_form(request: Request, _viewer: SignedIn) -> Response:
    return _purpose_page(request, next_url=_safe_next(request.query_params.get("next", "/people")))


@router.post("/purpose")
def choose_purpose(
    request: Request,
    _viewer: SignedIn,
    purpose: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/people",
) -> Response:
    try:
        chosen = Purpose(purpose)
    except ValueError:
        return _purpose_page(
            request,
            next_url=_safe_next(next_url),
            errors={"purpose": "Select the purpose of your work"},
            status=400,
        )
    session = session_of(request)
    assert session is not None
    session.data[PURPOSE_KEY] = chosen.value
    session.changed = True
    return RedirectResponse(_safe_next(next_url), status_code=303)


# --- Find a person ------------------------------------------------------------------------------


def _date_of_birth(day: str, month: str, year: str) -> date | None:
    if not (day.strip() or month.strip() or year.strip()):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValidationError(
            "Date of birth must be a real date, for example 27 3 2015", field="dob-day"
        ) from None


def _person_row(person: PersonSummary) -> list[dict[str, str]]:
    dob = person.date_of_birth
    first = person.identities[0]
    nhs = next((i.nhs_number for i in person.identities if i.nhs_number), None)
    return [
        {
            "html": f'<a class="govuk-link" href="/people/{quote(person.person_id)}">'
            f"{_escape(person.name)}</a>"
        },
        {"text": dob.strftime("%-d %B %Y") if dob else "Not known"},
        {"text": nhs or "Not known"},
        {"text": first.postcode or "Not known"},
    ]


def _escape(text: str) -> str:
    return str(escape(text))


@router.get("/people")
def find_person(
    request: Request,
    wiring: Wiring,
    viewer: SignedIn,
    name: str = "",
    nhs_number: str = "",
    postcode: str = "",
) -> Response:
    purpose = purpose_of(request)
    if purpose is None:
        return _choose_first(request)
    params = request.query_params
    day, month, year = (params.get(f"dob-{p}", "") for p in ("day", "month", "year"))
    searched = any(v.strip() for v in (name, nhs_number, postcode, day, month, year))
    errors: dict[str, str] = {}
    results: list[PersonSummary] | None = None
    if searched:
        try:
            query = PersonQuery(name, _date_of_birth(day, month, year), nhs_number, postcode)
            results = wiring.disclosure.search(
                actor=Actor.signed_in(viewer), purpose=purpose, query=query, at=_now(request)
            )
        except ValidationError as exc:
            errors[exc.field or "name"] = exc.message
    return render(
        request,
        "find_person.html",
        {
            "title": "Find a person",
            "nav": "people",
            "form": {
                "name": name,
                "nhs_number": nhs_number,
                "postcode": postcode,
                "day": day,
                "month": month,
                "year": year,
            },
            "results": None if results is None else [_person_row(p) for p in results],
            "errors": errors,
            "error_summary": _summary(errors),
        },
        status=400 if errors else 200,
    )


# --- Joined-up record ---------------------------------------------------------------------------


def _fact_summary(fact: FactView) -> str:
    fields = dict(fact.fields)
    summary = fields.pop("summary", None)
    rest = "; ".join(
        f"{k.replace('_', ' ')}: {v.replace('_', ' ')}" for k, v in fields.items() if k != "code"
    )
    parts = [p for p in (summary, rest) if p]
    if not parts and "code" in fact.fields:
        parts = [f"code {fact.fields['code']}"]
    return ". ".join(parts) or "Only the date may be shared"


def _action_links(
    person_id: str, holder: str, category: str, override: bool
) -> list[dict[str, str]]:
    query = urlencode({"holder": holder, "category": category})
    links = [
        {"href": f"/people/{quote(person_id)}/requests/new?{query}", "text": "Ask them to share it"}
    ]
    if override:
        links.append(
            {
                "href": f"/people/{quote(person_id)}/override?{query}",
                "text": "Use an emergency override",
            }
        )
    return links


def _withheld(person_id: str, groups: tuple[WithheldGroup, ...]) -> list[dict[str, object]]:
    return [
        {
            "sentence": w.sentence,
            "explanation": w.explanation,
            "actions": _action_links(person_id, w.org_code, w.category.value, w.override_available),
        }
        for w in groups
    ]


def _day(value: datetime) -> str:
    return value.astimezone(LONDON).strftime("%-d %b %Y")


def _risk_section(
    request: Request,
    wiring: Container,
    viewer: Practitioner,
    purpose: Purpose,
    person_id: str,
    *,
    household: bool = False,
) -> dict[str, object]:
    """The joint risk profile for the page, read through the disclosure gate."""
    joint = wiring.joint_risk
    try:
        view: RiskView = (joint.for_household if household else joint.for_person)(
            person_id, actor=Actor.of(viewer), purpose=purpose, at=_now(request)
        )
    except NotFound as exc:
        if exc.field != "calibration":
            raise
        return {
            "missing": "No risk calibration is signed by every partner, so agencies' "
            "levels cannot be put on a common scale yet."
        }
    profile = view.profile
    org_names = wiring.organisations.names()
    names = {view.person.person_id: view.person.name, **{m.person_id: m.name for m in view.members}}
    rule = (
        "the highest current level of any agency"
        if profile.combine.value == "highest"
        else "the mean of current levels, rounded up"
    )
    return {
        "profile": profile,
        "rule": rule,
        "household": household,
        "agency_rows": [
            [
                *([{"text": names.get(a.person_id, a.person_id)}] if household else []),
                {"text": a.org_name},
                {"text": a.scale},
                {"text": a.level},
                {"text": f"{a.common} {a.common_label}"},
                {"text": _day(a.assessed_at) + ("" if a.current else " (out of date)")},
            ]
            for a in profile.agencies
        ],
        "evidence_rows": [
            [
                *([{"text": names.get(w.item.person_id or "", "")}] if household else []),
                {"text": _day(w.item.occurred_at)},
                {"text": org_names.get(w.item.org_code, w.item.org_code)},
                {"text": w.item.kind.value.capitalize()},
                {"text": w.item.summary or "Details not shared with you"},
                {"text": f"{w.weight:g}"},
            ]
            for w in profile.evidence
        ],
        "withheld": [
            # In a household, each group is about one member: the actions ask about them.
            {**_withheld(about, (group,))[0], "about": names.get(about) if household else None}
            for about, group in zip(view.withheld_about, view.withheld, strict=True)
        ],
        "limits": view.limits,
    }


@router.get("/people/{person_id}")
def joined_up_record(
    request: Request, person_id: str, wiring: Wiring, viewer: SignedIn
) -> Response:
    purpose = purpose_of(request)
    if purpose is None:
        return _choose_first(request)
    record = wiring.disclosure.joined_up_record(
        actor=Actor.signed_in(viewer), purpose=purpose, person_id=person_id, at=_now(request)
    )
    names = wiring.organisations.names()
    rows = [
        [
            {
                "text": f.occurred_at.astimezone(LONDON).strftime("%-d %b %Y")
                if f.occurred_at
                else "Date not shared"
            },
            {"text": names.get(f.org_code, f.org_code)},
            {"text": f.category.label.capitalize()},
            {
                "text": _fact_summary(f)
                + (" (shared with you on request)" if f.id in record.shared else "")
            },
        ]
        for f in record.chronology
    ]
    withheld = _withheld(person_id, record.withheld)
    about = urlencode({"person": record.person.person_id})
    # Every partner's practitioner may refer to the hub; an event is reported only by an
    # organisation that reports such events and holds its own record of the person.
    actions = [{"href": f"/mash/referrals/new?{about}", "text": "Refer to the safeguarding hub"}]
    if reportable_events(wiring, viewer) and any(
        i.org_code == viewer.org_code for i in record.person.identities
    ):
        actions.append({"href": f"/alerts/events/new?{about}", "text": "Report an event"})
    return render(
        request,
        "person_record.html",
        {
            "title": f"{record.person.name}: joined-up record",
            "nav": "people",
            "person": record.person,
            "purpose_label": purpose.label,
            "rows": rows,
            "withheld": withheld,
            "limits": record.limits,
            "actions": actions,
            "risk": _risk_section(request, wiring, viewer, purpose, person_id),
        },
    )


@router.get("/people/{person_id}/household")
def household(request: Request, person_id: str, wiring: Wiring, viewer: SignedIn) -> Response:
    purpose = purpose_of(request)
    if purpose is None:
        return _choose_first(request)
    actor = Actor.of(viewer)
    person = wiring.disclosure.person(
        actor=actor, purpose=purpose, person_id=person_id, at=_now(request)
    )
    members = wiring.disclosure.household(
        actor=actor, purpose=purpose, person_id=person_id, at=_now(request)
    )
    return render(
        request,
        "household.html",
        {
            "title": f"{person.name}: household",
            "nav": "people",
            "person": person,
            "rows": [_person_row(m) for m in members],
            "risk": _risk_section(request, wiring, viewer, purpose, person_id, household=True),
        },
    )


# --- Consent and relationships ------------------------------------------------------------------


def _consent_page(
    request: Request,
    wiring: Wiring,
    viewer: Practitioner,
    person_id: str,
    purpose: Purpose,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    # What the practitioner entered, shown again after an error; the purpose of their work is
    # the first guess for the purpose the consent is for.
    values = values or {"consent-purpose": purpose.value}
    actor = Actor.signed_in(viewer)
    person = wiring.disclosure.person(
        actor=actor, purpose=purpose, person_id=person_id, at=_now(request)
    )
    history = governance.consent_history(wiring.governance, person_id)
    relationships = governance.relationships_of(wiring.governance, person_id)
    errors = errors or {}
    return render(
        request,
        "person_consent.html",
        {
            "title": f"{person.name}: consent and relationships",
            "nav": "people",
            "person": person,
            "purposes": [
                {
                    "value": p.value,
                    "text": p.label.capitalize(),
                    "selected": p.value == values.get("consent-purpose"),
                }
                for p in Purpose
            ],
            "states": [
                {
                    "value": s.value,
                    "text": s.value.capitalize(),
                    "checked": s.value == values.get("state"),
                }
                for s in ConsentState
            ],
            "values": values,
            "kinds": [
                {"value": k.value, "text": k.value.replace("_", " ").capitalize()}
                for k in RelationshipKind
            ],
            "consent_rows": [
                [
                    {"text": london(c.recorded_at)},
                    {"text": c.purpose.label.capitalize()},
                    {"text": c.state.value.capitalize()},
                    {"text": "All partners" if c.scope == ALL_PARTNERS else c.scope},
                ]
                for c in reversed(history)
            ],
            "relationships": [
                {
                    "id": r.id,
                    "kind": r.kind.value.replace("_", " ").capitalize(),
                    "starts_on": r.starts_on.strftime("%-d %B %Y"),
                    "ends_on": r.ends_on.strftime("%-d %B %Y") if r.ends_on else None,
                    # Only those the viewer may end get a button (ADR 0019).
                    "may_end": r.ends_on is None
                    and governance.may_end_relationship(wiring.practitioners, r, actor=actor)
                    is None,
                }
                for r in relationships
            ],
            "errors": errors,
            "error_summary": _summary(errors),
        },
        status=status,
    )


@router.get("/people/{person_id}/consent")
def consent_page(request: Request, person_id: str, wiring: Wiring, viewer: SignedIn) -> Response:
    purpose = purpose_of(request)
    if purpose is None:
        return _choose_first(request)
    return _consent_page(request, wiring, viewer, person_id, purpose)


@router.post("/people/{person_id}/consent")
def record_consent(
    request: Request,
    person_id: str,
    wiring: Wiring,
    viewer: SignedIn,
    consent_purpose: Annotated[str, Form(alias="consent-purpose")] = "",
    state: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = ALL_PARTNERS,
    obtained_how: Annotated[str, Form(alias="obtained-how")] = "",
) -> Response:
    purpose = purpose_of(request)
    if purpose is None:
        return _choose_first(request)
    actor = Actor.of(viewer)
    # The person must be someone this practitioner may see: no recording consent by guessing.
    wiring.disclosure.person(actor=actor, purpose=purpose, person_id=person_id, at=_now(request))
    errors: dict[str, str] = {}
    try:
        chosen_purpose = Purpose(consent_purpose)
    except ValueError:
        errors["consent-purpose"] = "Select the purpose the consent is for"
    try:
        chosen_state = ConsentState(state)
    except ValueError:
        errors["state"] = "Select what the person said"
    if not errors:
        try:
            governance.record_consent(
                wiring.governance,
                wiring.audit,
                ConsentRecord(
                    person_id,
                    chosen_purpose,
                    scope.strip() or ALL_PARTNERS,
                    chosen_state,
                    _now(request),
                    obtained_how.strip() or None,
                    viewer.id,
                ),
                actor=actor,
            )
        except SharewellError as exc:
            errors[exc.field or "state"] = exc.message
    if errors:
        entered = {"consent-purpose": consent_purpose, "state": state, "obtained-how": obtained_how}
        return _consent_page(
            request, wiring, viewer, person_id, purpose, errors=errors, values=entered, status=400
        )
    session = session_of(request)
    assert session is not None
    session.flash("Consent recorded")
    return RedirectResponse(f"/people/{quote(person_id)}/consent", status_code=303)


@router.post("/people/{person_id}/relationships")
def start_relationship(
    request: Request,
    person_id: str,
    wiring: Wiring,
    viewer: SignedIn,
    kind: Annotated[str, Form()] = "",
) -> Response:
    purpose = purpose_of(request)
    if purpose is None:
        return _choose_first(request)
    actor = Actor.of(viewer)
    wiring.disclosure.person(actor=actor, purpose=purpose, person_id=person_id, at=_now(request))
    try:
        chosen = RelationshipKind(kind)
    except ValueError:
        return _consent_page(
            request,
            wiring,
            viewer,
            person_id,
            purpose,
            errors={"kind": "Select the kind of relationship"},
            status=400,
        )
    today = _now(request).astimezone(LONDON).date()
    governance.start_relationship(
        wiring.governance,
        wiring.audit,
        Relationship(person_id, chosen, today, practitioner_id=viewer.id),
        actor=actor,
        at=_now(request),
    )
    session = session_of(request)
    assert session is not None
    session.flash("Relationship started")
    return RedirectResponse(f"/people/{quote(person_id)}/consent", status_code=303)


@router.post("/people/{person_id}/relationships/{relationship_id}/end")
def end_relationship(
    request: Request, person_id: str, relationship_id: str, wiring: Wiring, viewer: SignedIn
) -> Response:
    purpose = purpose_of(request)
    if purpose is None:
        return _choose_first(request)
    actor = Actor.of(viewer)
    wiring.disclosure.person(actor=actor, purpose=purpose, person_id=person_id, at=_now(request))
    theirs = {r.id for r in governance.relationships_of(wiring.governance, person_id)}
    if relationship_id not in theirs:
        raise NotFound("There is no such relationship for this person", field="relationship")
    today = _now(request).astimezone(LONDON).date()
    try:
        governance.end_relationship(
            wiring.governance,
            wiring.practitioners,
            wiring.audit,
            relationship_id,
            on=today,
            actor=actor,
            at=_now(request),
        )
    except (ValidationError, PermissionDenied) as exc:
        return _consent_page(
            request,
            wiring,
            viewer,
            person_id,
            purpose,
            errors={"end": exc.message},
            status=403 if isinstance(exc, PermissionDenied) else 400,
        )
    session = session_of(request)
    assert session is not None
    session.flash("Relationship ended")
    return RedirectResponse(f"/people/{quote(person_id)}/consent", status_code=303)
