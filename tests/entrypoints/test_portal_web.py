"""The citizen portal through a TestClient on the demo partnership: sign-in, what is held, who
has looked (with withholding), choices that the next decision reads, and requests."""

from __future__ import annotations

from sharewell.domain.vocabulary import Purpose
from tests.disclosure_fixtures import sign_in
from tests.entrypoints.portal_kit import (
    CITIZEN_EMAIL,
    OFFICER_EMAIL,
    Portal,
    citizen_sign_in,
    csrf,
    details_of,
    portal_site_fixture,  # noqa: F401  (the `portal_site` fixture)
    practitioner_reads,
)

CRIME = Purpose.CRIME_PREVENTION.label


def test_citizen_signs_in_sees_holders_and_an_early_help_access(portal_site: Portal) -> None:
    site = portal_site
    record = practitioner_reads(site)
    assert record["chronology"], "the early help practitioner sees items under consent"
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    held = site.client.get("/my/held")
    assert held.status_code == 200
    assert "Brookfield" in held.text or "holder-SCH6" in held.text
    looked = site.client.get("/my/looked")
    assert looked.status_code == 200
    assert "Early help" in looked.text
    api = site.client.get("/api/v1/my/accesses").json()
    purposes = {e["purpose"] for e in api["entries"]}
    assert "early help" in {p.lower() for p in purposes}
    entry = next(e for e in api["entries"] if e["outcome"] == "permit")
    assert "6(1)(e)" in entry["legal_basis"] or "Article 6" in entry["legal_basis"]


def test_withdrawing_consent_denies_the_next_early_help_request(portal_site: Portal) -> None:
    site = portal_site
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    page = site.client.get("/my/choices")
    assert "Withdraw consent" in page.text
    done = site.client.post(
        "/my/choices/consent",
        data={
            "purpose": "early_help",
            "choice": "withdraw",
            "csrf_token": csrf(site.client, "/my/choices"),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    site.clock.advance(minutes=1)
    record = practitioner_reads(site)
    reasons = {r for w in record["withheld"] for r in w["reasons"]}  # type: ignore[attr-defined]
    assert "CONSENT_WITHDRAWN" in reasons
    assert not record["chronology"]


def test_a_withheld_access_is_not_shown_or_counted_until_its_release_date(
    portal_site: Portal,
) -> None:
    site = portal_site
    practitioner_reads(site)  # an early help access: always shown
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    before = site.client.get("/api/v1/my/accesses").json()
    # A police officer looks for crime prevention: withheld for 365 days by the default policy.
    site.client.cookies.clear()
    sign_in(site.client, OFFICER_EMAIL)
    looked = site.client.get(
        f"/api/v1/people/{site.child}", headers={"X-Sharewell-Purpose": "crime_prevention"}
    )
    assert looked.status_code in (200, 404)
    site.client.cookies.clear()
    site.container.audit.checkpoint()
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    during = site.client.get("/api/v1/my/accesses").json()
    assert during["total"] == before["total"]
    assert [e["index"] for e in during["entries"]] == [e["index"] for e in before["entries"]]
    assert all(e["purpose"] != CRIME for e in during["entries"])
    page = site.client.get("/my/looked")
    assert CRIME.capitalize() not in page.text.split('id="access-count"')[1]
    assert "some entries may be withheld" in page.text.lower()
    assert f"{during['total']} entr" in page.text
    # Beyond the last page: nothing, and still the same count.
    beyond = site.client.get("/api/v1/my/accesses?page=99").json()
    assert beyond["entries"] == [] and beyond["total"] == before["total"]
    # A year and a day later the entries appear.
    site.clock.advance(days=366)
    site.client.cookies.clear()
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    after = site.client.get("/api/v1/my/accesses").json()
    released = [e for e in after["entries"] if e["purpose"] == CRIME]
    assert released, [(e["purpose"], e["organisation"]) for e in after["entries"]]
    assert after["total"] == before["total"] + len(released)
    assert all(e["organisation"] == "Anyshire Police" for e in released)


def test_a_request_reaches_the_holders_ig_queue_with_the_deadline_on_both_sides(
    portal_site: Portal,
) -> None:
    site = portal_site
    patient = details_of(site.container, site.scenario.patient, "GP")
    citizen_sign_in(site.client, site.container, "patient@example.com", patient)
    sent = site.client.post(
        "/my/requests",
        data={
            "org_code": "GP1",
            "kind": "correction",
            "details": "My phone number is wrong on my record.",
            "csrf_token": csrf(site.client, "/my/requests"),
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    mine = site.client.get("/my/requests").text
    assert "2 April 2026" in mine and "Waiting for an answer" in mine  # received 2 March
    # Not an organisation that holds my data: refused, naming the field.
    refused = site.client.post(
        "/my/requests",
        data={
            "org_code": "EHN",
            "kind": "concern",
            "details": "x" * 20,
            "csrf_token": csrf(site.client, "/my/requests"),
        },
    )
    assert refused.status_code == 422 and 'href="#org_code"' in refused.text
    site.client.cookies.clear()
    sign_in(site.client, "ig@gp1.anyshire.example")
    queue = site.client.get("/ig/citizen-requests")
    assert queue.status_code == 200
    assert "My phone number is wrong" in queue.text and "2 April 2026" in queue.text
    (request,) = site.container.portal.store.requests_to("GP1")
    site.client.cookies.clear()
    sign_in(site.client, "ig@pol.anyshire.example")
    assert "My phone number is wrong" not in site.client.get("/ig/citizen-requests").text
    other_org = site.client.post(
        f"/ig/citizen-requests/{request.id}/answered",
        data={"csrf_token": csrf(site.client, "/sign-out")},
    )
    assert other_org.status_code == 404  # not in the police's queue
    site.client.cookies.clear()
    sign_in(site.client, "ig@gp1.anyshire.example")
    answered = site.client.post(
        f"/ig/citizen-requests/{request.id}/answered",
        data={"csrf_token": csrf(site.client, "/ig/citizen-requests")},
    )
    assert answered.status_code == 200 and "Answered" in answered.text
    assert "govuk-notification-banner--success" in answered.text
    assert "The request is marked as answered." in answered.text
    site.client.cookies.clear()
    sign_in(site.client, "gp@gp1.anyshire.example")
    assert site.client.get("/ig/citizen-requests").status_code == 403


def test_the_commitments_page_is_public_and_made_from_settings_and_agreements(
    portal_site: Portal,
) -> None:
    page = portal_site.client.get("/my/commitments")
    assert page.status_code == 200
    text = page.text
    assert "never sold" in text
    assert portal_site.container.settings.portal_storage_location.split(",")[0] in text
    assert "anyshire-charter@" in text and "Children Act" in text


def test_a_copy_goes_through_the_gate_and_holds_back_reviewed_categories(
    portal_site: Portal,
) -> None:
    site = portal_site
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    copy = site.client.get("/my/copy.json").json()
    assert copy["format"] == "sharewell-subject-access/v1"
    assert {r["organisation"] for r in copy["identities"]} >= {"North Anyshire Early Help"}
    assert copy["facts"], "the school's items are in the copy"
    assert all(f["category"] != "police intelligence" for f in copy["facts"])
    entries = site.client.get("/api/v1/my/accesses").json()["entries"]
    assert not any(e["organisation"] == "" for e in entries)
