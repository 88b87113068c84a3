"""An override used earlier, still in force, lets its practitioner see again what it overcame."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sharewell.domain.access import (
    Outcome,
    Override,
    OverrideBasis,
    OverrideInForce,
    OverrideTier,
    Reason,
    Subject,
    decide,
)
from sharewell.domain.vocabulary import DataCategory, Purpose
from tests.domain.scenario_kit import POLICE_OFFENCES_REQUEST, charter_index, school_lead

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)
UNTIL = AT + timedelta(hours=3)
DSL = school_lead()
INDEX = charter_index()
REQUEST = POLICE_OFFENCES_REQUEST
USED = OverrideInForce(
    review_id="rev-1",
    practitioner_id="p1",
    purpose=Purpose.SAFEGUARDING_CHILDREN,
    holder="POL",
    category=DataCategory.CRIMINAL_OFFENCE,
    override=Override(
        OverrideTier.EMERGENCY, OverrideBasis.SAFEGUARDING, "Child disclosed harm at school today"
    ),
    expires_at=UNTIL,
)


def test_without_an_override_in_force_the_item_stays_withheld() -> None:
    [decision] = decide(INDEX, DSL, Subject("s1"), REQUEST, AT).decisions
    assert decision.outcome is Outcome.DENY
    assert decision.reasons == (Reason.NO_LEGITIMATE_RELATIONSHIP,)


def test_an_override_in_force_permits_what_it_overcame_until_it_expires() -> None:
    [decision] = decide(INDEX, DSL, Subject("s1", overrides=(USED,)), REQUEST, AT).decisions
    assert decision.outcome is Outcome.PERMIT
    assert decision.reasons == (Reason.OVERRIDE,)
    assert decision.overridden == (Reason.NO_LEGITIMATE_RELATIONSHIP,)
    # Its own expiry (not four hours from this read) and the review it rests on.
    assert decision.expires_at == UNTIL
    assert decision.override_review == "rev-1"
    assert decision.fields == ("occurred_at", "incident_type")


def test_an_override_ends_at_its_expiry() -> None:
    [decision] = decide(INDEX, DSL, Subject("s1", overrides=(USED,)), REQUEST, UNTIL).decisions
    assert decision.outcome is Outcome.DENY


def test_an_override_is_only_for_the_practitioner_purpose_holder_and_category_it_was_for() -> None:
    others = (
        replace(USED, practitioner_id="p2"),
        replace(USED, purpose=Purpose.EARLY_HELP),
        replace(USED, holder="GP1"),
        replace(USED, category=DataCategory.HEALTH),
    )
    for other in others:
        [decision] = decide(INDEX, DSL, Subject("s1", overrides=(other,)), REQUEST, AT).decisions
        assert decision.outcome is Outcome.DENY, other


def test_an_override_in_force_does_not_overcome_what_it_could_not_then() -> None:
    # Training lapsed since: an emergency override never overcomes missing training.
    untrained = replace(DSL, training={})
    [decision] = decide(INDEX, untrained, Subject("s1", overrides=(USED,)), REQUEST, AT).decisions
    assert decision.outcome is Outcome.DENY
    assert Reason.TRAINING_MISSING in decision.reasons


def test_a_new_override_in_the_request_is_decided_as_new() -> None:
    fresh = Override(
        OverrideTier.EMERGENCY, OverrideBasis.VITAL_INTERESTS, "Missing child, police need it now"
    )
    request = replace(REQUEST, override=fresh)
    [decision] = decide(INDEX, DSL, Subject("s1", overrides=(USED,)), request, AT).decisions
    assert decision.reasons == (Reason.OVERRIDE,)
    assert decision.override_review is None
    assert decision.expires_at == AT + timedelta(hours=4)
