"""Incidents and households aggregated to H3 hexagons, over the whole partnership area.

The study area is every hexagon that holds an incident or a household, together with its k-ring
neighbourhood, empty hexagons included. Council boundaries play no part in it: a cluster astride
the boundary is one cluster.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import h3
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class HexGrid:
    """The study area: hexagons (sorted H3 ids), their counts, and binary k-ring neighbours.

    `indptr`/`indices` are a CSR adjacency that includes each hexagon itself (the "star"
    of Gi*): hexagon i's neighbourhood is `indices[indptr[i]:indptr[i + 1]]`.
    """

    resolution: int
    neighbourhood: int
    cells: tuple[int, ...]
    counts: FloatArray
    households: FloatArray
    indptr: IntArray
    indices: IntArray

    @property
    def n(self) -> int:
        return len(self.cells)

    def index(self) -> dict[int, int]:
        return {cell: i for i, cell in enumerate(self.cells)}

    def weights_sum(self) -> FloatArray:
        """Each hexagon's number of neighbours, itself included (binary weights)."""
        return np.diff(self.indptr).astype(np.float64)

    def neighbour_sum(self, values: FloatArray) -> FloatArray:
        """Sum of `values` over each hexagon's neighbourhood, itself included."""
        return np.add.reduceat(values[self.indices], self.indptr[:-1])


def cells_of(latitudes: FloatArray, longitudes: FloatArray, resolution: int) -> list[int]:
    """The H3 cell (as an integer) of each point."""
    to_cell = h3.api.basic_int.latlng_to_cell
    return [
        to_cell(lat, lon, resolution)
        for lat, lon in zip(latitudes.tolist(), longitudes.tolist(), strict=True)
    ]


def build_grid(
    incident_cells: list[int],
    household_cells: list[int],
    *,
    resolution: int,
    neighbourhood: int,
    extra_cells: list[int] | None = None,
) -> HexGrid:
    """Count per hexagon and lay out the study area with its k-ring neighbourhoods."""
    grid_disk = h3.api.basic_int.grid_disk
    counts = Counter(incident_cells)
    households = Counter(household_cells)
    seeds = set(counts) | set(households) | set(extra_cells or ())
    area: set[int] = set()
    for cell in seeds:
        area.update(grid_disk(cell, neighbourhood))
    cells = tuple(sorted(area))
    index = {cell: i for i, cell in enumerate(cells)}
    indptr = np.zeros(len(cells) + 1, dtype=np.int64)
    pieces: list[list[int]] = []
    for i, cell in enumerate(cells):
        # Sorted so the self-weight sits among its neighbours deterministically.
        around = sorted(index[c] for c in grid_disk(cell, neighbourhood) if c in index)
        pieces.append(around)
        indptr[i + 1] = indptr[i] + len(around)
    indices = np.fromiter((j for p in pieces for j in p), dtype=np.int64, count=int(indptr[-1]))
    return HexGrid(
        resolution=resolution,
        neighbourhood=neighbourhood,
        cells=cells,
        counts=np.array([counts.get(c, 0) for c in cells], dtype=np.float64),
        households=np.array([households.get(c, 0) for c in cells], dtype=np.float64),
        indptr=indptr,
        indices=indices,
    )


def excess(counts: FloatArray, households: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Expected counts from the households' shares, and the Pearson-style excess over them.

    E_i = (all incidents) x (households in i / all households); value_i = (x_i - E_i)/sqrt(E_i+1).
    The +1 keeps hexagons without residents (a park, a shopping street) finite: one incident
    there is an excess of 1, not of infinity.
    """
    total_households = float(households.sum())
    if total_households <= 0:
        expected = np.full_like(counts, counts.sum() / max(len(counts), 1))
    else:
        expected = counts.sum() * households / total_households
    return expected, (counts - expected) / np.sqrt(expected + 1.0)


def cell_centre(cell: int) -> tuple[float, float]:
    """(lat, lon) of a hexagon's centre."""
    lat, lon = h3.api.basic_int.cell_to_latlng(cell)
    return float(lat), float(lon)


def cell_outline(cell: int) -> tuple[tuple[float, float], ...]:
    """(lat, lon) corners of a hexagon."""
    return tuple((float(a), float(b)) for a, b in h3.api.basic_int.cell_to_boundary(cell))


def cell_name(cell: int) -> str:
    """The H3 id as its usual hexadecimal string."""
    return str(h3.api.basic_int.int_to_str(cell))


def edge_length_m(resolution: int) -> float:
    """Average hexagon edge at this resolution, metres."""
    return float(h3.average_hexagon_edge_length(resolution, unit="m"))


def shared_edge(a: int, b: int) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The edge two neighbouring hexagons share, as two (lat, lon) ends."""
    api = h3.api.basic_int
    if not api.are_neighbor_cells(a, b):
        return None
    points = api.directed_edge_to_boundary(api.cells_to_directed_edge(a, b))
    if len(points) < 2:
        return None
    (lat1, lon1), (lat2, lon2) = points[0], points[-1]
    return (float(lat1), float(lon1)), (float(lat2), float(lon2))
