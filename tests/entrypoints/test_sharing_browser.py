"""Real Chromium on the demo partnership (300 people, the Anyshire charter in force):
(a) a police officer asks for a child's school attendance, the school's designated safeguarding
lead shares it with a decision record, and the officer sees it; (b) an emergency override shows
its banner, appears in the school IG lead's queue and is reviewed. axe-core (WCAG 2.2 AA) runs on
every page this part adds.

The shared items are checked on the request page, read through the `Disclose` port; the joined-up
record page (/people/{id}) comes with the disclosure gate, merged separately."""

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
from tests.entrypoints.conftest import _free_port
from tests.entrypoints.sharing_kit import DSL, OFFICER, child_with_attendance, seeded_partnership

pytestmark = pytest.mark.browser

SCHOOL_IG = "ig@sch1.anyshire.example"
EARLY_HELP = "eh@ehn.anyshire.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    import uvicorn

    database: Path = tmp_path_factory.mktemp("sharing") / "sharewell.db"
    settings = Settings(database_url=f"sqlite:///{database}", demo_mode=True)
    container = seeded_partnership(settings)
    person, fact_id = child_with_attendance(container)
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
    yield f"http://127.0.0.1:{port}", person, fact_id
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


@pytest.fixture
def as_user(browser: Any, server: tuple[str, str, str]) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def open_as(email: str) -> Any:
        context = browser.new_context(base_url=server[0])
        contexts.append(context)
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/organisations")
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_officer_requests_attendance_school_shares_officer_sees_it(
    as_user: Callable[[str], Any],
    server: tuple[str, str, str],
    assert_accessible: Callable[[Any], None],
) -> None:
    _base, person, _fact = server
    officer = as_user(OFFICER)
    officer.goto(f"/people/{person}/requests/new?holder=SCH1&category=education")
    assert_accessible(officer)
    officer.get_by_role("button", name="Send request").click()  # nothing filled in
    assert officer.locator(".govuk-error-summary").is_visible()
    assert_accessible(officer)
    officer.select_option("#holder", "SCH1")
    officer.select_option("#purpose", "safeguarding_children")
    officer.check("#urgency-urgent")
    officer.fill("#reason", "Child seen out of school in the day with adults of concern")
    officer.get_by_role("button", name="Send request").click()
    officer.wait_for_url("**/sharing/requests/*")
    request_url = officer.url
    assert "Your request was sent" in officer.content()
    assert_accessible(officer)
    officer.goto("/sharing/requests")
    assert_accessible(officer)

    dsl = as_user(DSL)
    dsl.goto("/sharing/inbox")
    assert_accessible(dsl)
    dsl.get_by_role("link", name=person).first.click()
    assert_accessible(dsl)
    boxes = dsl.locator("input[name=share][value$='|occurred_at']")
    assert boxes.count() >= 1
    boxes.first.check()
    dsl.locator("input[name=share][value$='|code']").first.check()
    dsl.check("#choice-share")
    dsl.check("#consent-no")
    dsl.fill("#consent_detail", "Seeking consent may put the child at risk")
    dsl.fill("#safety_considered", "The child's safety outweighs the intrusion")
    dsl.fill("#necessary_and_proportionate", "Dates and codes of absence only")
    dsl.fill("#advice_sought", "None needed: within our procedure")
    dsl.get_by_label("UK GDPR Article 6(1)(e): necessary for a task in the public interest").check()
    dsl.get_by_label("Children Act 2004 section 11: the duty to safeguard").check()
    dsl.get_by_role("button", name="Record decision").click()
    dsl.wait_for_load_state()
    assert "Your decision is recorded" in dsl.content()
    assert_accessible(dsl)

    officer.goto(request_url)
    shared = officer.locator("#shared")
    assert shared.is_visible()
    text = shared.inner_text()
    assert "occurred at:" in text and "code:" in text and "summary:" not in text
    assert "Shared" in officer.locator("#status").inner_text()
    assert_accessible(officer)


def test_emergency_override_banner_then_ig_review(
    as_user: Callable[[str], Any],
    server: tuple[str, str, str],
    assert_accessible: Callable[[Any], None],
) -> None:
    _base, person, _fact = server
    worker = as_user(EARLY_HELP)
    worker.goto(f"/people/{person}/override?holder=SCH1&category=education")
    assert_accessible(worker)
    worker.select_option("#purpose", "early_help")
    worker.check("#basis-safeguarding")
    worker.fill("#justification", "too short")
    worker.get_by_role("button", name="Use emergency override").click()
    assert "at least 20 characters" in worker.content()
    assert_accessible(worker)
    worker.fill("#justification", "Child missing overnight, whereabouts unknown")
    worker.get_by_role("button", name="Use emergency override").click()
    worker.wait_for_url("**/override/active")
    banner = worker.get_by_role("region", name="Emergency override in force")
    assert "minutes left" in banner.inner_text()
    view = worker.get_by_role("button", name="View the record now")
    assert view.get_attribute("href") == f"/people/{person}"
    assert banner.get_by_role("link", name="View the record").get_attribute("href") == (
        f"/people/{person}"
    )
    assert_accessible(worker)
    worker.goto("/sharing/requests")
    assert worker.get_by_role("region", name="Emergency override in force").is_visible()

    ig = as_user(SCHOOL_IG)
    ig.goto("/ig/overrides")
    assert f"Person {person}" in ig.content()
    assert_accessible(ig)
    card = ig.locator(".govuk-summary-card", has_text=f"Person {person}").first
    card.get_by_label("Justified").check()
    card.get_by_label("What the review found").fill("Child was missing: proportionate")
    card.get_by_role("button", name="Record review").click()
    ig.wait_for_load_state()
    assert "Review recorded" in ig.content()
    assert f"Person {person}" not in ig.content()
    for path in (
        "/ig/agreements",
        "/ig/agreements/anyshire-charter/1",
        "/ig/audit",
        f"/ig/audit?person={person}",
        "/ig/api-tokens",
    ):
        ig.goto(path)
        assert_accessible(ig)


def test_error_states_of_the_override_and_ig_forms_are_accessible(
    as_user: Callable[[str], Any],
    server: tuple[str, str, str],
    assert_accessible: Callable[[Any], None],
) -> None:
    _base, person, _fact = server
    worker = as_user(EARLY_HELP)
    worker.goto(f"/people/{person}/override?category=education")
    worker.get_by_role("button", name="Use emergency override").click()
    summary = worker.locator(".govuk-error-summary")
    assert "Choose the organisation that holds the information" in summary.inner_text()
    assert_accessible(worker)
    worker.select_option("#holder", "SCH1")
    worker.select_option("#purpose", "early_help")
    worker.check("#basis-safeguarding")
    worker.fill("#justification", "Child missing overnight, whereabouts unknown")
    worker.get_by_role("button", name="Use emergency override").click()
    worker.wait_for_url("**/override/active")

    ig = as_user(SCHOOL_IG)
    ig.goto("/ig/overrides")
    card = ig.locator(".govuk-summary-card", has_text=f"Person {person}").first
    card.get_by_label("What the review found").fill("Spoke to the head teacher")
    card.get_by_role("button", name="Record review").click()
    ig.wait_for_load_state()
    ig.get_by_role("link", name="Choose justified or refer for investigation").click()
    focused = ig.evaluate("document.activeElement.id")
    card = ig.locator(".govuk-summary-card", has_text=f"Person {person}").first
    assert focused == card.get_by_label("Justified").get_attribute("id")
    assert card.get_by_label("What the review found").input_value() == ("Spoke to the head teacher")
    assert_accessible(ig)
    card.get_by_label("Justified").check()
    card.get_by_role("button", name="Record review").click()
    ig.wait_for_load_state()
    assert "Review recorded" in ig.content()

    ig.goto("/ig/audit?since=2026-02-31")
    assert "Enter a real date" in ig.locator(".govuk-error-summary").inner_text()
    assert_accessible(ig)

    ig.goto("/ig/api-tokens")
    ig.get_by_label("Name (what will use it)").fill("School MIS")
    ig.get_by_role("button", name="Create token").click()
    ig.wait_for_load_state()
    ig.get_by_role("link", name="Choose at least one scope").click()
    assert ig.evaluate("document.activeElement.id") == "scope-read"
    assert ig.get_by_label("Name (what will use it)").input_value() == "School MIS"
    assert_accessible(ig)

    ig.goto("/ig/agreements/anyshire-charter/1")
    ig.get_by_label("Why the agreement ends").fill("Replaced by the new charter")
    ig.get_by_role("button", name="Terminate every version now").click()
    ig.wait_for_load_state()
    ig.get_by_role("link", name="Confirm that every version stops allowing sharing now").click()
    assert ig.evaluate("document.activeElement.id") == "confirm"
    assert ig.get_by_label("Why the agreement ends").input_value() == (
        "Replaced by the new charter"
    )
    assert_accessible(ig)
