"""Every route of the app needs a signed-in practitioner, except the ones deliberately public
(security.PUBLIC_PATHS and the static prefixes): enumerated from app.routes, so a new route is
covered the moment it is added."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount

from sharewell.entrypoints.web.portal_security import PUBLIC_PORTAL_PATHS, is_portal
from sharewell.entrypoints.web.security import PUBLIC_PATHS, STATIC_PREFIXES
from tests.entrypoints.conftest import Web, flat_routes


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_refuses_the_signed_out_except_the_public_ones(web: Web) -> None:
    checked = 0
    for route in flat_routes(list(web.client.app.routes)):  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            assert (route.path.rstrip("/") + "/").startswith(STATIC_PREFIXES), route.path
            continue
        if not isinstance(route, APIRoute) and not hasattr(route, "methods"):
            continue
        path = _concrete(route.path)
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            answer = web.client.request(method, path, follow_redirects=False)
            if route.path in PUBLIC_PATHS or route.path in PUBLIC_PORTAL_PATHS:
                continue
            if is_portal(path):
                # The citizen portal has its own sign-in, never a practitioner's.
                if path.startswith("/api/"):
                    assert answer.status_code == 401, (method, path, answer.status_code)
                else:
                    assert answer.status_code == 303, (method, path, answer.status_code)
                    assert answer.headers["location"] == "/my/sign-in"
            elif path.startswith("/api/"):
                assert answer.status_code == 401, (method, path, answer.status_code)
                assert answer.json()["error"]["code"] == "NOT_AUTHENTICATED"
            else:
                assert answer.status_code == 303, (method, path, answer.status_code)
                assert answer.headers["location"] == "/sign-in"
            checked += 1
    assert checked >= 10  # the enumeration found the app's routes


def test_sign_in_is_rate_limited_per_client_address_across_accounts(web: Web) -> None:
    limit = web.container.settings.sign_in_attempts_per_ip
    for i in range(limit):
        answer = web.sign_in(email=f"nobody{i}@example.org", password="wrong")
        assert answer.status_code != 429
    refused = web.sign_in()  # even the right password, for a different account
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.text
    web.clock.advance(minutes=web.container.settings.sign_in_window_minutes)
    assert web.sign_in().status_code == 303


def test_request_logs_carry_no_query_string_or_person_data(
    web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    web.sign_in()
    with caplog.at_level("INFO"):
        web.client.get("/people/P0000123/requests/new?holder=POL&category=criminal_offence")
    # Only the server's loggers: the test client (httpx) logs its own URLs.
    logged = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("sharewell"))
    assert "/people/P0000123/requests/new" in logged
    assert "criminal_offence" not in logged and "holder=" not in logged


def test_every_form_route_refuses_a_post_without_the_csrf_token(web: Web) -> None:
    assert web.sign_in().status_code == 303
    checked = 0
    for route in flat_routes(list(web.client.app.routes)):  # type: ignore[attr-defined]
        methods = getattr(route, "methods", None) or set()
        if "POST" not in methods or route.path.startswith("/api/"):
            continue
        if is_portal(route.path) and route.path not in PUBLIC_PORTAL_PATHS:
            continue  # no citizen signed in here: see tests/entrypoints/test_portal_security.py
        answer = web.client.post(_concrete(route.path), data={"anything": "x"})
        assert answer.status_code == 403, (route.path, answer.status_code)
        assert "did not come from Sharewell" in answer.text
        checked += 1
    assert checked >= 10


def test_api_calls_on_a_session_need_the_csrf_header(web: Web) -> None:
    assert web.sign_in().status_code == 303
    answer = web.client.post("/api/v1/api-tokens", json={"name": "x", "scopes": ["read"]})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "CSRF_FAILED"
