"""Signed-cookie sessions: who is signed in, the CSRF token, idle expiry.

See docs/decisions/0002-sessions-and-csrf.md. The cookie holds only ids and tokens, signed with
the secret key (itsdangerous); nothing personal is in it.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def cookie_name(https: bool) -> str:
    # The __Host- prefix makes browsers insist on Secure, Path=/ and no Domain.
    return "__Host-sharewell" if https else "sharewell_session"


# Cookie values whose signature was checked lately, and the data they hold (see `loads`).
KEPT_COOKIES = 1024
_SCALARS = (str, int, float, bool, type(None))


class SessionCodec:
    """Turns session data into a signed cookie value and back."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt="sharewell.session")
        # The same cookie comes back on every request of a session until it is re-issued (at
        # most once a minute): checking its signature and decoding it again cost about 20 µs a
        # request. What a value holds never changes, so the data of the last KEPT_COOKIES
        # values is kept, by value (a forged or garbled value is never kept). Only the event
        # loop's thread calls this.
        self._kept: dict[str, dict[str, Any]] = {}

    def dumps(self, data: dict[str, Any]) -> str:
        return self._serializer.dumps(data)

    def loads(self, value: str | None) -> dict[str, Any]:
        """The data, or an empty session when the cookie is missing, forged or garbled."""
        if not value:
            return {}
        kept = self._kept.get(value)
        if kept is not None:
            return dict(kept)  # a copy: the request may change its session
        try:
            data = self._serializer.loads(value)
        except BadSignature:
            return {}
        if not isinstance(data, dict):
            return {}
        if all(isinstance(v, _SCALARS) for v in data.values()):
            # Only flat data is kept, so that a copy of the dict is a copy of it all.
            if len(self._kept) >= KEPT_COOKIES:
                del self._kept[next(iter(self._kept))]  # the oldest kept goes first
            self._kept[value] = dict(data)
        return data


class WebSession:
    """One browser's session for the length of a request."""

    def __init__(self, data: dict[str, Any], *, expired: bool = False) -> None:
        self.data = data
        self.expired = expired
        self.changed = False
        # As loaded, to tell whether anything was set since (values are replaced, not changed
        # in place).
        self._loaded = dict(data)

    @property
    def modified(self) -> bool:
        """Whether anything in the session changed during this request."""
        return self.changed or self.data != self._loaded

    @property
    def practitioner_id(self) -> str | None:
        value = self.data.get("pid")
        return value if isinstance(value, str) else None

    def csrf_token(self) -> str:
        """This session's CSRF token, made on first use."""
        token = self.data.get("csrf")
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            self.data["csrf"] = token
            self.data.setdefault("sid", secrets.token_urlsafe(16))
            self.changed = True
        return token

    def csrf_matches(self, sent: str | None) -> bool:
        token = self.data.get("csrf")
        return (
            isinstance(token, str)
            and isinstance(sent, str)
            and hmac.compare_digest(token.encode(), sent.encode())
        )

    def start(self, practitioner_id: str) -> None:
        """Sign in: a new session id and CSRF token, so nothing planted before survives."""
        self.data = {
            "sid": secrets.token_urlsafe(16),
            "csrf": secrets.token_urlsafe(32),
            "pid": practitioner_id,
        }
        self.changed = True

    def clear(self) -> None:
        self.data = {}
        self.changed = True

    def flash(self, message: str, *, success: bool = False) -> None:
        """A one-off message for the next page; `success` shows it as a success banner (for
        an action done, such as marking a request answered)."""
        self.data["flash"] = message
        self.data["flash_success"] = success
        self.changed = True

    def pop_flash(self) -> tuple[str, bool] | None:
        """The one-off message and whether it reports a success, once."""
        message = self.data.pop("flash", None)
        success = bool(self.data.pop("flash_success", False))
        if message is not None:
            self.changed = True
        return (message, success) if isinstance(message, str) else None


def session_of(request: Request) -> WebSession | None:
    """The request's session (None on static files, which carry none)."""
    found: WebSession | None = getattr(request.state, "session", None)
    return found


def write_session_cookie(
    request: Request,
    response: Response,
    *,
    cookie: str,
    payload: str | None,
    max_age: int,
    secure: bool,
) -> None:
    """Set the session cookie (HttpOnly, SameSite=Lax, Secure over HTTPS), or clear it when
    `payload` is None and the browser sent one."""
    if payload is None:
        if cookie in request.cookies:
            response.delete_cookie(cookie, path="/", secure=secure, httponly=True, samesite="lax")
        return
    response.set_cookie(
        cookie,
        payload,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )
