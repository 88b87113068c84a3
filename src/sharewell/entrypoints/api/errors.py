"""The one JSON error shape of /api/*: {"error": {"code", "message", "field"}}.

See docs/decisions/0001-api-error-shape.md. Codes are stable; messages are plain English.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sharewell.domain.errors import SharewellError

# Stable codes for failures raised by the framework rather than by Sharewell's own errors.
CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "NOT_AUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    503: "STORAGE_UNAVAILABLE",
}

MESSAGES_BY_STATUS = {
    401: "Sign in to use the API",
    403: "You are not allowed to do this",
    404: "There is nothing at this address",
    405: "This address does not accept that method",
    500: "Something went wrong on our side; it has been logged",
}


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """Every /api/* error response has this body."""

    error: ErrorDetail


# For route decorators, so the OpenAPI document shows the real error shape.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": CODES_BY_STATUS[status]}
    # 403: any call can be refused (CSRF on a session, a token without the scope, a role);
    # 503: storage or the audit log unavailable, so nothing is disclosed (fail closed), or
    # BUSY: no turn within the time a request may wait (ADR 0018).
    for status in (401, 403, 404, 422, 503)
}


def error_response(
    status: int, code: str, message: str, *, field: str | None = None
) -> JSONResponse:
    """A JSON error in the one shape."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status)


def for_status(status: int, message: str | None = None) -> JSONResponse:
    """A JSON error for a bare HTTP status (unknown route, wrong method, crash)."""
    return error_response(
        status,
        CODES_BY_STATUS.get(status, f"HTTP_{status}"),
        message or MESSAGES_BY_STATUS.get(status, "The request could not be handled"),
    )


def for_error(exc: SharewellError) -> JSONResponse:
    """A JSON error for one of Sharewell's own exceptions."""
    return error_response(exc.http_status, exc.code, exc.message, field=exc.field)


def for_validation(exc: RequestValidationError) -> JSONResponse:
    """FastAPI's request validation failure, naming the first field that is wrong."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ())]
    if location and location[0] in {"query", "path", "body", "header", "cookie"}:
        location = location[1:]
    field = ".".join(location) or None
    message = str(first.get("msg", "The request is not valid"))
    if field:
        message = f"{field}: {message}"
    return error_response(422, "VALIDATION_ERROR", message, field=field)
