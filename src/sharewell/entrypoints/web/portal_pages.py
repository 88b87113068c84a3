"""The citizen portal's pages (/my/...) and JSON API (/api/v1/my/...), and the IG lead's queue of
citizens' requests. Sessions and sign-in gate: portal_security.py; use cases: services/portal.py.
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from sharewell.domain.citizens import (
    CitizenAccount,
    CitizenActor,
    RequestKind,
    VerificationLevel,
    VerificationMethod,
)
from sharewell.domain.errors import NotAuthenticated, NotFound, PermissionDenied, SharewellError
from sharewell.domain.organisations import Practitioner
from sharewell.domain.times import london
from sharewell.domain.vocabulary import Purpose, Role
from sharewell.entrypoints.api.deps import practitioner_of
from sharewell.entrypoints.api.errors import ERROR_RESPONSES
from sharewell.entrypoints.web.portal_security import start_citizen_session
from sharewell.entrypoints.web.sessions import session_of
from sharewell.entrypoints.web.templating import render
from sharewell.services.governance import Actor
from sharewell.services.portal import AccessView, Portal

router = APIRouter(include_in_schema=False)
# A citizen's session only (the citizen gate answers API tokens and practitioners with 401).
api = APIRouter(prefix="/api/v1/my", tags=["citizen portal"], responses=ERROR_RESPONSES)


def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.container.portal
    return portal


def _account(request: Request) -> CitizenAccount:
    account: CitizenAccount | None = getattr(request.state, "citizen_account", None)
    if account is None:
        raise NotAuthenticated("Sign in to your account first")
    return account


def signed_in(request: Request) -> tuple[CitizenActor, str]:
    """The citizen and the person they are looking at (themself, until proxies come)."""
    account = _account(request)
    if account.person_id is None:
        raise PermissionDenied("Prove who you are first", field="account")
    return _portal(request).citizen(account.id), account.person_id


Me = Annotated[tuple[CitizenActor, str], Depends(signed_in)]


def _page(
    request: Request, name: str, context: dict[str, Any] | None = None, **kw: Any
) -> Response:
    full: dict[str, Any] = {
        "citizen_account": getattr(request.state, "citizen_account", None),
        "errors": {},
    }
    full.update(context or {})
    return render(request, name, full, **kw)


def _problem(
    request: Request, name: str, error: SharewellError, context: dict[str, Any]
) -> Response:
    field = error.field or "form"
    return _page(
        request,
        name,
        {
            **context,
            "errors": {field: error.message},
            "error_summary": [{"text": error.message, "href": f"#{field}"}],
        },
        status=error.http_status if error.http_status in (400, 403, 404, 422) else 400,
    )


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _oidc_name(request: Request) -> str | None:
    settings = request.app.state.container.settings
    return "your account provider" if settings.portal_oidc_issuer else None


# --- Sign-in -----------------------------------------------------------------------------------


@router.get("/my")
def home(request: Request) -> Response:
    account = _account(request)
    verifications = _portal(request).store.verifications(account.id)
    return _page(
        request, "my/home.html", {"verification": verifications[-1] if verifications else None}
    )


@router.get("/my/sign-in")
def sign_in_page(request: Request) -> Response:
    return _page(request, "my/sign_in.html", {"oidc": _oidc_name(request), "email": ""})


@router.post("/my/sign-in")
async def send_code(request: Request) -> Response:
    form = await _form(request)
    email = form.get("email", "")
    try:
        reference = _portal(request).send_code(email)
    except SharewellError as error:
        return _problem(
            request, "my/sign_in.html", error, {"oidc": _oidc_name(request), "email": email}
        )
    session = session_of(request)
    assert session is not None
    # The code's random reference, not the address: the cookie is signed, not encrypted, so
    # anything in it can be read by whoever holds the browser or a copy of the cookie.
    session.data.pop("login_email", None)
    session.data["login_code"] = reference
    session.changed = True
    return RedirectResponse("/my/sign-in/code", status_code=303)


@router.get("/my/sign-in/code")
def code_page(request: Request) -> Response:
    minutes = _portal(request).policy.code_minutes
    return _page(request, "my/code.html", {"minutes": minutes})


@router.post("/my/sign-in/code")
async def check_code(request: Request) -> Response:
    form = await _form(request)
    session = session_of(request)
    assert session is not None
    reference = session.data.get("login_code")
    portal = _portal(request)
    try:
        if not isinstance(reference, str):
            raise NotFound("Ask for a code first", field="code")
        account = portal.sign_in_with_code(reference, form.get("code", ""))
    except SharewellError as error:
        return _problem(request, "my/code.html", error, {"minutes": portal.policy.code_minutes})
    start_citizen_session(session, account.id)
    return RedirectResponse("/my" if account.person_id else "/my/verify", status_code=303)


@router.get("/my/demo-outbox")
def demo_outbox(request: Request) -> Response:
    portal = _portal(request)
    if not portal.policy.demo_mode:
        raise NotFound("Page not found")
    messages = [(to, london(at), body) for to, body, at in portal.store.outbox()]
    return _page(request, "my/outbox.html", {"messages": [(t, b, s) for t, s, b in messages]})


@router.post("/my/sign-out")
def sign_out(request: Request) -> Response:
    session = session_of(request)
    if session is not None:
        session.clear()
    return RedirectResponse("/my/sign-in", status_code=303)


@router.get("/my/oidc/start")
def oidc_start(request: Request) -> Response:
    from sharewell.adapters.oidc import OidcClient

    settings = request.app.state.container.settings
    client = OidcClient.from_settings(settings)
    session = session_of(request)
    assert session is not None
    url, state = client.authorization_url()
    session.data["oidc"] = state
    session.changed = True
    return RedirectResponse(url, status_code=303)


@router.get("/my/oidc/callback")
def oidc_callback(request: Request, code: str = "", state: str = "") -> Response:
    from sharewell.adapters.oidc import OidcClient

    settings = request.app.state.container.settings
    session = session_of(request)
    assert session is not None
    saved = session.data.pop("oidc", None)
    session.changed = True
    if (
        not isinstance(saved, dict)
        or not code
        or not secrets.compare_digest(str(saved.get("state", "")), state)
    ):
        raise PermissionDenied("The sign-in did not come back as it should: start again")
    claims = OidcClient.from_settings(settings).finish(code, saved)
    account = _portal(request).sign_in_with_oidc(str(claims["iss"]), str(claims["sub"]))
    start_citizen_session(session, account.id)
    return RedirectResponse("/my" if account.person_id else "/my/verify", status_code=303)


# --- Identity verification ---------------------------------------------------------------------


def _dob(form: dict[str, str]) -> date | None:
    try:
        return date(
            int(form.get("dob-year", "")),
            int(form.get("dob-month", "")),
            int(form.get("dob-day", "")),
        )
    except ValueError:
        return None


@router.get("/my/verify")
def verify_page(request: Request) -> Response:
    return _page(request, "my/verify.html", {"form": {}})


@router.post("/my/verify")
async def verify(request: Request) -> Response:
    form = await _form(request)
    account = _account(request)
    oidc = account.login.startswith("oidc:")
    settings = request.app.state.container.settings
    shown = {
        "name": form.get("name", ""),
        "day": form.get("dob-day", ""),
        "month": form.get("dob-month", ""),
        "year": form.get("dob-year", ""),
        "postcode": form.get("postcode", ""),
        "nhs_number": form.get("nhs_number", ""),
    }
    try:
        _portal(request).verify_identity(
            account,
            name=form.get("name", ""),
            date_of_birth=_dob(form),
            postcode=form.get("postcode", ""),
            nhs_number=form.get("nhs_number", ""),
            method=(
                VerificationMethod.OIDC_DIRECTORY_MATCH
                if oidc
                else VerificationMethod.DEMO_DIRECTORY_MATCH
            ),
            level=VerificationLevel(settings.portal_oidc_level) if oidc else VerificationLevel.LOW,
        )
    except SharewellError as error:
        return _problem(request, "my/verify.html", error, {"form": shown})
    return RedirectResponse("/my", status_code=303)


# --- What is held, who has looked --------------------------------------------------------------


@router.get("/my/held")
def held(request: Request, me: Me) -> Response:
    portal = _portal(request)
    return _page(
        request,
        "my/held.html",
        {"holders": portal.holdings(*me), "contact": portal.policy.contact},
    )


_OUTCOMES = {
    "permit": "A decision to let them see some of it",
    "deny": "A decision not to let them see it",
    "disclosed": "They were shown information",
    "identity_only": "They were shown only your name and date of birth",
    "identity": "They were shown only your name and date of birth",
    "not_found": "Nothing was shown",
}


def _entry(view: AccessView) -> dict[str, Any]:
    try:
        at_text = london(datetime.fromisoformat(view.at.replace("Z", "+00:00")))
    except ValueError:
        at_text = view.at
    return {
        "index": view.index,
        "at_text": at_text,
        "organisation": view.organisation,
        "role": view.role,
        "purpose": view.purpose,
        "what": _OUTCOMES.get(view.outcome, view.outcome.replace("_", " ").capitalize()),
        "legal_basis": view.legal_basis,
        "reasons": view.reasons,
        "override": view.override,
        "proof": view.proof,
    }


@router.get("/my/looked")
def looked(request: Request, me: Me, page: int = 1) -> Response:
    portal = _portal(request)
    found = portal.accesses(*me, page=page)
    names = {o.code: o.name for o in portal.organisations()}

    def purpose_label(code: str) -> str:
        try:
            return Purpose(code).label
        except ValueError:
            return code

    return _page(
        request,
        "my/looked.html",
        {
            "page": _PageView(found, [_entry(e) for e in found.entries]),
            "purpose_label": purpose_label,
            "org_name": lambda code: names.get(code, code),
        },
    )


class _PageView:
    """The page of entries with each entry in plain words, for the template."""

    def __init__(self, page: Any, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.total = page.total
        self.page = page.page
        self.pages = page.pages
        self.withholding = page.withholding


@router.get("/my/looked/{index}/proof.json")
def proof(request: Request, me: Me, index: int) -> Response:
    document = _portal(request).proof(*me, index)
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="proof-{index}.json"'},
    )


@router.get("/my/audit-public-key")
def public_key(request: Request) -> Response:
    """The partnership's audit public key (PEM), for checking proofs."""
    pem = _public_pem(request)
    return PlainTextResponse(pem, media_type="application/x-pem-file")


def _public_pem(request: Request) -> str:
    pem: bytes = request.app.state.container.audit.signer.public_key_pem()
    return pem.decode()


# --- My choices --------------------------------------------------------------------------------


@router.get("/my/choices")
def choices(request: Request, me: Me) -> Response:
    found, opted_out = _portal(request).choices(*me)
    return _page(request, "my/choices.html", {"choices": found, "opted_out": opted_out})


@router.post("/my/choices/consent")
async def change_consent(request: Request, me: Me) -> Response:
    form = await _form(request)
    try:
        purpose = Purpose(form.get("purpose", ""))
    except ValueError as exc:
        raise NotFound("Choose a purpose from the list", field="purpose") from exc
    give = form.get("choice") == "give"
    _portal(request).set_consent(*me, purpose, give=give)
    session = session_of(request)
    if session is not None:
        verb = "given" if give else "withdrawn"
        session.flash(f"You have {verb} consent for {purpose.label}. This counts from now.")
    return RedirectResponse("/my/choices", status_code=303)


@router.post("/my/choices/opt-out")
async def change_opt_out(request: Request, me: Me) -> Response:
    form = await _form(request)
    opted_out = form.get("opted_out") == "true"
    _portal(request).set_opt_out(*me, opted_out=opted_out)
    session = session_of(request)
    if session is not None:
        session.flash(
            "Your national data opt-out is set."
            if opted_out
            else "Your national data opt-out is cleared."
        )
    return RedirectResponse("/my/choices", status_code=303)


# --- My requests -------------------------------------------------------------------------------


def _requests_context(request: Request, me: tuple[CitizenActor, str]) -> dict[str, Any]:
    portal = _portal(request)
    names = {o.code: o.name for o in portal.organisations()}
    holders = sorted({h.org_code for h in portal.holdings(*me)})
    return {
        "requests": [
            {
                "received": london(r.received_at),
                "org": names.get(r.org_code, r.org_code),
                "kind": r.kind.label,
                "due": f"{r.due_on:%-d %B %Y}",
                "status": "Answered" if r.status.value == "answered" else "Waiting for an answer",
            }
            for r in portal.requests(*me)
        ],
        "orgs": [{"value": code, "text": names.get(code, code)} for code in holders],
        "kinds": [{"value": k.value, "text": k.label} for k in RequestKind],
        "form": {},
    }


@router.get("/my/requests")
def requests_page(request: Request, me: Me) -> Response:
    return _page(request, "my/requests.html", _requests_context(request, me))


@router.post("/my/requests")
async def make_request(request: Request, me: Me) -> Response:
    form = await _form(request)
    try:
        try:
            kind = RequestKind(form.get("kind", ""))
        except ValueError as exc:
            raise NotFound("Choose what you are asking for", field="kind") from exc
        made = _portal(request).submit_request(
            *me, org_code=form.get("org_code", ""), kind=kind, details=form.get("details", "")
        )
    except SharewellError as error:
        context = _requests_context(request, me)
        context["form"] = {"details": form.get("details", "")}
        return _problem(request, "my/requests.html", error, context)
    session = session_of(request)
    if session is not None:
        session.flash(f"Your request was sent. The answer is due by {made.due_on:%-d %B %Y}.")
    return RedirectResponse("/my/requests", status_code=303)


def _copy(request: Request, me: tuple[CitizenActor, str]) -> dict[str, Any]:
    portal = _portal(request)
    names = {o.code: o.name for o in portal.organisations()}
    identities, facts, held_back = portal.copy(*me)
    return {
        "person_id": me[1],
        "identities": [
            {
                "organisation": names.get(r.org_code, r.org_code),
                "name": f"{r.given_name} {r.family_name}",
                "date_of_birth": r.date_of_birth.isoformat() if r.date_of_birth else None,
                "sex": r.sex,
                "nhs_number": r.nhs_number,
                "postcode": r.postcode,
            }
            for r in identities
        ],
        "facts": [
            {
                "organisation": names.get(f.org_code, f.org_code),
                "category": f.category.label,
                "occurred_at": f.occurred_at.isoformat() if f.occurred_at else None,
                "fields": dict(f.fields),
            }
            for f in facts
        ],
        "held_back": [
            {
                "organisation": names.get(h.org_code, h.org_code),
                "category": h.category.label,
                "count": h.count,
            }
            for h in held_back
        ],
    }


@router.get("/my/copy")
def copy_page(request: Request, me: Me) -> Response:
    made = london(request.app.state.clock())
    return _page(request, "my/copy.html", {"copy": _copy(request, me), "made": made})


@router.get("/my/copy.json")
def copy_json(request: Request, me: Me) -> Response:
    document = {"format": "sharewell-subject-access/v1", **_copy(request, me)}
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-information.json"'},
    )


# --- Our commitments (public) ------------------------------------------------------------------


@router.get("/my/commitments")
def commitments(request: Request) -> Response:
    settings = request.app.state.container.settings
    found = _portal(request).commitments(settings.partnership_name)
    return _page(request, "my/commitments.html", {"c": found})


# --- The IG lead's queue -----------------------------------------------------------------------


def _ig_lead(request: Request) -> Practitioner:
    practitioner = practitioner_of(request)
    if practitioner.role is not Role.IG_LEAD:
        raise PermissionDenied("Only an information governance lead can use this page")
    return practitioner


IgLead = Annotated[Practitioner, Depends(_ig_lead)]


@router.get("/ig/citizen-requests")
def ig_queue(request: Request, lead: IgLead) -> Response:
    portal = _portal(request)
    now = request.app.state.clock()
    rows = [
        {
            "id": r.id,
            "received": london(r.received_at),
            "person_id": r.person_id,
            "kind": r.kind.label,
            "details": r.details,
            "due": f"{r.due_on:%-d %B %Y}",
            "overdue": r.overdue(now),
            "open": r.status.value == "open",
        }
        for r in portal.queue(actor=Actor.of(lead))
    ]
    return render(request, "ig_citizen_requests.html", {"requests": rows})


@router.post("/ig/citizen-requests/{request_id}/answered")
def ig_answered(request: Request, lead: IgLead, request_id: str) -> Response:
    _portal(request).answer(request_id, actor=Actor.of(lead))
    session = session_of(request)
    if session is not None:
        session.flash("The request is marked as answered.", success=True)
    return RedirectResponse("/ig/citizen-requests", status_code=303)


# --- The JSON API ------------------------------------------------------------------------------


@api.get("/holdings")
def api_holdings(request: Request, me: Me) -> dict[str, Any]:
    """Which organisations hold what about me (counts), the agreements, the contacts."""
    return {
        "holders": [
            {
                "org": h.org_code,
                "name": h.name,
                "contact": h.contact,
                "categories": [{"category": c, "count": n} for c, n in h.categories],
                "agreements": list(h.explanations),
            }
            for h in _portal(request).holdings(*me)
        ]
    }


@api.get("/accesses")
def api_accesses(request: Request, me: Me, page: int = 1) -> dict[str, Any]:
    """Who has looked: one page of entries shown now, each with its inclusion proof."""
    found = _portal(request).accesses(*me, page=page)
    return {
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "withholding": [
            {"purpose": r.purpose, "org": r.org, "days": r.days, "why": r.why}
            for r in found.withholding
        ],
        "entries": [
            {
                "index": e.index,
                "at": e.at,
                "organisation": e.organisation,
                "role": e.role,
                "purpose": e.purpose,
                "outcome": e.outcome,
                "legal_basis": e.legal_basis,
                "reasons": list(e.reasons),
                "override": e.override,
                "proof": e.proof,
            }
            for e in found.entries
        ],
    }


@api.get("/accesses/{index}/proof")
def api_proof(request: Request, me: Me, index: int) -> dict[str, Any]:
    """The inclusion proof of one entry shown to me."""
    return _portal(request).proof(*me, index)


def install(app: FastAPI) -> None:
    """Register the portal's routes; the portal runs on the application's clock."""
    app.state.container.portal.clock = app.state.clock
    app.include_router(router)
    app.include_router(api)
