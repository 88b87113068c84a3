"""Hot-spot pages for analysts and partnership leads: the map (SVG drawn here), tables, exports."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.responses import Response

from sharewell.adapters.geo import maps
from sharewell.bootstrap import Container
from sharewell.domain.hotspots import HotspotSettings, PublishedReport
from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import DataCategory
from sharewell.entrypoints.api.deps import container, current_practitioner
from sharewell.entrypoints.api.hotspots import query_settings
from sharewell.entrypoints.web.templating import render

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]
Viewer = Annotated[Practitioner, Depends(current_practitioner)]
Chosen = Annotated[HotspotSettings, Depends(query_settings)]


def _query(settings: HotspotSettings) -> str:
    parts = [f"resolution={settings.resolution}", f"permutations={settings.permutations}"]
    if settings.category:
        parts.append(f"category={settings.category}")
    return "&".join(parts)


def _rows(report: PublishedReport) -> list[list[dict[str, str]]]:
    return [
        [
            {"text": h.cell},
            {"text": h.council_area or "Unknown"},
            {"text": h.count.text, "format": "numeric", "classes": "sharewell-count"},
            {"text": f"{h.z:.2f}", "format": "numeric"},
            {"text": f"{h.q:.3g}", "format": "numeric"},
        ]
        for h in sorted(report.hot, key=lambda h: -h.z)[:25]
    ]


def _building_rows(report: PublishedReport) -> list[list[dict[str, str]]]:
    return [
        [
            {"text": b.building.name},
            {"text": b.building.kind.replace("_", " ")},
            {"text": b.total.text, "format": "numeric", "classes": "sharewell-count"},
            {"text": b.recent.text, "format": "numeric", "classes": "sharewell-count"},
            {"text": b.earlier.text, "format": "numeric", "classes": "sharewell-count"},
            {"text": b.trend},
            {
                "text": "not shown"
                if b.ratio_to_baseline is None
                else f"{b.ratio_to_baseline:.1f} times",
                "format": "numeric",
            },
        ]
        for b in report.buildings
    ]


@router.get("/hotspots")
def hotspots_page(request: Request, wiring: Wiring, viewer: Viewer, chosen: Chosen) -> Response:
    errors: dict[str, str] = {}
    asked = chosen.category
    if asked is not None and asked not in DataCategory.__members__.values():
        # Not a category of the vocabulary: said so, and all categories shown, rather than a
        # map that is empty for a reason the reader cannot see.
        errors["category"] = "Choose a data category from the list"
        chosen = replace(chosen, category=None)
    report = wiring.hotspots.published(chosen, viewer=viewer)
    return render(
        request,
        "hotspots.html",
        {
            "title": "Hot spots",
            "nav": "hotspots",
            "report": report,
            # The SVG is built by our own code from numbers and escaped strings only.
            "map_svg": Markup(maps.svg(report, fluid=True)),
            "description": maps.summary_of(report),
            "rows": _rows(report),
            "building_rows": _building_rows(report),
            "query": _query(chosen),
            "chosen": chosen,
            "categories": [(c.value, c.label.capitalize()) for c in DataCategory],
            "errors": errors,
            "error_summary": [{"text": m, "href": f"#{f}"} for f, m in errors.items()],
        },
        status=400 if errors else 200,
    )


@router.get("/hotspots/map.svg")
def hotspots_svg(wiring: Wiring, viewer: Viewer, chosen: Chosen) -> Response:
    report = wiring.hotspots.published(chosen, viewer=viewer)
    return Response(
        maps.svg(report),
        media_type="image/svg+xml",
        headers={"Content-Disposition": 'attachment; filename="hotspots.svg"'},
    )


@router.get("/hotspots/map.png")
def hotspots_png(wiring: Wiring, viewer: Viewer, chosen: Chosen) -> Response:
    report = wiring.hotspots.published(chosen, viewer=viewer)
    return Response(
        maps.png(report),
        media_type="image/png",
        headers={"Content-Disposition": 'attachment; filename="hotspots.png"'},
    )


@router.get("/hotspots/map.geojson")
def hotspots_geojson(wiring: Wiring, viewer: Viewer, chosen: Chosen) -> Response:
    report = wiring.hotspots.published(chosen, viewer=viewer)
    return Response(
        maps.geojson_text(report),
        media_type="application/geo+json",
        headers={"Content-Disposition": 'attachment; filename="hotspots.geojson"'},
    )
