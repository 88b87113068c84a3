"""The middleware every request passes: sessions, the sign-in gate, CSRF, security headers.

Deny by default: a route is public only if it is listed in PUBLIC_PATHS or lives under a static
prefix. Everything else needs a signed-in, active practitioner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.domain.errors import (
    CsrfFailed,
    NotAuthenticated,
    RequestTooLarge,
    RequestTooSlow,
    ServiceBusy,
)
from sharewell.entrypoints.api import errors as api_errors
from sharewell.entrypoints.threads import in_thread
from sharewell.entrypoints.web.errors import crash_response, database_error, error_page, is_api
from sharewell.entrypoints.web.portal_security import CitizenGate, is_portal
from sharewell.entrypoints.web.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SessionCodec,
    WebSession,
    cookie_name,
    write_session_cookie,
)
from sharewell.entrypoints.web.templating import render
from sharewell.services.api_tokens import authenticate

log = structlog.get_logger("sharewell.web")
# The standard logger behind `log`: asked first whether a request line would be written at all.
_requests_logger = logging.getLogger("sharewell.web")

PUBLIC_PATHS = frozenset({"/", "/sign-in", "/healthz", "/api/docs", "/api/openapi.json"})
STATIC_PREFIXES = ("/assets/", "/static/")
# A session cookie that has not changed is sent again only once its `seen` time is this old: a
# session may so end up to a minute before `session_minutes` of idleness (ADR 0002, amended).
RESEND_COOKIE_SECONDS = 60
# Answered without waiting for a turn (ADR 0018): a load balancer's health check must not be
# queued behind the load it is checking on.
UNQUEUED_PATHS = frozenset({"/healthz"})
# Practitioner pages that a link from another website opens without asking (ADR 0021): they
# neither disclose anything about a person nor change anything. Every other page, the pages of
# a record, an alert or a referral among them, asks first. `/people` only without a query (a
# search is audited).
OPEN_FROM_ANOTHER_SITE = frozenset(
    {"/", "/sign-in", "/sign-out", "/organisations", "/people", "/alerts", "/mash"}
)
NAVIGATION_METHODS = frozenset({"GET", "HEAD"})
# What the question names, by the start of the path; anything else is "a page".
_WHAT_IS_OPENED = (
    ("/people/", "a person's record in Sharewell"),
    ("/alerts/", "an alert in Sharewell"),
    ("/mash/", "a safeguarding referral in Sharewell"),
)


def content_security_policy(nonce: str) -> str:
    # No 'unsafe-inline' for scripts: only our files and the one nonce'd GOV.UK snippet.
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(
    headers: MutableHeaders, *, nonce: str, settings: Settings, static: bool
) -> None:
    headers["Content-Security-Policy"] = content_security_policy(nonce)
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), geolocation=(), microphone=()"
    if not static:
        # Pages may show what partners hold about people: keep them out of caches.
        headers["Cache-Control"] = "no-store"
    if settings.https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"


class _Replay:
    """The request body for the gatekeeper and then, again, for the route.

    A body is received whole before the request waits for its turn (`receive_first`), so a
    client that sends it slowly, or not at all, holds no turn. The gatekeeper reads a form's
    body to check its CSRF token; whatever it read is handed to the application first, then
    the rest of the client's messages."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._first: list[Message] = []
        self._read: list[Message] = []

    async def receive_first(self, scope: Scope, *, limit: int, seconds: float) -> str:
        """Receive the whole body now: "received", or "too_large" (over `limit` bytes),
        "too_slow" (not all there within `seconds`) or "gone" (the client disconnected)."""
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return "too_large"  # said so up front: nothing to wait for
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(seconds):
                while True:
                    message = await self._receive()
                    if message["type"] != "http.request":
                        return "gone"
                    chunk: bytes = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        return "too_large"
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            return "too_slow"
        self._first.append({"type": "http.request", "body": b"".join(chunks), "more_body": False})
        return "received"

    async def _next(self) -> Message:
        if self._first:
            return self._first.pop()
        return await self._receive()

    async def for_gatekeeper(self) -> Message:
        message = await self._next()
        self._read.append(message)
        return message

    async def for_app(self) -> Message:
        if self._read:
            return self._read.pop(0)
        return await self._next()


class _Exchange:
    """One request on its way through the gatekeeper: what to add to the response's headers
    when it starts (the session cookie, the security headers) and the request log line."""

    def __init__(self, gatekeeper: Gatekeeper, request: Request, send: Send) -> None:
        self.request = request
        self.nonce = secrets.token_urlsafe(16)
        self.started = time.perf_counter()
        self.static = request.url.path.startswith(STATIC_PREFIXES)
        # Saves the session into the response: set once the session is loaded.
        self.save: Callable[[Response], None] | None = None
        self.response_started = False
        self._gatekeeper = gatekeeper
        self._send = send

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
            headers = MutableHeaders(scope=message)
            if self.save is not None:
                # The cookie goes on a carrier response, then onto the one being sent.
                carrier = Response()
                self.save(carrier)
                for name, value in carrier.raw_headers:
                    if name == b"set-cookie":
                        headers.append("set-cookie", value.decode("latin-1"))
            gatekeeper = self._gatekeeper
            security_headers(
                headers, nonce=self.nonce, settings=gatekeeper.settings, static=self.static
            )
            if not self.static:
                gatekeeper.log_request(self.request, message["status"], self.started)
        await self._send(message)


class Admission:
    """At most `limit` requests of this process at work at once; the others wait for their
    turn in the order they arrived (docs/decisions/0018-admission-and-practitioner-cache.md).

    With every waiting request let in at once, they would all share the processor (and
    Python's one interpreter lock) in no particular order, and a few would take far longer than
    the rest. In turn, each waits about as long as the others. A slot passes straight from the
    request leaving it to the next in line, so a late arrival cannot jump the queue."""

    def __init__(self, limit: int) -> None:
        self._free = limit
        # Each waiter's result says whether it was handed a slot (True) or timed out (False).
        self._queue: deque[asyncio.Future[bool]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for waiter in self._queue if not waiter.done())

    async def enter(self, timeout: float) -> bool:
        """Take a slot, waiting at most `timeout` seconds for one; whether one was taken.
        Every True must be followed by one `leave()`."""
        if self._free > 0 and not self._queue:
            self._free -= 1
            return True
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._queue.append(waiter)
        # The timeout settles the waiter in one step, as leave() does: whichever of the two
        # comes first decides, so a slot handed over as the wait ends is neither lost nor
        # given twice.
        expiry = loop.call_later(timeout, self._expire, waiter)
        try:
            return await waiter
        except BaseException:
            # Cancelled (the client went away, or the server is stopping).
            if waiter.done() and not waiter.cancelled() and waiter.result():
                # Handed a slot in the same moment: pass it on to the next in line.
                self.leave()
            else:
                self._discard(waiter)
            raise
        finally:
            expiry.cancel()

    def _expire(self, waiter: asyncio.Future[bool]) -> None:
        """The wait is over: no slot, unless one was handed over first."""
        if not waiter.done():
            waiter.set_result(False)
            self._discard(waiter)

    def _discard(self, waiter: asyncio.Future[bool]) -> None:
        # leave() may already have taken it off the queue (and skipped it, as settled).
        with contextlib.suppress(ValueError):
            self._queue.remove(waiter)

    def leave(self) -> None:
        """Give a slot back: to the next request waiting, else to the free ones."""
        while self._queue:
            waiter = self._queue.popleft()
            if not waiter.done():
                waiter.set_result(True)
                return
        self._free += 1


class Gatekeeper:
    """Loads the session, turns away the signed-out and forged forms, saves the session.

    Plain ASGI middleware: no task, streams or response copy per request (as Starlette's
    BaseHTTPMiddleware makes), which is a measurable share of a request's CPU time."""

    def __init__(self, app: ASGIApp, settings: Settings, clock: Callable[[], datetime]) -> None:
        self._app = app
        self.settings = settings
        self._clock = clock
        self._codec = SessionCodec(settings.secret_key.get_secret_value())
        self._cookie = cookie_name(settings.https)
        self._idle_seconds = settings.session_minutes * 60
        self._citizens = CitizenGate(settings, clock)
        self.admission = Admission(settings.concurrent_requests)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        body = _Replay(receive)
        request = Request(scope, body.for_gatekeeper)
        exchange = _Exchange(self, request, send)
        request.state.csp_nonce = exchange.nonce
        try:
            if exchange.static:
                await self._app(scope, body.for_app, exchange.send)
            elif request.url.path in UNQUEUED_PATHS:
                await self._pass(scope, body, request, exchange)
            elif scope["method"] not in SAFE_METHODS and not await self._received(
                scope, body, request, exchange
            ):
                return
            elif not await self.admission.enter(self.settings.request_queue_seconds):
                log.warning("request.busy", method=request.method, path=request.url.path)
                await _busy(request)(scope, body.for_app, exchange.send)
            else:
                try:
                    await self._pass(scope, body, request, exchange)
                finally:
                    self.admission.leave()
        except Exception as exc:
            lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
            if exchange.response_started:
                log.exception("request.crashed", method=request.method, path=request.url.path)
                raise
            # As before a crash: the session is not saved.
            exchange.save = None
            if lost:
                # The session check lost its database connection: unavailable for a moment.
                answer = await database_error(request, exc)
            else:
                # Logged here with the traceback; the client gets the plain error page or shape.
                log.exception("request.crashed", method=request.method, path=request.url.path)
                answer = crash_response(request)
            await answer(scope, body.for_app, exchange.send)

    async def _pass(
        self, scope: Scope, body: _Replay, request: Request, exchange: _Exchange
    ) -> None:
        """The route, or the gatekeeper's refusal."""
        refusal = await self._guarded(request, exchange)
        await (refusal or self._app)(scope, body.for_app, exchange.send)

    async def _received(
        self, scope: Scope, body: _Replay, request: Request, exchange: _Exchange
    ) -> bool:
        """Receive the body before the request waits for its turn; whether it came, within
        the size and time allowed (if not, the client has been answered or has gone)."""
        settings = self.settings
        outcome = await body.receive_first(
            scope, limit=settings.request_body_max_bytes, seconds=settings.request_body_seconds
        )
        if outcome == "received":
            return True
        log.warning("request.body_" + outcome, method=request.method, path=request.url.path)
        if outcome != "gone":
            answer = _unreceived(request, outcome, settings.request_body_max_bytes)
            await answer(scope, body.for_app, exchange.send)
        return False

    def log_request(self, request: Request, status: int, started: float) -> None:
        if not _requests_logger.isEnabledFor(logging.INFO):
            return  # (the event would be built, then dropped)
        practitioner = getattr(request.state, "practitioner", None)
        # The path only, never the query string: it may carry personal data.
        log.info(
            "request",
            method=request.method,
            path=request.url.path,
            status=status,
            ms=round((time.perf_counter() - started) * 1000, 1),
            practitioner_id=practitioner.id if practitioner else None,
        )

    async def _guarded(self, request: Request, exchange: _Exchange) -> Response | None:
        """A response turning the request away, or None to let it through to the route."""
        if is_portal(request.url.path):
            # Citizens have their own cookie and gate: never a practitioner's session.
            refusal, exchange.save = await self._citizens.admit(request, self._csrf_ok)
            return refusal
        session = self._load(request)
        request.state.session = session
        request.state.practitioner = None
        container: Container = request.app.state.container
        request.state.token_scopes = None
        authorization = request.headers.get("authorization", "")
        if is_api(request) and authorization[:7].lower() == "bearer ":
            # An API token replaces the session: no cookie, so no CSRF to check either.
            return await self._bearer(request, authorization[7:].strip())
        if session.practitioner_id is not None:
            # Kept in this process until the database says it changed (PostgreSQL), else read.
            practitioner = container.practitioners.kept(session.practitioner_id) or await in_thread(
                container.practitioners.get, session.practitioner_id
            )
            if practitioner is None or not practitioner.active:
                session.clear()
            else:
                request.state.practitioner = practitioner
        exchange.save = lambda response: self._save(request, session, response)
        return await self._dispatch(request, session)

    async def _bearer(self, request: Request, secret: str) -> Response | None:
        container: Container = request.app.state.container
        token = await in_thread(authenticate, container.api_tokens, secret, at=self._clock())
        practitioner = (
            await in_thread(container.practitioners.get, token.practitioner_id)
            if token is not None
            else None
        )
        if token is None or practitioner is None or not practitioner.active:
            return api_errors.for_error(
                NotAuthenticated("The API token is not valid, or has been revoked")
            )
        request.state.practitioner = practitioner
        request.state.token_scopes = token.scopes
        return None

    async def _dispatch(self, request: Request, session: WebSession) -> Response | None:
        path = request.url.path
        if request.state.practitioner is None and path not in PUBLIC_PATHS:
            if is_api(request):
                return api_errors.for_error(NotAuthenticated("Sign in to use the API"))
            if session.expired:
                session.flash(
                    f"You were signed out because you did nothing for "
                    f"{self.settings.session_minutes} minutes. Sign in again."
                )
            return RedirectResponse("/sign-in", status_code=303)
        if request.state.practitioner is not None and from_another_site(request):
            refusal = _cross_site(request)
            if refusal is not None:
                return refusal
        if request.method not in SAFE_METHODS and not await self._csrf_ok(request, session):
            log.warning("csrf.refused", method=request.method, path=path)
            failure = CsrfFailed(
                "The form you sent has expired or did not come from Sharewell. "
                "Go back, reload the page and try again."
            )
            if is_api(request):
                return api_errors.for_error(failure)
            return error_page(request, 403, title="You cannot do that", message=failure.message)
        return None

    async def _csrf_ok(self, request: Request, session: WebSession) -> bool:
        if is_api(request):
            return session.csrf_matches(request.headers.get(CSRF_HEADER))
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            return False
        # Reading body() first makes Starlette keep the bytes and replay them to the route;
        # reading only form() would leave the route an empty body.
        await request.body()
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        # Uploaded files are spooled to temporary files: close them, the route parses its own.
        await form.close()
        return session.csrf_matches(sent if isinstance(sent, str) else None)

    def _load(self, request: Request) -> WebSession:
        data = self._codec.loads(request.cookies.get(self._cookie))
        seen = data.get("seen")
        now = self._clock().timestamp()
        if data and (not isinstance(seen, int | float) or now - seen > self._idle_seconds):
            return WebSession({}, expired="pid" in data)
        return WebSession(data)

    def _save(self, request: Request, session: WebSession, response: Response) -> None:
        payload = None
        if session.data:
            now = int(self._clock().timestamp())
            seen = session.data.get("seen")
            if (
                not session.modified
                and isinstance(seen, int | float)
                and 0 <= now - seen < RESEND_COOKIE_SECONDS
            ):
                # Nothing new: the browser keeps the cookie it has (signing one costs CPU).
                return
            # Re-issued when it changed or `seen` is a minute old: expiry counts idle time.
            session.data["seen"] = now
            payload = self._codec.dumps(session.data)
        write_session_cookie(
            request,
            response,
            cookie=self._cookie,
            payload=payload,
            max_age=self._idle_seconds,
            secure=self.settings.https,
        )


def from_another_site(request: Request) -> bool:
    """Whether the browser says the request was started by another website (Fetch Metadata).

    A browser that sends no `Sec-Fetch-Site` (an older one, or any client that is not a
    browser) is taken at its word as before: the session cookie's SameSite=Lax still keeps it
    off requests other sites make in the background, and forms still need the CSRF token."""
    return request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site"


def _cross_site(request: Request) -> Response | None:
    """The answer to a signed-in practitioner's request that another website started, or None
    to let it through (ADR 0021). The session cookie comes with a link from another site
    (SameSite=Lax), so opening a record there would disclose it in the practitioner's name."""
    path = request.url.path
    if is_api(request):
        # The API is for Sharewell's own pages with a session, and for tokens (not affected).
        log.warning("cross_site.refused", method=request.method, path=path)
        return api_errors.for_error(
            CsrfFailed(
                "Requests to the API started by another website are refused. "
                "Use an API token, or Sharewell's own pages."
            )
        )
    if request.method not in NAVIGATION_METHODS:
        return None  # a form: the CSRF check refuses it (no token from another site)
    if path in OPEN_FROM_ANOTHER_SITE and not (path == "/people" and request.url.query):
        return None
    log.info("cross_site.asked", method=request.method, path=path)
    what = next(
        (text for prefix, text in _WHAT_IS_OPENED if path.startswith(prefix)),
        "a page in Sharewell that may show information about people",
    )
    return render(request, "cross_site.html", {"what": what, "target": same_site_target(request)})


def same_site_target(request: Request) -> str:
    """The page asked for, as a link on this site: from Sharewell's own page, the browser says
    `same-origin` and the page opens. Leading slashes and backslashes are folded into one, so
    a path such as `//elsewhere.example/` cannot become a link to another site."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = "/" + raw.decode("latin-1").lstrip("/\\")
    query = request.url.query
    return f"{path}?{query}" if query else path


def _busy(request: Request) -> Response:
    """503: no turn came within `request_queue_seconds`; nothing was read or changed."""
    busy = ServiceBusy("Sharewell is very busy at the moment. Try again in a minute.")
    answer = (
        api_errors.for_error(busy)
        if is_api(request)
        else error_page(request, 503, title="Sharewell is very busy", message=busy.message)
    )
    answer.headers["Retry-After"] = "60"
    return answer


def _unreceived(request: Request, outcome: str, limit: int) -> Response:
    """413 or 408: the body was too large or too slow; nothing was read or changed."""
    failure: RequestTooLarge | RequestTooSlow
    if outcome == "too_large":
        failure = RequestTooLarge(
            f"What you sent is larger than {limit // 1024:,} KB, the most Sharewell accepts. "
            "Send a smaller file or form."
        )
        title = "What you sent is too large"
    else:
        failure = RequestTooSlow(
            "What you sent did not arrive in time. Check your connection and try again."
        )
        title = "What you sent did not arrive in time"
    answer = (
        api_errors.for_error(failure)
        if is_api(request)
        else error_page(request, failure.http_status, title=title, message=failure.message)
    )
    # The rest of the body is not read: the connection cannot carry another request.
    answer.headers["Connection"] = "close"
    return answer


def install(app: FastAPI, settings: Settings, clock: Callable[[], datetime]) -> None:
    """Put the gatekeeper in front of every route."""
    app.add_middleware(Gatekeeper, settings=settings, clock=clock)
