"""Front-end assets installed by npm (never copied into the repository), served under /assets."""

from __future__ import annotations

from pathlib import Path

import structlog
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

log = structlog.get_logger("sharewell.web")

STATIC_DIR = Path(__file__).with_name("static")


def install(app: FastAPI, assets_dir: Path) -> bool:
    """Mount GOV.UK Frontend and Swagger UI from `assets_dir` (node_modules) and our own static
    files; returns False, after one warning, when npm has not installed them."""
    govuk = assets_dir / "govuk-frontend" / "dist" / "govuk"
    swagger = assets_dir / "swagger-ui-dist"
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    missing = [str(p) for p in (govuk, swagger) if not p.is_dir()]
    if missing:
        log.warning(
            "assets.missing",
            message="Front-end assets are not installed: pages will have no styles. "
            "Run `npm ci` in the project folder.",
            missing=missing,
        )
    if swagger.is_dir():
        app.mount("/assets/swagger-ui", StaticFiles(directory=swagger), name="swagger-ui")
    if govuk.is_dir():
        # Longer prefixes first: /assets/govuk holds the CSS and JS, /assets the fonts and
        # images at the paths the GOV.UK stylesheet expects.
        app.mount("/assets/govuk", StaticFiles(directory=govuk), name="govuk")
        app.mount("/assets", StaticFiles(directory=govuk / "assets"), name="govuk-assets")
    return not missing
