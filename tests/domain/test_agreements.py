"""Agreement documents: validation naming every field at fault, lifecycle, amendments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from sharewell.domain.agreements import (
    AgreementInvalid,
    AgreementStatus,
    Signature,
    add_months,
    check_amendment,
    parse_agreement,
)
from sharewell.domain.errors import ValidationError
from tests.domain.scenario_kit import charter, party

KNOWN = {"POL", "SCH1", "SCH2", "EHS", "GP1", "ACU", "CSCN"}


def problems(doc: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    with pytest.raises(AgreementInvalid) as raised:
        parse_agreement(doc, known_orgs=KNOWN, **kwargs)
    return {p.field: p.message for p in raised.value.problems}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def test_parses_the_charter() -> None:
    agreement = parse_agreement(charter(), known_orgs=KNOWN)
    assert agreement.ref == "anyshire-charter@1"
    assert agreement.flows[0].categories["criminal_offence"] == ("occurred_at", "incident_type")  # type: ignore[index]
    assert agreement.training is not None and agreement.training.valid_months == 12


def test_unknown_organisation_names_the_field() -> None:
    doc = charter()
    doc["flows"][0]["to"] = ["SCH1", "SCH9"]
    assert "Unknown organisation 'SCH9'" in problems(doc)["flows[0].to[1]"]


def test_unknown_party_names_the_field() -> None:
    doc = charter()
    doc["parties"].append(party("XYZ"))
    assert "XYZ" in problems(doc)["parties[7].org"]


def test_flow_organisation_must_be_a_party() -> None:
    doc = charter()
    doc["parties"] = [p for p in doc["parties"] if p["org"] != "SCH2"]
    assert "not a party" in problems(doc)["flows[0].to[1]"]


def test_unknown_purpose_category_role_and_legal_basis_are_each_named() -> None:
    doc = charter()
    flow = doc["flows"][0]
    flow["purposes"] = ["safeguarding_children", "nosiness"]
    flow["categories"]["shoe_size"] = {"fields": ["size"]}
    flow["recipient_roles"] = ["wizard"]
    flow["legal_basis"]["gateway"] = "Magna Carta 1215"
    found = problems(doc)
    assert "nosiness" in found["flows[0].purposes[1]"]
    assert "shoe_size" in found["flows[0].categories.shoe_size"]
    assert "wizard" in found["flows[0].recipient_roles[0]"]
    assert "Magna Carta" in found["flows[0].legal_basis.gateway"]


def test_flow_with_no_fields_is_refused() -> None:
    doc = charter()
    doc["flows"][0]["categories"]["criminal_offence"]["fields"] = []
    assert "no fields" in problems(doc)["flows[0].categories.criminal_offence.fields"]


def test_end_before_start_is_refused() -> None:
    doc = charter(starts_on="2026-01-01", ends_on="2025-01-01", review_on=None)
    assert "on or before it starts" in problems(doc)["ends_on"]


def test_term_shorter_than_the_stated_minimum_is_refused() -> None:
    doc = charter(ends_on="2026-06-01", review_on=None, minimum_term_months=12)
    assert "minimum term of 12 months" in problems(doc)["ends_on"]


def test_partnership_minimum_term_applies_when_the_document_states_none() -> None:
    doc = charter(ends_on="2026-06-01", review_on=None)
    assert "minimum term" in problems(doc, minimum_term_months=12)["ends_on"]
    parse_agreement(doc, known_orgs=KNOWN, minimum_term_months=5)


def test_special_category_needs_article_nine() -> None:
    doc = charter()
    del doc["flows"][2]["legal_basis"]["article9"]
    assert "Article 9" in problems(doc)["flows[2].legal_basis.article9"]


def test_criminal_offence_data_needs_a_condition() -> None:
    doc = charter()
    del doc["flows"][0]["legal_basis"]["condition"]
    assert "Schedule 1" in problems(doc)["flows[0].legal_basis.condition"]


def test_consent_not_required_needs_a_gateway() -> None:
    doc = charter()
    del doc["flows"][0]["legal_basis"]["gateway"]
    assert "gateway" in problems(doc)["flows[0].legal_basis.gateway"]


def test_legal_basis_of_the_wrong_kind_is_refused() -> None:
    doc = charter()
    doc["flows"][0]["legal_basis"]["article6"] = "9(2)(h)"
    assert "Unknown legal basis" in problems(doc)["flows[0].legal_basis.article6"]


def test_unknown_field_is_named_to_catch_typos() -> None:
    doc = charter()
    doc["flows"][0]["recipient_role"] = ["teacher"]
    assert "Unknown field" in problems(doc)["flows[0].recipient_role"]


def test_every_problem_is_reported_not_only_the_first() -> None:
    doc = charter(version=0, starts_on="soon")
    doc["flows"][1]["consent"] = "perhaps"
    found = problems(doc)
    assert {"version", "starts_on", "flows[1].consent"} <= set(found)


def test_missing_required_fields_are_named() -> None:
    found = problems({"id": "x"})
    assert {"version", "title", "starts_on", "ends_on", "parties", "flows"} <= set(found)


def test_signature_without_time_zone_is_refused() -> None:
    doc = charter()
    doc["parties"][0]["signed_by"]["signed_at"] = "2025-12-01T10:00:00"
    assert "time zone" in problems(doc)["parties[0].signed_by.signed_at"]


def test_prefix_is_added_to_every_field() -> None:
    doc = charter()
    doc["flows"][0]["consent"] = "perhaps"
    with pytest.raises(AgreementInvalid) as raised:
        parse_agreement(doc, prefix="agreements[3]")
    assert raised.value.field == "agreements[3].flows[0].consent"


def test_document_round_trips() -> None:
    agreement = parse_agreement(charter())
    again = parse_agreement(agreement.to_document())
    assert again == agreement
    assert again.to_document() == agreement.to_document()


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 3, 1), 12, date(2026, 3, 1)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_lifecycle_from_draft_to_terminated() -> None:
    unsigned = charter(
        parties=[party("POL", None), party("SCH1", None)],
        flows=[{**charter()["flows"][0], "to": ["SCH1"]}],
    )
    agreement = parse_agreement(unsigned)
    now = at("2025-12-10T09:00:00Z")
    assert agreement.status(now, proposed=False) is AgreementStatus.DRAFT
    assert agreement.status(now) is AgreementStatus.PROPOSED
    one = agreement.signed("POL", Signature("A. Chief", "DCC", at("2025-12-01T10:00:00Z")))
    assert one.status(now) is AgreementStatus.SIGNING
    assert one.unsigned() == ("SCH1",)
    both = one.signed("SCH1", Signature("B. Head", "Head", at("2025-12-02T10:00:00Z")))
    assert both.status(now) is AgreementStatus.SIGNED
    assert not both.in_force(now)
    assert both.status(at("2026-02-01T09:00:00Z")) is AgreementStatus.IN_FORCE
    assert both.status(at("2027-01-01T09:00:00Z")) is AgreementStatus.REVIEW_DUE
    assert both.status(at("2031-01-01T00:00:00Z")) is AgreementStatus.EXPIRED
    assert both.status(at("2026-02-01T09:00:00Z"), superseded=True) is AgreementStatus.SUPERSEDED
    ended = both.terminated(at("2026-05-01T00:00:00Z"), "Partnership dissolved")
    assert ended.status(at("2026-05-01T00:00:00Z")) is AgreementStatus.TERMINATED
    assert ended.in_force(at("2026-04-30T23:59:59Z"))


def test_a_party_cannot_sign_twice_or_for_someone_else() -> None:
    agreement = parse_agreement(charter())
    signature = Signature("X", "Y", at("2026-01-01T00:00:00Z"))
    with pytest.raises(ValidationError, match="already signed"):
        agreement.signed("POL", signature)
    with pytest.raises(ValidationError, match="not a party"):
        agreement.signed("MHT", signature)


def test_termination_needs_a_reason() -> None:
    with pytest.raises(ValidationError):
        parse_agreement(charter()).terminated(at("2026-01-01T00:00:00Z"), " ")


def test_amendments_are_the_next_version() -> None:
    first = parse_agreement(charter())
    check_amendment(None, first)
    check_amendment(first, parse_agreement(charter(version=2)))
    with pytest.raises(ValidationError, match="must be version 2"):
        check_amendment(first, parse_agreement(charter(version=3)))
    with pytest.raises(ValidationError, match="starts at version 1"):
        check_amendment(None, parse_agreement(charter(version=2)))
