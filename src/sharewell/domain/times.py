"""Time is timezone-aware UTC inside and shown in Europe/London."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sharewell.domain.errors import ValidationError

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def ensure_utc(value: datetime, *, field: str = "time") -> datetime:
    """`value` in UTC; naive times are refused because their meaning is ambiguous."""
    if value.tzinfo is None:
        raise ValidationError(f"{field} must include a time zone (for example 'Z')", field=field)
    return value.astimezone(UTC)


def parse_instant(text: str, *, field: str) -> datetime:
    """An ISO 8601 instant with a time zone, as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field} {text!r} is not a date and time like 2026-03-01T10:00:00Z", field=field
        ) from None
    return ensure_utc(value, field=field)


def london(value: datetime) -> str:
    """A UTC instant as a London wall-clock string for people, saying whether it is GMT or BST
    as the instant falls ("1 Mar 2026, 10:00 GMT", "1 Jul 2026, 11:00 BST")."""
    local = ensure_utc(value).astimezone(LONDON)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"
