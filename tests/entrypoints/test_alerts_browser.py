"""Real Chromium on the demo partnership with the built-in alert rules tied to the Anyshire
charter: (a) an A&E attendance of a child on a protection plan appears in the social worker's
inbox; (b) a police domestic incident report on a Friday evening reaches the school before
Monday's school day with only the minimum data set; (c) a MASH referral rated amber collects two
agencies' contributions and is decided, and the referrer sees the outcome. axe-core (WCAG 2.2
AA) runs on every page these add."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.domain.vocabulary import DataCategory
from sharewell.entrypoints.web.app import create_app
from sharewell.services import alerts
from tests.alerts_kit import CLINICIAN as CLINICIAN_ACTOR
from tests.alerts_kit import AlertScenario, alerts_partnership
from tests.entrypoints.conftest import Clock, _free_port

pytestmark = pytest.mark.browser

FRIDAY_EVENING = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)
CLINICIAN = "clinician@acu.anyshire.example"
SOCIAL_WORKER = "sw@cscn.anyshire.example"
OFFICER = "officer@pol.anyshire.example"
SCHOOL_DSL = "dsl@sch6.anyshire.example"
TEACHER = "teacher@sch1.anyshire.example"
HUB = "mash@cscn.anyshire.example"
POLICE_PPU = "ppu@pol.anyshire.example"
GP = "gp@gp1.anyshire.example"


@dataclass
class Site:
    url: str
    container: Container
    scenario: AlertScenario
    clock: Clock

    def dispatch(self) -> None:
        """One pass of the alert dispatcher (in production: `sharewell alerts dispatch`)."""
        dispatcher = self.container.alert_dispatcher()
        try:
            dispatcher.run_once(self.clock())
        finally:
            dispatcher.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    import uvicorn

    database: Path = tmp_path_factory.mktemp("alerts") / "sharewell.db"
    settings = Settings(database_url=f"sqlite:///{database}", demo_mode=True)
    container, scenario = alerts_partnership(settings)
    clock = Clock()
    clock.now = FRIDAY_EVENING
    app = create_app(settings, container=container, clock=clock)
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
    yield Site(f"http://127.0.0.1:{port}", container, scenario, clock)
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


@pytest.fixture
def as_user(browser: Any, site: Site) -> Iterator[Callable[[str], Any]]:
    contexts: list[Any] = []

    def open_as(email: str) -> Any:
        context = browser.new_context(base_url=site.url)
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


def _report(
    page: Any, person: str, event: str, when: tuple[str, str], incident: str = "", **fields: str
) -> None:
    page.goto("/alerts/events/new")
    page.get_by_label("Person").fill(person)
    page.get_by_label("What happened").select_option(label=event)
    page.get_by_label("Date it happened").fill(when[0])
    page.get_by_label("Time it happened").fill(when[1])
    if incident:
        page.get_by_label("Incident type (optional)").select_option(label=incident)
    for label, value in fields.items():
        page.get_by_label(label.replace("_", " ").capitalize()).fill(value)
    page.get_by_role("button", name="Record the event").click()
    page.wait_for_url("**/alerts")


def test_ae_attendance_of_a_child_on_a_plan_reaches_the_social_worker(
    as_user: Callable[[str], Any], site: Site, assert_accessible: Callable[[Any], None]
) -> None:
    clinician = as_user(CLINICIAN)
    clinician.goto("/alerts/events/new")
    assert_accessible(clinician)
    _report(
        clinician,
        site.scenario.child,
        "Child on a protection plan attends A&E",
        ("2026-11-20", "19:05"),
        summary="Attended with a head injury; fall reported by parent",
        your_notes="Parent intoxicated at triage",
    )
    assert "1 alert raised" in clinician.text_content("body")
    site.dispatch()

    worker = as_user(SOCIAL_WORKER)
    worker.goto("/alerts")
    assert_accessible(worker)
    table = worker.locator("#alerts")
    assert "Anyshire" in table.text_content() or "Hospital" in table.text_content()
    assert site.scenario.child in table.text_content()
    table.get_by_role("link").first.click()
    worker.wait_for_url("**/alerts/*")
    assert_accessible(worker)
    worker.get_by_role("button", name="Read the alert").click()
    content = worker.locator("#alert-content").text_content()
    assert "ae attendance" in content
    assert "head injury" in content
    assert "intoxicated" not in worker.text_content("body")
    worker.goto("/alerts")
    assert "Read" in worker.locator("#alerts").text_content()


def test_friday_evening_domestic_incident_reaches_the_school_before_monday(
    as_user: Callable[[str], Any], site: Site, assert_accessible: Callable[[Any], None]
) -> None:
    officer = as_user(OFFICER)
    _report(
        officer,
        site.scenario.pupil,
        "Domestic abuse incident where a child lives (Operation Encompass)",
        ("2026-11-20", "18:45"),
        incident="Domestic abuse",
        summary="Officers attended a domestic incident at the home address",
        your_notes="Father arrested for assault",
    )
    site.dispatch()

    school = as_user(SCHOOL_DSL)
    school.goto("/alerts")
    assert_accessible(school)
    school.locator("#alerts").get_by_role("link").first.click()
    school.wait_for_url("**/alerts/*")
    school.get_by_role("button", name="Read the alert").click()
    assert_accessible(school)
    rows = school.locator("#alert-content .govuk-summary-list__key").all_text_contents()
    assert [r.strip() for r in rows] == ["When", "Incident type"]  # the minimum data set only
    assert "Domestic abuse" in school.locator("#alert-content").text_content()
    body = school.text_content("body")
    assert "Father arrested" not in body and "home address" not in body
    delivery = school.locator("#alert-delivery").text_content()
    assert "23 Nov 2026, 08:30" in delivery  # before Monday's school day
    assert "20 Nov 2026, 19:30" in delivery  # delivered on Friday evening
    assert "On time" in delivery


def test_amber_mash_referral_collects_two_contributions_and_the_referrer_sees_the_outcome(
    as_user: Callable[[str], Any], site: Site, assert_accessible: Callable[[Any], None]
) -> None:
    teacher = as_user(TEACHER)
    teacher.goto("/mash/referrals/new")
    assert_accessible(teacher)
    teacher.get_by_label("Person").fill(site.scenario.pupil)
    teacher.get_by_label("A child").check()
    teacher.get_by_label("What are you worried about?").fill(
        "Arrives hungry most days and has missed a week of school this month"
    )
    teacher.get_by_role("button", name="Send the referral").click()
    teacher.wait_for_url("**/mash/referrals/*")
    assert_accessible(teacher)
    referral_url = teacher.url

    hub = as_user(HUB)
    hub.goto("/mash")
    assert_accessible(hub)
    hub.locator("#queue").get_by_role("link").first.click()
    hub.wait_for_url("**/mash/referrals/*")
    hub.get_by_label("Amber").check()
    hub.get_by_role("button", name="Save the rating").click()
    hub.wait_for_url("**/mash/referrals/*")
    assert "Amber" in hub.locator("#rating").text_content()
    police, gp = (site.container.organisations.get(code) for code in ("POL", "GP1"))
    assert police is not None and gp is not None
    hub.get_by_label(police.name, exact=True).check()
    hub.get_by_label(gp.name, exact=True).check()
    hub.get_by_role("button", name="Ask for research").click()
    hub.wait_for_url("**/mash/referrals/*")
    assert_accessible(hub)

    for email, text in (
        (POLICE_PPU, "Police attended a domestic incident at the address last month."),
        (GP, "Missed two immunisation appointments; no other concerns recorded."),
    ):
        partner = as_user(email)
        partner.goto("/mash")
        partner.locator("#research").get_by_role("link").first.click()
        partner.wait_for_url("**/mash/research/*")
        assert_accessible(partner)
        partner.get_by_label("What your agency knows").fill(text)
        partner.get_by_role("button", name="Send to the hub").click()
        partner.wait_for_url("**/mash")

    hub.reload()
    contributions = hub.locator("#contributions").text_content()
    assert "domestic incident" in contributions and "immunisation" in contributions
    hub.get_by_role("radio", name="Early help").check()
    hub.get_by_label("What happens next").fill("Early help assessment through the family hub")
    hub.locator("#consent-yes").check()
    hub.get_by_label("What the person said").fill("Mother agreed to an early help assessment")
    hub.get_by_label("Children Act 2004 section 11: the duty to safeguard").check()
    hub.get_by_label("Safety and well-being considered").fill("No immediate risk of harm")
    hub.get_by_label("Why this is necessary").fill("Only the outcome goes to the referrer")
    hub.get_by_label("Whose advice was sought").fill("MASH team manager")
    hub.get_by_role("button", name="Record the decision").click()
    hub.wait_for_url("**/mash/referrals/*")
    assert "Decided" in hub.locator("#status").text_content()
    assert_accessible(hub)

    teacher.goto(referral_url)
    outcome = teacher.locator("#decision-outcome").text_content()
    assert "Early help" in outcome and "family hub" in outcome
    assert_accessible(teacher)
    teacher.goto("/mash")
    assert "Early help" in teacher.locator("#mine").text_content()
    assert_accessible(teacher)


def test_the_dashboard_and_the_ig_queues_pass_axe(
    as_user: Callable[[str], Any], site: Site, assert_accessible: Callable[[Any], None]
) -> None:
    # Pages the walk-throughs above do not open, each as someone who may open it.
    lead = as_user("lead@cscn.anyshire.example")
    assert lead.goto("/alerts/dashboard").status == 200
    assert_accessible(lead)
    ig = as_user("ig@cscn.anyshire.example")
    for path in ("/ig/citizen-requests", "/ig/identity-reviews"):
        assert ig.goto(path).status == 200, path
        assert_accessible(ig)


def test_a_team_manager_opens_an_alert_escalated_to_them(
    as_user: Callable[[str], Any], site: Site, assert_accessible: Callable[[Any], None]
) -> None:
    raised = alerts.report_event(
        site.container.alerts,
        site.container.organisations,
        actor=CLINICIAN_ACTOR,
        person_id=site.scenario.child,
        category=DataCategory.HEALTH,
        code="ae_attendance",
        occurred_at=site.clock() - timedelta(minutes=20),
        summary="Second attendance this month",
        detail={},
        calendar=site.container.school_calendar,
        at=site.clock(),
    )
    dispatcher = site.container.alert_dispatcher()
    try:
        dispatcher.run_once(site.clock())
        # Unread five hours later (the deadline is four): escalated to the team manager.
        dispatcher.run_once(site.clock() + timedelta(hours=5))
    finally:
        dispatcher.close()
    manager = as_user("tm@cscn.anyshire.example")
    manager.goto("/alerts")
    assert_accessible(manager)
    alert_id = raised.alerts[0].id
    manager.locator(f"#escalations a[href='/alerts/escalated/{alert_id}']").click()
    manager.wait_for_url(f"**/alerts/escalated/{alert_id}")
    assert "Alert escalated to you" in manager.text_content("h1")
    assert "Second attendance" not in manager.text_content("body")
    assert_accessible(manager)
