"""Purpose of use, find a person, the joined-up record, household, consent and relationships."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sharewell.adapters.db.tables_audit import AuditEntryRow
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


@pytest.fixture
def demo(settings: Settings) -> Iterator[tuple[TestClient, Container, Scenario]]:
    container, scenario = demo_partnership(settings, people=300)
    with TestClient(create_app(settings, container=container, clock=lambda: NOW)) as client:
        yield client, container, scenario
    container.close()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_disclosing_pages_ask_for_a_purpose_first_then_return(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, scenario = demo
    sign_in(client, GP_EMAIL)
    answer = client.get(f"/people/{scenario.patient}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/purpose?next=%2Fpeople%2F")
    form = client.get(answer.headers["location"])
    assert "What is the purpose of your work?" in form.text
    refused = client.post("/purpose", data={"csrf_token": _csrf(form.text), "next": "/people"})
    assert refused.status_code == 400 and "Select the purpose of your work" in refused.text
    chosen = client.post(
        "/purpose",
        data={
            "purpose": "direct_care",
            "next": f"/people/{scenario.patient}",
            "csrf_token": _csrf(form.text),
        },
        follow_redirects=False,
    )
    assert chosen.headers["location"] == f"/people/{scenario.patient}"
    page = client.get(f"/people/{scenario.patient}")
    assert "Purpose of your work: <strong>Direct care</strong>" in page.text


def test_purpose_next_never_leaves_the_site(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = demo
    sign_in(client, GP_EMAIL)
    form = client.get("/purpose")
    answer = client.post(
        "/purpose",
        data={"purpose": "direct_care", "next": "//evil.example/x", "csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/people"


def test_gp_sees_a_patients_joined_up_record_for_direct_care(demo) -> None:  # type: ignore[no-untyped-def]
    client, container, scenario = demo
    sign_in(client, GP_EMAIL, "direct_care")
    page = client.get(f"/people/{scenario.patient}")
    assert page.status_code == 200
    assert "Chronology" in page.text
    assert "Anyshire Hospitals NHS Foundation Trust" in page.text
    assert "Attended the emergency department" in page.text
    assert "under implied consent for their care" in page.text
    with container.engine.connect() as conn:
        bodies = list(
            conn.execute(
                select(AuditEntryRow.body).where(AuditEntryRow.kind.in_(["disclosure", "decision"]))
            ).scalars()
        )
    about = [json.loads(b) for b in bodies if scenario.patient in b]
    # The purpose chosen in the session is in the decision and the disclosure entries.
    assert {e["kind"] for e in about} >= {"decision", "disclosure"}
    assert all(e["purpose"] == "direct_care" for e in about)
    assert all("emergency department" not in b for b in bodies)


def test_school_lead_sees_only_date_and_type_of_the_police_incident(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, scenario = demo
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    page = client.get(f"/people/{scenario.pupil}")
    assert page.status_code == 200
    assert "incident type: domestic abuse" in page.text
    # Officers' notes and the police summary are not shown; what is withheld says why.
    assert "officer notes" not in page.text
    assert (
        "shares with Anyford Academy&#39;s designated safeguarding lead the occurred at, "
        "incident type of its criminal offence records" in page.text
    )
    assert "Other details are withheld." in page.text
    assert "police intelligence data" in page.text


def test_unknown_and_invisible_people_look_the_same(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, scenario = demo
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    unknown = client.get("/people/no-such-person")
    # The GP's patient is not a pupil at this school: nothing may be seen about them.
    hidden = client.get(f"/people/{scenario.patient}")
    assert unknown.status_code == hidden.status_code == 404
    strip = lambda text: re.sub(r'(nonce|value)="[^"]*"', "", text)  # noqa: E731
    assert strip(unknown.text) == strip(hidden.text)


def test_search_finds_visible_people_only(demo) -> None:  # type: ignore[no-untyped-def]
    client, container, scenario = demo
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    record = container.disclosure.person(
        actor=__import__("sharewell.services.governance", fromlist=["Actor"]).Actor(
            "demo-dsl-sch6", "SCH6", None
        ),
        purpose=__import__("sharewell.domain.vocabulary", fromlist=["Purpose"]).Purpose(
            "safeguarding_children"
        ),
        person_id=scenario.pupil,
        at=NOW,
    )
    family = record.identities[0].family_name
    page = client.get("/people", params={"name": family})
    assert page.status_code == 200
    assert f"/people/{scenario.pupil}" in page.text
    assert f"/people/{scenario.patient}" not in page.text
    empty = client.get("/people", params={"dob-day": "31", "dob-month": "2", "dob-year": "2015"})
    assert empty.status_code == 400 and "real date" in empty.text


def test_consent_and_relationships_are_recorded_with_csrf(demo) -> None:  # type: ignore[no-untyped-def]
    client, container, scenario = demo
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    page = client.get(f"/people/{scenario.pupil}/consent")
    assert page.status_code == 200
    forged = client.post(
        f"/people/{scenario.pupil}/consent",
        data={"consent-purpose": "early_help", "state": "given"},
    )
    assert forged.status_code == 403
    missing = client.post(
        f"/people/{scenario.pupil}/consent", data={"csrf_token": _csrf(page.text)}
    )
    assert missing.status_code == 400 and "There is a problem" in missing.text
    done = client.post(
        f"/people/{scenario.pupil}/consent",
        data={"consent-purpose": "early_help", "state": "given", "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    from sharewell.services import governance as gov

    [consent] = gov.consent_history(container.governance, scenario.pupil)
    assert consent.state.value == "given" and consent.recorded_by == "demo-dsl-sch6"
    started = client.post(
        f"/people/{scenario.pupil}/relationships",
        data={"kind": "allocated_worker", "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    kinds = [r.kind.value for r in gov.relationships_of(container.governance, scenario.pupil)]
    assert "allocated_worker" in kinds
    # Recording consent about someone you cannot see is refused as if they did not exist.
    hidden = client.post(
        f"/people/{scenario.patient}/consent",
        data={"consent-purpose": "early_help", "state": "given", "csrf_token": _csrf(page.text)},
    )
    assert hidden.status_code == 404


def test_withheld_items_offer_an_override_only_where_design_allows(demo) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from sharewell.services import governance as gov
    from tests.disclosure_fixtures import OPERATOR

    client, container, scenario = demo
    [pupil_on_roll] = gov.relationships_of(container.governance, scenario.pupil)
    assert pupil_on_roll.id is not None
    gov.end_relationship(
        container.governance,
        container.practitioners,
        container.audit,
        pupil_on_roll.id,
        on=date(2026, 3, 1),
        actor=OPERATOR,
        at=NOW,
    )
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    page = client.get(f"/people/{scenario.pupil}")
    assert page.status_code == 200  # the school's own record still shows the pupil
    assert "no recorded working relationship with this person" in page.text
    assert (
        f"/people/{scenario.pupil}/override?holder=POL&amp;category=criminal_offence" in page.text
    )
    # No agreement at all (police intelligence): no override is offered, only a request.
    assert "holder=POL&amp;category=police_intelligence" in page.text
    assert "override?holder=POL&amp;category=police_intelligence" not in page.text


def _record_actions(page: str) -> str:
    return page.split('id="record-actions"')[1].split("</ul>")[0]


def test_record_shows_the_sharewell_id_and_links_to_refer_and_report(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, scenario = demo
    pupil = scenario.pupil
    # The police hold their own record of the pupil and report events: both links.
    sign_in(client, "officer@pol.anyshire.example", "safeguarding_children")
    page = client.get(f"/people/{pupil}")
    assert page.status_code == 200
    assert re.search(
        rf'Sharewell id\s*</dt>\s*<dd class="govuk-summary-list__value">\s*{pupil}\s*</dd>',
        page.text,
    )
    actions = _record_actions(page.text)
    assert f'href="/mash/referrals/new?person={pupil}">Refer to the safeguarding hub' in actions
    assert f'href="/alerts/events/new?person={pupil}">Report an event' in actions
    form = client.get(f"/alerts/events/new?person={pupil}").text
    assert f'id="person" name="person" type="text" value="{pupil}"' in form
    # A school reports no events: it may refer, but is not offered a form it cannot use.
    client.cookies.clear()
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    actions = _record_actions(client.get(f"/people/{pupil}").text)
    assert f"/mash/referrals/new?person={pupil}" in actions
    assert "Report an event" not in actions
    form = client.get(f"/mash/referrals/new?person={pupil}").text
    assert f'value="{pupil}"' in form


def test_consent_form_keeps_what_was_entered_after_an_error(demo) -> None:  # type: ignore[no-untyped-def]
    client, _, scenario = demo
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    page = client.get(f"/people/{scenario.pupil}/consent")
    # The purpose of the practitioner's work is chosen to begin with.
    assert re.search(r'<option value="safeguarding_children"\s+selected', page.text)
    no_state = client.post(
        f"/people/{scenario.pupil}/consent",
        data={
            "consent-purpose": "early_help",
            "obtained-how": "In person at a home visit",
            "csrf_token": _csrf(page.text),
        },
    )
    assert no_state.status_code == 400
    assert 'href="#state"' in no_state.text
    assert re.search(r'<option value="early_help"\s+selected', no_state.text)
    assert not re.search(r'<option value="safeguarding_children"\s+selected', no_state.text)
    assert 'value="In person at a home visit"' in no_state.text
    no_purpose = client.post(
        f"/people/{scenario.pupil}/consent",
        data={"consent-purpose": "", "state": "refused", "csrf_token": _csrf(page.text)},
    )
    assert no_purpose.status_code == 400
    assert 'href="#consent-purpose"' in no_purpose.text
    assert re.search(r'value="refused"\s+checked', no_purpose.text)
    assert not re.search(r'<option value="[a-z_]+"\s+selected', no_purpose.text)


def test_only_relationships_the_viewer_may_end_offer_an_end_button(demo) -> None:  # type: ignore[no-untyped-def]
    from sharewell.services import governance as gov

    client, container, scenario = demo
    [dsl_relationship] = gov.relationships_of(container.governance, scenario.pupil)
    end_path = f"/people/{scenario.pupil}/relationships/{dsl_relationship.id}/end"
    # A police officer sees the pupil (the police hold a record) but not the school's button.
    sign_in(client, "officer@pol.anyshire.example", "safeguarding_children")
    page = client.get(f"/people/{scenario.pupil}/consent")
    assert page.status_code == 200
    assert end_path not in page.text
    refused = client.post(end_path, data={"csrf_token": _csrf(page.text)})
    assert refused.status_code == 403
    assert "practitioner at SCH6" in refused.text
    [still] = gov.relationships_of(container.governance, scenario.pupil)
    assert still.ends_on is None
    # The school's designated safeguarding lead, whose relationship it is, may end it.
    client.cookies.clear()
    sign_in(client, DSL_EMAIL, "safeguarding_children")
    page = client.get(f"/people/{scenario.pupil}/consent")
    assert end_path in page.text
    ended = client.post(end_path, data={"csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert ended.status_code == 303
    [gone] = gov.relationships_of(container.governance, scenario.pupil)
    assert gone.ends_on is not None
