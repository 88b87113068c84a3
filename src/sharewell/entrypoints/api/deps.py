"""Request dependencies shared by the API routes."""

from __future__ import annotations

from fastapi import Request

from sharewell.bootstrap import Container
from sharewell.domain.errors import NotAuthenticated
from sharewell.domain.organisations import Practitioner


def container(request: Request) -> Container:
    """The application's wiring."""
    found: Container = request.app.state.container
    return found


def current_practitioner(request: Request) -> Practitioner:
    """The signed-in practitioner; the session middleware has already turned others away,
    this is the second lock on the door."""
    practitioner: Practitioner | None = getattr(request.state, "practitioner", None)
    if practitioner is None:
        raise NotAuthenticated("Sign in to use the API")
    return practitioner
