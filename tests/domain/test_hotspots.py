"""The small-number rule and the hot-spot settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sharewell.domain.errors import ValidationError
from sharewell.domain.hotspots import (
    SUPPRESSED_TEXT,
    BuildingProfile,
    CategoryCount,
    HotspotReport,
    HotspotSettings,
    KeyBuilding,
    publish,
    sees_small_numbers,
    shown_count,
)
from sharewell.domain.vocabulary import Role


@pytest.mark.parametrize("count", [0, 1, 4])
def test_counts_under_five_are_suppressed_outside_analysts(count: int) -> None:
    shown = shown_count(count, unsuppressed=False)
    assert shown.value is None
    assert shown.text == SUPPRESSED_TEXT == "fewer than 5"


@pytest.mark.parametrize("count", [5, 6, 1200])
def test_counts_of_five_or_more_are_shown(count: int) -> None:
    assert shown_count(count, unsuppressed=False).value == count


def test_analysts_see_small_counts() -> None:
    assert shown_count(2, unsuppressed=True).value == 2
    assert sees_small_numbers(Role.ANALYST)
    assert not sees_small_numbers(Role.PARTNERSHIP_LEAD)


def test_publish_suppresses_building_counts_and_the_trend_that_would_reveal_them() -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    profile = BuildingProfile(
        building=KeyBuilding("KB1", "Oakleigh House", "care_home", 54.7, 2.1),
        radius_m=400,
        by_category=(CategoryCount("health", 3), CategoryCount("criminal_offence", 9)),
        total=12,
        recent=3,
        earlier=9,
        area_km2=0.5,
        rate_per_km2=24,
        baseline_rate_per_km2=4,
    )
    report = HotspotReport(
        settings=HotspotSettings(),
        generated_at=at,
        incidents=12,
        hexagons=(),
        buildings=(profile,),
        boundary=(),
        recent_since=at,
    )
    shown = publish(report, unsuppressed=False).buildings[0]
    assert shown.total.value == 12
    assert shown.recent.text == "fewer than 5"
    assert dict(shown.by_category)["health"].text == "fewer than 5"
    assert shown.trend == "not shown (small numbers)"
    assert publish(report, unsuppressed=True).buildings[0].trend == "falling"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"resolution": 14}, "resolution"),
        ({"neighbourhood": 0}, "neighbourhood"),
        ({"permutations": -1}, "permutations"),
        ({"fdr": 1.5}, "fdr"),
        ({"since": datetime(2026, 1, 1)}, "since"),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_bad_settings_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        HotspotSettings(**change)  # type: ignore[arg-type]
    assert error.value.field == field
