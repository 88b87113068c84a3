"""The server-rendered pages: start, sign in/out, organisations, health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import RedirectResponse, Response

from sharewell import __version__
from sharewell.adapters.db.engine import check_reachable
from sharewell.bootstrap import Container
from sharewell.domain.errors import SharewellError
from sharewell.domain.organisations import Practitioner
from sharewell.entrypoints.api.deps import container, current_practitioner
from sharewell.entrypoints.web.sessions import session_of
from sharewell.entrypoints.web.templating import render

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]
SignedIn = Annotated[Practitioner, Depends(current_practitioner)]


@router.api_route("/", methods=["GET", "HEAD"])
def start(request: Request) -> Response:
    return render(request, "start.html")


def _sign_in_page(
    request: Request, *, email: str = "", errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    errors = errors or {}
    summary: list[dict[str, Any]] = [
        {"text": message, "href": f"#{field}"} for field, message in errors.items()
    ]
    return render(
        request,
        "sign_in.html",
        {"email": email, "errors": errors, "error_summary": summary},
        status=status,
    )


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    if getattr(request.state, "practitioner", None) is not None:
        return RedirectResponse("/organisations", status_code=303)
    return _sign_in_page(request)


@router.post("/sign-in")
def sign_in(
    request: Request,
    wiring: Wiring,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return _sign_in_page(request, email=email, errors=errors, status=400)
    client = request.client.host if request.client else "unknown"
    if not wiring.sign_in_throttle.allow(client, request.app.state.clock()):
        return _sign_in_page(
            request,
            email=email,
            errors={"email": "Too many sign-in attempts from your network. Wait and try again."},
            status=429,
        )
    try:
        practitioner = wiring.accounts.sign_in(email, password, at=request.app.state.clock())
    except SharewellError as exc:
        field = exc.field if exc.field in {"email", "password"} else "email"
        return _sign_in_page(
            request, email=email, errors={field: exc.message}, status=exc.http_status
        )
    session = session_of(request)
    assert session is not None
    session.start(practitioner.id)
    return RedirectResponse("/organisations", status_code=303)


@router.get("/sign-out")
def sign_out_confirm(request: Request, _practitioner: SignedIn) -> Response:
    return render(request, "sign_out.html")


@router.post("/sign-out")
def sign_out(request: Request, _practitioner: SignedIn) -> Response:
    session = session_of(request)
    assert session is not None
    session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/organisations")
def organisations(request: Request, wiring: Wiring, _practitioner: SignedIn) -> Response:
    rows = [
        [
            {"text": organisation.name},
            {"text": organisation.code},
            {"text": organisation.kind.label},
            {"text": organisation.council_area or "Whole partnership"},
        ]
        for organisation in wiring.organisations.list()
    ]
    return render(request, "organisations.html", {"rows": rows, "nav": "organisations"})


@router.api_route("/healthz", methods=["GET", "HEAD"])
def healthz(wiring: Wiring) -> JSONResponse:
    """Liveness and database reachability, for load balancers; no personal data."""
    try:
        check_reachable(wiring.engine)
    except (SharewellError, SQLAlchemyError):
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "version": __version__},
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "version": __version__})
