"""Gi* against plain numpy, permutations against esda, BH, and a planted cluster."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime

import h3
import numpy as np
import pytest

from sharewell.adapters.geo.engine import H3GiStarEngine
from sharewell.adapters.geo.getis_ord import (
    adjacency,
    analytic_z,
    benjamini_hochberg,
    permutation_p,
)
from sharewell.adapters.geo.hexgrid import build_grid
from sharewell.domain.hotspots import (
    HotspotSettings,
    IncidentPoint,
    Measure,
    ResidentPoint,
    Significance,
)
from sharewell.services.hotspots import distance_m

CENTRE = h3.api.basic_int.latlng_to_cell(54.75, 2.1, 9)


def small_grid(values_seed: int = 1) -> tuple[object, np.ndarray]:
    cells = list(h3.api.basic_int.grid_disk(CENTRE, 6))
    grid = build_grid(cells, [], resolution=9, neighbourhood=1)
    rng = np.random.default_rng(values_seed)
    return grid, rng.poisson(3, grid.n).astype(float)


def numpy_gi_star(values: np.ndarray, cells: tuple[int, ...]) -> np.ndarray:
    """Gi* (star, binary weights) from the textbook formula, neighbours from h3 afresh."""
    where = {c: i for i, c in enumerate(cells)}
    n = len(values)
    xbar = values.sum() / n
    s = math.sqrt((values**2).sum() / n - xbar**2)
    z = np.empty(n)
    for i, c in enumerate(cells):
        js = [where[d] for d in h3.api.basic_int.grid_disk(c, 1) if d in where]
        wi = float(len(js))
        z[i] = (values[js].sum() - xbar * wi) / (s * math.sqrt((n * wi - wi * wi) / (n - 1)))
    return z


def test_gi_star_z_matches_plain_numpy_on_a_small_grid() -> None:
    grid, values = small_grid()
    z = analytic_z(values, grid)  # type: ignore[arg-type]
    expected = numpy_gi_star(values, grid.cells)  # type: ignore[attr-defined]
    assert np.max(np.abs(z - expected)) < 1e-9


def test_gi_star_z_keeps_its_sign_for_values_with_a_negative_mean() -> None:
    grid, values = small_grid(2)
    shifted = values - 10.0  # mean below zero, as an excess measure can be
    z = analytic_z(shifted, grid)  # type: ignore[arg-type]
    assert np.max(np.abs(z - numpy_gi_star(shifted, grid.cells))) < 1e-9  # type: ignore[attr-defined]


def test_permutation_p_agrees_with_esda() -> None:
    from esda.getisord import G_Local
    from libpysal.graph import Graph

    grid, values = small_grid(3)
    values[:7] += 12  # something to find
    ours = permutation_p(values, grid, permutations=999, seed=7)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = G_Local(
            values,
            Graph.from_sparse(adjacency(grid)),  # type: ignore[arg-type]
            transform="B",
            permutations=999,
            star=None,
            n_jobs=1,
            seed=11,
        ).p_sim
    # Two independent Monte Carlo runs of 999: agree to sampling error.
    assert np.max(np.abs(ours - theirs)) < 0.06
    assert np.corrcoef(ours, theirs)[0, 1] > 0.98


def test_benjamini_hochberg_matches_the_hand_worked_example() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    q = benjamini_hochberg(p)
    # sorted: .005*5/1=.025, .01*5/2=.025, .03*5/3=.05, .04*5/4=.05, .5*5/5=.5
    assert q.tolist() == pytest.approx([0.025, 0.05, 0.05, 0.025, 0.5])


def test_finds_a_planted_cluster_astride_a_boundary_and_little_else() -> None:
    rng = np.random.default_rng(4)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    # Households evenly over a 6 km square; background incidents where people live.
    homes = rng.uniform([54.72, 2.05], [54.78, 2.15], size=(3000, 2))
    residents = [ResidentPoint(lat, lon, "North" if lat > 54.75 else "South") for lat, lon in homes]
    picks = homes[rng.integers(0, len(homes), 1500)]
    incidents = [IncidentPoint("health", "x", at, lat, lon) for lat, lon in picks]
    # A cluster of 80 incidents within 250 m of a point on the boundary (lat 54.75).
    centre = (54.75, 2.10)
    for _ in range(80):
        r = 250 * math.sqrt(rng.random())
        t = rng.random() * 2 * math.pi
        incidents.append(
            IncidentPoint(
                "health",
                "x",
                at,
                centre[0] + r * math.sin(t) / 111_000,
                centre[1] + r * math.cos(t) / (111_000 * math.cos(math.radians(54.75))),
            )
        )
    settings = HotspotSettings(resolution=9, permutations=199, measure=Measure.EXCESS)
    outcome = H3GiStarEngine().analyse(incidents, residents, [], settings)
    hot = [h for h in outcome.hexagons if h.significance is Significance.HOT]
    reach = 250 + h3.average_hexagon_edge_length(9, unit="m")
    inside = [h for h in hot if distance_m(h.latitude, h.longitude, *centre) <= reach]
    assert inside, "the planted cluster was not found"
    assert len(hot) - len(inside) <= 1, "at most one hot hexagon away from the cluster"
    assert {h.council_area for h in inside} == {"North", "South"}
    assert outcome.boundary, "the council boundary is drawn between the two areas"


def test_fast_permutations_equal_a_plain_loop_over_hexagons_with_the_same_draws() -> None:
    from sharewell.adapters.geo.getis_ord import _distinct_draws

    grid, values = small_grid(5)
    values[:5] += 9
    fast = permutation_p(values, grid, permutations=499, seed=5)  # type: ignore[arg-type]
    # The same draws, mapped past each hexagon one by one.
    draws = _distinct_draws(np.random.default_rng(5), 499, 6, grid.n - 1)  # type: ignore[attr-defined]
    observed = grid.neighbour_sum(values)  # type: ignore[attr-defined]
    sizes = np.diff(grid.indptr)  # type: ignore[attr-defined]
    for i in range(grid.n):  # type: ignore[attr-defined]
        picked = draws[:, : sizes[i] - 1]
        simulated = values[picked + (picked >= i)].sum(axis=1) + values[i]
        above = int((simulated >= observed[i]).sum())
        assert fast[i] == (min(above, 499 - above) + 1) / 500
