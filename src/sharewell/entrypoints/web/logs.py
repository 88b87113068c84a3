"""Structured logs (structlog -> the standard `sharewell` logger, one JSON object a line).

Never log personal data: no names, emails, passwords or query strings; log practitioner ids.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog


class _CurrentStderr(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is now (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    """Set up structlog once per process; later calls only change the level."""
    logger = logging.getLogger("sharewell")
    logger.setLevel(level.upper())
    if getattr(configure_logging, "done", False):
        return
    handler = _CurrentStderr()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    configure_logging.done = True  # type: ignore[attr-defined]
