"""The /api/v1 sharing endpoints with per-organisation API tokens: created by an IG lead (shown
once, hashed at rest), scoped, revocable, last-used recorded; the officer-asks/school-shares flow
over the API; the override and its IG review."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from sharewell.adapters.db.tables_sharing import ApiTokenRow
from sharewell.config import Settings
from sharewell.domain.api_tokens import digest
from tests.entrypoints.sharing_kit import Site, make_site


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    yield from make_site(settings)


OFFICER_IG = "ig@pol.anyshire.example"
SCHOOL_IG = "ig@sch1.anyshire.example"


def _token(site: Site, email: str, scopes: list[str]) -> str:
    site.sign_in(email)
    csrf = site.token("/people/x/requests/new")
    made = site.client.post(
        "/api/v1/api-tokens",
        json={"name": "case system", "scopes": scopes},
        headers={"x-csrf-token": csrf},
    )
    assert made.status_code == 201, made.text
    secret: str = made.json()["token"]
    site.client.cookies.clear()
    return secret


def test_a_token_is_shown_once_and_stored_only_as_a_digest(site: Site) -> None:
    secret = _token(site, OFFICER_IG, ["read"])
    with site.container.engine.connect() as conn:
        rows = conn.execute(select(ApiTokenRow.digest, ApiTokenRow.last_used_at)).all()
    assert rows == [(digest(secret), None)]
    assert secret not in str(rows)
    answer = site.client.get(
        "/api/v1/share-requests/sent", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status_code == 200
    with site.container.engine.connect() as conn:
        assert conn.execute(select(ApiTokenRow.last_used_at)).scalar_one() is not None


def test_scopes_limit_what_a_token_does_and_revocation_is_immediate(site: Site) -> None:
    secret = _token(site, OFFICER_IG, ["read"])
    auth = {"Authorization": f"Bearer {secret}"}
    refused = site.client.post(
        "/api/v1/people/p1/share-requests",
        json={
            "holder": "SCH1",
            "categories": ["education"],
            "purpose": "safeguarding_children",
            "urgency": "urgent",
            "reason": "A reason that is long enough to pass",
        },
        headers=auth,
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "PERMISSION_DENIED"
    assert site.client.get("/api/v1/api-tokens", headers=auth).status_code == 403
    admin = _token(site, OFFICER_IG, ["admin"])
    listed = site.client.get("/api/v1/api-tokens", headers={"Authorization": f"Bearer {admin}"})
    token_id = next(t["id"] for t in listed.json() if t["scopes"] == ["read"])
    assert "token" not in listed.json()[0]
    revoked = site.client.delete(
        f"/api/v1/api-tokens/{token_id}", headers={"Authorization": f"Bearer {admin}"}
    )
    assert revoked.status_code == 200
    gone = site.client.get("/api/v1/share-requests/sent", headers=auth)
    assert gone.status_code == 401
    assert (
        site.client.get(
            "/api/v1/share-requests/sent", headers={"Authorization": "Bearer swt_nonsense"}
        ).status_code
        == 401
    )


def test_officer_asks_and_school_shares_over_the_api(site: Site) -> None:
    person, fact_id = site.child_with_attendance()
    # Tokens act as the IG lead who made them; the police IG lead asks here.
    police = {"Authorization": f"Bearer {_token(site, OFFICER_IG, ['read', 'share'])}"}
    school = {"Authorization": f"Bearer {_token(site, SCHOOL_IG, ['read', 'share'])}"}
    made = site.client.post(
        f"/api/v1/people/{person}/share-requests",
        json={
            "holder": "SCH1",
            "categories": ["education"],
            "purpose": "safeguarding_children",
            "urgency": "immediate",
            "reason": "Child seen out of school with adults of concern",
        },
        headers=police,
    )
    assert made.status_code == 201, made.text
    request_id = made.json()["id"]
    inbox = site.client.get("/api/v1/share-requests/inbox", headers=school).json()
    assert [r["id"] for r in inbox] == [request_id]
    answered = site.client.post(
        f"/api/v1/share-requests/{request_id}/answer",
        json={
            "choice": "share",
            "items": [{"fact_id": fact_id, "category": "education", "fields": ["occurred_at"]}],
            "consent_sought": False,
            "consent_detail": "Seeking consent may put the child at risk",
            "legal_basis": ["6(1)(e)"],
            "safety_considered": "The child's safety",
            "necessary_and_proportionate": "Dates only",
            "advice_sought": "None needed",
        },
        headers=school,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "shared"
    detail = site.client.get(f"/api/v1/share-requests/{request_id}", headers=police).json()
    assert [sorted(i["fields"]) for i in detail["shared"]] == [["occurred_at"]]
    assert (
        site.client.get(f"/api/v1/share-requests/{request_id}", headers=school).json()["shared"]
        == []
    )


def test_override_over_the_api_reaches_the_holders_ig_queue(site: Site) -> None:
    person, _ = site.child_with_attendance()
    site.sign_in("eh@ehn.anyshire.example")
    csrf = site.token(f"/people/{person}/requests/new")
    used = site.client.post(
        f"/api/v1/people/{person}/overrides",
        json={
            "holder": "SCH1",
            "category": "education",
            "purpose": "early_help",
            "basis": "safeguarding",
            "justification": "Child missing overnight, whereabouts unknown",
        },
        headers={"x-csrf-token": csrf},
    )
    assert used.status_code == 200, used.text
    assert used.json()["granted"] is True
    review_id = used.json()["review_id"]
    ig = {"Authorization": f"Bearer {_token(site, SCHOOL_IG, ['admin'])}"}
    queue = site.client.get("/api/v1/override-reviews", headers=ig).json()
    assert [r["id"] for r in queue] == [review_id]
    police_ig = {"Authorization": f"Bearer {_token(site, OFFICER_IG, ['admin'])}"}
    assert site.client.get("/api/v1/override-reviews", headers=police_ig).json() == []
    done = site.client.post(
        f"/api/v1/override-reviews/{review_id}",
        json={"outcome": "justified", "notes": "Child was missing; proportionate"},
        headers=ig,
    )
    assert done.status_code == 200
    assert site.client.get("/api/v1/override-reviews", headers=ig).json() == []


def test_openapi_declares_the_bearer_scheme(site: Site) -> None:
    document = site.client.get("/api/openapi.json").json()
    assert document["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"
    assert "/api/v1/share-requests/inbox" in document["paths"]
