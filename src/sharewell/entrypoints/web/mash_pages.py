"""Pages for MASH referrals: refer, the hub's queue, triage, research requests, partners'
contributions, the joint view, the decision with its record, and the referrer's outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from sharewell.bootstrap import Container
from sharewell.domain.errors import SharewellError
from sharewell.domain.mash import Outcome, Rag, Referral, SubjectKind
from sharewell.domain.organisations import Practitioner
from sharewell.domain.times import london
from sharewell.domain.vocabulary import LEGAL_BASES
from sharewell.entrypoints.api.deps import container, current_practitioner
from sharewell.entrypoints.web.sessions import session_of
from sharewell.entrypoints.web.templating import render
from sharewell.services import governance as gov
from sharewell.services import mash

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]
SignedIn = Annotated[Practitioner, Depends(current_practitioner)]

DECISION_FIELDS = (
    "outcome",
    "note",
    "consent_sought",
    "consent_detail",
    "safety_considered",
    "necessary_and_proportionate",
    "advice_sought",
)


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _names(wiring: Container) -> dict[str, str]:
    return wiring.organisations.names()


def _flash(request: Request, text: str) -> None:
    session = session_of(request)
    if session is not None:
        session.flash(text)


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": m, "href": f"#{f}"} for f, m in errors.items()]


def _line(r: Referral, names: dict[str, str], at: datetime) -> dict[str, Any]:
    return {
        "id": r.id,
        "person_id": r.person_id,
        "subject": r.subject.value,
        "from": names.get(r.referrer_org, r.referrer_org),
        "received": london(r.received_at),
        "rag": r.rag.label if r.rag else "Not rated",
        "rag_value": r.rag.value if r.rag else "",
        "due": london(r.due_at) if r.due_at else "",
        "status": r.status.value.capitalize(),
        "outcome": r.outcome.label if r.outcome else "",
        "overdue": r.overdue(at),
    }


@router.get("/mash")
def home(request: Request, wiring: Wiring, practitioner: SignedIn) -> Response:
    actor = gov.Actor.of(practitioner)
    names = _names(wiring)
    at = _now(request)
    hub = practitioner.org_code == wiring.settings.mash_hub_org
    return render(
        request,
        "mash_home.html",
        {
            "title": "Multi-agency safeguarding hub",
            "nav": "mash",
            "hub": hub,
            "queue": [_line(r, names, at) for r in mash.hub_queue(wiring.mash, actor=actor)]
            if hub
            else [],
            "mine": [_line(r, names, at) for r in mash.my_referrals(wiring.mash, actor=actor)],
            "research": [
                {
                    "id": q.id,
                    "person_id": q.person_id,
                    "due": london(q.due_at),
                    "answered": q.answered,
                    "late": q.late(at),
                }
                for q in mash.research_inbox(wiring.mash, actor=actor)
            ],
        },
    )


# --- Refer --------------------------------------------------------------------------------------


def _refer_form(
    request: Request, values: dict[str, str], errors: dict[str, str] | None = None
) -> Response:
    errors = errors or {}
    return render(
        request,
        "mash_referral_new.html",
        {
            "title": "Refer to the safeguarding hub",
            "nav": "mash",
            "values": values,
            "errors": errors,
            "error_summary": _summary(errors),
        },
        status=422 if errors else 200,
    )


@router.get("/mash/referrals/new")
def new_referral(request: Request, practitioner: SignedIn, person: str = "") -> Response:
    del practitioner
    return _refer_form(request, {"person": person, "subject": "", "concern": ""})


@router.post("/mash/referrals")
async def create_referral(request: Request, wiring: Wiring, practitioner: SignedIn) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in ("person", "subject", "concern")}
    errors: dict[str, str] = {}
    if not values["person"]:
        errors["person"] = "Enter the person's Sharewell id"
    if values["subject"] not in SubjectKind.__members__.values():
        errors["subject"] = "Say whether the referral is about a child or an adult"
    if errors:
        return _refer_form(request, values, errors)
    try:
        made = mash.refer(
            wiring.mash,
            wiring.audit,
            actor=gov.Actor.of(practitioner),
            person_id=values["person"],
            subject=SubjectKind(values["subject"]),
            concern=values["concern"],
            hub_org=wiring.settings.mash_hub_org,
            at=_now(request),
        )
    except SharewellError as exc:
        field = exc.field if exc.field in values else "concern"
        return _refer_form(request, values, {field: exc.message})
    _flash(request, "Your referral was sent to the hub. You will see its outcome here.")
    return RedirectResponse(f"/mash/referrals/{made.id}", status_code=303)


# --- One referral -------------------------------------------------------------------------------


def _referral_page(
    request: Request,
    wiring: Container,
    practitioner: Practitioner,
    referral_id: str,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    actor = gov.Actor.of(practitioner)
    names = _names(wiring)
    at = _now(request)
    errors = errors or {}
    context: dict[str, Any] = {
        "title": "MASH referral",
        "nav": "mash",
        "errors": errors,
        "error_summary": _summary(errors),
        "values": values or {},
        "rags": list(Rag),
        "legal_bases": [(b.code, b.citation) for b in LEGAL_BASES.values()],
        "names": names,
    }
    if practitioner.org_code == wiring.settings.mash_hub_org:
        view = mash.joint_view(wiring.mash, wiring.audit, referral_id, actor=actor, at=at)
        referral = view.referral
        context.update(
            hub=True,
            research=[
                {
                    "org": names.get(q.org, q.org),
                    "answered": q.answered,
                    "text": q.contribution,
                    "at": london(q.contributed_at) if q.contributed_at else "",
                    "late": q.late(at),
                }
                for q in view.research
            ],
            partners=[
                (o.code, o.name)
                for o in wiring.organisations.list()
                if o.code != referral.hub_org and o.code not in {q.org for q in view.research}
            ],
            outcomes=[o for o in Outcome if o.fits(referral.subject)],
        )
    else:
        referral = mash.referral_for_referrer(wiring.mash, referral_id, actor=actor)
        context.update(hub=False)
    context.update(r=referral, line=_line(referral, names, at))
    return render(request, "mash_referral.html", context, status=422 if errors else 200)


@router.get("/mash/referrals/{referral_id}")
def referral_page(
    request: Request, referral_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    return _referral_page(request, wiring, practitioner, referral_id)


@router.post("/mash/referrals/{referral_id}/triage")
async def triage(
    request: Request, referral_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    form = await request.form()
    rag = str(form.get("rag", ""))
    if rag not in Rag.__members__.values():
        return _referral_page(
            request, wiring, practitioner, referral_id, {"rag": "Choose red, amber or green"}
        )
    try:
        rated = mash.triage(
            wiring.mash,
            wiring.audit,
            referral_id,
            rag=Rag(rag),
            times=wiring.rag_times,
            actor=gov.Actor.of(practitioner),
            at=_now(request),
        )
    except SharewellError as exc:
        return _referral_page(request, wiring, practitioner, referral_id, {"rag": exc.message})
    _flash(
        request,
        f"Rated {rag}. Respond by {london(rated.due_at or rated.received_at)}.",
    )
    return RedirectResponse(f"/mash/referrals/{referral_id}", status_code=303)


@router.post("/mash/referrals/{referral_id}/research")
async def ask_research(
    request: Request, referral_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    form = await request.form()
    orgs = [str(o) for o in form.getlist("orgs")]
    try:
        made = mash.ask_research(
            wiring.mash,
            wiring.audit,
            referral_id,
            orgs=orgs,
            actor=gov.Actor.of(practitioner),
            at=_now(request),
        )
    except SharewellError as exc:
        return _referral_page(
            request, wiring, practitioner, referral_id, {"orgs": exc.message}, {"orgs": orgs}
        )
    _flash(request, f"{len(made)} partner agencies were asked to research and contribute.")
    return RedirectResponse(f"/mash/referrals/{referral_id}", status_code=303)


@router.post("/mash/referrals/{referral_id}/decision")
async def decide(
    request: Request, referral_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in DECISION_FIELDS}
    values["legal_basis"] = [str(b) for b in form.getlist("legal_basis")]
    errors: dict[str, str] = {}
    if values["outcome"] not in Outcome.__members__.values():
        errors["outcome"] = "Choose the decision"
    if values["consent_sought"] not in {"yes", "no"}:
        errors["consent_sought"] = "Say whether consent was sought"
    if errors:
        return _referral_page(request, wiring, practitioner, referral_id, errors, values)
    try:
        mash.decide(
            wiring.mash,
            wiring.governance,
            wiring.audit,
            referral_id,
            outcome=Outcome(values["outcome"]),
            note=values["note"],
            legal_basis=tuple(values["legal_basis"]),
            consent_sought=values["consent_sought"] == "yes",
            consent_detail=values["consent_detail"],
            safety_considered=values["safety_considered"],
            necessary_and_proportionate=values["necessary_and_proportionate"],
            advice_sought=values["advice_sought"],
            actor=gov.Actor.of(practitioner),
            at=_now(request),
        )
    except SharewellError as exc:
        field = exc.field if exc.field in values else "outcome"
        return _referral_page(
            request, wiring, practitioner, referral_id, {field: exc.message}, values
        )
    _flash(request, "The decision is recorded and the referrer can see the outcome.")
    return RedirectResponse(f"/mash/referrals/{referral_id}", status_code=303)


# --- Research requests to a partner -------------------------------------------------------------


def _research_page(
    request: Request,
    wiring: Container,
    practitioner: Practitioner,
    research_id: str,
    errors: dict[str, str] | None = None,
    text: str = "",
) -> Response:
    found, referral = mash.research_request(
        wiring.mash, research_id, actor=gov.Actor.of(practitioner)
    )
    errors = errors or {}
    return render(
        request,
        "mash_research.html",
        {
            "title": "Research request from the safeguarding hub",
            "nav": "mash",
            "q": found,
            "r": referral,
            "due": london(found.due_at),
            "contributed_at": london(found.contributed_at) if found.contributed_at else "",
            "errors": errors,
            "error_summary": _summary(errors),
            "text": text,
        },
        status=422 if errors else 200,
    )


@router.get("/mash/research/{research_id}")
def research_page(
    request: Request, research_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    return _research_page(request, wiring, practitioner, research_id)


@router.post("/mash/research/{research_id}")
async def contribute(
    request: Request, research_id: str, wiring: Wiring, practitioner: SignedIn
) -> Response:
    form = await request.form()
    text = str(form.get("contribution", ""))
    try:
        mash.contribute(
            wiring.mash,
            wiring.audit,
            research_id,
            text=text,
            actor=gov.Actor.of(practitioner),
            at=_now(request),
        )
    except SharewellError as exc:
        return _research_page(
            request, wiring, practitioner, research_id, {"contribution": exc.message}, text
        )
    _flash(request, "Your agency's contribution was sent to the hub.")
    return RedirectResponse("/mash", status_code=303)
