"""IG lead pages: agreements (list, plain English, upload with field and line errors, sign,
terminate), the override review queue, audit search with verification and proofs, API tokens;
and nobody else can open them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from sharewell.config import Settings
from tests.entrypoints.sharing_kit import OFFICER, Site, make_site

SCHOOL_IG = "ig@sch1.anyshire.example"
COUNCIL_IG = "ig@cscn.anyshire.example"


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    yield from make_site(settings)


def test_only_ig_leads_open_the_ig_pages(site: Site) -> None:
    site.sign_in(OFFICER)
    for path in ("/ig/agreements", "/ig/overrides", "/ig/audit", "/ig/api-tokens"):
        assert site.client.get(path).status_code == 403, path


def test_agreements_list_view_and_upload_errors_with_field_and_line(site: Site) -> None:
    site.sign_in(SCHOOL_IG)
    listing = site.client.get("/ig/agreements").text
    assert "Anyshire" in listing and "In force" in listing
    view = site.client.get("/ig/agreements/anyshire-charter/1").text
    assert "version 1" in view
    bad = "id: broken\nversion: 1\ntitle: Broken\nstarts_on: 2026-01-01\nends_on: nonsense\n"
    answer = site.client.post(
        "/ig/agreements",
        data={"csrf_token": site.token("/ig/agreements")},
        files={"agreement_file": ("broken.yaml", bad.encode(), "application/x-yaml")},
    )
    assert answer.status_code == 422
    assert "The agreement file has problems" in answer.text
    assert "Line 5: ends_on" in answer.text


def _pilot(version: int = 1) -> str:
    """A small agreement between the school and the police."""
    return (
        f"id: pilot\nversion: {version}\ntitle: Pilot\nstarts_on: 2026-01-01\n"
        "ends_on: 2028-01-01\n"
        "parties:\n  - org: SCH1\n    signed_by: null\n  - org: POL\n    signed_by: null\n"
        "flows:\n  - from: [SCH1]\n    to: [POL]\n    purposes: [safeguarding_children]\n"
        "    categories:\n      education: {fields: [occurred_at]}\n"
        "    recipient_roles: [police_officer]\n"
        '    legal_basis: {article6: "6(1)(e)", gateway: "Children Act 2004 s.11"}\n'
        "    consent: not_required\n"
        "    requires_relationship: false\n    national_opt_out_applies: false\n"
    )


def _upload(site: Site, document: str) -> Any:
    return site.client.post(
        "/ig/agreements",
        data={"csrf_token": site.token("/ig/agreements")},
        files={"agreement_file": ("pilot.yaml", document.encode(), "application/x-yaml")},
        follow_redirects=False,
    )


def test_upload_propose_sign_and_terminate_a_new_agreement(site: Site) -> None:
    site.sign_in(SCHOOL_IG)
    made = _upload(site, _pilot())
    assert made.status_code == 303, made.text
    page = "/ig/agreements/pilot/1"
    site.client.post(f"{page}/propose", data={"csrf_token": site.token(page)})
    signed = site.client.post(
        f"{page}/sign", data={"csrf_token": site.token(page), "name": "Anne Price", "role": "IG"}
    )
    assert "Your organisation has signed this version" in signed.text
    ended = site.client.post(
        "/ig/agreements/pilot/terminate",
        data={"csrf_token": site.token(page), "reason": "Pilot over", "confirm": "yes"},
    )
    assert "pilot is terminated" in ended.text


def test_terminating_needs_a_reason_and_a_confirmation_and_keeps_what_was_typed(
    site: Site,
) -> None:
    site.sign_in(SCHOOL_IG)
    assert _upload(site, _pilot()).status_code == 303
    page = "/ig/agreements/pilot/1"
    view = site.client.get(page).text
    assert "stops allowing any sharing now" in view and "cannot be undone" in view
    unconfirmed = site.client.post(
        "/ig/agreements/pilot/terminate",
        data={"csrf_token": site.token(page), "reason": "Pilot over", "version": "1"},
    )
    assert unconfirmed.status_code == 422
    assert "There is a problem" in unconfirmed.text
    assert 'href="#confirm"' in unconfirmed.text and 'id="confirm-error"' in unconfirmed.text
    assert 'href="#reason"' not in unconfirmed.text
    assert ">Pilot over</textarea>" in unconfirmed.text
    no_reason = site.client.post(
        "/ig/agreements/pilot/terminate",
        data={"csrf_token": site.token(page), "reason": "  ", "confirm": "yes", "version": "1"},
    )
    assert no_reason.status_code == 422
    assert 'href="#reason"' in no_reason.text and 'id="reason-error"' in no_reason.text
    assert "Say why the agreement ends" in no_reason.text
    from sharewell.services import governance as gov

    pilot = gov.stored_version(site.container.governance, "pilot", 1)
    assert pilot.agreement.terminated_at is None  # nothing stopped


def test_only_parties_see_or_use_propose_terminate_and_upload(site: Site) -> None:
    site.sign_in(SCHOOL_IG)
    assert _upload(site, _pilot()).status_code == 303
    page = "/ig/agreements/pilot/1"
    site.sign_in(COUNCIL_IG)  # the council is not a party to the pilot
    view = site.client.get(page)
    assert view.status_code == 200
    assert "not a party to this agreement" in view.text
    assert "/propose" not in view.text and "/terminate" not in view.text
    token = site.token("/ig/agreements")  # the page itself has no forms for a non-party
    proposed = site.client.post(f"{page}/propose", data={"csrf_token": token})
    assert proposed.status_code == 403
    assert "CSCN is not a party to pilot@1" in proposed.text
    ended = site.client.post(
        "/ig/agreements/pilot/terminate",
        data={"csrf_token": token, "reason": "Not ours", "confirm": "yes"},
    )
    assert ended.status_code == 403
    amended = _upload(site, _pilot(version=2))
    assert amended.status_code == 403
    assert "CSCN is not a party to pilot@2: only its parties may upload it" in amended.text
    site.sign_in(SCHOOL_IG)
    view = site.client.get(page)
    assert "Pilot" in view.text and "not a party" not in view.text
    assert f"{page}/propose" in view.text and "/ig/agreements/pilot/terminate" in view.text
    from sharewell.services import governance as gov

    pilot = gov.stored_version(site.container.governance, "pilot", 1)
    assert pilot.proposed_at is None and pilot.agreement.terminated_at is None


def test_override_queue_review_and_audit_search_with_proof(site: Site) -> None:
    person, _ = site.child_with_attendance()
    site.sign_in("eh@ehn.anyshire.example")
    used = site.client.post(
        f"/people/{person}/override",
        data={
            "csrf_token": site.token(f"/people/{person}/override"),
            "holder": "SCH1",
            "category": "education",
            "purpose": "early_help",
            "basis": "safeguarding",
            "justification": "Child missing overnight, whereabouts unknown",
        },
    )
    assert "Emergency override in force" in used.text
    site.sign_in(SCHOOL_IG)
    queue = site.client.get("/ig/overrides").text
    assert f"Person {person}" in queue and "Child missing overnight" in queue
    # What an IG lead needs to judge it: who, which information, why, and when.
    orgs = site.container.organisations
    ehn, school = orgs.get("EHN"), orgs.get("SCH1")
    assert ehn is not None and school is not None
    assert f"Rosie Marsh, Early help practitioner, {ehn.name}" in queue
    assert f"Education information held by {school.name}" in queue
    assert ">Early help<" in queue and ">Safeguarding<" in queue
    from sharewell.domain.times import london

    granted = site.clock()
    assert f">{london(granted)}<" in queue  # granted
    assert f">{london(granted + timedelta(hours=4))}<" in queue  # ends
    assert "demo-eh-ehn" not in queue and "(EHN)" not in queue
    review_id = queue.split('action="/ig/overrides/')[1].split('"')[0]
    site.client.post(
        f"/ig/overrides/{review_id}",
        data={"csrf_token": site.token("/ig/overrides"), "outcome": "justified", "notes": "Fine"},
    )
    assert "No overrides of your organisation" in site.client.get("/ig/overrides").text

    site.container.audit.checkpoint()
    found = site.client.get(f"/ig/audit?person={person}&kind=override").text
    assert "Verified" in found
    rows = found.split('id="hits"')[1]
    assert rows.count("/proof") == 2  # the override and its review
    index = rows.split('href="/ig/audit/')[1].split("/")[0]
    proof = site.client.get(f"/ig/audit/{index}/proof")
    assert proof.status_code == 200
    assert json.loads(proof.text)["index"] == int(index)
    assert "attachment" in proof.headers["content-disposition"]


def test_tokens_page_shows_a_new_token_once_and_revokes(site: Site) -> None:
    site.sign_in(SCHOOL_IG)
    made = site.client.post(
        "/ig/api-tokens",
        data={"csrf_token": site.token("/ig/api-tokens"), "name": "MIS", "scopes": ["read"]},
    )
    secret = made.text.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("swt_")
    again = site.client.get("/ig/api-tokens").text
    assert secret not in again and "MIS" in again
    token_id = again.split('action="/ig/api-tokens/')[1].split("/")[0]
    site.client.post(
        f"/ig/api-tokens/{token_id}/revoke", data={"csrf_token": site.token("/ig/api-tokens")}
    )
    site.client.cookies.clear()
    refused = site.client.get(
        "/api/v1/share-requests/sent", headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 401


def test_a_token_without_a_name_or_scopes_is_shown_again_with_errors(site: Site) -> None:
    site.sign_in(SCHOOL_IG)
    no_scopes = site.client.post(
        "/ig/api-tokens",
        data={"csrf_token": site.token("/ig/api-tokens"), "name": "School MIS"},
    )
    assert no_scopes.status_code == 422
    assert "There is a problem" in no_scopes.text
    assert 'href="#scope-read"' in no_scopes.text and 'id="scopes-error"' in no_scopes.text
    assert 'value="School MIS"' in no_scopes.text
    assert 'id="new-token"' not in no_scopes.text
    no_name = site.client.post(
        "/ig/api-tokens",
        data={"csrf_token": site.token("/ig/api-tokens"), "scopes": ["share"]},
    )
    assert no_name.status_code == 422
    assert 'href="#token-name"' in no_name.text and 'id="token-name-error"' in no_name.text
    assert 'href="#scope-read"' not in no_name.text
    assert 'value="share" aria-describedby="scope-share-hint" checked' in no_name.text
    assert "School MIS" not in site.client.get("/ig/api-tokens").text  # nothing was made


def _use_an_override(site: Site) -> str:
    person, _ = site.child_with_attendance()
    site.sign_in("eh@ehn.anyshire.example")
    site.client.post(
        f"/people/{person}/override",
        data={
            "csrf_token": site.token(f"/people/{person}/override"),
            "holder": "SCH1",
            "category": "education",
            "purpose": "early_help",
            "basis": "safeguarding",
            "justification": "Child missing overnight, whereabouts unknown",
        },
    )
    return person


def test_a_review_without_a_conclusion_is_shown_again_with_the_notes(site: Site) -> None:
    person = _use_an_override(site)
    site.sign_in(SCHOOL_IG)
    queue = site.client.get("/ig/overrides").text
    review_id = queue.split('action="/ig/overrides/')[1].split('"')[0]
    answer = site.client.post(
        f"/ig/overrides/{review_id}",
        data={"csrf_token": site.token("/ig/overrides"), "notes": "Spoke to the head teacher"},
    )
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert f'href="#outcome-{review_id}"' in answer.text
    assert f'id="outcome-{review_id}" name="outcome" type="radio"' in answer.text
    assert f'id="outcome-{review_id}-error"' in answer.text
    assert ">Spoke to the head teacher</textarea>" in answer.text
    # Nothing was recorded: the override still waits for review.
    assert f"Person {person}" in site.client.get("/ig/overrides").text


def test_audit_search_shows_outcomes_in_plain_english(site: Site) -> None:
    person = _use_an_override(site)
    site.sign_in(SCHOOL_IG)
    found = site.client.get(f"/ig/audit?person={person}&kind=override").text
    rows = found.split('id="hits"')[1]
    assert "Permitted" in rows
    assert ">permit<" not in rows


def test_audit_search_with_an_invalid_date_says_so(site: Site) -> None:
    site.sign_in(SCHOOL_IG)
    answer = site.client.get("/ig/audit?since=2026-02-31&until=2026-03-01")
    assert answer.status_code == 400
    assert 'href="#since"' in answer.text
    assert 'id="since-error"' in answer.text
    assert 'href="#until"' not in answer.text
    assert 'value="2026-02-31"' in answer.text
    assert 'id="hits"' not in answer.text  # no search made wider than asked
