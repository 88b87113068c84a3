"""/api/v1 for the disclosure gate: purpose, search, record, household, consent, relationships."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app
from tests.disclosure_fixtures import (
    DSL_EMAIL,
    GP_EMAIL,
    NOW,
    Scenario,
    demo_partnership,
    sign_in,
)
from tests.entrypoints.conftest import refused_soon


@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, Container, Scenario]]:
    container, scenario = demo_partnership(settings)
    with TestClient(create_app(settings, container=container, clock=lambda: NOW)) as client:
        yield client, container, scenario
    container.close()


def _csrf(client: TestClient) -> dict[str, str]:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/purpose").text)
    assert found
    return {"x-csrf-token": found.group(1)}


def test_api_walks_through_purpose_record_consent_and_relationships(api) -> None:  # type: ignore[no-untyped-def]
    client, _, scenario = api
    sign_in(client, DSL_EMAIL)
    needs = client.get(f"/api/v1/people/{scenario.pupil}")
    assert needs.status_code == 409
    assert needs.json()["error"]["code"] == "PURPOSE_REQUIRED"
    assert client.get("/api/v1/purpose").json() == {"purpose": None, "label": None}
    headers = _csrf(client)
    chosen = client.put(
        "/api/v1/purpose", json={"purpose": "safeguarding_children"}, headers=headers
    )
    assert chosen.status_code == 200 and chosen.json()["purpose"] == "safeguarding_children"
    record = client.get(f"/api/v1/people/{scenario.pupil}").json()
    police = [f for f in record["chronology"] if f["holder"] == "POL"]
    assert police and all(set(f["fields"]) == {"incident_type"} for f in police)
    assert all(f["date_london"] for f in police)
    withheld = {(w["holder"], w["category"]) for w in record["withheld"]}
    assert ("POL", "police_intelligence") in withheld
    assert record["withheld"][0]["request_url"].startswith(f"/people/{scenario.pupil}/requests/new")
    family = record["person"]["identities"][0]["family_name"]
    found = client.get("/api/v1/people", params={"name": family}).json()["people"]
    assert scenario.pupil in [p["person_id"] for p in found]
    assert scenario.patient not in [p["person_id"] for p in found]
    assert client.get(f"/api/v1/people/{scenario.patient}").status_code == 404
    assert (
        client.get("/api/v1/people/unknown").json()
        == client.get(f"/api/v1/people/{scenario.patient}").json()
    )
    added = client.post(
        f"/api/v1/people/{scenario.pupil}/consents",
        json={"purpose": "early_help", "state": "refused"},
        headers=headers,
    )
    assert added.status_code == 201
    consents = client.get(f"/api/v1/people/{scenario.pupil}/consents").json()["consents"]
    assert [c["state"] for c in consents] == ["refused"]
    started = client.post(
        f"/api/v1/people/{scenario.pupil}/relationships",
        json={"kind": "allocated_worker", "starts_on": "2026-01-10"},
        headers=headers,
    )
    assert started.status_code == 201
    ended = client.post(
        f"/api/v1/people/{scenario.pupil}/relationships/{started.json()['id']}/end",
        headers=headers,
    )
    assert ended.status_code == 200 and ended.json()["ends_on"] == "2026-03-02"
    household = client.get(f"/api/v1/people/{scenario.pupil}/household")
    assert household.status_code == 200


def test_another_agency_cannot_end_a_schools_relationship_over_the_api(api) -> None:  # type: ignore[no-untyped-def]
    client, _, scenario = api
    sign_in(client, "officer@pol.anyshire.example")
    headers = {**_csrf(client), "x-sharewell-purpose": "safeguarding_children"}
    listed = client.get(f"/api/v1/people/{scenario.pupil}/relationships", headers=headers)
    [school] = listed.json()["relationships"]
    refused = client.post(
        f"/api/v1/people/{scenario.pupil}/relationships/{school['id']}/end", headers=headers
    )
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "PERMISSION_DENIED" and error["field"] == "relationship"
    assert "practitioner at SCH6" in error["message"]
    after = client.get(f"/api/v1/people/{scenario.pupil}/relationships", headers=headers)
    assert after.json()["relationships"][0]["ends_on"] is None


def test_purpose_header_is_used_per_request(api) -> None:  # type: ignore[no-untyped-def]
    client, _, scenario = api
    sign_in(client, GP_EMAIL)
    answer = client.get(
        f"/api/v1/people/{scenario.patient}", headers={"x-sharewell-purpose": "direct_care"}
    )
    assert answer.status_code == 200
    assert answer.json()["purpose"] == "direct_care"
    assert any(f["holder"] == "ACU" for f in answer.json()["chronology"])


def test_openapi_documents_the_people_api_with_response_models(api) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = api
    spec = client.get("/api/openapi.json").json()
    record = spec["paths"]["/api/v1/people/{person_id}"]["get"]
    assert record["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "RecordOut"
    )
    for path in (
        "/api/v1/purpose",
        "/api/v1/people",
        "/api/v1/people/{person_id}/consents",
        "/api/v1/people/{person_id}/relationships",
    ):
        assert path in spec["paths"]


def test_record_reads_stop_at_once_on_deactivation_and_sign_out(api) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select, update

    from sharewell.adapters.db.tables import PractitionerRow

    client, container, scenario = api
    purpose = {"x-sharewell-purpose": "direct_care"}
    sign_in(client, GP_EMAIL)
    assert client.get(f"/api/v1/people/{scenario.patient}", headers=purpose).status_code == 200
    with container.engine.begin() as conn:
        gp = conn.execute(select(PractitionerRow.id).where(PractitionerRow.email == GP_EMAIL))
        gp_id = gp.scalar_one()
        conn.execute(
            update(PractitionerRow).where(PractitionerRow.id == gp_id).values(active=False)
        )
    # Refused from the next read on SQLite (read on every request); on PostgreSQL as soon as
    # the database's word of the change reaches the server (milliseconds).
    refused = refused_soon(
        lambda: client.get(f"/api/v1/people/{scenario.patient}", headers=purpose)
    )
    assert refused.status_code == 401
    assert "chronology" not in refused.text
    with container.engine.begin() as conn:
        conn.execute(update(PractitionerRow).where(PractitionerRow.id == gp_id).values(active=True))
    sign_in(client, GP_EMAIL)
    assert client.get(f"/api/v1/people/{scenario.patient}", headers=purpose).status_code == 200
    client.post("/sign-out", data={"csrf_token": _csrf(client)["x-csrf-token"]})
    assert client.get(f"/api/v1/people/{scenario.patient}", headers=purpose).status_code == 401


def test_record_responses_carry_the_security_headers_and_the_session_cookie_once_a_minute(
    settings: Settings,
) -> None:
    container, scenario = demo_partnership(settings)
    now = [NOW]
    read = f"/api/v1/people/{scenario.patient}"
    purpose = {"x-sharewell-purpose": "direct_care"}
    with TestClient(create_app(settings, container=container, clock=lambda: now[0])) as client:
        sign_in(client, GP_EMAIL)
        answer = client.get(read, headers=purpose)
        now[0] += timedelta(seconds=61)
        later = client.get(read, headers=purpose)
        again = client.get(read, headers=purpose)
    container.close()
    assert answer.status_code == later.status_code == again.status_code == 200
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    # Nothing changed since sign-in set the cookie: the browser keeps the one it has.
    assert answer.headers.get_list("set-cookie") == []
    # A minute on, the cookie is sent again with the new time last seen, then not again.
    cookies = later.headers.get_list("set-cookie")
    assert len(cookies) == 1 and cookies[0].startswith("sharewell_session=")
    assert "httponly" in cookies[0].lower() and "samesite=lax" in cookies[0].lower()
    assert again.headers.get_list("set-cookie") == []
