"""Audit outcomes in plain English for the people who read the log."""

from __future__ import annotations

from sharewell.domain.audit_outcomes import outcome_label


def test_known_outcomes_read_as_plain_english() -> None:
    assert outcome_label("risk_disclosed") == "Joint risk profile shown"
    assert outcome_label("permit") == "Permitted"


def test_outcomes_with_a_detail_keep_it_in_words() -> None:
    assert outcome_label("reviewed:not_justified") == "Override reviewed: not justified"
    assert outcome_label("mash_triaged:amber") == "Referral rated: amber"


def test_unknown_outcomes_fall_back_to_words() -> None:
    assert outcome_label("something_new") == "Something new"
    assert outcome_label("3 results") == "3 results"
    assert outcome_label("") == ""
