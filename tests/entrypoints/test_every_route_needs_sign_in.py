"""Every route of the app needs a signed-in practitioner, except the ones deliberately public
(security.PUBLIC_PATHS and the static prefixes): enumerated from app.routes, so a new route is
covered the moment it is added."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Mount

from sharewell.entrypoints.web.security import PUBLIC_PATHS, STATIC_PREFIXES
from tests.entrypoints.conftest import Web


def _flatten(routes: list[Any]) -> list[Any]:
    # FastAPI keeps included routers as nodes (original_router); walk into them.
    flat: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        flat.extend(_flatten(list(inner.routes)) if inner is not None else [route])
    return flat


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_refuses_the_signed_out_except_the_public_ones(web: Web) -> None:
    checked = 0
    for route in _flatten(list(web.client.app.routes)):  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            assert route.path.rstrip("/") + "/" in STATIC_PREFIXES, route.path
            continue
        if not isinstance(route, APIRoute) and not hasattr(route, "methods"):
            continue
        path = _concrete(route.path)
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            answer = web.client.request(method, path, follow_redirects=False)
            if route.path in PUBLIC_PATHS:
                continue
            if path.startswith("/api/"):
                assert answer.status_code == 401, (method, path, answer.status_code)
                assert answer.json()["error"]["code"] == "NOT_AUTHENTICATED"
            else:
                assert answer.status_code == 303, (method, path, answer.status_code)
                assert answer.headers["location"] == "/sign-in"
            checked += 1
    assert checked >= 10  # the enumeration found the app's routes
