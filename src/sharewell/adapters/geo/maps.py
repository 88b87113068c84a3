"""Maps drawn by the server from a `PublishedReport`: SVG, PNG (Pillow) and GeoJSON.

They take only a `PublishedReport`, whose counts have already been through the small-number
rule, so no output can show what the viewer may not see. No map tiles: the hexagons, the council
boundary and the key buildings are the whole map.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, PngImagePlugin

from sharewell.domain.hotspots import PublishedReport, ShownHex, Significance

WIDTH = 900
MARGIN = 20
LEGEND_HEIGHT = 120

# Colour-blind-safe diverging scheme (red hot, blue cold), with text on white.
BANDS: tuple[tuple[str, str, str], ...] = (
    ("hot3", "#b2182b", "Hot spot, z 3.29 or more"),
    ("hot2", "#ef8a62", "Hot spot, z 2.58 to 3.29"),
    ("hot1", "#fddbc7", "Hot spot, z under 2.58"),
    ("none", "#f0f0f0", "Not significant"),
    ("cold1", "#d1e5f0", "Cold spot, z above -2.58"),
    ("cold2", "#67a9cf", "Cold spot, z -3.29 to -2.58"),
    ("cold3", "#2166ac", "Cold spot, z -3.29 or less"),
)
COLOURS = {key: colour for key, colour, _ in BANDS}
BOUNDARY_COLOUR = "#0b0c0c"
BUILDING_COLOUR = "#4c2c92"


def drawing_order(report: PublishedReport) -> list[ShownHex]:
    """Not significant first, then the rest by |z|, so hot and cold spots are drawn on top."""
    return sorted(report.hexagons, key=lambda h: (band(h) != "none", abs(h.z)))


def band(h: ShownHex) -> str:
    """The legend band of a hexagon."""
    if h.significance is Significance.HOT:
        return "hot3" if h.z >= 3.29 else "hot2" if h.z >= 2.58 else "hot1"
    if h.significance is Significance.COLD:
        return "cold3" if h.z <= -3.29 else "cold2" if h.z <= -2.58 else "cold1"
    return "none"


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection fitted to the report's extent (fine over a county)."""

    lat0: float
    lon0: float
    scale: float
    kx: float
    height: int

    @classmethod
    def fit(cls, points: Iterable[tuple[float, float]]) -> Projection:
        pts = list(points) or [(0.0, 0.0)]
        lats = [p[0] for p in pts]
        lons = [p[1] for p in pts]
        kx = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lons) - min(lons)) * kx, 1e-6)
        span_y = max(max(lats) - min(lats), 1e-6)
        scale = (WIDTH - 2 * MARGIN) / span_x
        height = int(span_y * scale) + 2 * MARGIN
        return cls(max(lats), min(lons), scale, kx, height)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (
            MARGIN + (lon - self.lon0) * self.kx * self.scale,
            MARGIN + (self.lat0 - lat) * self.scale,
        )


def _projection(report: PublishedReport) -> Projection:
    points = [p for h in report.hexagons for p in h.boundary]
    points += [(b.building.latitude, b.building.longitude) for b in report.buildings]
    return Projection.fit(points)


def title_of(report: PublishedReport) -> str:
    what = report.settings.category or "all located incidents"
    return f"Hot spots of {what.replace('_', ' ')}, H3 resolution {report.settings.resolution}"


def summary_of(report: PublishedReport) -> str:
    """The short caption under the map on a page (the tables below give the detail)."""
    return (
        f"{report.incidents.text} incidents in {len(report.hexagons):,} hexagons across the "
        f"whole partnership area; {len(report.hot)} hot-spot and {len(report.cold)} cold-spot "
        f"hexagons at a false discovery rate of {report.settings.fdr:g}. The council boundary "
        "is the black line; key buildings are purple squares."
    )


def description_of(report: PublishedReport) -> str:
    """The words that describe the map (SVG desc, PNG description, the page's summary)."""
    hot, cold = len(report.hot), len(report.cold)
    parts = [
        f"{report.incidents.text} incidents in {len(report.hexagons):,} hexagons across the "
        "whole partnership area, council boundary drawn as a black line.",
        f"{hot} hot-spot and {cold} cold-spot hexagons at a false discovery rate of "
        f"{report.settings.fdr:g}.",
    ]
    for h in sorted(report.hot, key=lambda h: -h.z)[:10]:
        parts.append(
            f"Hot spot at {h.latitude:.4f}, {h.longitude:.4f} "
            f"({h.council_area or 'unknown area'}): {h.count.text} incidents, z {h.z:.1f}."
        )
    for b in report.buildings:
        parts.append(f"{b.building.name}: {b.total.text} incidents within {b.radius_m:.0f} m.")
    parts.extend(report.notes)
    return " ".join(parts)


def svg(report: PublishedReport, *, fluid: bool = False) -> str:
    """The map as an accessible SVG document (role img, title, desc, legend).

    `fluid` makes it as wide as its container (inline on a page, for small screens); otherwise
    it has a fixed size (a file for reports).
    """
    proj = _projection(report)
    height = proj.height + LEGEND_HEIGHT
    size = 'width="100%"' if fluid else f'width="{WIDTH}" height="{height}"'
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'{size} role="img" '
        'aria-labelledby="hotspot-map-title hotspot-map-desc" class="sharewell-map">',
        f'<title id="hotspot-map-title">{escape(title_of(report))}</title>',
        f'<desc id="hotspot-map-desc">{escape(description_of(report))}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        '<g stroke="#ffffff" stroke-width="0.3">',
    ]
    for h in drawing_order(report):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (proj.xy(*p) for p in h.boundary))
        key = band(h)
        if key == "none":
            out.append(f'<polygon points="{points}" fill="{COLOURS[key]}"/>')
        else:
            label = (
                f"{h.significance.label}: {h.count.text} incidents, z {h.z:.2f}, "
                f"q {h.q:.3g} ({h.council_area or 'unknown area'})"
            )
            # A thick outline in the same colour keeps a 66 m hexagon visible on a county map.
            out.append(
                f'<polygon points="{points}" fill="{COLOURS[key]}" stroke="{COLOURS[key]}" '
                f'stroke-width="4" stroke-linejoin="round">'
                f"<title>{escape(label)}</title></polygon>"
            )
    out.append("</g>")
    # A ring around each hot or cold hexagon: at county scale a hexagon is a few pixels wide.
    out.append('<g fill="none" stroke-width="1.5" aria-hidden="true">')
    for h in report.hexagons:
        key = band(h)
        if key != "none":
            x, y = proj.xy(h.latitude, h.longitude)
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7" stroke="{COLOURS[key]}"/>')
    out.append("</g>")
    out.append(f'<g stroke="{BOUNDARY_COLOUR}" stroke-width="2" stroke-linecap="round">')
    for s in report.boundary:
        (x1, y1), (x2, y2) = proj.xy(*s.start), proj.xy(*s.end)
        out.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
    out.append("</g>")
    out.append(f'<g fill="{BUILDING_COLOUR}" stroke="#ffffff" stroke-width="1">')
    for b in report.buildings:
        x, y = proj.xy(b.building.latitude, b.building.longitude)
        label = f"{b.building.name} ({b.building.kind}): {b.total.text} incidents nearby"
        out.append(
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8">'
            f"<title>{escape(label)}</title></rect>"
        )
    out.append("</g>")
    out.append(_svg_legend(proj.height))
    out.append("</svg>")
    return "\n".join(out)


def _svg_legend(top: int) -> str:
    parts = ['<g font-family="Arial, sans-serif" font-size="13" fill="#0b0c0c">']
    for n, (_, colour, label) in enumerate(BANDS):
        x = MARGIN + (n % 4) * 215
        y = top + 10 + (n // 4) * 24
        parts.append(
            f'<rect x="{x}" y="{y}" width="16" height="16" fill="{colour}" stroke="#505a5f"/>'
            f'<text x="{x + 22}" y="{y + 13}">{escape(label)}</text>'
        )
    y = top + 62
    parts.append(
        f'<line x1="{MARGIN}" y1="{y + 8}" x2="{MARGIN + 16}" y2="{y + 8}" '
        f'stroke="{BOUNDARY_COLOUR}" stroke-width="2"/>'
        f'<text x="{MARGIN + 22}" y="{y + 13}">Council boundary</text>'
        f'<rect x="{MARGIN + 215}" y="{y + 4}" width="8" height="8" fill="{BUILDING_COLOUR}"/>'
        f'<text x="{MARGIN + 237}" y="{y + 13}">Key building</text>'
    )
    parts.append("</g>")
    return "".join(parts)


def png(report: PublishedReport) -> bytes:
    """The same map drawn with Pillow (no system libraries), with its description embedded."""
    proj = _projection(report)
    height = proj.height + LEGEND_HEIGHT
    image = Image.new("RGB", (WIDTH, height), "#ffffff")
    draw = ImageDraw.Draw(image)
    for h in drawing_order(report):
        key = band(h)
        outline = None if key == "none" else COLOURS[key]
        draw.polygon([proj.xy(*p) for p in h.boundary], fill=COLOURS[key], outline=outline, width=4)
    for h in report.hexagons:
        key = band(h)
        if key != "none":
            x, y = proj.xy(h.latitude, h.longitude)
            draw.ellipse([x - 7, y - 7, x + 7, y + 7], outline=COLOURS[key], width=2)
    for s in report.boundary:
        draw.line([proj.xy(*s.start), proj.xy(*s.end)], fill=BOUNDARY_COLOUR, width=2)
    for b in report.buildings:
        x, y = proj.xy(b.building.latitude, b.building.longitude)
        draw.rectangle([x - 4, y - 4, x + 4, y + 4], fill=BUILDING_COLOUR, outline="#ffffff")
    top = proj.height
    for n, (_, colour, label) in enumerate(BANDS):
        x = MARGIN + (n % 4) * 215
        y = top + 10 + (n // 4) * 24
        draw.rectangle([x, y, x + 16, y + 16], fill=colour, outline="#505a5f")
        draw.text((x + 22, y + 2), label, fill="#0b0c0c")
    y = top + 62
    draw.line([(MARGIN, y + 8), (MARGIN + 16, y + 8)], fill=BOUNDARY_COLOUR, width=2)
    draw.text((MARGIN + 22, y + 2), "Council boundary", fill="#0b0c0c")
    draw.rectangle([MARGIN + 215, y + 4, MARGIN + 223, y + 12], fill=BUILDING_COLOUR)
    draw.text((MARGIN + 237, y + 2), "Key building", fill="#0b0c0c")
    draw.text((MARGIN, top + 90), title_of(report), fill="#0b0c0c")
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Title", title_of(report))
    info.add_itxt("Description", description_of(report))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def geojson(report: PublishedReport) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: hexagons (polygons), key buildings (points), boundary."""
    features: list[dict[str, Any]] = []
    for h in report.hexagons:
        ring = [[lon, lat] for lat, lon in h.boundary]
        ring.append(ring[0])
        properties: dict[str, Any] = {
            "kind": "hexagon",
            "h3": h.cell,
            "council_area": h.council_area,
            "count": h.count.value,
            "count_text": h.count.text,
            "suppressed": h.count.suppressed,
            "z": round(h.z, 6),
            "p_analytic": h.p_analytic,
            "p_permutation": h.p_permutation,
            "q": h.q,
            "significance": h.significance.value,
        }
        if h.expected is not None:
            properties["expected"] = round(h.expected, 6)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": properties,
            }
        )
    for b in report.buildings:
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [b.building.longitude, b.building.latitude],
                },
                "properties": {
                    "kind": "key_building",
                    "id": b.building.id,
                    "name": b.building.name,
                    "building_kind": b.building.kind,
                    "radius_m": b.radius_m,
                    "total": b.total.value,
                    "total_text": b.total.text,
                    "recent": b.recent.value,
                    "recent_text": b.recent.text,
                    "earlier": b.earlier.value,
                    "earlier_text": b.earlier.text,
                    "trend": b.trend,
                    "ratio_to_baseline": b.ratio_to_baseline,
                    "by_category": {c: n.text for c, n in b.by_category},
                },
            }
        )
    if report.boundary:
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [
                        [[s.start[1], s.start[0]], [s.end[1], s.end[0]]] for s in report.boundary
                    ],
                },
                "properties": {"kind": "council_boundary"},
            }
        )
    return {
        "type": "FeatureCollection",
        "properties": {
            "title": title_of(report),
            "incidents": report.incidents.text,
            "resolution": report.settings.resolution,
            "fdr": report.settings.fdr,
            "measure": report.settings.measure.value,
            "inference": report.inference,
            "unsuppressed": report.unsuppressed,
            "generated_at": report.generated_at.isoformat(),
            "notes": list(report.notes),
        },
        "features": features,
    }


def geojson_text(report: PublishedReport) -> str:
    return json.dumps(geojson(report), separators=(",", ":"))
