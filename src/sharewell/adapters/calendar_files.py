"""School calendars from YAML files: the term calendar and the bank holidays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sharewell.domain.alerts import SchoolCalendar, parse_calendar
from sharewell.domain.errors import ConfigurationError


def _load(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"Cannot read the calendar file {path}: {exc.strerror}") from None
    if not isinstance(document, dict):
        raise ConfigurationError(f"The calendar file {path} must hold a mapping")
    return document


def load_calendar(terms_file: Path, bank_holidays_file: Path) -> SchoolCalendar:
    """The school calendar the alert deadlines use."""
    return parse_calendar(_load(terms_file), _load(bank_holidays_file))
