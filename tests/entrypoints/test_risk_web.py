"""The risk calibration page and API: what is in force, what awaits signatures."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.adapters.synthetic.generator import DemoConfig
from sharewell.adapters.synthetic.loader import load_demo_data
from sharewell.bootstrap import Container, build
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app
from tests.risk_fixtures import small_document

AT = datetime(2026, 11, 1, 12, tzinfo=UTC)


def seeded(settings: Settings) -> Container:
    container = build(settings)
    upgrade(container.engine)
    load_demo_data(container.engine, DemoConfig(people=30, seed=2, as_of=date(2026, 11, 1)))
    police = container.practitioners.get("demo-ig-pol")
    assert police is not None
    container.risk_calibrations.propose(small_document(1), actor=police)
    container.risk_calibrations.sign("test-calibration", 1, actor=police, at=AT)
    return container


def sign_in(client: TestClient, email: str = "lead@cscn.anyshire.example") -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert token
    answer = client.post(
        "/sign-in",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


@pytest.fixture
def risk_web(settings: Settings) -> Iterator[tuple[TestClient, Container]]:
    container = seeded(settings)
    with TestClient(create_app(settings, container=container)) as client:
        yield client, container
    container.close()


def test_an_unsigned_calibration_is_shown_as_not_in_force_until_all_sign(
    risk_web: tuple[TestClient, Container],
) -> None:
    client, container = risk_web
    sign_in(client)
    page = client.get("/risk/calibrations").text
    assert "No version is signed by every party" in page
    assert "Still to sign: SCH1" in page
    api = client.get("/api/v1/risk/calibrations/test-calibration").json()
    assert api["in_force"] is None
    assert api["pending"][0]["unsigned_parties"] == ["SCH1"]

    school = container.practitioners.get("demo-ig-sch1")
    assert school is not None
    container.risk_calibrations.sign("test-calibration", 1, actor=school, at=AT)
    page = client.get("/risk/calibrations").text
    assert "version 1 (in force)" in page
    assert "4 (very high)" in page
    api = client.get("/api/v1/risk/calibrations/test-calibration").json()
    assert api["in_force"]["version"] == 1
    assert api["pending"] == []
    dash = api["in_force"]["scales"][0]
    assert (dash["indicator_threshold"], dash["threshold_level"]) == (14, "high")


def test_unknown_calibration_is_404_and_sign_in_is_needed(
    risk_web: tuple[TestClient, Container],
) -> None:
    client, _ = risk_web
    assert client.get("/api/v1/risk/calibrations").status_code == 401
    sign_in(client)
    assert client.get("/api/v1/risk/calibrations").json() == {"calibrations": ["test-calibration"]}
    answer = client.get("/api/v1/risk/calibrations/nope")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.browser
def test_risk_calibration_page_is_accessible(
    browser: Any, tmp_path: Path, assert_accessible: Callable[[Any], None]
) -> None:
    import uvicorn

    from tests.entrypoints.conftest import _free_port

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'risk.db'}", demo_mode=True)
    container = seeded(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, container=container),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    context = browser.new_context(base_url=f"http://127.0.0.1:{port}")
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.fill("#email", "lead@cscn.anyshire.example")
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.goto("/risk/calibrations")
        assert_accessible(page)
        school = container.practitioners.get("demo-ig-sch1")
        assert school is not None
        container.risk_calibrations.sign("test-calibration", 1, actor=school, at=AT)
        page.goto("/risk/calibrations")
        assert page.locator("h2", has_text="in force").count() == 1
        assert_accessible(page)
    finally:
        context.close()
        server.should_exit = True
        thread.join(timeout=10)
        container.close()
