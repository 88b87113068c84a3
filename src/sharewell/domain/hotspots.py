"""Geographic hot spots: settings, results, and the one small-number suppression rule.

Everything here is area-level: incidents are points with a category and a date, never a person.
The statistics themselves (H3, Getis-Ord Gi*) live in `adapters/geo`; this module holds the values
they produce and the rule that decides what a viewer may see of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sharewell.domain.errors import ValidationError
from sharewell.domain.vocabulary import Role

SMALL_NUMBER_LIMIT = 5
"""Counts below this are never shown outside analysts (statistical disclosure control)."""

SUPPRESSED_TEXT = "fewer than 5"

MIN_RESOLUTION = 6
MAX_RESOLUTION = 11
DEFAULT_RESOLUTION = 10
"""H3 resolution 10 (hexagons about 66 m a side, 0.015 km²): small enough to separate a care
home's cluster (120 m across) from the street next door, large enough for stable counts."""


class Measure(StrEnum):
    """What value each hexagon carries into Gi*."""

    EXCESS = "excess"
    """Incidents above what the resident households would predict, scaled as a Pearson residual
    (x - E) / sqrt(E + 1), with E = all incidents x the hexagon's share of households."""
    COUNT = "count"
    """The raw count of incidents: busy town centres will be hot spots too."""


class Significance(StrEnum):
    """How a hexagon is classified after false-discovery-rate control."""

    HOT = "hot"
    COLD = "cold"
    NOT_SIGNIFICANT = "not_significant"

    @property
    def label(self) -> str:
        return {
            "hot": "Hot spot",
            "cold": "Cold spot",
            "not_significant": "Not significant",
        }[self.value]


@dataclass(frozen=True, slots=True)
class HotspotSettings:
    """How to run a hot-spot analysis; every bound is checked and named when wrong."""

    resolution: int = DEFAULT_RESOLUTION
    neighbourhood: int = 1
    permutations: int = 999
    fdr: float = 0.05
    measure: Measure = Measure.EXCESS
    category: str | None = None
    since: datetime | None = None
    seed: int = 12345

    def __post_init__(self) -> None:
        if not MIN_RESOLUTION <= self.resolution <= MAX_RESOLUTION:
            raise ValidationError(
                f"The H3 resolution must be between {MIN_RESOLUTION} and {MAX_RESOLUTION}, "
                f"not {self.resolution}",
                field="resolution",
            )
        if not 1 <= self.neighbourhood <= 3:
            raise ValidationError(
                f"The neighbourhood (k-ring) must be 1, 2 or 3, not {self.neighbourhood}",
                field="neighbourhood",
            )
        if not 0 <= self.permutations <= 99_999:
            raise ValidationError(
                f"Permutations must be between 0 and 99,999, not {self.permutations}",
                field="permutations",
            )
        if not 0 < self.fdr < 1:
            raise ValidationError(
                f"The false discovery rate must be between 0 and 1, not {self.fdr}", field="fdr"
            )
        if self.since is not None and self.since.tzinfo is None:
            raise ValidationError("since must be timezone-aware", field="since")


@dataclass(frozen=True, slots=True)
class IncidentPoint:
    """Where and when something happened, and in which category: no person in it."""

    category: str
    code: str
    occurred_at: datetime
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class ResidentPoint:
    """A household's location and council area: the population baseline, no person in it."""

    latitude: float
    longitude: float
    council_area: str


@dataclass(frozen=True, slots=True)
class KeyBuilding:
    """A place risk is looked at around: a care home, a school, a hostel."""

    id: str
    name: str
    kind: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class HexResult:
    """One hexagon of the study area with its statistics (unsuppressed: analysts only)."""

    cell: str
    latitude: float
    longitude: float
    boundary: tuple[tuple[float, float], ...]
    council_area: str | None
    count: int
    expected: float
    value: float
    z: float
    p_analytic: float
    p_permutation: float | None
    q: float
    significance: Significance


@dataclass(frozen=True, slots=True)
class CategoryCount:
    """Incidents of one category near a key building."""

    category: str
    count: int


@dataclass(frozen=True, slots=True)
class BuildingProfile:
    """Incidents within a radius of a key building: by category, trend and against the area."""

    building: KeyBuilding
    radius_m: float
    by_category: tuple[CategoryCount, ...]
    total: int
    recent: int
    earlier: int
    area_km2: float
    rate_per_km2: float
    baseline_rate_per_km2: float

    @property
    def ratio_to_baseline(self) -> float | None:
        """How many times the partnership's rate per km² this place sees."""
        if self.baseline_rate_per_km2 <= 0:
            return None
        return self.rate_per_km2 / self.baseline_rate_per_km2


@dataclass(frozen=True, slots=True)
class BoundarySegment:
    """One straight piece of a council boundary, as (lat, lon) ends."""

    start: tuple[float, float]
    end: tuple[float, float]


@dataclass(frozen=True, slots=True)
class HotspotReport:
    """The whole analysis, unsuppressed: never shown as it is outside analysts."""

    settings: HotspotSettings
    generated_at: datetime
    incidents: int
    hexagons: tuple[HexResult, ...]
    buildings: tuple[BuildingProfile, ...]
    boundary: tuple[BoundarySegment, ...]
    recent_since: datetime
    inference: str = "analytic z; Benjamini-Hochberg on analytic p; permutation p alongside"


# ---- what a viewer may see ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShownCount:
    """A count as a viewer may see it: the number, or None with the words "fewer than 5"."""

    value: int | None
    text: str

    @property
    def suppressed(self) -> bool:
        return self.value is None


def sees_small_numbers(role: Role | str) -> bool:
    """Only analysts may see counts under the small-number limit."""
    return str(role) == Role.ANALYST.value


def shown_count(count: int, *, unsuppressed: bool) -> ShownCount:
    """THE small-number rule: every output (page, SVG, PNG, GeoJSON, API, CLI) goes through it.

    Zero is shown as zero only to analysts: outside them any count from 0 to 4 reads "fewer
    than 5", so a zero cannot be told apart from a one or two.
    """
    if count < 0:
        raise ValidationError("A count cannot be negative", field="count")
    if unsuppressed or count >= SMALL_NUMBER_LIMIT:
        return ShownCount(count, f"{count:,}")
    return ShownCount(None, SUPPRESSED_TEXT)


@dataclass(frozen=True, slots=True)
class ShownHex:
    """A hexagon as a viewer may see it."""

    cell: str
    latitude: float
    longitude: float
    boundary: tuple[tuple[float, float], ...]
    council_area: str | None
    count: ShownCount
    z: float
    p_analytic: float
    p_permutation: float | None
    q: float
    significance: Significance
    expected: float | None = None
    """Only for analysts: with the count, the expected value would not reveal anything more;
    outside analysts it could be used to undo the suppression, so it is withheld."""


@dataclass(frozen=True, slots=True)
class ShownBuilding:
    """A key-building profile as a viewer may see it."""

    building: KeyBuilding
    radius_m: float
    by_category: tuple[tuple[str, ShownCount], ...]
    total: ShownCount
    recent: ShownCount
    earlier: ShownCount
    trend: str
    ratio_to_baseline: float | None


@dataclass(frozen=True, slots=True)
class PublishedReport:
    """What one viewer may see of a `HotspotReport`: the only thing outputs ever render."""

    settings: HotspotSettings
    generated_at: datetime
    unsuppressed: bool
    incidents: ShownCount
    hexagons: tuple[ShownHex, ...]
    buildings: tuple[ShownBuilding, ...]
    boundary: tuple[BoundarySegment, ...]
    inference: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def hot(self) -> tuple[ShownHex, ...]:
        return tuple(h for h in self.hexagons if h.significance is Significance.HOT)

    @property
    def cold(self) -> tuple[ShownHex, ...]:
        return tuple(h for h in self.hexagons if h.significance is Significance.COLD)


def _trend(recent: int, earlier: int, *, unsuppressed: bool) -> str:
    # The trend compares two counts; when either is small outside analysts, saying "rising"
    # would hint at the numbers, so only the words "not shown" are given.
    if not unsuppressed and min(recent, earlier) < SMALL_NUMBER_LIMIT:
        return "not shown (small numbers)"
    if earlier == 0:
        return "new" if recent else "none"
    change = recent / earlier
    if change >= 1.25:
        return "rising"
    if change <= 0.8:
        return "falling"
    return "steady"


def publish(report: HotspotReport, *, unsuppressed: bool) -> PublishedReport:
    """Turn a report into what a viewer may see; counts go through `shown_count`, nothing else."""
    hexagons = tuple(
        ShownHex(
            cell=h.cell,
            latitude=h.latitude,
            longitude=h.longitude,
            boundary=h.boundary,
            council_area=h.council_area,
            count=shown_count(h.count, unsuppressed=unsuppressed),
            z=h.z,
            p_analytic=h.p_analytic,
            p_permutation=h.p_permutation,
            q=h.q,
            significance=h.significance,
            expected=h.expected if unsuppressed else None,
        )
        for h in report.hexagons
    )
    buildings = tuple(
        ShownBuilding(
            building=b.building,
            radius_m=b.radius_m,
            by_category=tuple(
                (c.category, shown_count(c.count, unsuppressed=unsuppressed)) for c in b.by_category
            ),
            total=shown_count(b.total, unsuppressed=unsuppressed),
            recent=shown_count(b.recent, unsuppressed=unsuppressed),
            earlier=shown_count(b.earlier, unsuppressed=unsuppressed),
            trend=_trend(b.recent, b.earlier, unsuppressed=unsuppressed),
            ratio_to_baseline=(
                b.ratio_to_baseline if unsuppressed or b.total >= SMALL_NUMBER_LIMIT else None
            ),
        )
        for b in report.buildings
    )
    notes: tuple[str, ...] = ()
    if not unsuppressed:
        notes = ("Counts under 5 are shown as 'fewer than 5' to protect the people involved.",)
    return PublishedReport(
        settings=report.settings,
        generated_at=report.generated_at,
        unsuppressed=unsuppressed,
        incidents=shown_count(report.incidents, unsuppressed=unsuppressed),
        hexagons=hexagons,
        buildings=buildings,
        boundary=report.boundary,
        inference=report.inference,
        notes=notes,
    )
