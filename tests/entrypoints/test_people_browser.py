"""Real Chromium on the demo partnership: the joined-up record walk-throughs, and axe-core on
every page the disclosure gate serves."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app
from tests.disclosure_fixtures import DSL_EMAIL, GP_EMAIL, NOW, Scenario, demo_partnership
from tests.entrypoints.conftest import _free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Scenario]]:
    """Sharewell under uvicorn on a demo partnership of 300 people (SQLite)."""
    import uvicorn

    database: Path = tmp_path_factory.mktemp("demo") / "sharewell.db"
    settings = Settings(database_url=f"sqlite:///{database}", demo_mode=True)
    container, scenario = demo_partnership(settings)
    app = create_app(settings, container=container, clock=lambda: NOW)
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
    yield f"http://127.0.0.1:{port}", scenario
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


@pytest.fixture
def demo_page(browser: Any, demo_server: tuple[str, Scenario]) -> Iterator[Any]:
    context = browser.new_context(base_url=demo_server[0])
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page: Any, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organisations")


def _choose(page: Any, purpose: str) -> None:
    page.get_by_label(purpose, exact=True).check()
    page.get_by_role("button", name="Continue").click()


def test_gp_sees_a_patients_joined_up_record_for_direct_care(
    demo_page: Any,
    demo_server: tuple[str, Scenario],
    assert_accessible: Callable[[Any], None],
) -> None:
    page, scenario = demo_page, demo_server[1]
    _sign_in(page, GP_EMAIL)
    page.goto(f"/people/{scenario.patient}")
    assert "/purpose" in page.url
    assert_accessible(page)
    _choose(page, "Direct care")
    page.wait_for_url(f"**/people/{scenario.patient}")
    assert (
        page.locator("#purpose-of-use").inner_text().startswith("Purpose of your work: Direct care")
    )
    table = page.get_by_role("table")
    assert table.get_by_text("Anyshire Hospitals NHS Foundation Trust").first.is_visible()
    assert page.get_by_text("under implied consent for their care").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Household").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Household"
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name="Consent and relationships").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Consent and relationships"
    assert_accessible(page)
    page.get_by_role("button", name="Record consent").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)


def test_school_lead_sees_only_date_and_type_of_a_police_domestic_incident(
    demo_page: Any,
    demo_server: tuple[str, Scenario],
    assert_accessible: Callable[[Any], None],
) -> None:
    page, scenario = demo_page, demo_server[1]
    _sign_in(page, DSL_EMAIL)
    page.goto("/purpose")
    _choose(page, "Safeguarding children")
    page.wait_for_url("**/people")
    assert_accessible(page)
    page.goto(f"/people/{scenario.pupil}")
    chronology = page.get_by_role("table", name="What partners share with you, newest first")
    police_rows = chronology.get_by_role("row").filter(has_text="Anyshire Police")
    assert police_rows.count() >= 1
    for i in range(police_rows.count()):
        text = police_rows.nth(i).inner_text()
        assert "incident type: domestic abuse" in text
        assert "notes" not in text.lower()
    assert page.get_by_text(
        "the occurred at, incident type of its criminal offence records"
    ).is_visible()
    assert page.get_by_text("Other details are withheld.").first.is_visible()
    withheld = page.locator(".govuk-inset-text").filter(has_text="police intelligence")
    assert "Anyshire Police hold" in withheld.inner_text()
    assert withheld.get_by_role("link", name="Ask them to share it").is_visible()
    assert_accessible(page)
    name = page.get_by_role("heading", level=1).inner_text()
    page.goto("/people")
    page.get_by_label("Name").fill(name.split()[-1])
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("link", name=name).is_visible()
    assert_accessible(page)
    page.get_by_role("link", name=name).click()
    page.wait_for_url(f"**/people/{scenario.pupil}")
    page.goto("/people/not-a-real-id")
    assert page.get_by_role("heading", level=1).is_visible()
    assert_accessible(page)
    page.goto("/people?name=zzzz")
    assert page.get_by_text("0 people found").is_visible()
    assert_accessible(page)
