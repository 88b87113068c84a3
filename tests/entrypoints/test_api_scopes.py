"""Every /api/v1 route declares the API token scope it needs (docs/api.md), enumerated from the
app's routes so a new route is covered the moment it is added; a token without that scope is
refused on every one of them, while a signed-in session does what the practitioner's role allows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from sharewell.config import Settings
from sharewell.domain.api_tokens import Scope
from sharewell.entrypoints.api.deps import ScopeRequired
from sharewell.entrypoints.web.portal_security import is_portal
from tests.entrypoints.conftest import flat_routes
from tests.entrypoints.sharing_kit import Site, make_site

OFFICER_IG = "ig@pol.anyshire.example"
PURPOSE = {"x-sharewell-purpose": "safeguarding_children"}

# API routes deliberately without a token scope: the API's own documentation, public to all
# (security.PUBLIC_PATHS). The citizen portal's API (/api/v1/my) is left out of the enumeration:
# it has its own sign-in and never accepts a practitioner's token (is_portal, in the gatekeeper).
WITHOUT_SCOPE = frozenset({"/api/docs", "/api/openapi.json"})


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    yield from make_site(settings)


def _scopes(dependant: Dependant) -> set[Scope]:
    found = {d.call.scope for d in dependant.dependencies if isinstance(d.call, ScopeRequired)}
    for sub in dependant.dependencies:
        found |= _scopes(sub)
    return found


def _api_routes(site: Site) -> list[APIRoute]:
    return [
        r
        for r in flat_routes(list(site.client.app.routes))  # type: ignore[attr-defined]
        if isinstance(r, APIRoute) and r.path.startswith("/api/") and not is_portal(r.path)
    ]


def _token(site: Site, scopes: list[Scope]) -> dict[str, str]:
    site.sign_in(OFFICER_IG)
    made = site.client.post(
        "/api/v1/api-tokens",
        json={"name": "case system", "scopes": [s.value for s in scopes]},
        headers={"x-csrf-token": site.token("/people/x/requests/new")},
    )
    assert made.status_code == 201, made.text
    site.client.cookies.clear()
    return {"Authorization": f"Bearer {made.json()['token']}"}


def test_every_api_route_declares_exactly_one_scope(site: Site) -> None:
    routes = _api_routes(site)
    assert len(routes) >= 40  # the enumeration found the API
    for route in routes:
        scopes = _scopes(route.dependant)
        if route.path in WITHOUT_SCOPE:
            assert not scopes, route.path
        else:
            assert len(scopes) == 1, (sorted(route.methods), route.path, scopes)


def test_every_scoped_route_declares_the_api_token_scheme_in_openapi(site: Site) -> None:
    # The scope dependency is the bearer scheme itself (api/deps.py): one dependency, and the
    # OpenAPI document still names the scheme on every operation that takes a token.
    document = site.client.get("/api/openapi.json").json()
    checked = 0
    for route in _api_routes(site):
        if route.path in WITHOUT_SCOPE or not route.include_in_schema:
            continue
        for method in route.methods:
            operation = document["paths"][route.path][method.lower()]
            assert {"ApiToken": []} in operation.get("security", []), (method, route.path)
            checked += 1
    assert checked >= 40


def test_reads_need_read_and_changes_to_people_need_share(site: Site) -> None:
    declared = {
        (method, r.path): _scopes(r.dependant) for r in _api_routes(site) for method in r.methods
    }
    for path in (
        "/api/v1/people",
        "/api/v1/people/{person_id}",
        "/api/v1/people/{person_id}/household",
        "/api/v1/people/{person_id}/consents",
        "/api/v1/people/{person_id}/relationships",
        "/api/v1/people/{person_id}/risk",
        "/api/v1/hotspots",
        "/api/v1/risk/calibrations",
        "/api/v1/organisations",
        "/api/v1/purpose",
    ):
        assert declared["GET", path] == {Scope.READ}, path
    assert declared["PUT", "/api/v1/purpose"] == {Scope.READ}
    for path in (
        "/api/v1/people/{person_id}/consents",
        "/api/v1/people/{person_id}/relationships",
        "/api/v1/people/{person_id}/relationships/{relationship_id}/end",
    ):
        assert declared["POST", path] == {Scope.SHARE}, path


def test_a_token_without_the_scope_a_route_needs_is_refused_on_every_route(site: Site) -> None:
    tokens = {needed: _token(site, [s for s in Scope if s is not needed]) for needed in Scope}
    checked = 0
    for route in _api_routes(site):
        if route.path in WITHOUT_SCOPE:
            continue
        (needed,) = _scopes(route.dependant)
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        for method in sorted(route.methods):
            answer = site.client.request(
                method, path, headers={**tokens[needed], **PURPOSE}, json={}
            )
            assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
            error = answer.json()["error"]
            assert error["code"] == "PERMISSION_DENIED"
            assert error["field"] == "scope"
            assert f"{needed.value!r} scope" in error["message"]
            checked += 1
    assert checked >= 40


def test_a_read_token_reads_records_but_cannot_record_consent_or_relationships(
    site: Site,
) -> None:
    person = _police_person(site)
    reader = {**_token(site, [Scope.READ]), **PURPOSE}
    assert site.client.get(f"/api/v1/people/{person}", headers=reader).status_code == 200
    refused = [
        site.client.post(
            f"/api/v1/people/{person}/consents",
            json={"purpose": "early_help", "state": "refused"},
            headers=reader,
        ),
        site.client.post(
            f"/api/v1/people/{person}/relationships",
            json={"kind": "open_case"},
            headers=reader,
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403]
    assert site.client.get(f"/api/v1/people/{person}/consents", headers=reader).json() == {
        "consents": []
    }
    sharer = {**_token(site, [Scope.READ, Scope.SHARE]), **PURPOSE}
    recorded = site.client.post(
        f"/api/v1/people/{person}/consents",
        json={"purpose": "early_help", "state": "refused"},
        headers=sharer,
    )
    assert recorded.status_code == 201, recorded.text
    started = site.client.post(
        f"/api/v1/people/{person}/relationships", json={"kind": "open_case"}, headers=sharer
    )
    assert started.status_code == 201, started.text
    ended = site.client.post(
        f"/api/v1/people/{person}/relationships/{started.json()['id']}/end", headers=reader
    )
    assert ended.status_code == 403


def test_an_admin_token_cannot_read_joined_up_records_hotspots_or_risk(site: Site) -> None:
    person = _police_person(site)
    admin = {**_token(site, [Scope.ADMIN]), **PURPOSE}
    for path in (
        f"/api/v1/people/{person}",
        f"/api/v1/people/{person}/household",
        f"/api/v1/people/{person}/risk",
        "/api/v1/people?name=a",
        "/api/v1/hotspots",
        "/api/v1/risk/calibrations",
    ):
        answer = site.client.get(path, headers=admin)
        assert answer.status_code == 403, path
    assert site.client.get("/api/v1/api-tokens", headers=admin).status_code == 200


def test_a_signed_in_session_is_not_limited_by_scopes(site: Site) -> None:
    person = _police_person(site)
    site.sign_in(OFFICER_IG)
    headers = {"x-csrf-token": site.token("/people/x/requests/new"), **PURPOSE}
    assert site.client.get(f"/api/v1/people/{person}", headers=headers).status_code == 200
    recorded = site.client.post(
        f"/api/v1/people/{person}/consents",
        json={"purpose": "early_help", "state": "given"},
        headers=headers,
    )
    assert recorded.status_code == 201, recorded.text


def _police_person(site: Site) -> str:
    """A person the police hold a record of, so the police IG lead may see them (own record)."""
    from sqlalchemy import select

    from sharewell.adapters.db.tables import SourceRecordRow
    from sharewell.adapters.db.tables_identity import PersonLinkRow

    with site.container.engine.connect() as conn:
        person: str = conn.execute(
            select(PersonLinkRow.person_id)
            .join(SourceRecordRow, SourceRecordRow.id == PersonLinkRow.record_id)
            .where(SourceRecordRow.org_code == "POL")
            .order_by(PersonLinkRow.person_id)
            .limit(1)
        ).scalar_one()
    return person
