"""Hot spots: planted clusters found on the synthetic partnership, and Gi* at 1,000,000 incidents.

Prints ONE JSON line.

(a) Generates Anyshire (default 50,000 people) in memory with the demo generator, runs the
    hot-spot engine with its defaults (H3 resolution 10, k=1, measure "excess", 999 permutations,
    Benjamini-Hochberg at FDR 0.05) and checks every planted cluster in `truth_clusters`: a
    cluster is found when at least one hexagon "inside" it is a hot spot, where inside means the
    hexagon centre lies within the cluster radius plus one hexagon edge. The false-flag share is
    the hot hexagons outside every planted cluster over all hot hexagons (target <= 10 %).
(b) Places 1,000,000 incidents on the same map (90 % around households, 10 % in the planted
    discs; then again with the 90 % spread evenly over the map's box, a harder case with many
    more hexagons), aggregates them, then times esda's analytic Gi* (graph built from the adjacency,
    included) and our vectorised 999-permutation inference, measures peak memory, and compares
    the z-scores with an independent plain-numpy Gi* (star, binary weights, own neighbour lists
    from h3) on the same values.

    PYTHONPATH=src .venv/bin/python benchmarks/hotspots.py [--people 50000] [--incidents 1000000]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
import tracemalloc
from datetime import UTC, date, datetime

import h3
import numpy as np

from sharewell.adapters.geo.engine import H3GiStarEngine
from sharewell.adapters.geo.getis_ord import analytic_z, permutation_p
from sharewell.adapters.geo.hexgrid import build_grid, cells_of, edge_length_m, excess
from sharewell.adapters.synthetic.generator import COLUMNS, AnyshireGenerator, DemoConfig
from sharewell.domain.hotspots import (
    HotspotSettings,
    IncidentPoint,
    KeyBuilding,
    Measure,
    ResidentPoint,
    Significance,
)
from sharewell.services.hotspots import distance_m


def generate(people: int, seed: int) -> dict[str, list[tuple[object, ...]]]:
    wanted = ("facts", "households", "key_buildings", "truth_clusters")
    rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in wanted}
    generator = AnyshireGenerator(DemoConfig(people=people, seed=seed, as_of=date(2026, 11, 1)))
    for batch in generator.batches():
        for name in wanted:
            rows[name].extend(batch.rows.get(name, []))
    return rows


def column(table: str, name: str) -> int:
    return COLUMNS[table].index(name)


def detection(
    rows: dict[str, list[tuple[object, ...]]], settings: HotspotSettings
) -> dict[str, object]:
    f_lat, f_lon = column("facts", "latitude"), column("facts", "longitude")
    incidents = [
        IncidentPoint(
            category=str(r[column("facts", "category")]),
            code=str(r[column("facts", "code")]),
            occurred_at=r[column("facts", "occurred_at")],  # type: ignore[arg-type]
            latitude=float(r[f_lat]),  # type: ignore[arg-type]
            longitude=float(r[f_lon]),  # type: ignore[arg-type]
        )
        for r in rows["facts"]
        if r[f_lat] is not None
    ]
    residents = [
        ResidentPoint(float(r[3]), float(r[4]), str(r[5]))  # type: ignore[arg-type]
        for r in rows["households"]
    ]
    buildings = [
        KeyBuilding(str(r[0]), str(r[1]), str(r[2]), float(r[5]), float(r[6]))  # type: ignore[arg-type]
        for r in rows["key_buildings"]
    ]
    started = time.perf_counter()
    outcome = H3GiStarEngine().analyse(incidents, residents, buildings, settings)
    seconds = time.perf_counter() - started
    reach = {
        str(c[0]): float(c[5]) + edge_length_m(settings.resolution)  # type: ignore[arg-type]
        for c in rows["truth_clusters"]
    }
    kinds = {str(c[0]): str(c[1]) for c in rows["truth_clusters"]}
    centres = {str(c[0]): (float(c[3]), float(c[4])) for c in rows["truth_clusters"]}  # type: ignore[arg-type]
    hot = [h for h in outcome.hexagons if h.significance is Significance.HOT]
    found: dict[str, int] = dict.fromkeys(reach, 0)
    outside = 0
    for h in hot:
        inside = [
            cid
            for cid, (lat, lon) in centres.items()
            if distance_m(h.latitude, h.longitude, lat, lon) <= reach[cid]
        ]
        for cid in inside:
            found[cid] += 1
        if not inside:
            outside += 1
    per_kind: dict[str, list[bool]] = {}
    for cid, kind in kinds.items():
        per_kind.setdefault(kind, []).append(found[cid] > 0)
    return {
        "incidents": len(incidents),
        "hexagons": len(outcome.hexagons),
        "hot_hexagons": len(hot),
        "hot_outside_clusters": outside,
        "false_flag_share": round(outside / len(hot), 4) if hot else None,
        "false_flag_target": 0.10,
        "hot_hexagons_per_cluster": found,
        "recall_per_kind": {k: sum(v) / len(v) for k, v in sorted(per_kind.items())},
        "all_clusters_found": all(n > 0 for n in found.values()),
        "seconds": round(seconds, 2),
    }


def reference_gi_star(values: np.ndarray, cells: tuple[int, ...], k: int) -> np.ndarray:
    """Gi* z with plain numpy, written from the formula, neighbours found afresh with h3.

    z_i = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1))),
    w_ij = 1 for j in the k-ring of i (i itself included), W_i = S1_i = sum_j w_ij,
    xbar and s the mean and (population) standard deviation of x over the study area.
    """
    position = {c: i for i, c in enumerate(cells)}
    n = len(cells)
    lag = np.empty(n)
    w = np.empty(n)
    for i, c in enumerate(cells):
        js = [position[d] for d in h3.api.basic_int.grid_disk(c, k) if d in position]
        lag[i] = values[js].sum()
        w[i] = len(js)
    xbar = values.mean()
    s = np.sqrt((values**2).mean() - xbar**2)
    return (lag - xbar * w) / (s * np.sqrt((n * w - w * w) / (n - 1)))


def million(
    rows: dict[str, list[tuple[object, ...]]],
    incidents: int,
    settings: HotspotSettings,
    *,
    spread: str = "homes",
) -> dict[str, object]:
    rng = np.random.default_rng(2026)
    homes = np.array([(float(r[3]), float(r[4])) for r in rows["households"]])  # type: ignore[arg-type]
    background = int(incidents * 0.9)
    if spread == "homes":
        pick = rng.integers(0, len(homes), background)
        metres = 60.0
        lat = homes[pick, 0] + rng.normal(0, metres / 111_000, background)
        lon = homes[pick, 1] + rng.normal(0, metres / 111_000, background) / math.cos(
            math.radians(54.75)
        )
    else:
        # A harder case for speed: background spread evenly over the whole map's box, so that
        # far more hexagons hold incidents.
        lat = rng.uniform(homes[:, 0].min(), homes[:, 0].max(), background)
        lon = rng.uniform(homes[:, 1].min(), homes[:, 1].max(), background)
    clusters = rows["truth_clusters"]
    rest = incidents - background
    which = rng.integers(0, len(clusters), rest)
    radius = np.array([float(clusters[i][5]) for i in which])  # type: ignore[arg-type]
    r = radius * np.sqrt(rng.random(rest))
    theta = rng.random(rest) * 2 * math.pi
    c_lat = np.array([float(clusters[i][3]) for i in which])  # type: ignore[arg-type]
    c_lon = np.array([float(clusters[i][4]) for i in which])  # type: ignore[arg-type]
    lat = np.concatenate([lat, c_lat + r * np.sin(theta) / 111_000])
    lon = np.concatenate(
        [lon, c_lon + r * np.cos(theta) / (111_000 * math.cos(math.radians(54.75)))]
    )
    started = time.perf_counter()
    incident_cells = cells_of(lat, lon, settings.resolution)
    household_cells = cells_of(homes[:, 0], homes[:, 1], settings.resolution)
    grid = build_grid(
        incident_cells,
        household_cells,
        resolution=settings.resolution,
        neighbourhood=settings.neighbourhood,
    )
    _, values = excess(grid.counts, grid.households)
    aggregate_s = time.perf_counter() - started

    # Timed first without tracemalloc (it slows Python-heavy code such as libpysal's graph
    # construction several-fold), then run again under tracemalloc for the memory peaks.
    started = time.perf_counter()
    z = analytic_z(values, grid)
    analytic_s = time.perf_counter() - started
    started = time.perf_counter()
    p = permutation_p(values, grid, permutations=999, seed=settings.seed)
    permutation_s = time.perf_counter() - started

    tracemalloc.start()
    analytic_z(values, grid)
    _, analytic_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    permutation_p(values, grid, permutations=999, seed=settings.seed)
    _, permutation_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    reference = reference_gi_star(values, grid.cells, settings.neighbourhood)
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "spread": spread,
        "incidents": incidents,
        "hexagons": grid.n,
        "aggregate_seconds": round(aggregate_s, 2),
        "analytic_gi_seconds": round(analytic_s, 3),
        "analytic_target_seconds": 3,
        "permutations": 999,
        "permutation_seconds": round(permutation_s, 2),
        "permutation_target_seconds": 15,
        "analytic_traced_peak_mb": round(analytic_peak / 2**20, 1),
        "permutation_traced_peak_mb": round(permutation_peak / 2**20, 1),
        "process_max_rss_mb": round(max_rss_mb, 1),
        "memory_target_mb": 2048,
        "max_abs_z_difference_vs_numpy": float(np.abs(z - reference).max()),
        "z_tolerance": 1e-9,
        "min_permutation_p": float(p.min()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--resolution", type=int, default=HotspotSettings().resolution)
    parser.add_argument("--measure", choices=[m.value for m in Measure], default="excess")
    args = parser.parse_args()
    settings = HotspotSettings(resolution=args.resolution, measure=Measure(args.measure))
    started = time.perf_counter()
    rows = generate(args.people, args.seed)
    generate_s = time.perf_counter() - started
    found = detection(rows, settings)
    speed = million(rows, args.incidents, settings)
    # Run second so the process's peak memory above is that of the main case alone.
    stress = million(rows, args.incidents, settings, spread="uniform")
    passed = bool(
        found["all_clusters_found"]
        and found["false_flag_share"] is not None
        and float(found["false_flag_share"]) <= 0.10  # type: ignore[arg-type]
        and float(speed["analytic_gi_seconds"]) <= 3  # type: ignore[arg-type]
        and float(speed["permutation_seconds"]) <= 15  # type: ignore[arg-type]
        and float(speed["process_max_rss_mb"]) <= 2048  # type: ignore[arg-type]
        and float(speed["max_abs_z_difference_vs_numpy"]) <= 1e-9  # type: ignore[arg-type]
        and float(stress["analytic_gi_seconds"]) <= 3  # type: ignore[arg-type]
        and float(stress["permutation_seconds"]) <= 15  # type: ignore[arg-type]
        and float(stress["process_max_rss_mb"]) <= 2048  # type: ignore[arg-type]
        and float(stress["max_abs_z_difference_vs_numpy"]) <= 1e-9  # type: ignore[arg-type]
    )
    print(
        json.dumps(
            {
                "benchmark": "hotspots",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "people": args.people,
                "seed": args.seed,
                "resolution": settings.resolution,
                "measure": settings.measure.value,
                "fdr": settings.fdr,
                "generate_seconds": round(generate_s, 1),
                "detection": found,
                "million": speed,
                "million_spread_evenly": stress,
                "passed": passed,
            }
        )
    )


if __name__ == "__main__":
    main()
