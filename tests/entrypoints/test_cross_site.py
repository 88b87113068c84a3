"""A link from another website opens no record in a practitioner's name (ADR 0021): the
browser's `Sec-Fetch-Site: cross-site` gets a question whose link is on Sharewell's own site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from starlette.requests import Request

from sharewell.adapters.db.tables_audit import AuditEntryRow
from sharewell.config import Settings
from sharewell.entrypoints.web.portal_security import is_portal
from sharewell.entrypoints.web.security import (
    OPEN_FROM_ANOTHER_SITE,
    PUBLIC_PATHS,
    same_site_target,
)
from tests.entrypoints.conftest import flat_routes
from tests.entrypoints.sharing_kit import DSL, Site, make_site

CROSS_SITE = {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}
SAME_ORIGIN = {"sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate"}
QUESTION = "You followed a link from another website"
IG_LEAD = "ig@pol.anyshire.example"


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    yield from make_site(settings)


def _entries(site: Site) -> int:
    with site.container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditEntryRow)).scalar_one())


def _with_purpose(site: Site, email: str = DSL) -> None:
    site.sign_in(email)
    chosen = site.client.post(
        "/purpose",
        data={
            "purpose": "safeguarding_children",
            "next": "/people",
            "csrf_token": site.token("/purpose"),
        },
        follow_redirects=False,
    )
    assert chosen.status_code == 303


def _open_link(page: str) -> str:
    found = re.search(r'<a href="([^"]+)"[^>]*class="govuk-button', page) or re.search(
        r'class="govuk-button[^"]*"[^>]*href="([^"]+)"', page
    )
    assert found, page
    return found.group(1).replace("&amp;", "&")


def test_a_record_opened_from_another_site_asks_first_and_discloses_nothing(site: Site) -> None:
    person, _ = site.child_with_attendance()
    _with_purpose(site)
    before = _entries(site)
    asked = site.client.get(f"/people/{person}", headers=CROSS_SITE)
    assert asked.status_code == 200
    assert QUESTION in asked.text
    assert "a person&#39;s record" in asked.text or "a person's record" in asked.text
    assert "Chronology" not in asked.text
    assert _entries(site) == before  # nothing decided, disclosed or recorded
    # The question's link is on this site: followed from there, the record opens (audited).
    assert _open_link(asked.text) == f"/people/{person}"
    opened = site.client.get(_open_link(asked.text), headers=SAME_ORIGIN)
    assert "Chronology" in opened.text
    assert _entries(site) > before


def test_requests_without_fetch_metadata_and_from_sharewell_itself_are_unchanged(
    site: Site,
) -> None:
    person, _ = site.child_with_attendance()
    _with_purpose(site)
    for headers in ({}, SAME_ORIGIN, {"sec-fetch-site": "none"}):
        page = site.client.get(f"/people/{person}", headers=headers)
        assert "Chronology" in page.text and QUESTION not in page.text, headers


def test_a_search_from_another_site_asks_but_the_search_form_opens(site: Site) -> None:
    _with_purpose(site)
    before = _entries(site)
    asked = site.client.get("/people?name=Smith", headers=CROSS_SITE)
    assert QUESTION in asked.text
    assert _open_link(asked.text) == "/people?name=Smith"
    assert _entries(site) == before
    assert QUESTION not in site.client.get("/people", headers=CROSS_SITE).text
    assert QUESTION not in site.client.get("/organisations", headers=CROSS_SITE).text


def _page_routes(site: Site) -> list[str]:
    paths = {
        route.path
        for route in flat_routes(list(site.client.app.routes))  # type: ignore[attr-defined]
        if isinstance(route, APIRoute)
        and route.methods & {"GET", "HEAD"}
        and not route.path.startswith("/api")
        and not is_portal(route.path)
    }
    return sorted(paths - OPEN_FROM_ANOTHER_SITE - PUBLIC_PATHS)


def test_every_other_page_asks_first_from_another_site_and_changes_nothing(site: Site) -> None:
    """Enumerated from the app, so a page added later is covered without being listed: an
    alert (whose first reading records the acknowledgement), a referral, a share request, an
    identity review pair, the household and consent pages among them."""
    _with_purpose(site, IG_LEAD)
    paths = _page_routes(site)
    assert {"/people/{person_id}", "/alerts/{alert_id}", "/mash/referrals/{referral_id}"} <= set(
        paths
    )
    before = _entries(site)
    for path in paths:
        concrete = re.sub(r"\{[^}]+\}", "x1", path)
        answer = site.client.get(concrete, headers=CROSS_SITE, follow_redirects=False)
        assert answer.status_code == 200 and QUESTION in answer.text, path
        assert _open_link(answer.text) == concrete
    assert _entries(site) == before


@pytest.mark.parametrize(
    ("raw", "query", "link"),
    [
        (b"/people/P1", b"", "/people/P1"),
        (b"/people", b"name=Ann%20Smith", "/people?name=Ann%20Smith"),
        (b"//elsewhere.example/people", b"", "/elsewhere.example/people"),
        (b"/\\elsewhere.example/people", b"", "/elsewhere.example/people"),
    ],
)
def test_the_link_never_leads_to_another_site(raw: bytes, query: bytes, link: str) -> None:
    scope = {
        "type": "http",
        "method": "GET",
        "path": raw.decode(),
        "raw_path": raw,
        "query_string": query,
        "headers": [],
    }
    assert same_site_target(Request(scope)) == link


def test_the_api_refuses_a_session_from_another_site_but_serves_tokens(site: Site) -> None:
    person, _ = site.child_with_attendance()
    purpose = {"x-sharewell-purpose": "safeguarding_children"}
    site.sign_in(IG_LEAD)
    made = site.client.post(
        "/api/v1/api-tokens",
        json={"name": "case system", "scopes": ["read"]},
        headers={"x-csrf-token": site.token("/people/x/requests/new")},
    )
    assert made.status_code == 201, made.text
    before = _entries(site)
    refused = site.client.get(f"/api/v1/people/{person}", headers={**CROSS_SITE, **purpose})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "CSRF_FAILED"
    assert _entries(site) == before
    site.client.cookies.clear()
    bearer: dict[str, Any] = {"authorization": f"Bearer {made.json()['token']}"}
    served = site.client.get(
        f"/api/v1/people/{person}", headers={**CROSS_SITE, **purpose, **bearer}
    )
    assert served.status_code != 403, served.text
