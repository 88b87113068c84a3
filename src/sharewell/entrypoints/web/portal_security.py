"""The citizen portal's own sessions: a separate cookie, signed with a separate salt, read only
under /my and /api/v1/my. A citizen session never reaches a practitioner route (those read only
the practitioner cookie) and a practitioner session never reaches the portal (this reads only the
citizen cookie). See docs/portal.md."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sharewell.config import Settings
from sharewell.domain.errors import CsrfFailed, NotAuthenticated, PermissionDenied
from sharewell.entrypoints.api import errors as api_errors
from sharewell.entrypoints.threads import in_thread
from sharewell.entrypoints.web.errors import error_page
from sharewell.entrypoints.web.sessions import SAFE_METHODS, WebSession, write_session_cookie

CsrfCheck = Callable[[Request, WebSession], Awaitable[bool]]

PORTAL_API = "/api/v1/my"
# Public portal pages: signing in, the demo outbox (demo mode only) and the commitments.
PUBLIC_PORTAL_PATHS = frozenset(
    {
        "/my/sign-in",
        "/my/sign-in/code",
        "/my/demo-outbox",
        "/my/oidc/start",
        "/my/oidc/callback",
        "/my/commitments",
        "/my/audit-public-key",
    }
)
# Signed in but not yet linked to a record: only these.
UNBOUND_PATHS = frozenset({"/my/verify", "/my/sign-out"})


def is_portal(path: str) -> bool:
    return (
        path == "/my"
        or path.startswith("/my/")
        or path == PORTAL_API
        or path.startswith(PORTAL_API + "/")
    )


def citizen_cookie(https: bool) -> str:
    return "__Host-sharewell-citizen" if https else "sharewell_citizen"


def start_citizen_session(session: WebSession, account_id: str) -> None:
    """Sign a citizen in: a new session id and CSRF token, nothing planted before survives."""
    session.data = {
        "sid": secrets.token_urlsafe(16),
        "csrf": secrets.token_urlsafe(32),
        "cid": account_id,
    }
    session.changed = True


class CitizenGate:
    """Loads the citizen session, turns away the signed-out and forged forms, saves it."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self._settings = settings
        self._clock = clock
        self._serializer = URLSafeSerializer(
            settings.secret_key.get_secret_value(), salt="sharewell.citizen-session"
        )
        self._cookie = citizen_cookie(settings.https)
        self._idle_seconds = settings.session_minutes * 60

    def _load(self, request: Request) -> WebSession:
        value = request.cookies.get(self._cookie)
        data: Any = {}
        if value:
            try:
                data = self._serializer.loads(value)
            except BadSignature:
                data = {}
        if not isinstance(data, dict):
            data = {}
        seen = data.get("seen")
        if data and (
            not isinstance(seen, int | float)
            or self._clock().timestamp() - seen > self._idle_seconds
        ):
            return WebSession({}, expired="cid" in data)
        return WebSession(data)

    async def admit(
        self, request: Request, csrf_ok: CsrfCheck
    ) -> tuple[Response | None, Callable[[Response], None]]:
        """A response turning the request away (or None to let it through to the route), and
        what saves the citizen session into the response that is sent."""
        session = self._load(request)
        request.state.session = session
        request.state.practitioner = None
        request.state.citizen_account = None
        path = request.url.path.rstrip("/") or "/"
        api = path.startswith(PORTAL_API)
        account_id = session.data.get("cid")
        if isinstance(account_id, str):
            portal = request.app.state.container.portal
            account = await in_thread(portal.account, account_id)
            if account is None:
                session.data = {}
                session.changed = True
            else:
                request.state.citizen_account = account
        refusal = await self._dispatch(request, session, path, api, csrf_ok)
        return refusal, lambda response: self._save(request, session, response)

    async def _dispatch(
        self,
        request: Request,
        session: WebSession,
        path: str,
        api: bool,
        csrf_ok: CsrfCheck,
    ) -> Response | None:
        account = request.state.citizen_account
        if path not in PUBLIC_PORTAL_PATHS:
            if account is None:
                if api:
                    return api_errors.for_error(NotAuthenticated("Sign in to your account first"))
                if session.expired:
                    session.flash("You were signed out because you did nothing for a while.")
                return RedirectResponse("/my/sign-in", status_code=303)
            if account.person_id is None and path not in UNBOUND_PATHS:
                if api:
                    return api_errors.for_error(
                        PermissionDenied("Prove who you are first", field="account")
                    )
                return RedirectResponse("/my/verify", status_code=303)
        if request.method not in SAFE_METHODS and not await csrf_ok(request, session):
            failure = CsrfFailed(
                "The form you sent has expired or did not come from Sharewell. "
                "Go back, reload the page and try again."
            )
            if api:
                return api_errors.for_error(failure)
            return error_page(request, 403, title="You cannot do that", message=failure.message)
        return None

    def _save(self, request: Request, session: WebSession, response: Response) -> None:
        payload = None
        if session.data:
            session.data["seen"] = int(self._clock().timestamp())
            payload = self._serializer.dumps(session.data)
        write_session_cookie(
            request,
            response,
            cookie=self._cookie,
            payload=payload,
            max_age=self._idle_seconds,
            secure=self._settings.https,
        )
