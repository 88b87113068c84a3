"""Plain-English explanations of decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sharewell.domain.access import (
    AccessRequest,
    Override,
    OverrideBasis,
    OverrideTier,
    Subject,
    decide,
    explain,
)
from sharewell.domain.relationships import Relationship, RelationshipKind
from tests.domain.scenario_kit import POLICE_OFFENCES_REQUEST, charter_index, school_lead

NAMES = {"POL": "Anyshire Police", "SCH1": "Anyshire Academy"}
AT = datetime(2026, 3, 1, 10, tzinfo=UTC)
DSL = school_lead()
INDEX = charter_index()
REQUEST = POLICE_OFFENCES_REQUEST


def test_explains_a_permit_with_the_gateway_and_consent_reason() -> None:
    subject = Subject(
        "s1",
        relationships=(
            Relationship(
                "s1", RelationshipKind.PUPIL_ON_ROLL, date(2025, 9, 1), practitioner_id="p1"
            ),
        ),
    )
    [decision] = decide(INDEX, DSL, subject, REQUEST, AT).decisions
    text = explain(decision, NAMES, role="designated_safeguarding_lead")
    assert text.startswith("Anyshire Police shares with Anyshire Academy's designated safeguarding")
    assert "occurred at, incident type" in text
    assert "safeguarding children" in text
    assert "Children Act 2004 s.11" in text
    assert "without needing consent because a statutory gateway applies" in text


def test_explains_a_denial_and_that_an_override_is_possible() -> None:
    [decision] = decide(INDEX, DSL, Subject("s1"), REQUEST, AT).decisions
    text = explain(decision, NAMES)
    assert "does not share" in text
    assert "no recorded working relationship" in text
    assert "override" in text


def test_explains_an_override_with_its_expiry_and_review() -> None:
    override = Override(
        OverrideTier.EMERGENCY,
        OverrideBasis.VITAL_INTERESTS,
        "Child at immediate risk, parents unreachable",
    )
    request = AccessRequest(REQUEST.purpose, REQUEST.holders, REQUEST.categories, override=override)
    [decision] = decide(INDEX, DSL, Subject("s1"), request, AT).decisions
    text = explain(decision, NAMES)
    assert "vital interests" in text
    assert "It lasts until 1 Mar 2026, 14:00 GMT" in text  # as people read times
    assert "review" in text


def test_explanations_name_roles_as_they_read_mid_sentence() -> None:
    from sharewell.domain.access import _role_words

    assert _role_words("gp") == "GP"
    assert _role_words("designated_safeguarding_lead") == "designated safeguarding lead"
    assert _role_words("mash_officer") == "MASH officer"
    assert _role_words("ig_lead") == "information governance lead"
    assert _role_words("not_a_role") == "not a role"
