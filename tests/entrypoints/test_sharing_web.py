"""Request to share and emergency override through the pages (TestClient, demo data): the
officer asks, the school's DSL shares with a decision record, the officer sees exactly what was
shared; the override shows a banner with the time left and lands in the IG review queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.config import Settings
from sharewell.domain.errors import NotFound
from sharewell.domain.vocabulary import Purpose
from sharewell.services import governance as gov
from tests.entrypoints.sharing_kit import DSL, OFFICER, Site, make_site


@pytest.fixture
def site(settings: Settings) -> Iterator[Site]:
    yield from make_site(settings)


def test_officer_asks_school_shares_and_officer_sees_what_was_shared(site: Site) -> None:
    person, fact_id = site.child_with_attendance()
    site.sign_in(OFFICER)
    form = site.client.get(f"/people/{person}/requests/new?holder=SCH1&category=education")
    assert 'value="education" checked' in form.text
    answer = site.client.post(
        f"/people/{person}/requests",
        data={
            "csrf_token": site.token(f"/people/{person}/requests/new"),
            "holder": "SCH1",
            "categories": "education",
            "purpose": "safeguarding_children",
            "urgency": "urgent",
            "reason": "Child seen out of school in the day with adults of concern",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    request_path = answer.headers["location"]
    request_id = request_path.rsplit("/", 1)[1]
    assert "Open" in site.client.get("/sharing/requests").text

    site.sign_in(DSL)
    inbox = site.client.get("/sharing/inbox").text
    assert request_id in inbox
    page = site.client.get(request_path).text
    assert f'value="{fact_id}|education|occurred_at"' in page
    missing = site.client.post(
        f"{request_path}/answer",
        data={
            "csrf_token": site.token(request_path),
            "choice": "share",
            "consent_sought": "no",
            "legal_basis": ["Children Act 2004 s.11"],
        },
    )
    assert missing.status_code == 422
    assert "There is a problem" in missing.text
    # Legal bases are checkboxes labelled with their citation; the ones ticked stay ticked.
    assert 'name="legal_basis" type="checkbox" value="Children Act 2004 s.11" checked' in (
        missing.text
    )
    assert "Children Act 2004 section 11: the duty to safeguard" in missing.text
    assert 'type="checkbox" value="6(1)(e)">' in missing.text
    assert "multiple" not in missing.text and "hold Ctrl" not in missing.text
    done = site.client.post(
        f"{request_path}/answer",
        data={
            "csrf_token": site.token(request_path),
            "share": [f"{fact_id}|education|occurred_at", f"{fact_id}|education|code"],
            "choice": "share",
            "consent_sought": "no",
            "consent_detail": "Seeking consent may put the child at risk",
            "safety_considered": "The child's safety outweighs the intrusion",
            "necessary_and_proportionate": "Dates and codes only, nothing else",
            "advice_sought": "None needed, within our procedure",
            "legal_basis": ["6(1)(e)", "Children Act 2004 s.11"],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    records = gov.decision_records_for(site.container.governance, person)
    assert records[-1].choice.value == "share"

    site.sign_in(OFFICER)
    seen = site.client.get(request_path).text
    assert "What was shared with you" in seen
    shared = seen.split('id="shared"')[1]
    assert "occurred at" in shared and "code" in shared
    assert ">summary</span>" not in shared  # not chosen, so not disclosed
    assert ">code</span>" in shared


def test_a_request_is_invisible_to_other_organisations(site: Site) -> None:
    person, _ = site.child_with_attendance()
    site.sign_in(OFFICER)
    answer = site.client.post(
        f"/people/{person}/requests",
        data={
            "csrf_token": site.token(f"/people/{person}/requests/new"),
            "holder": "SCH1",
            "categories": "education",
            "purpose": "safeguarding_children",
            "urgency": "immediate",
            "reason": "Child seen out of school in the day with adults of concern",
        },
        follow_redirects=False,
    )
    path = answer.headers["location"]
    site.sign_in("gp@gp1.anyshire.example")
    assert site.client.get(path).status_code == 404
    assert site.client.get("/sharing/requests/not-a-real-id").status_code == 404


def test_request_form_without_csrf_is_refused(site: Site) -> None:
    site.sign_in(OFFICER)
    answer = site.client.post("/people/x/requests", data={"holder": "SCH1", "reason": "x" * 30})
    assert answer.status_code == 403
    answer = site.client.post(
        "/people/x/override", data={"holder": "SCH1", "justification": "x" * 30}
    )
    assert answer.status_code == 403


def test_override_needs_a_long_justification_then_shows_a_banner_and_reaches_ig(
    site: Site,
) -> None:
    person, _ = site.child_with_attendance()
    # Early help from a school needs the family's consent; none is recorded, which an
    # emergency override may overcome.
    site.sign_in("eh@ehn.anyshire.example")
    base = {
        "csrf_token": site.token(f"/people/{person}/override?holder=SCH1&category=education"),
        "holder": "SCH1",
        "category": "education",
        "purpose": "early_help",
        "basis": "safeguarding",
    }
    short = site.client.post(f"/people/{person}/override", data={**base, "justification": "hurry"})
    assert short.status_code == 422
    assert "at least 20 characters" in short.text
    used = site.client.post(
        f"/people/{person}/override",
        data={**base, "justification": "Child missing overnight, whereabouts unknown"},
    )
    assert "Emergency override in force" in used.text
    assert "240 minutes left" in used.text
    for _ in range(9):  # three hours, in steps shorter than the idle sign-out
        site.clock.advance(minutes=20)
        page = site.client.get("/sharing/inbox").text
    assert "60 minutes left" in page
    for _ in range(4):
        site.clock.advance(minutes=20)
        site.client.get("/sharing/inbox")
    assert "Emergency override in force" not in site.client.get("/sharing/inbox").text
    pending = gov.pending_override_reviews(
        site.container.governance, at=datetime(2026, 3, 2, tzinfo=UTC) + timedelta(hours=1)
    )
    assert [r.person_id for r, _ in pending] == [person]


def test_override_form_offers_partner_organisations_by_name(site: Site) -> None:
    person, _ = site.child_with_attendance()
    site.sign_in("eh@ehn.anyshire.example")
    form = site.client.get(f"/people/{person}/override?holder=SCH1&category=education").text
    holder = form.split('<select class="govuk-select" id="holder" name="holder"')[1]
    holder = holder.split("</select>")[0]
    school = site.container.organisations.get("SCH1")
    assert school is not None
    assert f'<option value="SCH1" selected>{school.name}</option>' in holder
    assert 'value="EHN"' not in holder  # not their own organisation


EARLY_HELP_OVERRIDE = {
    "holder": "SCH1",
    "category": "education",
    "purpose": "early_help",
    "basis": "safeguarding",
    "justification": "Child missing overnight, whereabouts unknown",
}


def _use_override(site: Site, person: str, **changes: str) -> Any:
    """Post the override form for `person` (an early-help override from a school, unless
    `changes` say otherwise)."""
    return site.client.post(
        f"/people/{person}/override",
        data={
            "csrf_token": site.token(f"/people/{person}/override"),
            **EARLY_HELP_OVERRIDE,
            **changes,
        },
    )


def test_override_with_an_unknown_holder_is_refused_with_a_field_error(site: Site) -> None:
    person, _ = site.child_with_attendance()
    site.sign_in("eh@ehn.anyshire.example")
    answer = _use_override(site, person, holder="NOSUCH")
    assert answer.status_code == 422
    assert 'href="#holder"' in answer.text
    assert 'id="holder-error"' in answer.text
    assert "Choose the organisation that holds the information" in answer.text
    assert not gov.pending_override_reviews(site.container.governance, at=site.clock())


def test_after_an_override_the_record_is_one_click_away(site: Site) -> None:
    person, _ = site.child_with_attendance()
    site.sign_in("eh@ehn.anyshire.example")
    used = _use_override(site, person)
    assert used.status_code == 200
    assert "View the record now" in used.text
    assert f'href="/people/{person}" role="button"' in used.text
    # The banner on every page links to the record too.
    inbox = site.client.get("/sharing/inbox").text
    assert f'class="govuk-notification-banner__link" href="/people/{person}"' in inbox


def test_share_decision_form_keeps_the_ticked_fields_after_an_error(site: Site) -> None:
    person, fact_id = site.child_with_attendance()
    site.sign_in(OFFICER)
    made = site.client.post(
        f"/people/{person}/requests",
        data={
            "csrf_token": site.token(f"/people/{person}/requests/new"),
            "holder": "SCH1",
            "categories": "education",
            "purpose": "safeguarding_children",
            "urgency": "urgent",
            "reason": "Child seen out of school in the day with adults of concern",
        },
        follow_redirects=False,
    )
    request_path = made.headers["location"]
    site.sign_in(DSL)
    ticked = f"{fact_id}|education|occurred_at"
    answer = site.client.post(
        f"{request_path}/answer",
        data={"csrf_token": site.token(request_path), "share": [ticked], "consent_sought": "no"},
    )
    assert answer.status_code == 422
    assert 'href="#choice"' in answer.text
    assert f'value="{ticked}" checked' in answer.text
    assert f'value="{fact_id}|education|code">' in answer.text  # not ticked, not checked
    assert 'value="no" checked' in answer.text


def _withheld_with_override(site: Site, email: str, purpose: str) -> tuple[str, str, str]:
    """A person whose record `email` may see for `purpose`, with a group withheld that an
    emergency override may overcome: (person, holder, category)."""
    practitioner = site.container.practitioners.by_email(email)
    assert practitioner is not None
    with site.container.engine.connect() as conn:
        people = sorted(conn.execute(select(PersonLinkRow.person_id).distinct()).scalars())
    for person in people:
        try:
            record = site.container.disclosure.joined_up_record(
                actor=gov.Actor.signed_in(practitioner),
                purpose=Purpose(purpose),
                person_id=person,
                at=site.clock(),
            )
        except NotFound:
            continue
        for group in record.withheld:
            if group.override_available:
                return person, group.org_code, group.category.value
    raise AssertionError(f"no record with an overridable group for {email}")


def test_an_override_shows_what_it_covers_on_the_record_until_it_ends(site: Site) -> None:
    gp = "gp@gp1.anyshire.example"
    person, holder, category = _withheld_with_override(site, gp, "direct_care")
    site.sign_in(gp)
    site.client.post(
        "/purpose", data={"csrf_token": site.token("/purpose"), "purpose": "direct_care"}
    )
    path = f"/people/{person}/override?holder={holder}&category={category}"
    before = site.client.get(f"/people/{person}").text
    assert f'href="{path}"'.replace("&", "&amp;") in before  # withheld, override offered
    used = _use_override(
        site,
        person,
        holder=holder,
        category=category,
        purpose="direct_care",
        basis="vital_interests",
        justification="Collapsed in clinic, mental health history needed now",
    )
    assert used.status_code == 200
    assert "Emergency override in force" in used.text
    during = site.client.get(f"/people/{person}").text
    # The group is shown now, with why: no longer offered for an override.
    assert f'href="{path}"'.replace("&", "&amp;") not in during
    assert "by an override on the grounds of vital interests" in during
    assert "information governance will review it" in during
    # Reading under the override is audited as such, naming the review it rests on.
    [review] = [
        r for r, _ in gov.pending_override_reviews(site.container.governance, at=site.clock())
    ]
    with site.container.engine.connect() as conn:
        bodies = conn.execute(
            text("SELECT body FROM audit_entries WHERE kind = 'decision' ORDER BY idx DESC")
        ).scalars()
        latest = next(iter(bodies))
    assert f'"override_review":"{review.id}"' in latest.replace(" ", "")
    # Four hours on (in steps shorter than the idle sign-out), it is withheld again.
    for _ in range(12):
        site.clock.advance(minutes=20)
        site.client.get("/sharing/inbox")
    after = site.client.get(f"/people/{person}").text
    assert f'href="{path}"'.replace("&", "&amp;") in after
