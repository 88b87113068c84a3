"""One exception tree for every expected failure, each with a stable code.

Codes are part of the contract (API error shape, CLI lines, tests): never rename one once used.
"""

from __future__ import annotations


class SharewellError(Exception):
    """Base of every expected failure; `code` is stable, the message is plain English."""

    code = "SHAREWELL_ERROR"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(SharewellError):
    """Input that breaks a rule; `field` names what is wrong (and `line` where known)."""

    code = "VALIDATION_ERROR"
    http_status = 422

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        super().__init__(message, field=field)
        self.line = line


class NotFound(SharewellError):
    """The thing asked for does not exist or may not be known to the asker."""

    code = "NOT_FOUND"
    http_status = 404


class Conflict(SharewellError):
    """The request clashes with what is stored (for example data already present)."""

    code = "CONFLICT"
    http_status = 409


class NotAuthenticated(SharewellError):
    """No valid sign-in or token."""

    code = "NOT_AUTHENTICATED"
    http_status = 401


class PermissionDenied(SharewellError):
    """Signed in, but not allowed to do this."""

    code = "PERMISSION_DENIED"
    http_status = 403


class AccountLocked(SharewellError):
    """Too many failed sign-ins: the account is locked for a while."""

    code = "ACCOUNT_LOCKED"
    http_status = 429


class StorageUnavailable(SharewellError):
    """The database cannot be reached or is not set up."""

    code = "STORAGE_UNAVAILABLE"
    http_status = 503


class ServiceBusy(SharewellError):
    """The server had no room for the request within the time it may wait for its turn."""

    code = "BUSY"
    http_status = 503


class RequestTooLarge(SharewellError):
    """The request's body is larger than Sharewell accepts (`request_body_max_bytes`)."""

    code = "TOO_LARGE"
    http_status = 413


class RequestTooSlow(SharewellError):
    """The request's body did not arrive within `request_body_seconds`."""

    code = "REQUEST_TIMEOUT"
    http_status = 408


class ConfigurationError(SharewellError):
    """The settings are unsafe or incomplete (for example a default secret outside demo mode)."""

    code = "CONFIGURATION_ERROR"
    http_status = 500


class SignInFailed(NotAuthenticated):
    """Wrong email address or password; deliberately does not say which."""

    code = "SIGN_IN_FAILED"


class AccountInactive(PermissionDenied):
    """The practitioner's account has been switched off."""

    code = "ACCOUNT_INACTIVE"


class CsrfFailed(PermissionDenied):
    """A form arrived without the token from the page that showed it."""

    code = "CSRF_FAILED"


class PurposeRequired(SharewellError):
    """No purpose of use was chosen: every disclosure needs one."""

    code = "PURPOSE_REQUIRED"
    http_status = 409
