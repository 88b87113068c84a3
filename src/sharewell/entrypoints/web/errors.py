"""One error page for HTML, one JSON shape for /api/*: the exception handlers."""

from __future__ import annotations

import structlog
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sharewell.domain.errors import NotAuthenticated, SharewellError, StorageUnavailable
from sharewell.entrypoints.api import errors as api_errors
from sharewell.entrypoints.web.templating import render

log = structlog.get_logger("sharewell.web")

PAGE_TEXT = {
    400: ("There is a problem with the request", "Go back and check what you entered."),
    403: ("You cannot do that", "You do not have permission to do this."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you pasted the web address, check you copied the entire address.",
    ),
    405: ("Page not found", "This page cannot be used like that."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. The problem has been logged.",
    ),
    503: (
        "Sorry, the service is unavailable",
        "Sharewell cannot reach its database. Try again later.",
    ),
}


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def error_page(
    request: Request, status: int, *, title: str | None = None, message: str | None = None
) -> Response:
    """The one HTML error page."""
    default_title, default_message = PAGE_TEXT.get(status, PAGE_TEXT[400])
    return render(
        request,
        "error.html",
        {"title": title or default_title, "message": message or default_message},
        status=status,
    )


def crash_response(request: Request) -> Response:
    """What a client sees when something unexpected breaks: never the traceback."""
    if is_api(request):
        return api_errors.for_status(500)
    return error_page(request, 500)


async def _sharewell_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SharewellError)
    if is_api(request):
        return api_errors.for_error(exc)
    if isinstance(exc, NotAuthenticated):
        return RedirectResponse("/sign-in", status_code=303)
    title = PAGE_TEXT.get(exc.http_status, PAGE_TEXT[400])[0]
    return error_page(request, exc.http_status, title=title, message=exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if is_api(request):
        return api_errors.for_status(exc.status_code)
    return error_page(request, exc.status_code)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        return api_errors.for_validation(exc)
    return error_page(request, 400)


async def database_error(request: Request, exc: Exception) -> Response:
    """A lost database connection is the service being unavailable for a moment (503, plainly
    said), not a crash; any other database error is a crash (500, logged with its traceback)."""
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated:
        # The pool has thrown the connection (and any older ones) away: the next try reconnects.
        log.warning(
            "request.database_connection_lost", method=request.method, path=request.url.path
        )
        return await _sharewell_error(
            request,
            StorageUnavailable(
                "Sharewell lost its connection to the database. Try again in a moment."
            ),
        )
    log.error(
        "request.crashed",
        method=request.method,
        path=request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return crash_response(request)


def install(app: FastAPI) -> None:
    """Register the handlers; crashes are caught by the security middleware (see security.py)."""
    app.add_exception_handler(SharewellError, _sharewell_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
