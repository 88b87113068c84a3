"""/api/v1/hotspots: Gi* hot spots and key-building profiles, suppressed outside analysts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sharewell.adapters.geo import maps
from sharewell.bootstrap import Container
from sharewell.domain.hotspots import (
    DEFAULT_RESOLUTION,
    HotspotSettings,
    Measure,
    PublishedReport,
    ShownCount,
)
from sharewell.entrypoints.api.deps import Reader, container
from sharewell.entrypoints.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["hotspots"], responses=ERROR_RESPONSES)


class CountOut(BaseModel):
    """A count: `value` is null when it is under 5 and the viewer is not an analyst."""

    value: int | None
    text: str
    suppressed: bool

    @classmethod
    def of(cls, shown: ShownCount) -> CountOut:
        return cls(value=shown.value, text=shown.text, suppressed=shown.suppressed)


class HexagonOut(BaseModel):
    """One hexagon of the study area."""

    h3: str
    latitude: float
    longitude: float
    council_area: str | None
    count: CountOut
    z: float
    p_analytic: float
    p_permutation: float | None
    q: float
    significance: str
    expected: float | None


class BuildingOut(BaseModel):
    """Incidents around a key building."""

    id: str
    name: str
    kind: str
    radius_m: float
    total: CountOut
    recent: CountOut
    earlier: CountOut
    trend: str
    ratio_to_baseline: float | None
    by_category: dict[str, CountOut]


class HotspotsOut(BaseModel):
    """The analysis as the caller may see it."""

    resolution: int
    category: str | None
    measure: str
    fdr: float
    permutations: int
    inference: str
    unsuppressed: bool
    generated_at: datetime
    incidents: CountOut
    hot: int
    cold: int
    hexagons: list[HexagonOut]
    buildings: list[BuildingOut]
    notes: list[str]


def query_settings(
    resolution: Annotated[int, Query(ge=6, le=11)] = DEFAULT_RESOLUTION,
    category: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 instant with zone")] = None,
    permutations: Annotated[int, Query(ge=0, le=9999)] = 999,
    measure: Measure = Measure.EXCESS,
    fdr: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> HotspotSettings:
    """Analysis settings from the query string (also used by the pages)."""
    return HotspotSettings(
        resolution=resolution,
        category=category or None,
        since=since,
        permutations=permutations,
        measure=measure,
        fdr=fdr,
    )


def _out(report: PublishedReport, *, significant_only: bool) -> HotspotsOut:
    hexagons = [
        HexagonOut(
            h3=h.cell,
            latitude=h.latitude,
            longitude=h.longitude,
            council_area=h.council_area,
            count=CountOut.of(h.count),
            z=h.z,
            p_analytic=h.p_analytic,
            p_permutation=h.p_permutation,
            q=h.q,
            significance=h.significance.value,
            expected=h.expected,
        )
        for h in report.hexagons
        if not significant_only or h.significance.value != "not_significant"
    ]
    return HotspotsOut(
        resolution=report.settings.resolution,
        category=report.settings.category,
        measure=report.settings.measure.value,
        fdr=report.settings.fdr,
        permutations=report.settings.permutations,
        inference=report.inference,
        unsuppressed=report.unsuppressed,
        generated_at=report.generated_at,
        incidents=CountOut.of(report.incidents),
        hot=len(report.hot),
        cold=len(report.cold),
        hexagons=hexagons,
        buildings=[
            BuildingOut(
                id=b.building.id,
                name=b.building.name,
                kind=b.building.kind,
                radius_m=b.radius_m,
                total=CountOut.of(b.total),
                recent=CountOut.of(b.recent),
                earlier=CountOut.of(b.earlier),
                trend=b.trend,
                ratio_to_baseline=b.ratio_to_baseline,
                by_category={c: CountOut.of(n) for c, n in b.by_category},
            )
            for b in report.buildings
        ],
        notes=list(report.notes),
    )


Wiring = Annotated[Container, Depends(container)]
Viewer = Reader
Settings_ = Annotated[HotspotSettings, Depends(query_settings)]


@router.get("/hotspots", response_model=HotspotsOut)
def get_hotspots(
    wiring: Wiring,
    viewer: Viewer,
    settings: Settings_,
    all_hexagons: Annotated[bool, Query(description="Every hexagon, not only hot/cold")] = False,
) -> HotspotsOut:
    """Hot and cold spots (Gi*, FDR) and key-building profiles; counts under 5 suppressed
    unless the caller is an analyst."""
    report = wiring.hotspots.published(settings, viewer=viewer)
    return _out(report, significant_only=not all_hexagons)


@router.get("/hotspots/geojson", response_class=JSONResponse)
def get_hotspots_geojson(wiring: Wiring, viewer: Viewer, settings: Settings_) -> JSONResponse:
    """The same as GeoJSON (hexagon polygons, key-building points, the council boundary)."""
    report = wiring.hotspots.published(settings, viewer=viewer)
    body: dict[str, Any] = maps.geojson(report)
    return JSONResponse(body, media_type="application/geo+json")
