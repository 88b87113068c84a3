"""Real Chromium: the police IG lead opens the identity review queue, reads a pair side by side
with its match-weight waterfall, and decides it; axe-core (WCAG 2.2 AA) on every page."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app
from tests.entrypoints.conftest import _free_port
from tests.entrypoints.identity_review_kit import queue_pair
from tests.entrypoints.sharing_kit import seeded_partnership

pytestmark = pytest.mark.browser

POLICE_IG = "ig@pol.anyshire.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Container, int]]:
    import uvicorn

    database: Path = tmp_path_factory.mktemp("identity") / "sharewell.db"
    settings = Settings(database_url=f"sqlite:///{database}", demo_mode=True)
    container = seeded_partnership(settings)
    pair = queue_pair(container)
    app = create_app(settings, container=container)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", container, pair
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


def test_ig_lead_reviews_a_pair_and_decides_not_a_match(
    browser: Any,
    server: tuple[str, Container, int],
    assert_accessible: Callable[[Any], None],
) -> None:
    base, container, pair = server
    context = browser.new_context(base_url=base)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(POLICE_IG)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/organisations")
        page.goto("/ig/identity-reviews")
        assert_accessible(page)
        page.get_by_role("link", name=f"Review pair {pair}").click()
        page.wait_for_url(f"**/ig/identity-reviews/{pair}")
        assert page.get_by_role("table", name="The two records side by side").is_visible()
        chart = page.get_by_role("table", name="How the model weighed the evidence")
        assert "Day and month swapped" in chart.inner_text()
        assert page.locator("svg rect").count() == 6
        assert_accessible(page)
        page.get_by_role("button", name="Different people").click()
        page.wait_for_url("**/ig/identity-reviews")
        assert f"Pair {pair} recorded as different people" in page.content()
        assert_accessible(page)
        matches, non_matches = container.identity_review.decisions()
        assert matches == [] and len(non_matches) == 1
    finally:
        context.close()
