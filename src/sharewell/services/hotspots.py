"""Hot spots across the partnership and risk around key buildings.

The reads here are area-level only: incident points (category, code, date, place) and household
locations, never a person's identity (ADR 0006). Outputs reach viewers only through
`domain.hotspots.publish`, which applies the one small-number rule.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sharewell.domain.errors import PermissionDenied
from sharewell.domain.hotspots import (
    BoundarySegment,
    BuildingProfile,
    CategoryCount,
    HexResult,
    HotspotReport,
    HotspotSettings,
    IncidentPoint,
    KeyBuilding,
    PublishedReport,
    ResidentPoint,
    publish,
    sees_small_numbers,
)
from sharewell.domain.organisations import Practitioner
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import Role

BUILDING_RADIUS_M = 400.0
RECENT_DAYS = 365
CACHE_SECONDS = 300
VIEWER_ROLES = frozenset({Role.ANALYST, Role.PARTNERSHIP_LEAD})
"""Who may see hot-spot maps at all: analysts (unsuppressed) and partnership leads."""


class AreaReads(Protocol):
    """Area-level reads for hot spots: no person identifiers cross this port."""

    def incidents(
        self, *, category: str | None = None, since: datetime | None = None
    ) -> Sequence[IncidentPoint]:
        """Located incidents, optionally of one category and from a date."""
        ...

    def residents(self) -> Sequence[ResidentPoint]:
        """Household locations with their council area (the population baseline)."""
        ...

    def key_buildings(self) -> Sequence[KeyBuilding]: ...


@dataclass(frozen=True)
class GridOutcome:
    """What the statistics engine returns: hexagons, the council boundary, the area covered."""

    hexagons: tuple[HexResult, ...]
    boundary: tuple[BoundarySegment, ...]
    area_km2: float


class HotspotEngine(Protocol):
    """Aggregates to hexagons and runs Gi* with FDR control (adapters/geo implements it)."""

    def analyse(
        self,
        incidents: Sequence[IncidentPoint],
        residents: Sequence[ResidentPoint],
        buildings: Sequence[KeyBuilding],
        settings: HotspotSettings,
    ) -> GridOutcome: ...


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(min(1.0, a)))


def building_profile(
    building: KeyBuilding,
    incidents: Sequence[IncidentPoint],
    *,
    at: datetime,
    radius_m: float,
    baseline_rate_per_km2: float,
) -> BuildingProfile:
    """Incidents within `radius_m` of a building: by category, last year against the year before."""
    recent_from = at - timedelta(days=RECENT_DAYS)
    earlier_from = recent_from - timedelta(days=RECENT_DAYS)
    # A cheap box test first: a degree of latitude is about 111 km everywhere.
    dlat = radius_m / 111_000
    dlon = dlat / max(0.01, math.cos(math.radians(building.latitude)))
    near = [
        i
        for i in incidents
        if abs(i.latitude - building.latitude) <= dlat
        and abs(i.longitude - building.longitude) <= dlon
        and distance_m(building.latitude, building.longitude, i.latitude, i.longitude) <= radius_m
    ]
    by_category = Counter(i.category for i in near)
    area_km2 = math.pi * (radius_m / 1000) ** 2
    return BuildingProfile(
        building=building,
        radius_m=radius_m,
        by_category=tuple(CategoryCount(c, n) for c, n in sorted(by_category.items())),
        total=len(near),
        recent=sum(1 for i in near if recent_from <= i.occurred_at < at),
        earlier=sum(1 for i in near if earlier_from <= i.occurred_at < recent_from),
        area_km2=area_km2,
        rate_per_km2=len(near) / area_km2,
        baseline_rate_per_km2=baseline_rate_per_km2,
    )


class Hotspots:
    """Hot-spot analysis and key-building profiles for analysts and partnership leads."""

    def __init__(
        self,
        *,
        reads: AreaReads,
        engine: HotspotEngine,
        clock: Callable[[], datetime] = utcnow,
        building_radius_m: float = BUILDING_RADIUS_M,
    ) -> None:
        self._reads = reads
        self._engine = engine
        self._clock = clock
        self._radius = building_radius_m
        # The page, its map and its exports ask for the same analysis within seconds of each
        # other; one run serves them all for a few minutes.
        self._cache: dict[HotspotSettings, HotspotReport] = {}

    def analyse(self, settings: HotspotSettings) -> HotspotReport:
        """Run the whole analysis (unsuppressed): for analysts and for `published`."""
        at = self._clock()
        cached = self._cache.get(settings)
        if cached is not None and (at - cached.generated_at).total_seconds() < CACHE_SECONDS:
            return cached
        incidents = self._reads.incidents(category=settings.category, since=settings.since)
        residents = self._reads.residents()
        buildings = self._reads.key_buildings()
        outcome = self._engine.analyse(incidents, residents, buildings, settings)
        baseline = len(incidents) / outcome.area_km2 if outcome.area_km2 > 0 else 0.0
        profiles = tuple(
            building_profile(
                b, incidents, at=at, radius_m=self._radius, baseline_rate_per_km2=baseline
            )
            for b in sorted(buildings, key=lambda b: b.name)
        )
        report = HotspotReport(
            settings=settings,
            generated_at=at,
            incidents=len(incidents),
            hexagons=outcome.hexagons,
            buildings=profiles,
            boundary=outcome.boundary,
            recent_since=at - timedelta(days=RECENT_DAYS),
        )
        self._cache = {settings: report}
        return report

    def published(
        self, settings: HotspotSettings, *, viewer: Practitioner | None, unsuppressed: bool = False
    ) -> PublishedReport:
        """The analysis as `viewer` may see it: analysts unsuppressed, everyone else not.

        `viewer=None` (the command line, run by whoever holds the database) is suppressed unless
        `unsuppressed` is asked for explicitly.
        """
        if viewer is not None:
            if viewer.role not in VIEWER_ROLES:
                raise PermissionDenied(
                    "Hot-spot maps are for analysts and partnership leads", field="role"
                )
            unsuppressed = sees_small_numbers(viewer.role)
        report = self.analyse(settings)
        return publish(report, unsuppressed=unsuppressed)
