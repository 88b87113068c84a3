"""The identity review queue for IG leads, as pages and as /api/v1/identity/review: only leads of
an organisation holding one of the records see a pair; the records come through the disclosure
gate (audited); the waterfall is a table with server-drawn bars; the decision is kept (CSRF on
the form) and overrides the model from then on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sharewell.config import Settings
from sharewell.services.audit_search import AuditQuery, search_audit
from tests.entrypoints.identity_review_kit import queue_pair
from tests.entrypoints.sharing_kit import OFFICER, Site, make_site

POLICE_IG = "ig@pol.anyshire.example"
GP_IG = "ig@gp1.anyshire.example"


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    yield from make_site(settings)


def _audited(site: Site, kind: str) -> list[dict[str, object]]:
    hits, _ = search_audit(site.container.audit_reader, AuditQuery(kind=kind))  # type: ignore[arg-type]
    return [h.entry for h in hits]


def test_a_lead_reviews_a_pair_side_by_side_and_decides_it(site: Site) -> None:
    pair = queue_pair(site.container)
    page = f"/ig/identity-reviews/{pair}"
    site.sign_in(OFFICER)
    assert site.client.get("/ig/identity-reviews").status_code == 403
    assert site.client.get(page).status_code == 403
    site.sign_in(GP_IG)  # GP1 holds neither record
    assert f"Review pair {pair}" not in site.client.get("/ig/identity-reviews").text
    assert site.client.get(page).status_code == 404
    site.sign_in(POLICE_IG)
    listing = site.client.get("/ig/identity-reviews").text
    assert f"Review pair {pair}" in listing and "POL and SCH1" in listing and "83.0%" in listing
    shown = site.client.get(page)
    assert shown.status_code == 200
    text = shown.text
    assert "The two records side by side" in text and "How the model weighed the evidence" in text
    assert "Day and month swapped" in text and "+9.80" in text and "-2.40" in text
    # Bars drawn on the server: the largest weight (the prior, -12.5) spans the left half of
    # the chart; the family name's +9.8 goes right of the axis, 9.8 / 12.5 of that length.
    assert '<rect x="0" y="3" width="80" height="10" fill="#d4351c"/>' in text
    assert '<rect x="80" y="3" width="63" height="10" fill="#00703c"/>' in text
    assert "<script>" not in text
    disclosures = [e for e in _audited(site, "disclosure") if e.get("purpose") == "identity_review"]
    assert disclosures and disclosures[-1]["refs"]["review_pair"] == str(pair)  # type: ignore[index]
    # No CSRF token: refused and nothing decided.
    refused = site.client.post(page, data={"decision": "match"})
    assert refused.status_code == 403
    assert site.container.identity_review.decisions() == ([], [])
    unclear = site.client.post(page, data={"csrf_token": site.token(page), "decision": "maybe"})
    assert unclear.status_code == 422
    assert site.container.identity_review.decisions() == ([], [])
    done = site.client.post(page, data={"csrf_token": site.token(page), "decision": "match"})
    assert done.status_code == 200
    assert f"Pair {pair} recorded as the same person" in done.text
    matches, non_matches = site.container.identity_review.decisions()
    assert len(matches) == 1 and non_matches == []
    assert f"Review pair {pair}" not in done.text  # no longer pending
    assert "Decided: <strong>A match</strong>" in site.client.get(page).text
    assert [e["outcome"] for e in _audited(site, "identity_review")] == ["match"]


def _token(site: Site, email: str, scopes: list[str]) -> str:
    site.sign_in(email)
    made = site.client.post(
        "/api/v1/api-tokens",
        json={"name": "identity desk", "scopes": scopes},
        headers={"x-csrf-token": site.token("/ig/api-tokens")},
    )
    assert made.status_code == 201, made.text
    secret: str = made.json()["token"]
    site.client.cookies.clear()
    return secret


def test_the_review_api_lists_shows_and_decides_for_leads_only(site: Site) -> None:
    pair = queue_pair(site.container)
    admin = {"Authorization": f"Bearer {_token(site, POLICE_IG, ['admin'])}"}
    reader = {"Authorization": f"Bearer {_token(site, POLICE_IG, ['read'])}"}
    other = {"Authorization": f"Bearer {_token(site, GP_IG, ['admin'])}"}
    listed = site.client.get("/api/v1/identity/review", headers=admin)
    assert listed.status_code == 200
    assert [(p["id"], p["org_l"], p["org_r"]) for p in listed.json()] == [(pair, "POL", "SCH1")]
    assert site.client.get("/api/v1/identity/review", headers=reader).status_code == 403
    assert site.client.get("/api/v1/identity/review", headers=other).json() == []
    missing = site.client.get(f"/api/v1/identity/review/{pair}", headers=other)
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "pair"
    shown = site.client.get(f"/api/v1/identity/review/{pair}", headers=admin).json()
    assert [r["org_code"] for r in shown["records"]] == ["POL", "SCH1"]
    assert shown["status"] == "pending"
    assert [s["comparison"] for s in shown["waterfall"]][:3] == [
        "prior",
        "given_name",
        "family_name",
    ]
    assert {s["effect"] for s in shown["waterfall"]} >= {"agrees", "disagrees"}
    bad = site.client.post(
        f"/api/v1/identity/review/{pair}", json={"decision": "perhaps"}, headers=admin
    )
    assert bad.status_code == 422
    decided = site.client.post(
        f"/api/v1/identity/review/{pair}", json={"decision": "non_match"}, headers=admin
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "non_match"
    assert len(site.container.identity_review.decisions()[1]) == 1
    assert site.client.get("/api/v1/identity/review", headers=admin).json() == []
