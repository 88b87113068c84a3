"""Fixtures for the web app: a seeded database, a TestClient, and a live server with Chromium.

The browser fixtures (`live_server`, `browser`, `page`, `assert_accessible`) are meant to be
reused by later pages' tests.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sharewell.adapters.crypto.passwords import hash_password
from sharewell.adapters.db.migrate import upgrade
from sharewell.bootstrap import Container, build
from sharewell.config import REPO_ROOT, Settings
from sharewell.domain.organisations import Organisation, Practitioner
from sharewell.domain.vocabulary import OrganisationKind, Role
from sharewell.entrypoints.web.app import create_app

PASSWORD = "correct horse battery staple"
DSL_EMAIL = "dsl@sch1.example.org"
INACTIVE_EMAIL = "gone@pol.example.org"
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def flat_routes(routes: list[Any]) -> list[Any]:
    """Every route of an app, walking into included routers (FastAPI keeps each as a node with
    its `original_router`), for tests that enumerate the routes."""
    flat: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        flat.extend(flat_routes(list(inner.routes)) if inner is not None else [route])
    return flat


class Clock:
    """A clock the tests move on by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def refused_soon(ask: Callable[[], Any], seconds: float = 5) -> Any:
    """The first answer of `ask()` that turns the practitioner away (a redirect or a 401),
    asking again while it does not: on PostgreSQL a change to a practitioner reaches the server
    a moment after its commit (adapters/db/changes.py). The last answer if none did."""
    deadline = time.monotonic() + seconds
    while True:
        answer = ask()
        if answer.status_code in (303, 401) or time.monotonic() > deadline:
            return answer
        time.sleep(0.01)


def seed(container: Container) -> None:
    """Two organisations, a designated safeguarding lead and an inactive officer."""
    upgrade(container.engine)
    container.organisations.add(
        Organisation(
            code="POL", name="Anyshire Police", kind=OrganisationKind.POLICE, council_area=None
        )
    )
    container.organisations.add(
        Organisation(
            code="SCH1",
            name="Brookfield Primary School",
            kind=OrganisationKind.SCHOOL,
            council_area="North Anyshire",
        )
    )
    container.practitioners.add(
        Practitioner(
            id="p-dsl",
            org_code="SCH1",
            name="Dana Safeguarding",
            email=DSL_EMAIL,
            role=Role.DESIGNATED_SAFEGUARDING_LEAD,
        ),
        password_hash=hash_password(PASSWORD, fast=True),
    )
    container.practitioners.add(
        Practitioner(
            id="p-gone",
            org_code="POL",
            name="Former Officer",
            email=INACTIVE_EMAIL,
            role=Role.POLICE_OFFICER,
            active=False,
        ),
        password_hash=hash_password(PASSWORD, fast=True),
    )


@dataclass
class Web:
    """A TestClient on a seeded database, with the clock the app uses."""

    client: TestClient
    clock: Clock
    container: Container

    def csrf(self, path: str = "/sign-in") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, email: str = DSL_EMAIL, password: str = PASSWORD) -> Any:
        token = self.csrf()
        return self.client.post(
            "/sign-in",
            data={"email": email, "password": password, "csrf_token": token},
            follow_redirects=False,
        )


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"lockout_attempts": 3, "lockout_minutes": 15})


@pytest.fixture
def web(web_settings: Settings) -> Iterator[Web]:
    container = build(web_settings)
    seed(container)
    clock = Clock()
    app = create_app(web_settings, container=container, clock=clock)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield Web(client=client, clock=clock, container=container)
    container.close()


# --- A live server and Chromium, for browser and accessibility tests ---------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Sharewell under uvicorn on 127.0.0.1 and a free port, on a seeded SQLite database."""
    import uvicorn

    database = tmp_path_factory.mktemp("live") / "sharewell.db"
    settings = Settings(database_url=f"sqlite:///{database}", demo_mode=True)
    container = build(settings)
    seed(container)
    app = create_app(settings, container=container)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh browser page (own cookies) with the live server as its base URL."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run npm ci")
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


@pytest.fixture
def assert_accessible() -> Callable[[Any], None]:
    """Run axe-core (WCAG 2.2 AA tags) on the page; fail listing every violation."""

    def check(page: Any) -> None:
        violations = axe_violations(page)
        described = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"])
            for v in violations
        ]
        assert not violations, f"axe found on {page.url}:\n" + "\n".join(described)

    return check
