"""Real Chromium on the demo partnership: a citizen signs in with a demo code, sees who holds
their information and a practitioner's access made earlier in the same test, checks its proof in
the browser, withdraws consent for early help, and the practitioner's next request is refused with
CONSENT_WITHDRAWN. axe-core checks every portal page (WCAG 2.2 AA)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app
from tests.disclosure_fixtures import NOW, demo_partnership
from tests.entrypoints.conftest import _free_port
from tests.entrypoints.portal_kit import (
    EH_EMAIL,
    Details,
    details_of,
    early_help_child,
    prepare_early_help,
)

pytestmark = pytest.mark.browser

Server = tuple[str, Container, Details]


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    database: Path = tmp_path_factory.mktemp("portal") / "sharewell.db"
    settings = Settings(database_url=f"sqlite:///{database}", demo_mode=True)
    container, scenario = demo_partnership(settings)
    child = early_help_child(container, scenario)
    prepare_early_help(container, child)
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
    yield f"http://127.0.0.1:{port}", container, details_of(container, child)
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


def _early_help_request(browser: Any, base: str, person_id: str) -> dict[str, Any]:
    """The family hub's early help practitioner signs in and asks for the child's record."""
    context = browser.new_context(base_url=base)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(EH_EMAIL)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/organisations")
        answer = page.request.get(
            f"/api/v1/people/{person_id}", headers={"X-Sharewell-Purpose": "early_help"}
        )
        assert answer.status == 200, answer.text()
        body: dict[str, Any] = answer.json()
        return body
    finally:
        context.close()


def test_citizen_sees_an_access_checks_its_proof_and_withdraws_consent(
    browser: Any, portal_server: Server, assert_accessible: Callable[[Any], None]
) -> None:
    base, container, me = portal_server
    before = _early_help_request(browser, base, me.person_id)
    assert before["chronology"], "with consent, the practitioner sees the school's items"
    container.audit.checkpoint()  # sign a tree head now, so the access has its proof

    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/my/sign-in")
    assert_accessible(page)
    page.get_by_label("Email address").fill("parent@example.com")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/my/sign-in/code")
    assert_accessible(page)
    outbox = context.new_page()
    outbox.goto("/my/demo-outbox")
    assert_accessible(outbox)
    message = outbox.locator(".outbox-message").first.inner_text()
    code = re.search(r"code is (\d{6})", message)
    assert code
    outbox.close()
    page.get_by_label("Sign-in code").fill(code.group(1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/my/verify")
    assert_accessible(page)
    page.get_by_label("Full name").fill(me.name)
    page.get_by_label("Day").fill(str(me.date_of_birth.day))
    page.get_by_label("Month").fill(str(me.date_of_birth.month))
    page.get_by_label("Year").fill(str(me.date_of_birth.year))
    page.get_by_label("Postcode", exact=True).fill(me.postcode)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/my$"))
    assert_accessible(page)

    page.get_by_role("link", name="What is held").first.click()
    holders = page.locator("h2.holder").all_inner_texts()
    assert len(holders) >= 2, holders
    school = container.organisations.get("SCH6")
    assert school is not None
    assert any("Early Help" in h for h in holders) and school.name in holders
    assert_accessible(page)

    # A signed tree head covers the practitioner's access before its proof is asked for (the
    # server signs one every few seconds; a loaded machine must not make the proof "not yet").
    container.audit.checkpoint()
    page.get_by_role("link", name="Who has looked").first.click()
    assert page.get_by_text("Some entries may be withheld").is_visible()
    entry = page.locator(".access-entry").filter(has_text="Early help").first
    assert entry.locator(".access-purpose").inner_text() == "Early help"
    assert "6(1)(e)" in entry.locator(".access-basis").inner_text()
    entry.get_by_role("button", name="Check the proof").click()
    result = entry.locator(".proof-result")
    result.filter(has_text="Proof checked").wait_for(timeout=10_000)
    assert "signed with the partnership's key" in result.inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Your choices").first.click()
    assert_accessible(page)
    row = page.locator("#choice-early_help")
    assert "You have given consent" in row.inner_text()
    row.get_by_role("button", name="Withdraw consent").click()
    page.wait_for_url("**/my/choices")
    assert "You have withdrawn consent" in page.locator("#choice-early_help").inner_text()
    assert_accessible(page)

    after = _early_help_request(browser, base, me.person_id)
    reasons = {r for w in after["withheld"] for r in w["reasons"]}
    assert "CONSENT_WITHDRAWN" in reasons
    assert not after["chronology"]

    for link, url in (
        ("Your requests", "**/my/requests"),
        ("Our commitments", "**/my/commitments"),
    ):
        page.get_by_role("link", name=link).first.click()
        page.wait_for_url(url)
        assert_accessible(page)
    page.goto("/my/copy")
    assert page.get_by_role("heading", level=1).inner_text() == "A copy of your information"
    assert_accessible(page)
    page.goto("/my/requests")
    page.get_by_label("Which organisation?").select_option(index=1)
    page.get_by_label("A correction").check()
    page.get_by_label("Tell us more").fill("My address at the school is out of date.")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url("**/my/requests")
    assert page.get_by_text("Waiting for an answer").is_visible()
    assert_accessible(page)
    context.close()
