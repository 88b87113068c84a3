"""A malformed scenario gives a clear error naming the field, and no decision."""

from __future__ import annotations

from typing import Any

import pytest

from sharewell.domain.errors import ValidationError
from sharewell.policy import evaluate
from tests.domain.scenario_kit import EMERGENCY, base


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    scenario = base()
    target: Any = scenario
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return scenario


_DELETE = object()

MALFORMED = [
    ("missing_at", ["at"], _DELETE, "at"),
    ("at_without_time_zone", ["at"], "2026-03-01T10:00:00", "at"),
    ("at_not_a_date", ["at"], "tomorrow", "at"),
    ("unknown_top_level_field", ["colour"], "blue", "colour"),
    ("practitioner_missing", ["practitioner"], _DELETE, "practitioner"),
    ("unknown_role", ["practitioner", "role"], "wizard", "practitioner.role"),
    ("bad_org_code", ["practitioner", "org"], "sch 1", "practitioner.org"),
    ("active_not_boolean", ["practitioner", "active"], "yes", "practitioner.active"),
    (
        "training_date_wrong",
        ["practitioner", "training", "golden-rules"],
        "10/01/2026",
        "practitioner.training.golden-rules",
    ),
    ("unknown_purpose", ["request", "purpose"], "curiosity", "request.purpose"),
    ("unknown_category", ["request", "categories"], ["shoe_size"], "request.categories[0]"),
    ("no_holders", ["request", "holders"], [], "request.holders"),
    ("holders_not_a_list", ["request", "holders"], "POL", "request.holders"),
    (
        "consent_state_unknown",
        ["subject", "consents"],
        [
            {
                "purpose": "early_help",
                "state": "maybe",
                "scope": "all",
                "recorded_at": "2026-02-01T09:00:00Z",
            }
        ],
        "subject.consents[0].state",
    ),
    (
        "consent_scope_bad",
        ["subject", "consents"],
        [
            {
                "purpose": "early_help",
                "state": "given",
                "scope": "everyone",
                "recorded_at": "2026-02-01T09:00:00Z",
            }
        ],
        "subject.consents[0].scope",
    ),
    (
        "consent_without_recorded_at",
        ["subject", "consents"],
        [{"purpose": "early_help", "state": "given", "scope": "all"}],
        "subject.consents[0].recorded_at",
    ),
    (
        "relationship_ends_before_it_starts",
        ["subject", "relationships"],
        [{"practitioner": "p1", "from": "2026-01-01", "to": "2025-01-01"}],
        "subject.relationships[0].to",
    ),
    (
        "relationship_without_anyone",
        ["subject", "relationships"],
        [{"from": "2026-01-01"}],
        "subject.relationships[0].practitioner",
    ),
    (
        "override_tier_unknown",
        ["request", "override"],
        {**EMERGENCY, "tier": "because"},
        "request.override.tier",
    ),
    (
        "override_basis_unknown",
        ["request", "override"],
        {**EMERGENCY, "basis": "curiosity"},
        "request.override.basis",
    ),
    (
        "override_justification_too_short",
        ["request", "override"],
        {**EMERGENCY, "justification": "urgent, sorry"},
        "request.override.justification",
    ),
    (
        "override_justification_missing",
        ["request", "override"],
        {"tier": "emergency", "basis": "safeguarding"},
        "request.override.justification",
    ),
    (
        "approved_override_without_approver",
        ["request", "override"],
        {**EMERGENCY, "tier": "approved"},
        "request.override.approved_by",
    ),
    (
        "agreement_field_error_is_prefixed",
        ["agreements", 0, "flows", 0, "categories", "criminal_offence", "fields"],
        [],
        "agreements[0].flows[0].categories.criminal_offence.fields",
    ),
    (
        "agreement_unknown_purpose",
        ["agreements", 0, "flows", 0, "purposes"],
        ["gossip"],
        "agreements[0].flows[0].purposes[0]",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [m[1:] for m in MALFORMED],
    ids=[m[0] for m in MALFORMED],
)
def test_malformed_scenario_names_the_field(path: list[Any], value: Any, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        evaluate(_broken(path, value))
    assert raised.value.field == field
    assert raised.value.message


def test_justification_of_exactly_twenty_characters_is_enough() -> None:
    scenario = base()
    scenario["subject"]["relationships"] = []
    scenario["request"]["override"] = {**EMERGENCY, "justification": "x" * 20}
    assert evaluate(scenario)["decisions"][0]["reasons"] == ["OVERRIDE"]


def test_justification_of_blanks_does_not_count() -> None:
    scenario = base()
    scenario["request"]["override"] = {**EMERGENCY, "justification": " " * 19 + "x"}
    with pytest.raises(ValidationError):
        evaluate(scenario)


def test_same_agreement_version_twice_is_refused() -> None:
    scenario = base()
    scenario["agreements"].append(scenario["agreements"][0])
    with pytest.raises(ValidationError, match="twice"):
        evaluate(scenario)


def test_scenario_must_be_an_object() -> None:
    with pytest.raises(ValidationError):
        evaluate([])  # type: ignore[arg-type]
