"""CSRF, security headers, public and private routes, and the refusal of a default secret."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from sharewell.bootstrap import build
from sharewell.config import Settings
from sharewell.domain.errors import ConfigurationError
from sharewell.entrypoints.web.app import create_app
from sharewell.entrypoints.web.security import Admission, Gatekeeper
from tests.entrypoints.conftest import DSL_EMAIL, PASSWORD, Web, seed


def test_sign_in_without_a_csrf_token_is_refused(web: Web) -> None:
    web.client.get("/sign-in")
    response = web.client.post("/sign-in", data={"email": DSL_EMAIL, "password": PASSWORD})
    assert response.status_code == 403
    assert "You cannot do that" in response.text
    assert "expired or did not come from Sharewell" in response.text


def test_sign_in_with_a_wrong_csrf_token_is_refused(web: Web) -> None:
    web.client.get("/sign-in")
    response = web.client.post(
        "/sign-in", data={"email": DSL_EMAIL, "password": PASSWORD, "csrf_token": "made-up"}
    )
    assert response.status_code == 403
    assert web.client.get("/organisations", follow_redirects=False).status_code == 303


def test_sign_out_without_a_csrf_token_is_refused_and_keeps_the_session(web: Web) -> None:
    web.sign_in()
    assert web.client.post("/sign-out").status_code == 403
    assert web.client.get("/organisations").status_code == 200


def test_unsafe_api_requests_need_the_csrf_header(web: Web) -> None:
    web.sign_in()
    response = web.client.post("/api/v1/organisations")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "CSRF_FAILED"
    token = web.csrf("/sign-out")
    allowed = web.client.post("/api/v1/organisations", headers={"X-CSRF-Token": token})
    assert allowed.status_code == 405
    assert allowed.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("path", ["/", "/sign-in", "/healthz", "/nowhere", "/api/v1/organisations"])
def test_security_headers_on_every_response(web: Web, path: str) -> None:
    response = web.client.get(path, follow_redirects=False)
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'nonce-" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers


def test_the_only_inline_script_carries_the_csp_nonce(web: Web) -> None:
    response = web.client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
    assert nonce
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
    assert inline == [f' nonce="{nonce.group(1)}"']
    assert (
        web.client.get("/").headers["content-security-policy"]
        != response.headers["content-security-policy"]
    ), "the nonce must change on every response"


def test_static_assets_are_public_and_served(web: Web) -> None:
    for path in (
        "/static/app.js",
        "/assets/govuk/govuk-frontend.min.css",
        "/assets/govuk/govuk-frontend.min.js",
        "/assets/images/favicon.svg",
        "/assets/swagger-ui/swagger-ui-bundle.js",
    ):
        response = web.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff"
    fonts = list(
        (
            Path(web.container.settings.assets_dir) / "govuk-frontend/dist/govuk/assets/fonts"
        ).iterdir()
    )
    assert web.client.get(f"/assets/fonts/{fonts[0].name}").status_code == 200


def test_pages_need_a_signed_in_practitioner(web: Web) -> None:
    for path in ("/organisations", "/sign-out", "/anything-else"):
        response = web.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/sign-in"


def test_public_pages_are_public(web: Web) -> None:
    for path in ("/", "/sign-in", "/healthz", "/api/docs", "/api/openapi.json"):
        assert web.client.get(path).status_code == 200, path


def test_health_check_reports_the_database(web: Web) -> None:
    body = web.client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_https_adds_hsts_and_a_secure_host_only_cookie(web_settings: Settings) -> None:
    settings = web_settings.model_copy(update={"https": True})
    container = build(settings)
    seed(container)
    with TestClient(
        create_app(settings, container=container), base_url="https://testserver"
    ) as client:
        response = client.get("/sign-in")
        assert response.headers["strict-transport-security"].startswith("max-age=")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-sharewell=")
        for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
            assert flag in cookie
    container.close()


def test_session_cookie_is_http_only_and_same_site_lax(web: Web) -> None:
    cookie = web.client.get("/sign-in").headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie


def test_refuses_to_start_with_the_default_secret_outside_demo_mode(database_url: str) -> None:
    with pytest.raises(ConfigurationError, match="SHAREWELL_SECRET_KEY"):
        create_app(Settings(database_url=database_url, demo_mode=False))


def test_starts_outside_demo_mode_with_a_real_secret(database_url: str) -> None:
    settings = Settings(database_url=database_url, demo_mode=False, secret_key="x" * 48)
    container = build(settings)
    seed(container)
    with TestClient(create_app(settings, container=container)) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "govuk-phase-banner" not in page.text
    container.close()


def test_demo_mode_shows_the_demo_phase_banner(web: Web) -> None:
    page = web.client.get("/")
    assert "govuk-phase-banner" in page.text
    assert "Demo" in page.text


def test_starts_without_assets_and_warns_once(
    web_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = web_settings.model_copy(update={"assets_dir": tmp_path})
    container = build(settings)
    seed(container)
    logger = logging.getLogger("sharewell")
    logger.addHandler(caplog.handler)
    try:
        app = create_app(settings, container=container)
    finally:
        logger.removeHandler(caplog.handler)
    warnings = [r for r in caplog.records if "assets.missing" in r.getMessage()]
    assert len(warnings) == 1
    assert "npm ci" in warnings[0].getMessage()
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/sign-in").status_code == 200
    container.close()


def test_health_check_and_start_page_answer_head_requests(web: Web) -> None:
    assert web.client.head("/healthz").status_code == 200
    assert web.client.head("/").status_code == 200


def _run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """`asyncio.run(main())` in a thread of its own: a browser test earlier in this process
    leaves Playwright's event loop running in the main thread, where asyncio.run refuses."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, main()).result()


def test_admission_lets_in_at_most_the_limit_in_order_of_arrival() -> None:
    admitted: list[int] = []
    at_work = 0
    most = 0

    async def request(n: int, admission: Admission) -> None:
        nonlocal at_work, most
        assert await admission.enter(5)
        admitted.append(n)
        at_work += 1
        most = max(most, at_work)
        await asyncio.sleep(0.01)
        at_work -= 1
        admission.leave()

    async def main() -> None:
        admission = Admission(2)
        tasks = []
        for n in range(8):
            tasks.append(asyncio.create_task(request(n, admission)))
            await asyncio.sleep(0)  # arrive one after another
        await asyncio.gather(*tasks)
        # Every slot came back.
        assert [await admission.enter(0.01), await admission.enter(0.01)] == [True, True]
        assert await admission.enter(0.01) is False

    _run(main)
    assert most == 2
    assert admitted == list(range(8))


def test_admission_gives_up_after_the_wait_and_loses_no_slot() -> None:
    async def main() -> None:
        admission = Admission(1)
        assert await admission.enter(1)
        assert await admission.enter(0.02) is False  # timed out in the queue
        assert admission.waiting == 0
        late = asyncio.create_task(admission.enter(5))
        await asyncio.sleep(0.01)
        late.cancel()  # a client that went away while waiting
        with pytest.raises(asyncio.CancelledError):
            await late
        assert admission.waiting == 0
        admission.leave()
        assert await admission.enter(0.01)  # the slot was not lost to either

    _run(main)


async def _one_waiting(admission: Admission) -> tuple[asyncio.Task[bool], asyncio.Future[bool]]:
    """A request waiting in line behind the one slot, and its place in the line."""
    assert await admission.enter(1)
    waiting = asyncio.create_task(admission.enter(60))
    await asyncio.sleep(0)
    assert admission.waiting == 1
    return waiting, admission._queue[0]


async def _slots_free(admission: Admission) -> int:
    taken = 0
    while await admission.enter(0.001):
        taken += 1
    return taken


def test_admission_cancelled_in_the_step_a_slot_is_handed_over_passes_it_on() -> None:
    async def main() -> None:
        for leave_first in (False, True):
            admission = Admission(1)
            waiting, _ = await _one_waiting(admission)
            # The client goes away and the request ahead leaves, in one step of the loop.
            if leave_first:
                admission.leave()
                waiting.cancel()
            else:
                waiting.cancel()
                admission.leave()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert admission.waiting == 0
            assert await _slots_free(admission) == 1  # not lost, not doubled

    _run(main)


def test_admission_timed_out_in_the_step_a_slot_is_handed_over_takes_it_or_passes_it_on() -> None:
    async def main() -> None:
        # Handed the slot first: the request takes its turn.
        admission = Admission(1)
        waiting, place = await _one_waiting(admission)
        admission.leave()
        admission._expire(place)
        assert await waiting is True
        assert await _slots_free(admission) == 0
        admission.leave()
        assert await _slots_free(admission) == 1
        # Timed out first: no turn, and the slot goes back to the free ones.
        admission = Admission(1)
        waiting, place = await _one_waiting(admission)
        admission._expire(place)
        admission.leave()
        assert await waiting is False
        assert admission.waiting == 0
        assert await _slots_free(admission) == 1

    _run(main)


def test_admission_timed_out_then_cancelled_leaks_nothing() -> None:
    async def main() -> None:
        admission = Admission(1)
        waiting, place = await _one_waiting(admission)
        admission._expire(place)
        waiting.cancel()
        admission.leave()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await _slots_free(admission) == 1

    _run(main)


def _gatekeeper(app: Any) -> Gatekeeper:
    layer = app.middleware_stack
    while not isinstance(layer, Gatekeeper):
        layer = layer.app
    return layer


@pytest.mark.parametrize("path", ["/api/v1/purpose", "/organisations"])
def test_a_request_that_gets_no_turn_in_time_is_answered_busy(
    web_settings: Settings, path: str
) -> None:
    settings = web_settings.model_copy(
        update={"concurrent_requests": 1, "request_queue_seconds": 0.05}
    )
    container = build(settings)
    seed(container)
    app = create_app(settings, container=container)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        gatekeeper = _gatekeeper(app)
        # Something else holds the only turn (on the client's event loop, as a request would).
        assert client.portal.call(gatekeeper.admission.enter, 1)
        busy = client.get(path, follow_redirects=False)
        # The health check does not wait for a turn.
        assert client.get("/healthz").status_code == 200
        client.portal.call(gatekeeper.admission.leave)
        assert client.get("/healthz").status_code == 200
    container.close()
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "60"
    assert "default-src" in busy.headers["content-security-policy"]
    if path.startswith("/api/"):
        assert busy.json()["error"]["code"] == "BUSY"
    else:
        assert "Sharewell is very busy" in busy.text


@contextlib.contextmanager
def _serving(settings: Settings) -> Iterator[int]:
    """Sharewell under uvicorn on 127.0.0.1 (a free port), for clients on raw sockets."""
    import uvicorn

    container = build(settings)
    seed(container)
    app = create_app(settings, container=container)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        container.close()


def _slow_form(port: int, declared: int = 100_000) -> socket.socket:
    """A client that sends a form's headers and the start of its body, then nothing more."""
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(
        b"POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(declared).encode() + b"\r\n\r\ncsrf_token=abc&email="
    )
    return client


def _status(client: socket.socket) -> int:
    answer = client.recv(65536)
    return int(answer.split(b" ", 2)[1])


def test_slow_bodies_take_no_turn_and_others_are_served(web_settings: Settings) -> None:
    settings = web_settings.model_copy(
        update={
            "concurrent_requests": 4,
            "request_queue_seconds": 3.0,
            "request_body_seconds": 60.0,
        }
    )
    with _serving(settings) as port:
        slow = [_slow_form(port) for _ in range(6)]
        try:
            time.sleep(0.3)  # the slow bodies have all arrived as far as they will
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=10) as others:
                for _ in range(3):
                    # A page that takes a turn: served, not 503 after the 3 s queue wait (as
                    # when the slow bodies held every turn). No timing: the machine may be busy.
                    assert others.get("/sign-in").status_code == 200
                # A form sent whole is read and checked (here: refused for its CSRF token).
                sent = others.post("/sign-in", data={"email": "a@b.example", "password": "x"})
                assert sent.status_code == 403
        finally:
            for client in slow:
                client.close()


def test_a_body_that_does_not_arrive_in_time_is_answered_408(web_settings: Settings) -> None:
    settings = web_settings.model_copy(update={"request_body_seconds": 0.3})
    with _serving(settings) as port:
        client = _slow_form(port)
        try:
            assert _status(client) == 408
        finally:
            client.close()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_limit_is_answered_413(web: Web, chunked: bool) -> None:
    too_much = b"x" * (web.container.settings.request_body_max_bytes + 1)

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(too_much), 65536):
            yield too_much[start : start + 65536]

    content: Any = pieces() if chunked else too_much
    page = web.client.post(
        "/sign-in",
        content=content,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413
    assert "too large" in page.text
    assert page.headers["connection"] == "close"
    api = web.client.put(
        "/api/v1/purpose",
        content=pieces() if chunked else too_much,
        headers={"content-type": "application/json"},
    )
    assert api.status_code == 413
    assert api.json()["error"]["code"] == "TOO_LARGE"
    assert "1,024 KB" in api.json()["error"]["message"]
