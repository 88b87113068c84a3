"""Jinja2 with our templates and the GOV.UK Frontend macros (govuk-frontend-jinja)."""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from sharewell.domain.vocabulary import Purpose
from sharewell.entrypoints.web.sessions import session_of


def make_templates() -> Jinja2Templates:
    """Our templates first, then govuk-frontend-jinja's under the govuk_frontend_jinja/ prefix."""
    loader = ChoiceLoader(
        [
            PackageLoader("sharewell.entrypoints.web", "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    environment = Environment(loader=loader, autoescape=select_autoescape(default=True))
    return Jinja2Templates(env=environment)


def _purpose_label(value: object) -> str | None:
    try:
        return Purpose(value).label if isinstance(value, str) else None
    except ValueError:
        return None


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    """A page with what every layout needs: nonce, CSRF token, who is signed in, settings."""
    app = request.app
    settings = app.state.container.settings
    session = session_of(request)
    flash = session.pop_flash() if session is not None else None
    full: dict[str, Any] = {
        "active_overrides": active_overrides(request),
        "cspNonce": getattr(request.state, "csp_nonce", None),
        "assetPath": "/assets",
        "csrf_token": session.csrf_token() if session is not None else None,
        "practitioner": getattr(request.state, "practitioner", None),
        "partnership_name": settings.partnership_name,
        "demo_mode": settings.demo_mode,
        "flash": flash[0] if flash else None,
        "flash_success": bool(flash and flash[1]),
        "nav": None,
        # The purpose of use chosen after sign-in, shown in the header with a "change" link.
        "purpose": _purpose_label(session.data.get("purpose") if session is not None else None),
    }
    full.update(context or {})
    templates: Jinja2Templates = app.state.templates
    return templates.TemplateResponse(request, name, full, status_code=status)


def active_overrides(request: Request) -> list[dict[str, Any]]:
    """Emergency overrides this session used that are still in force, with minutes left, for
    the banner every page shows."""
    session = session_of(request)
    if session is None:
        return []
    stored = session.data.get("overrides")
    if not isinstance(stored, dict):
        return []
    now = request.app.state.clock().timestamp()
    return [
        {"person_id": person, "minutes_left": int(-(-(until - now) // 60))}
        for person, until in sorted(stored.items())
        if isinstance(until, int | float) and until > now
    ]
