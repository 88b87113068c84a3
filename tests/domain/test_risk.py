"""Risk scales, calibration documents, evidence weights and the joint risk profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sharewell.domain.errors import ValidationError
from sharewell.domain.risk import (
    Assessment,
    CombineRule,
    EvidenceItem,
    EvidenceKind,
    VisibleRisk,
    joint_profile,
    parse_calibration,
)
from tests.risk_fixtures import example_document, small_document

AT = datetime(2026, 6, 1, tzinfo=UTC)


def assessment(org: str, name: str, scale: str, level: str, days_ago: int = 10) -> Assessment:
    return Assessment(
        id=f"{org}-{level}-{days_ago}",
        org_code=org,
        org_name=name,
        scale_id=scale,
        level=level,
        person_id="S1",
        assessed_at=AT - timedelta(days=days_ago),
    )


def test_the_example_calibration_reads() -> None:
    calibration = parse_calibration(example_document())
    assert calibration.common_level("police_dash", "high") == 4
    assert calibration.common_level("health_rag", "amber") == 2
    assert calibration.scales["police_dash"].level_for_indicators(14) == "high"
    assert calibration.scales["police_dash"].level_for_indicators(13) is None
    assert calibration.combine is CombineRule.HIGHEST


def test_a_level_mapped_twice_is_refused_naming_it() -> None:
    doc = small_document()
    doc["mapping"]["police_dash"].append({"level": "medium", "common": 3})
    with pytest.raises(ValidationError) as error:
        parse_calibration(doc)
    assert error.value.field == "mapping.police_dash.medium"
    assert "mapped twice" in error.value.message


def test_an_unknown_scale_is_refused_naming_it() -> None:
    doc = small_document()
    doc["mapping"]["ambulance_triage"] = [{"level": "red", "common": 4}]
    with pytest.raises(ValidationError) as error:
        parse_calibration(doc)
    assert error.value.field == "mapping.ambulance_triage"
    assert "no scale 'ambulance_triage'" in error.value.message


def test_a_level_left_unmapped_is_refused_naming_it() -> None:
    doc = small_document()
    doc["mapping"]["school_concern"].pop()
    with pytest.raises(ValidationError) as error:
        parse_calibration(doc)
    assert error.value.field == "mapping.school_concern.high"


@pytest.mark.parametrize(
    ("breakage", "field"),
    [
        (
            lambda d: d["mapping"]["police_dash"][0].update(common=5),
            "mapping.police_dash[0].common",
        ),
        (
            lambda d: d["mapping"]["police_dash"][0].update(level="low"),
            "mapping.police_dash[0].level",
        ),
        (lambda d: d["mapping"].pop("school_concern"), "mapping.school_concern"),
        (lambda d: d["scales"]["police_dash"].pop("levels"), "scales.police_dash.levels"),
        (lambda d: d["evidence"]["factual"].update(weight=-1), "evidence.factual.weight"),
        (lambda d: d["evidence"].update(rumour={}), "evidence.rumour"),
        (lambda d: d.update(combine="average"), "combine"),
        (lambda d: d.update(version="two"), "version"),
        (lambda d: d.update(parties=["POL", "POL"]), "parties"),
    ],
)
def test_bad_configuration_names_the_field(breakage: Any, field: str) -> None:
    doc = small_document()
    breakage(doc)
    with pytest.raises(ValidationError) as error:
        parse_calibration(doc)
    assert error.value.field == field


def test_agencies_two_common_levels_apart_are_flagged() -> None:
    calibration = parse_calibration(small_document())
    seen = VisibleRisk(
        (
            assessment("POL", "Police", "police_dash", "high"),
            assessment("SCH1", "School", "school_concern", "low"),
        ),
        (),
    )
    profile = joint_profile("S1", seen, calibration, at=AT)
    assert profile.disagreement
    assert profile.disagreement_text == "Police: high. School: low."
    assert profile.combined == 4
    assert [(a.org_code, a.common) for a in profile.agencies] == [("POL", 4), ("SCH1", 1)]


def test_agencies_one_level_apart_are_not_flagged() -> None:
    calibration = parse_calibration(small_document())
    seen = VisibleRisk(
        (
            assessment("POL", "Police", "police_dash", "medium"),
            assessment("SCH1", "School", "school_concern", "high"),
        ),
        (),
    )
    profile = joint_profile("S1", seen, calibration, at=AT)
    assert not profile.disagreement
    assert profile.disagreement_text is None
    assert profile.combined == 3


def test_only_the_latest_current_assessment_of_each_agency_counts() -> None:
    calibration = parse_calibration(small_document())
    seen = VisibleRisk(
        (
            assessment("POL", "Police", "police_dash", "high", days_ago=400),
            assessment("SCH1", "School", "school_concern", "low", days_ago=500),
            assessment("SCH1", "School", "school_concern", "medium", days_ago=20),
        ),
        (),
    )
    profile = joint_profile("S1", seen, calibration, at=AT)
    assert profile.combined == 2  # the police assessment is over a year old
    assert not profile.disagreement
    assert [a.level for a in profile.agencies if a.org_code == "SCH1"] == ["medium"]
    assert any("do not count" in n for n in profile.notes)


def test_weighted_mean_rule_rounds_up() -> None:
    doc = small_document()
    doc["combine"] = "weighted_mean"
    calibration = parse_calibration(doc)
    seen = VisibleRisk(
        (
            assessment("POL", "Police", "police_dash", "medium"),
            assessment("SCH1", "School", "school_concern", "high"),
        ),
        (),
    )
    assert joint_profile("S1", seen, calibration, at=AT).combined == 3  # ceil(2.5)


def test_evidence_is_weighted_by_kind_and_age() -> None:
    calibration = parse_calibration(small_document())
    items = (
        EvidenceItem("e1", "POL", EvidenceKind.FACTUAL, "Incident", AT - timedelta(days=30)),
        EvidenceItem("e2", "SCH1", EvidenceKind.ANECDOTAL, "Neighbour", AT - timedelta(days=30)),
        EvidenceItem("e3", "SCH1", EvidenceKind.ANECDOTAL, "Old worry", AT - timedelta(days=200)),
        EvidenceItem("e4", "SCH1", EvidenceKind.ANECDOTAL, "Stale", AT - timedelta(days=400)),
    )
    profile = joint_profile("S1", VisibleRisk((), items, withheld=2), calibration, at=AT)
    weights = {w.item.id: w.weight for w in profile.evidence}
    assert weights == {"e1": 1.0, "e2": 0.4, "e3": 0.2, "e4": 0.0}
    assert profile.evidence_score == pytest.approx(1.6)
    assert profile.withheld == 2
    assert any("2 item(s) exist that you may not see" in n for n in profile.notes)


def test_fourteen_dash_indicators_raise_the_police_level_to_high() -> None:
    calibration = parse_calibration(small_document())
    recorded = Assessment(
        "a9", "POL", "Police", "police_dash", "medium", "S1", AT - timedelta(days=3), indicators=15
    )
    profile = joint_profile("S1", VisibleRisk((recorded,), ()), calibration, at=AT)
    assert (profile.agencies[0].level, profile.agencies[0].common) == ("high", 4)
    assert any("15 Police DASH indicators mean at least high" in n for n in profile.notes)
    below = Assessment(
        "a8", "POL", "Police", "police_dash", "medium", "S1", AT - timedelta(days=3), indicators=13
    )
    kept = joint_profile("S1", VisibleRisk((below,), ()), calibration, at=AT)
    assert kept.agencies[0].level == "medium"


def test_household_profile_flags_disagreement_about_the_same_person_only() -> None:
    calibration = parse_calibration(small_document())
    mother = Assessment("m", "POL", "Police", "police_dash", "high", "MUM", AT, household_id="H1")
    child = Assessment("c", "SCH1", "School", "school_concern", "low", "KID", AT, household_id="H1")
    profile = joint_profile("H1", VisibleRisk((mother, child), ()), calibration, at=AT)
    assert {(a.person_id, a.common) for a in profile.agencies} == {("MUM", 4), ("KID", 1)}
    assert profile.combined == 4
    assert not profile.disagreement  # two different people
    police_on_child = Assessment("pc", "POL", "Police", "police_dash", "high", "KID", AT)
    both = VisibleRisk((mother, child, police_on_child), ())
    flagged = joint_profile("H1", both, calibration, at=AT)
    assert flagged.disagreement_text == "Police: high. School: low."


def test_an_assessment_on_a_scale_the_calibration_does_not_know_is_noted_not_mapped() -> None:
    calibration = parse_calibration(small_document())
    seen = VisibleRisk(
        (
            assessment("POL", "Police", "police_dash", "high"),
            assessment("AMB", "Ambulance", "ambulance_triage", "red"),
            assessment("SCH1", "School", "school_concern", "severe"),
        ),
        (),
    )
    profile = joint_profile("S1", seen, calibration, at=AT)
    assert [a.org_code for a in profile.agencies] == ["POL"]
    assert profile.combined == 4
    assert not profile.disagreement
    assert any(
        "'ambulance_triage' is not on calibration test-calibration@1" in n for n in profile.notes
    )
    assert any("'severe'" in n for n in profile.notes)
