"""The FastAPI application factory: pages, the JSON API and /healthz in one app."""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI, Request
from starlette.responses import Response

from sharewell import __version__
from sharewell.bootstrap import Container, build
from sharewell.config import Settings
from sharewell.domain.times import utcnow
from sharewell.entrypoints.api.alerts import router as alerts_api
from sharewell.entrypoints.api.hotspots import router as hotspots_api
from sharewell.entrypoints.api.identity import router as identity_api
from sharewell.entrypoints.api.organisations import router as organisations_api
from sharewell.entrypoints.api.people import router as people_api
from sharewell.entrypoints.api.risk import people_router as people_risk_api
from sharewell.entrypoints.api.risk import router as risk_api
from sharewell.entrypoints.api.sharing import router as sharing_api
from sharewell.entrypoints.web import (
    alert_pages,
    assets,
    errors,
    hotspot_pages,
    identity_pages,
    ig_pages,
    mash_pages,
    pages,
    people_pages,
    portal_pages,
    risk_pages,
    security,
    sharing_pages,
)
from sharewell.entrypoints.web.logs import configure_logging
from sharewell.entrypoints.web.templating import make_templates, render


def create_app(
    settings: Settings,
    *,
    container: Container | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """Build the web application for `settings`; refuses a default secret outside demo mode.

    `clock` is the time sign-in and session expiry use (tests move it on).
    """
    settings.check_safe()
    configure_logging(settings.log_level)
    owned = container is None
    container = container or build(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Each server process starts a dispatcher; only the one that leads the dispatch sends,
        # the others stand by to take over (docs/decisions/0014-several-server-processes.md).
        stop = threading.Event()
        dispatching = None
        if settings.alerts_dispatch_in_server:
            dispatcher = container.alert_dispatcher()
            dispatching = threading.Thread(
                target=dispatcher.serve_while_leading,
                args=(container.alert_dispatch_leadership(),),
                kwargs={
                    "should_stop": stop.is_set,
                    "wait": stop.wait,
                    "poll_seconds": settings.alerts_poll_seconds,
                },
                name="sharewell-alert-dispatcher",
                daemon=True,
            )
            dispatching.start()
        yield
        stop.set()
        if dispatching is not None:
            dispatching.join(timeout=30)
            dispatcher.close()
        # On shutdown: the audit sequencer commits what is queued and signs a last tree head,
        # then the connections close. A container passed in belongs to the caller.
        if owned:
            container.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Sharewell API",
        version=__version__,
        description="Safe, lawful, early information sharing between partner organisations. "
        'Every error has the body {"error": {"code", "message", "field"}}.',
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.container = container
    app.state.clock = clock
    app.state.templates = make_templates()
    errors.install(app)
    security.install(app, settings, clock)
    # The joined-up record is the hottest route: its router comes first, since a request is
    # matched against the routes in order (no path here overlaps another router's).
    app.include_router(people_api)
    app.include_router(pages.router)
    app.include_router(organisations_api)
    app.include_router(hotspot_pages.router)
    app.include_router(hotspots_api)
    app.include_router(risk_pages.router)
    app.include_router(risk_api)
    app.include_router(people_risk_api)
    app.include_router(people_pages.router)
    app.include_router(sharing_pages.router)
    app.include_router(sharing_api)
    app.include_router(ig_pages.router)
    portal_pages.install(app)
    app.include_router(alert_pages.router)
    app.include_router(mash_pages.router)
    app.include_router(alerts_api)
    app.include_router(identity_pages.router)
    app.include_router(identity_api)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        # Swagger UI from our own node_modules, started by a static file: works offline and
        # under the CSP (FastAPI's built-in page uses a CDN and an inline script).
        return render(request, "api_docs.html")

    assets.install(app, settings.assets_dir)
    return app


def app_from_environment() -> FastAPI:
    """The application for the settings in the environment: what each worker process builds
    when `sharewell serve --workers N` starts several (uvicorn calls this factory in each)."""
    app = create_app(Settings())
    settle_for_serving()
    return app


# Young objects collected after this many allocations (Python's default is 700), the older
# generations after 50 and 100 younger collections (default 10 and 10).
SERVING_GC_THRESHOLDS = (20_000, 50, 100)


def settle_for_serving() -> None:
    """Call once a serving process has built its application, before it takes requests.

    Everything built so far (the application, the container, the cached agreements, imported
    modules) lives as long as the process: it is moved out of the garbage collector's sight
    (`gc.freeze`), and the collector runs less often. Under load the collector's full passes
    over that heap stopped every request in the process for tens of milliseconds; with this,
    record reads' p99 fell from about 240 to about 130 ms and their throughput rose by about a
    sixth (docs/performance.md). Not for tests, which build many applications in one process.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
