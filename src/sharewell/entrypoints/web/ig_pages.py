"""Pages for information governance leads only: agreements (list, plain English, sign,
terminate, upload a version), the override review queue, audit search with the log's
verification status and inclusion proofs, and the organisation's API tokens."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from sharewell.adapters.agreement_files import load_agreement
from sharewell.bootstrap import Container
from sharewell.domain.agreement_text import render as agreement_in_english
from sharewell.domain.agreements import AgreementInvalid
from sharewell.domain.api_tokens import Scope
from sharewell.domain.audit import AuditKind
from sharewell.domain.audit_outcomes import outcome_label
from sharewell.domain.errors import (
    ConfigurationError,
    PermissionDenied,
    SharewellError,
    ValidationError,
)
from sharewell.domain.organisations import Practitioner
from sharewell.domain.overrides import ReviewOutcome
from sharewell.domain.times import LONDON, london
from sharewell.domain.vocabulary import DataCategory, Role
from sharewell.entrypoints.api.deps import container, practitioner_of
from sharewell.entrypoints.web.sessions import session_of
from sharewell.entrypoints.web.templating import render
from sharewell.services import api_tokens
from sharewell.services import governance as gov
from sharewell.services.audit import prove_inclusion, verify_audit_log
from sharewell.services.audit_search import AuditQuery, search_audit

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]


def ig_lead(request: Request) -> Practitioner:
    """The signed-in practitioner, who must be an information governance lead."""
    practitioner = practitioner_of(request)
    if practitioner.role is not Role.IG_LEAD:
        raise PermissionDenied("Only an information governance lead can use this page")
    return practitioner


IgLead = Annotated[Practitioner, Depends(ig_lead)]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _flash(request: Request, message: str) -> None:
    session = session_of(request)
    if session is not None:
        session.flash(message)


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": message, "href": f"#{field}"} for field, message in errors.items()]


# --- Agreements ---------------------------------------------------------------------------------


def _agreements_page(
    request: Request,
    wiring: Container,
    problems: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> Response:
    summaries = gov.list_agreements(wiring.governance, at=_now(request))
    return render(
        request,
        "ig_agreements.html",
        {
            "title": "Agreements",
            "nav": "ig",
            "rows": [
                {
                    "id": s.stored.agreement.id,
                    "version": s.stored.agreement.version,
                    "title": s.stored.agreement.title,
                    "status": s.status.value.replace("_", " "),
                }
                for s in summaries
            ],
            "problems": problems or [],
            "error_summary": [
                {"text": p["text"], "href": "#agreement-file"} for p in (problems or [])
            ],
        },
        status=status,
    )


@router.get("/ig/agreements")
def agreements(request: Request, wiring: Wiring, _lead: IgLead) -> Response:
    return _agreements_page(request, wiring)


@router.post("/ig/agreements")
async def upload_agreement(request: Request, wiring: Wiring, lead: IgLead) -> Response:
    form = await request.form()
    upload = form.get("agreement_file")
    text = ""
    if isinstance(upload, UploadFile):
        text = (await upload.read()).decode("utf-8", errors="replace")
    await form.close()
    if not text.strip():
        problems = [{"text": "Choose a YAML agreement file to upload"}]
        return _agreements_page(request, wiring, problems, status=422)
    try:
        agreement = load_agreement(
            text, known_orgs={o.code for o in wiring.organisations.list()}, source="upload"
        )
        gov.import_agreement(
            wiring.governance, wiring.audit, agreement, actor=gov.Actor.of(lead), at=_now(request)
        )
    except AgreementInvalid as exc:
        problems = [
            {"text": (f"Line {p.line}: " if p.line else "") + f"{p.field}: {p.message}"}
            for p in exc.problems
        ]
        return _agreements_page(request, wiring, problems, status=422)
    except SharewellError as exc:
        problems = [{"text": f"{exc.field or 'agreement'}: {exc.message}"}]
        status = 403 if isinstance(exc, PermissionDenied) else 422
        return _agreements_page(request, wiring, problems, status=status)
    _flash(request, f"{agreement.ref} is stored as a draft.")
    return RedirectResponse(f"/ig/agreements/{agreement.id}/{agreement.version}", status_code=303)


def _agreement_page(
    request: Request,
    wiring: Container,
    lead: Practitioner,
    agreement_id: str,
    version: int,
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
) -> Response:
    """One version in plain English with the forms its reader may use; `errors` and `reason`
    show the termination form again as it was sent."""
    stored = gov.stored_version(wiring.governance, agreement_id, version)
    names = wiring.organisations.names()
    text = agreement_in_english(stored.agreement, names, at=_now(request))
    party = next((p for p in stored.agreement.parties if p.org == lead.org_code), None)
    errors = errors or {}
    return render(
        request,
        "ig_agreement.html",
        {
            "title": stored.agreement.title,
            "nav": "ig",
            "a": stored.agreement,
            "paragraphs": [p for p in text.split("\n\n") if p.strip()],
            "proposed": stored.proposed_at is not None,
            # Only parties may propose, sign or terminate (ADR 0019): others just read it.
            "is_party": party is not None,
            "can_sign": party is not None and party.signed_by is None,
            "signed": party is not None and party.signed_by is not None,
            "errors": errors,
            "error_summary": _summary(errors),
            "reason": reason,
        },
        status=422 if errors else 200,
    )


@router.get("/ig/agreements/{agreement_id}/{version}")
def agreement(
    request: Request, agreement_id: str, version: int, wiring: Wiring, lead: IgLead
) -> Response:
    return _agreement_page(request, wiring, lead, agreement_id, version)


@router.post("/ig/agreements/{agreement_id}/{version}/propose")
def propose(
    request: Request, agreement_id: str, version: int, wiring: Wiring, lead: IgLead
) -> Response:
    gov.propose(
        wiring.governance,
        wiring.audit,
        agreement_id,
        version=version,
        actor=gov.Actor.of(lead),
        at=_now(request),
    )
    _flash(request, "Sent to the partners for signature.")
    return RedirectResponse(f"/ig/agreements/{agreement_id}/{version}", status_code=303)


@router.post("/ig/agreements/{agreement_id}/{version}/sign")
async def sign(
    request: Request, agreement_id: str, version: int, wiring: Wiring, lead: IgLead
) -> Response:
    form = await request.form()
    gov.sign_agreement(
        wiring.governance,
        wiring.audit,
        agreement_id,
        org=lead.org_code,
        name=str(form.get("name", "")) or lead.name,
        role=str(form.get("role", "")) or "Information governance lead",
        version=version,
        actor=gov.Actor.of(lead),
        at=_now(request),
    )
    _flash(request, f"Signed for {lead.org_code}.")
    return RedirectResponse(f"/ig/agreements/{agreement_id}/{version}", status_code=303)


TERMINATE_ERRORS = {
    "reason": "Say why the agreement ends",
    "confirm": "Confirm that every version stops allowing sharing now",
}


@router.post("/ig/agreements/{agreement_id}/terminate")
async def terminate(request: Request, agreement_id: str, wiring: Wiring, lead: IgLead) -> Response:
    form = await request.form()
    reason = str(form.get("reason", "")).strip()
    shown = str(form.get("version", "1"))
    version = int(shown) if shown.isdigit() else 1
    # Terminating takes effect at once and for every version: it needs a reason and a tick
    # saying so, and without them the page comes back with what was typed.
    errors = {
        field: message
        for field, message in TERMINATE_ERRORS.items()
        if not (reason if field == "reason" else form.get("confirm") == "yes")
    }
    if not errors:
        try:
            gov.terminate_agreement(
                wiring.governance,
                wiring.audit,
                agreement_id,
                reason=reason,
                actor=gov.Actor.of(lead),
                at=_now(request),
            )
        except ValidationError as exc:
            errors = {exc.field if exc.field in TERMINATE_ERRORS else "reason": exc.message}
    if errors:
        return _agreement_page(
            request, wiring, lead, agreement_id, version, errors=errors, reason=reason
        )
    _flash(request, f"{agreement_id} is terminated: it no longer allows any sharing.")
    return RedirectResponse("/ig/agreements", status_code=303)


# --- Override review queue ----------------------------------------------------------------------


def holder_queue(wiring: Container, lead: Practitioner, at: datetime) -> list[Any]:
    """Overrides of this IG lead's organisation's information awaiting review."""
    return [
        (r, overdue)
        for r, overdue in gov.pending_override_reviews(wiring.governance, at=at)
        if any(d.get("holder") == lead.org_code for d in r.decisions)
    ]


def _category_label(code: str) -> str:
    try:
        return DataCategory(code).label
    except ValueError:
        return code.replace("_", " ")


def _overrides_page(
    request: Request,
    wiring: Container,
    lead: Practitioner,
    *,
    failed: str | None = None,
    notes: str = "",
) -> Response:
    """The queue; `failed` is the review whose form was sent without a conclusion, shown again
    with the error and the notes written."""
    error = "Choose justified or refer for investigation"
    names = wiring.organisations.names()
    rows = []
    for r, overdue in holder_queue(wiring, lead, _now(request)):
        who = wiring.practitioners.get(r.practitioner_id)
        rows.append(
            {
                "id": r.id,
                "person_id": r.person_id,
                "by": who.name if who is not None else r.practitioner_id,
                "role": who.role.label if who is not None else "Role not known",
                "org": names.get(r.org, r.org),
                # What was overridden of this lead's organisation's information only.
                "information": [
                    (
                        names.get(d.get("holder", ""), d.get("holder", "")),
                        _category_label(d.get("category", "")),
                    )
                    for d in r.decisions
                    if d.get("holder") == lead.org_code
                ],
                "purpose": r.purpose.label,
                "basis": r.override.basis.label,
                "justification": r.override.justification,
                "granted": london(r.granted_at),
                "ends": london(r.expires_at),
                "due": london(r.review_due_at),
                "overdue": overdue,
                "error": error if r.id == failed else None,
                "notes": notes if r.id == failed else "",
            }
        )
    summary = [{"text": error, "href": f"#outcome-{failed}"}] if failed else []
    return render(
        request,
        "ig_overrides.html",
        {"title": "Override reviews", "nav": "ig", "rows": rows, "error_summary": summary},
        status=422 if failed else 200,
    )


@router.get("/ig/overrides")
def overrides(request: Request, wiring: Wiring, lead: IgLead) -> Response:
    return _overrides_page(request, wiring, lead)


@router.post("/ig/overrides/{review_id}")
async def review(request: Request, review_id: str, wiring: Wiring, lead: IgLead) -> Response:
    form = await request.form()
    if review_id not in {r.id for r, _ in holder_queue(wiring, lead, _now(request))}:
        raise PermissionDenied("That override is not in your review queue")
    outcome = str(form.get("outcome", ""))
    notes = str(form.get("notes", ""))
    if outcome not in ReviewOutcome.__members__.values():
        return _overrides_page(request, wiring, lead, failed=review_id, notes=notes)
    gov.review_override(
        wiring.governance,
        wiring.audit,
        review_id,
        outcome=ReviewOutcome(outcome),
        notes=notes or "No notes",
        actor=gov.Actor.of(lead),
        at=_now(request),
    )
    _flash(request, "Review recorded.")
    return RedirectResponse("/ig/overrides", status_code=303)


# --- Audit search -------------------------------------------------------------------------------


def _day(text: str) -> datetime | None:
    """The start of a day (YYYY-MM-DD) in London; ValueError if it is not a real date."""
    return datetime.combine(date.fromisoformat(text), time(), tzinfo=LONDON) if text else None


DATE_ERRORS = {
    "since": "Enter a real date for 'From', like 2026-03-01",
    "until": "Enter a real date for 'To', like 2026-03-31",
}


@router.get("/ig/audit")
def audit(
    request: Request,
    wiring: Wiring,
    _lead: IgLead,
    person: str = "",
    practitioner: str = "",
    kind: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    try:
        key = wiring.audit.signer.public_key
        from sharewell.verify import tree_head_is_signed

        report = verify_audit_log(wiring.audit_reader, lambda h: tree_head_is_signed(h, key))
        verification = {"intact": report.intact, "summary": report.summary()}
    except ConfigurationError as exc:
        verification = {"intact": False, "summary": exc.message}
    days: dict[str, datetime | None] = {}
    errors: dict[str, str] = {}
    for name, text in (("since", since.strip()), ("until", until.strip())):
        try:
            days[name] = _day(text)
        except ValueError:
            errors[name] = DATE_ERRORS[name]
    end = days.get("until")
    query = AuditQuery(
        subject_id=person.strip() or None,
        actor_id=practitioner.strip() or None,
        kind=kind if kind in AuditKind.__members__.values() else None,
        since=days.get("since"),
        until=end + timedelta(days=1) if end else None,
    )
    # A date that is not a date is said so, not quietly dropped (which would widen the search).
    searched = any([person, practitioner, kind, since, until]) and not errors
    hits, more = search_audit(wiring.audit_reader, query) if searched else ([], False)
    return render(
        request,
        "ig_audit.html",
        {
            "title": "Audit log",
            "nav": "ig",
            "verification": verification,
            "kinds": list(AuditKind),
            "q": {
                "person": person,
                "practitioner": practitioner,
                "kind": kind,
                "since": since,
                "until": until,
            },
            "searched": searched,
            "hits": [
                {
                    "index": h.index,
                    "at": london(h.at),
                    "kind": h.entry.get("kind"),
                    "actor": h.entry.get("actor_id") or "",
                    "subject": h.entry.get("subject_id") or "",
                    "outcome": outcome_label(str(h.entry.get("outcome") or "")),
                }
                for h in hits
            ],
            "more": more,
            "errors": errors,
            "error_summary": [{"text": m, "href": f"#{f}"} for f, m in errors.items()],
        },
        status=400 if errors else 200,
    )


@router.get("/ig/audit/{index}/proof")
def proof(index: int, wiring: Wiring, _lead: IgLead) -> JSONResponse:
    document = prove_inclusion(wiring.audit_reader, index)
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="audit-entry-{index}-proof.json"'},
    )


# --- API tokens ---------------------------------------------------------------------------------


TOKEN_FIELDS = {"name": "token-name", "scopes": f"scope-{next(iter(Scope)).value}"}


def _tokens_page(
    request: Request,
    wiring: Container,
    lead: Practitioner,
    new: str | None,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """The organisation's tokens and the form to create one; `errors` and `values` show the
    form again as it was sent."""
    tokens = api_tokens.list_tokens(wiring.api_tokens, actor=gov.Actor.of(lead))
    errors = errors or {}
    return render(
        request,
        "ig_tokens.html",
        {
            "title": "API tokens",
            "nav": "ig",
            "new_token": new,
            "scopes": list(Scope),
            "tokens": [
                {
                    "id": t.id,
                    "name": t.name,
                    "scopes": ", ".join(sorted(t.scopes)),
                    "created": london(t.created_at),
                    "last_used": london(t.last_used_at) if t.last_used_at else "Never",
                    "active": t.active,
                }
                for t in tokens
            ],
            "errors": errors,
            "error_summary": [
                {"text": m, "href": f"#{TOKEN_FIELDS.get(f, 'token-name')}"}
                for f, m in errors.items()
            ],
            "values": values or {"name": "", "scopes": []},
        },
        status=422 if errors else 200,
    )


@router.get("/ig/api-tokens")
def tokens(request: Request, wiring: Wiring, lead: IgLead) -> Response:
    return _tokens_page(request, wiring, lead, None)


@router.post("/ig/api-tokens")
async def create_token(request: Request, wiring: Wiring, lead: IgLead) -> Response:
    form = await request.form()
    scopes = [Scope(str(s)) for s in form.getlist("scopes") if s in Scope.__members__.values()]
    name = str(form.get("name", "")).strip()
    values: dict[str, Any] = {"name": name, "scopes": [s.value for s in scopes]}
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name"
    if not scopes:
        errors["scopes"] = "Choose at least one scope"
    if errors:
        return _tokens_page(request, wiring, lead, None, errors=errors, values=values)
    try:
        _token, secret = api_tokens.create_token(
            wiring.api_tokens,
            wiring.audit,
            actor=gov.Actor.of(lead),
            name=name,
            scopes=scopes,
            at=_now(request),
        )
    except ValidationError as exc:
        errors = {exc.field if exc.field in TOKEN_FIELDS else "name": exc.message}
        return _tokens_page(request, wiring, lead, None, errors=errors, values=values)
    # Shown in this response only: never stored, never in a redirect or the session.
    return _tokens_page(request, wiring, lead, secret)


@router.post("/ig/api-tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, wiring: Wiring, lead: IgLead) -> Response:
    api_tokens.revoke_token(
        wiring.api_tokens, wiring.audit, token_id, actor=gov.Actor.of(lead), at=_now(request)
    )
    _flash(request, "The token is revoked.")
    return RedirectResponse("/ig/api-tokens", status_code=303)
