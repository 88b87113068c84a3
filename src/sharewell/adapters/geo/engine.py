"""The hot-spot engine: H3 aggregation, Gi* with esda, Benjamini-Hochberg, council boundary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import h3
import numpy as np

from sharewell.adapters.geo.getis_ord import benjamini_hochberg, gi_star
from sharewell.adapters.geo.hexgrid import (
    FloatArray,
    HexGrid,
    build_grid,
    cell_centre,
    cell_name,
    cell_outline,
    cells_of,
    excess,
    shared_edge,
)
from sharewell.domain.hotspots import (
    BoundarySegment,
    HexResult,
    HotspotSettings,
    IncidentPoint,
    KeyBuilding,
    Measure,
    ResidentPoint,
    Significance,
)
from sharewell.services.hotspots import GridOutcome


def classify(
    values: FloatArray, z: FloatArray, q: FloatArray, p_perm: FloatArray | None, fdr: float
) -> list[Significance]:
    """Hot or cold where BH keeps it at `fdr`, the pseudo p agrees, and the hexagon itself
    lies on the same side of the mean.

    The last condition keeps out hexagons that are significant only because a neighbour is
    (Gi* includes the neighbours' values): the "core" of the hot spot, as the high-high quadrant
    does for local Moran's I. The permutation p, when run, must also be under `fdr`, so a
    result resting only on the normal approximation is not reported.
    """
    mean = float(values.mean()) if values.size else 0.0
    significant = q <= fdr
    if p_perm is not None:
        significant &= p_perm <= fdr
    out: list[Significance] = []
    for sig, zi, vi in zip(significant.tolist(), z.tolist(), values.tolist(), strict=True):
        if sig and zi > 0 and vi > mean:
            out.append(Significance.HOT)
        elif sig and zi < 0 and vi < mean:
            out.append(Significance.COLD)
        else:
            out.append(Significance.NOT_SIGNIFICANT)
    return out


def councils_of(grid: HexGrid, residents: Sequence[ResidentPoint]) -> list[str | None]:
    """Each hexagon's council: the most common among its households, else the nearest one's."""
    if not residents:
        return [None] * grid.n
    from scipy.spatial import cKDTree  # imported when needed: scipy.spatial is slow to import

    cells = cells_of(
        np.array([r.latitude for r in residents]),
        np.array([r.longitude for r in residents]),
        grid.resolution,
    )
    tally: dict[int, Counter[str]] = {}
    for cell, resident in zip(cells, residents, strict=True):
        tally.setdefault(cell, Counter())[resident.council_area] += 1
    # Ties broken by name so the answer never depends on order.
    known = {c: min(t.items(), key=lambda kv: (-kv[1], kv[0]))[0] for c, t in tally.items()}
    known_cells = sorted(known)
    centres = np.array([cell_centre(c) for c in known_cells])
    scale = np.cos(np.radians(centres[:, 0].mean()))
    tree = cKDTree(np.column_stack([centres[:, 0], centres[:, 1] * scale]))
    mine = np.array([cell_centre(c) for c in grid.cells])
    _, nearest = tree.query(np.column_stack([mine[:, 0], mine[:, 1] * scale]))
    return [
        known.get(c, known[known_cells[int(j)]]) for c, j in zip(grid.cells, nearest, strict=True)
    ]


def boundary_of(grid: HexGrid, councils: list[str | None]) -> tuple[BoundarySegment, ...]:
    """The edges between neighbouring hexagons of different councils."""
    index = grid.index()
    segments: list[BoundarySegment] = []
    for i, cell in enumerate(grid.cells):
        if councils[i] is None:
            continue
        for other in sorted(h3.api.basic_int.grid_ring(cell, 1)):
            j = index.get(other)
            if j is None or j <= i or councils[j] is None or councils[j] == councils[i]:
                continue
            edge = shared_edge(cell, other)
            if edge is not None:
                segments.append(BoundarySegment(edge[0], edge[1]))
    return tuple(segments)


class H3GiStarEngine:
    """`HotspotEngine` with H3 hexagons and esda's Gi*."""

    def analyse(
        self,
        incidents: Sequence[IncidentPoint],
        residents: Sequence[ResidentPoint],
        buildings: Sequence[KeyBuilding],
        settings: HotspotSettings,
    ) -> GridOutcome:
        res = settings.resolution
        incident_cells = cells_of(
            np.array([i.latitude for i in incidents], dtype=np.float64),
            np.array([i.longitude for i in incidents], dtype=np.float64),
            res,
        )
        household_cells = cells_of(
            np.array([r.latitude for r in residents], dtype=np.float64),
            np.array([r.longitude for r in residents], dtype=np.float64),
            res,
        )
        building_cells = cells_of(
            np.array([b.latitude for b in buildings], dtype=np.float64),
            np.array([b.longitude for b in buildings], dtype=np.float64),
            res,
        )
        grid = build_grid(
            incident_cells,
            household_cells,
            resolution=res,
            neighbourhood=settings.neighbourhood,
            extra_cells=building_cells,
        )
        area_km2 = grid.n * float(h3.average_hexagon_area(res, unit="km^2"))
        if grid.n < 3:
            return GridOutcome(hexagons=(), boundary=(), area_km2=area_km2)
        expected, residual = excess(grid.counts, grid.households)
        values = residual if settings.measure is Measure.EXCESS else grid.counts
        if float(values.std()) == 0.0:
            z = np.zeros(grid.n)
            p_a = np.ones(grid.n)
            p_p: FloatArray | None = np.ones(grid.n) if settings.permutations else None
        else:
            result = gi_star(values, grid, permutations=settings.permutations, seed=settings.seed)
            z, p_a, p_p = result.z, result.p_analytic, result.p_permutation
        q = benjamini_hochberg(p_a)
        classes = classify(values, z, q, p_p, settings.fdr)
        councils = councils_of(grid, residents)
        hexagons = tuple(
            HexResult(
                cell=cell_name(cell),
                latitude=centre[0],
                longitude=centre[1],
                boundary=cell_outline(cell),
                council_area=councils[i],
                count=int(grid.counts[i]),
                expected=float(expected[i]),
                value=float(values[i]),
                z=float(z[i]),
                p_analytic=float(p_a[i]),
                p_permutation=None if p_p is None else float(p_p[i]),
                q=float(q[i]),
                significance=classes[i],
            )
            for i, (cell, centre) in enumerate(
                zip(grid.cells, (cell_centre(c) for c in grid.cells), strict=True)
            )
        )
        return GridOutcome(
            hexagons=hexagons, boundary=boundary_of(grid, councils), area_km2=area_km2
        )
