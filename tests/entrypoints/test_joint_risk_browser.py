"""Real Chromium: a school's safeguarding lead reads a pupil's joint risk profile on the record,
with the planted disagreement flagged and the hospital's assessment shown only as withheld."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.disclosure_fixtures import DSL_EMAIL, Scenario
from tests.entrypoints.test_people_browser import (  # noqa: F401  (fixtures)
    _choose,
    _sign_in,
    demo_page,
    demo_server,
)

pytestmark = pytest.mark.browser


def test_school_lead_sees_the_joint_risk_profile_with_a_disagreement_and_a_withheld_agency(
    demo_page: Any,  # noqa: F811
    demo_server: tuple[str, Scenario],  # noqa: F811
    assert_accessible: Callable[[Any], None],
) -> None:
    page, scenario = demo_page, demo_server[1]
    _sign_in(page, DSL_EMAIL)
    page.goto("/purpose")
    _choose(page, "Safeguarding children")
    page.wait_for_url("**/people")
    page.goto(f"/people/{scenario.pupil}")
    assert page.get_by_role("heading", name="Joint risk").is_visible()
    warning = page.locator(".govuk-warning-text").filter(has_text="Agencies disagree")
    assert "Anyshire Police: high. Anyford Academy: low." in warning.inner_text()
    levels = page.get_by_role(
        "table", name="Each agency's own level, and that level on the common scale"
    )
    police = levels.get_by_role("row").filter(has_text="Anyshire Police")
    assert "Police DASH" in police.inner_text() and "4 very high" in police.inner_text()
    school = levels.get_by_role("row").filter(has_text="Anyford Academy")
    assert "1 low" in school.inner_text()
    assert "Anyshire Hospitals" not in levels.inner_text()
    assert page.get_by_text("Combined level:").is_visible()
    # The hospital's assessment: said to exist, with the reason, never its level.
    section = page.locator("#joint-risk-profile")
    withheld = section.locator(".govuk-inset-text").filter(has_text="of health data")
    assert "Anyshire Hospitals NHS Foundation Trust hold 1 item of health data." in (
        withheld.inner_text()
    )
    assert withheld.get_by_role("link", name="Ask them to share it").is_visible()
    assert "amber" not in section.inner_text()
    assert "Health RAG" not in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Household").click()
    assert page.get_by_role("heading", name="Joint risk for the household").is_visible()
    assert_accessible(page)
