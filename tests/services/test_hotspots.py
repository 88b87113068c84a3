"""The hot-spot service: who may look, suppression by role, key-building profiles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sharewell.domain.errors import PermissionDenied
from sharewell.domain.hotspots import (
    HexResult,
    HotspotSettings,
    IncidentPoint,
    KeyBuilding,
    ResidentPoint,
    Significance,
)
from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import Role
from sharewell.services.hotspots import GridOutcome, Hotspots

AT = datetime(2026, 6, 1, tzinfo=UTC)
HOME = KeyBuilding("KB-CH1", "Oakleigh House", "care_home", 54.70, 2.10)


def viewer(role: Role) -> Practitioner:
    return Practitioner(id=f"p-{role}", org_code="CSCN", name="X", email="x@x.org", role=role)


class FakeReads:
    def __init__(self, incidents: Sequence[IncidentPoint]) -> None:
        self._incidents = incidents
        self.calls = 0

    def incidents(
        self, *, category: str | None = None, since: datetime | None = None
    ) -> Sequence[IncidentPoint]:
        self.calls += 1
        return [
            i
            for i in self._incidents
            if (category is None or i.category == category)
            and (since is None or i.occurred_at >= since)
        ]

    def residents(self) -> Sequence[ResidentPoint]:
        return [ResidentPoint(54.7, 2.1, "North Anyshire")]

    def key_buildings(self) -> Sequence[KeyBuilding]:
        return [HOME]


class FakeEngine:
    """Two hexagons: one hot with 3 incidents, one not significant with 7."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int, int, HotspotSettings]] = []

    def analyse(
        self,
        incidents: Sequence[IncidentPoint],
        residents: Sequence[ResidentPoint],
        buildings: Sequence[KeyBuilding],
        settings: HotspotSettings,
    ) -> GridOutcome:
        self.seen.append((len(incidents), len(residents), len(buildings), settings))

        def hexagon(cell: str, count: int, sig: Significance) -> HexResult:
            return HexResult(
                cell, 54.7, 2.1, (), "North Anyshire", count, 1.0, 1.0, 3.5, 0.001, 0.001, 0.01, sig
            )

        return GridOutcome(
            hexagons=(
                hexagon("a", 3, Significance.HOT),
                hexagon("b", 7, Significance.NOT_SIGNIFICANT),
            ),
            boundary=(),
            area_km2=10.0,
        )


def incidents_near_home() -> list[IncidentPoint]:
    # 8 in the last year, 2 in the year before, 1 far away (about 11 km north).
    near = [
        IncidentPoint("health", "fall", AT - timedelta(days=10 + i), 54.7005, 2.1005)
        for i in range(8)
    ]
    earlier = [
        IncidentPoint("criminal_offence", "arrest", AT - timedelta(days=400 + i), 54.7, 2.1)
        for i in range(2)
    ]
    far = [IncidentPoint("health", "fall", AT - timedelta(days=3), 54.8, 2.1)]
    return near + earlier + far


@pytest.fixture
def service() -> Hotspots:
    return Hotspots(reads=FakeReads(incidents_near_home()), engine=FakeEngine(), clock=lambda: AT)


def test_partnership_lead_sees_small_counts_suppressed(service: Hotspots) -> None:
    report = service.published(HotspotSettings(), viewer=viewer(Role.PARTNERSHIP_LEAD))
    assert [h.count.text for h in report.hexagons] == ["fewer than 5", "7"]
    building = report.buildings[0]
    assert building.total.value == 10
    assert building.recent.value == 8
    assert building.earlier.text == "fewer than 5"
    assert building.trend == "not shown (small numbers)"
    assert dict(building.by_category)["criminal_offence"].text == "fewer than 5"


def test_analyst_sees_every_count_and_the_trend(service: Hotspots) -> None:
    report = service.published(HotspotSettings(), viewer=viewer(Role.ANALYST))
    assert [h.count.value for h in report.hexagons] == [3, 7]
    building = report.buildings[0]
    assert (building.recent.value, building.earlier.value, building.trend) == (8, 2, "rising")
    # 10 incidents in pi * 0.4^2 km2 against 11 over 10 km2
    assert building.ratio_to_baseline == pytest.approx((10 / 0.502654825) / 1.1, rel=1e-6)


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.POLICE_OFFICER, Role.IG_LEAD])
def test_other_roles_may_not_see_hot_spots(service: Hotspots, role: Role) -> None:
    with pytest.raises(PermissionDenied):
        service.published(HotspotSettings(), viewer=viewer(role))


def test_the_command_line_is_suppressed_unless_asked(service: Hotspots) -> None:
    assert not service.published(HotspotSettings(), viewer=None).unsuppressed
    assert service.published(HotspotSettings(), viewer=None, unsuppressed=True).unsuppressed


def test_one_analysis_serves_the_page_and_its_exports() -> None:
    reads = FakeReads(incidents_near_home())
    engine = FakeEngine()
    service = Hotspots(reads=reads, engine=engine, clock=lambda: AT)
    service.published(HotspotSettings(), viewer=viewer(Role.ANALYST))
    service.published(HotspotSettings(), viewer=viewer(Role.PARTNERSHIP_LEAD))
    assert reads.calls == 1
    service.published(HotspotSettings(category="health"), viewer=viewer(Role.ANALYST))
    assert reads.calls == 2
    assert [(n, r, b) for n, r, b, _ in engine.seen] == [(11, 1, 1), (9, 1, 1)]
