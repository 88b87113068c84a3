"""The YAML agreement file: every problem names its field and its line; dump and load agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewell.adapters.agreement_files import dump_agreement, load_agreement
from sharewell.domain.agreements import AgreementInvalid
from sharewell.domain.errors import ValidationError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agreements" / "anyshire-charter.yaml"
KNOWN = {"POL", "SCH1", "SCH2"}

GOOD = """\
id: school-police
version: 1
title: Schools and police
starts_on: 2026-01-01
ends_on: 2031-01-01
review_on: 2027-01-01
parties:
  - org: POL
    signed_by: {name: "A. Chief", role: "Deputy Chief Constable", signed_at: 2025-12-01T10:00:00Z}
  - org: SCH1
    signed_by: null
terminated_at: null
training: {module: golden-rules, valid_months: 12}
flows:
  - from: [POL]
    to: [SCH1]
    purposes: [safeguarding_children]
    categories:
      criminal_offence: {fields: [occurred_at, incident_type]}
    recipient_roles: [designated_safeguarding_lead]
    legal_basis: {article6: "6(1)(e)", condition: "DPA2018 Sch1 para 18",
      gateway: "Children Act 2004 s.11"}
    consent: not_required
    requires_relationship: true
    national_opt_out_applies: false
"""


def problems_of(text: str, **kwargs: object) -> list[tuple[str, int | None, str]]:
    with pytest.raises(AgreementInvalid) as raised:
        load_agreement(text, known_orgs=KNOWN, **kwargs)  # type: ignore[arg-type]
    return [(p.field, p.line, p.message) for p in raised.value.problems]


def test_loads_a_good_file() -> None:
    agreement = load_agreement(GOOD, known_orgs=KNOWN)
    assert agreement.ref == "school-police@1"
    assert agreement.unsigned() == ("SCH1",)


@pytest.mark.parametrize(
    ("old", "new", "field", "line", "words"),
    [
        ("to: [SCH1]", "to: [SCH9]", "flows[0].to[0]", 16, "Unknown organisation 'SCH9'"),
        ("  - org: SCH1", "  - org: XYZ", "parties[1].org", 10, "Unknown organisation 'XYZ'"),
        ("[safeguarding_children]", "[gossip]", "flows[0].purposes[0]", 17, "Unknown purpose"),
        (
            "criminal_offence: {",
            "shoe_size: {",
            "flows[0].categories.shoe_size",
            19,
            "Unknown data category",
        ),
        (
            '"Children Act 2004 s.11"',
            '"Magna Carta"',
            "flows[0].legal_basis.gateway",
            22,
            "Unknown legal basis",
        ),
        (
            "[occurred_at, incident_type]",
            "[]",
            "flows[0].categories.criminal_offence.fields",
            19,
            "no fields",
        ),
        ("ends_on: 2031-01-01", "ends_on: 2025-01-01", "ends_on", 5, "on or before it starts"),
        (
            "[designated_safeguarding_lead]",
            "[wizard]",
            "flows[0].recipient_roles[0]",
            20,
            "Unknown role",
        ),
        ("consent: not_required", "consent: maybe", "flows[0].consent", 23, "Unknown consent"),
        (
            "    requires_relationship: true",
            "    requires_relationship: true\n    colour: red",
            "flows[0].colour",
            25,
            "Unknown field",
        ),
    ],
    ids=[
        "unknown_organisation_in_flow",
        "unknown_party",
        "unknown_purpose",
        "unknown_category",
        "unknown_legal_basis",
        "flow_with_no_fields",
        "end_before_start",
        "unknown_role",
        "unknown_consent_model",
        "unknown_field",
    ],
)
def test_each_problem_names_field_and_line(
    old: str, new: str, field: str, line: int, words: str
) -> None:
    assert old in GOOD
    found = problems_of(GOOD.replace(old, new, 1))
    assert any(f == field and ln == line and words in m for f, ln, m in found), found


def test_term_shorter_than_the_stated_minimum() -> None:
    text = GOOD.replace("ends_on: 2031-01-01", "ends_on: 2026-06-01").replace(
        "review_on: 2027-01-01", "review_on: null\nminimum_term_months: 12"
    )
    assert ("ends_on", 5) in [(f, ln) for f, ln, _m in problems_of(text)]


def test_missing_field_points_at_its_parent() -> None:
    text = GOOD.replace("    consent: not_required\n", "")
    [(field, line, message)] = problems_of(text)
    assert field == "flows[0].consent"
    assert line == 15  # the flow that lacks it
    assert "required" in message


def test_every_problem_is_listed_with_its_line() -> None:
    text = (
        GOOD.replace("to: [SCH1]", "to: [SCH9]")
        .replace("[gossip]", "x")
        .replace("[safeguarding_children]", "[gossip]")
    )
    lines = {(f, ln) for f, ln, _m in problems_of(text)}
    assert {("flows[0].to[0]", 16), ("flows[0].purposes[0]", 17)} <= lines


def test_a_key_given_twice_is_refused() -> None:
    text = GOOD.replace("title: Schools and police", "title: A\ntitle: B")
    [(field, line, message)] = problems_of(text)
    assert (field, line) == ("title", 4)
    assert "twice" in message


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(ValidationError) as raised:
        load_agreement(GOOD.replace("to: [SCH1]", "to: [SCH1"), known_orgs=KNOWN)
    assert raised.value.line is not None and raised.value.line >= 17


def test_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError, match="empty"):
        load_agreement("", known_orgs=KNOWN)


def test_dump_then_load_gives_the_same_agreement() -> None:
    agreement = load_agreement(GOOD, known_orgs=KNOWN)
    text = dump_agreement(agreement)
    assert "signed_at: 2025-12-01T10:00:00Z" in text
    assert load_agreement(text, known_orgs=KNOWN) == agreement


def test_the_example_charter_is_valid() -> None:
    agreement = load_agreement(EXAMPLE.read_text())
    assert agreement.id == "anyshire-charter"
    assert len(agreement.flows) >= 8
