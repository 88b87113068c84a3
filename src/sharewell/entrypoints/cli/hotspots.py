"""`sharewell hotspots`: Gi* hot spots across the partnership, with map and GeoJSON exports."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sharewell.domain.errors import ValidationError
from sharewell.domain.hotspots import DEFAULT_RESOLUTION, HotspotSettings, Measure
from sharewell.domain.times import parse_instant

app = typer.Typer(no_args_is_help=False, add_completion=False)
console = Console()


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    if len(text) == 10:  # a plain date: from midnight UTC
        text = f"{text}T00:00:00Z"
    return parse_instant(text, field="since")


@app.callback(invoke_without_command=True)
def hotspots(
    resolution: Annotated[
        int, typer.Option(help="H3 resolution (6 coarse to 11 fine)")
    ] = DEFAULT_RESOLUTION,
    category: Annotated[
        str | None, typer.Option(help="Only this data category, e.g. criminal_offence")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only incidents from this date or instant (UTC)")
    ] = None,
    permutations: Annotated[int, typer.Option(help="Permutations for pseudo p-values")] = 999,
    neighbourhood: Annotated[int, typer.Option(help="k-ring of the Gi* neighbourhood")] = 1,
    fdr: Annotated[float, typer.Option(help="False discovery rate (Benjamini-Hochberg)")] = 0.05,
    measure: Annotated[Measure, typer.Option(help="excess over households, or raw count")] = (
        Measure.EXCESS
    ),
    out_geojson: Annotated[Path | None, typer.Option(help="Write GeoJSON here")] = None,
    out_png: Annotated[Path | None, typer.Option(help="Write the map as PNG here")] = None,
    out_svg: Annotated[Path | None, typer.Option(help="Write the map as SVG here")] = None,
    unsuppressed: Annotated[
        bool,
        typer.Option(help="Show counts under 5 (analysts only: outputs then must not leave them)"),
    ] = False,
) -> None:
    """Find hot spots of located incidents (Getis-Ord Gi*, FDR control) across council borders."""
    from sharewell.adapters.geo import maps
    from sharewell.bootstrap import build
    from sharewell.config import Settings

    if category is not None and not category.strip():
        raise ValidationError("Give a category or leave the option out", field="category")
    chosen = HotspotSettings(
        resolution=resolution,
        neighbourhood=neighbourhood,
        permutations=permutations,
        fdr=fdr,
        measure=measure,
        category=category,
        since=_since(since),
    )
    container = build(Settings())
    try:
        report = container.hotspots.published(chosen, viewer=None, unsuppressed=unsuppressed)
    finally:
        container.close()
    table = Table(title=maps.title_of(report))
    for heading in ("Hexagon", "Council area", "Incidents", "z", "q", "Class"):
        table.add_column(heading)
    for h in sorted(report.hot, key=lambda h: -h.z)[:20]:
        table.add_row(
            h.cell,
            h.council_area or "",
            h.count.text,
            f"{h.z:.2f}",
            f"{h.q:.3g}",
            h.significance.label,
        )
    console.print(table)
    console.print(
        f"{report.incidents.text} incidents, {len(report.hexagons):,} hexagons, "
        f"{len(report.hot)} hot and {len(report.cold)} cold at FDR {report.settings.fdr:g}."
    )
    for note in report.notes:
        console.print(note)
    if out_geojson is not None:
        out_geojson.write_text(maps.geojson_text(report), encoding="utf-8")
        console.print(f"GeoJSON written to {out_geojson}")
    if out_svg is not None:
        out_svg.write_text(maps.svg(report), encoding="utf-8")
        console.print(f"SVG written to {out_svg}")
    if out_png is not None:
        out_png.write_bytes(maps.png(report))
        console.print(f"PNG written to {out_png}")
