"""Request dependencies shared by the API routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from sharewell.bootstrap import Container
from sharewell.domain.api_tokens import Scope
from sharewell.domain.errors import NotAuthenticated, PermissionDenied
from sharewell.domain.organisations import Practitioner

# These dependencies do no I/O, so they are `async def`: FastAPI runs a plain `def` dependency
# in the thread pool, and handing work to a thread and back costs more than the work itself.


async def container(request: Request) -> Container:
    """The application's wiring."""
    found: Container = request.app.state.container
    return found


def practitioner_of(request: Request) -> Practitioner:
    """The signed-in practitioner; the session middleware has already turned others away,
    this is the second lock on the door."""
    practitioner: Practitioner | None = getattr(request.state, "practitioner", None)
    if practitioner is None:
        raise NotAuthenticated("Sign in to use the API")
    return practitioner


async def current_practitioner(request: Request) -> Practitioner:
    """`practitioner_of` as a dependency, for the pages: an API token never reaches them (the
    gatekeeper reads tokens on `/api/` paths only). API routes use `require_scope` instead."""
    return practitioner_of(request)


# How the bearer scheme is declared in OpenAPI; the gatekeeper middleware checks the token.
BEARER_SCHEME = "ApiToken"
BEARER_DESCRIPTION = "A per-organisation API token made by an IG lead (or sign in for a session)."


class ScopeRequired(HTTPBearer):
    """A dependency: the caller, who must hold `scope` when using an API token (a signed-in
    session may do whatever the practitioner's role allows). A class rather than a closure, so
    a test can find the scope every API route declares.

    It is FastAPI's bearer scheme itself, so that each API route declares the `ApiToken`
    scheme in OpenAPI with this one dependency: every dependency FastAPI resolves costs a
    request about 12 µs of CPU (docs/performance.md), and the token was checked already."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(
            auto_error=False, scheme_name=BEARER_SCHEME, description=BEARER_DESCRIPTION
        )
        self.scope = scope

    def __repr__(self) -> str:
        return f"ScopeRequired({self.scope.value!r})"

    async def __call__(self, request: Request) -> Practitioner:  # type: ignore[override]
        practitioner = practitioner_of(request)
        scopes = getattr(request.state, "token_scopes", None)
        if scopes is not None and self.scope not in scopes:
            raise PermissionDenied(
                f"This API token does not have the {self.scope.value!r} scope", field="scope"
            )
        return practitioner


def require_scope(scope: Scope) -> ScopeRequired:
    """The dependency that lets the caller through only with `scope` (see `ScopeRequired`)."""
    return ScopeRequired(scope)


# The caller of a route that reads (needs the `read` scope) or changes (`share`) shared work.
Reader = Annotated[Practitioner, Depends(require_scope(Scope.READ))]
Sharer = Annotated[Practitioner, Depends(require_scope(Scope.SHARE))]
