"""Real Chromium: a practitioner signs in; axe-core finds no WCAG 2.2 AA failures on any page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.entrypoints.conftest import DSL_EMAIL, PASSWORD, axe_violations

pytestmark = pytest.mark.browser


def _sign_in(page: Any, email: str = DSL_EMAIL, password: str = PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_practitioner_signs_in_and_sees_the_organisation_list(page: Any) -> None:
    errors = _console_errors(page)
    page.goto("/")
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/sign-in")
    _sign_in(page)
    page.wait_for_url("**/organisations")
    assert page.get_by_role("heading", level=1).inner_text() == "Partner organisations"
    rows = page.get_by_role("row")
    assert rows.count() == 3
    assert page.get_by_role("rowheader", name="Brookfield Primary School").is_visible()
    # GOV.UK Frontend's JavaScript ran (from our static file, under the CSP).
    assert "govuk-frontend-supported" in (page.locator("body").get_attribute("class") or "")
    assert errors == [], "the page logged errors (a CSP violation?)"


def test_practitioner_signs_out(page: Any) -> None:
    _sign_in(page)
    page.wait_for_url("**/organisations")
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    page.goto("/organisations")
    assert page.url.endswith("/sign-in")


def test_error_summary_link_moves_focus_to_the_field(page: Any) -> None:
    _sign_in(page, password="not it")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "email"


def test_start_page_is_accessible(page: Any, assert_accessible: Callable[[Any], None]) -> None:
    page.goto("/")
    assert_accessible(page)


def test_sign_in_page_is_accessible(page: Any, assert_accessible: Callable[[Any], None]) -> None:
    page.goto("/sign-in")
    assert_accessible(page)


def test_sign_in_page_with_errors_is_accessible(
    page: Any, assert_accessible: Callable[[Any], None]
) -> None:
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert_accessible(page)


def test_organisations_page_is_accessible(
    page: Any, assert_accessible: Callable[[Any], None]
) -> None:
    _sign_in(page)
    page.wait_for_url("**/organisations")
    assert_accessible(page)


def test_sign_out_page_is_accessible(page: Any, assert_accessible: Callable[[Any], None]) -> None:
    _sign_in(page)
    page.wait_for_url("**/organisations")
    page.goto("/sign-out")
    assert_accessible(page)


def test_not_found_page_is_accessible(page: Any, assert_accessible: Callable[[Any], None]) -> None:
    _sign_in(page)
    page.wait_for_url("**/organisations")
    response = page.goto("/no-such-page")
    assert response.status == 404
    assert_accessible(page)


def test_axe_check_fails_on_a_real_violation(page: Any) -> None:
    page.goto("/")
    # An image with no text alternative and an unlabelled field: axe must see both.
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        ' \'<img src="/assets/images/favicon.svg"><input type="text">\')'
    )
    found = {violation["id"] for violation in axe_violations(page)}
    assert {"image-alt", "label"} <= found


def test_api_docs_render_from_local_assets_under_the_csp(page: Any) -> None:
    errors = _console_errors(page)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/docs")
    page.get_by_text("/api/v1/organisations/{code}").wait_for()
    assert errors == []
    assert all(url.startswith(page.url.split("/api/docs")[0]) for url in requested), requested
