"""The FastAPI application factory: pages, the JSON API and /healthz in one app."""

from __future__ import annotations

from fastapi import FastAPI

from sharewell import __version__
from sharewell.bootstrap import Container, build
from sharewell.config import Settings


def create_app(settings: Settings, *, container: Container | None = None) -> FastAPI:
    """Build the web application for `settings`; refuses a default secret outside demo mode."""
    settings.check_safe()
    container = container or build(settings)
    app = FastAPI(
        title="Sharewell",
        version=__version__,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.container = container

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
