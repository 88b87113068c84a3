"""Hot-spot pages, exports and API: suppression of small numbers at every output."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
from sharewell.adapters.synthetic.generator import DemoConfig
from sharewell.adapters.synthetic.loader import load_demo_data
from sharewell.bootstrap import build
from sharewell.config import Settings
from sharewell.entrypoints.web.app import create_app

AS_OF = date(2026, 11, 1)
ANALYST = "analyst@cscs.anyshire.example"
LEAD = "lead@cscn.anyshire.example"
DSL = "dsl@sch1.anyshire.example"
QUERY = "?permutations=99&resolution=9"


@pytest.fixture
def hot_client(settings: Settings) -> Iterator[TestClient]:
    container = build(settings)
    upgrade(container.engine)
    load_demo_data(container.engine, DemoConfig(people=600, seed=3, as_of=AS_OF))
    app = create_app(settings, container=container, clock=lambda: datetime(2026, 11, 1, tzinfo=UTC))
    with TestClient(app) as client:
        yield client
    container.close()


def sign_in(client: TestClient, email: str) -> None:
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = client.post(
        "/sign-in",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def counts_in_words(text: str) -> list[str]:
    """Every count the maps and pages print before the word 'incidents'."""
    return re.findall(r"([0-9][0-9,]*|fewer than 5) incidents", text)


def small(numbers: list[str]) -> list[str]:
    return [n for n in numbers if n != "fewer than 5" and int(n.replace(",", "")) < 5]


def json_counts(value: Any) -> list[int | None]:
    """Every `value`/`count`/`total`... number in an API or GeoJSON body that is a count."""
    found: list[int | None] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"count", "total", "recent", "earlier", "incidents"} and isinstance(
                item, dict
            ):
                found.append(item.get("value"))
            elif key in {"count", "total", "recent", "earlier"} and (
                item is None or isinstance(item, int)
            ):
                found.append(item)
            else:
                found.extend(json_counts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(json_counts(item))
    return found


def test_partnership_lead_sees_no_count_under_five_on_page_svg_png_geojson_or_api(
    hot_client: TestClient,
) -> None:
    sign_in(hot_client, LEAD)
    page = hot_client.get("/hotspots" + QUERY)
    assert page.status_code == 200
    assert "fewer than 5" in page.text
    assert small(counts_in_words(page.text)) == []
    cells = re.findall(r"sharewell-count\"[^>]*>\s*([^<]+?)\s*<", page.text)
    assert cells
    for cell in cells:
        assert cell == "fewer than 5" or int(cell.replace(",", "")) >= 5

    svg = hot_client.get("/hotspots/map.svg" + QUERY).text
    assert "fewer than 5" in svg
    assert small(counts_in_words(svg)) == []

    png = Image.open(io.BytesIO(hot_client.get("/hotspots/map.png" + QUERY).content))
    described = png.text["Description"]  # type: ignore[attr-defined]
    assert "fewer than 5" in described
    assert small(counts_in_words(described)) == []

    for path in ("/hotspots/map.geojson", "/api/v1/hotspots/geojson"):
        body = json.loads(hot_client.get(path + QUERY).text)
        counts = json_counts(body)
        assert None in counts
        assert all(c is None or c >= 5 for c in counts)
        assert "expected" not in json.dumps(body)

    api = hot_client.get("/api/v1/hotspots" + QUERY + "&all_hexagons=true").json()
    counts = json_counts(api)
    assert None in counts
    assert all(c is None or c >= 5 for c in counts)
    assert api["unsuppressed"] is False


def test_analyst_sees_the_small_counts(hot_client: TestClient) -> None:
    sign_in(hot_client, ANALYST)
    svg = hot_client.get("/hotspots/map.svg" + QUERY).text
    assert "fewer than 5" not in svg
    assert small(counts_in_words(svg)) != []
    api = hot_client.get("/api/v1/hotspots" + QUERY + "&all_hexagons=true").json()
    assert api["unsuppressed"] is True
    assert any(c is not None and c < 5 for c in json_counts(api))


def test_other_practitioners_may_not_see_hot_spots(hot_client: TestClient) -> None:
    sign_in(hot_client, DSL)
    assert hot_client.get("/hotspots" + QUERY).status_code == 403
    answer = hot_client.get("/api/v1/hotspots" + QUERY)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "PERMISSION_DENIED"


def test_hot_spots_need_sign_in(hot_client: TestClient) -> None:
    assert hot_client.get("/api/v1/hotspots").status_code == 401
    assert hot_client.get("/hotspots", follow_redirects=False).status_code == 303


def test_bad_resolution_is_a_validation_error_naming_the_field(hot_client: TestClient) -> None:
    sign_in(hot_client, ANALYST)
    answer = hot_client.get("/api/v1/hotspots?resolution=14")
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "resolution"


def test_the_data_category_is_chosen_from_plain_english_labels(hot_client: TestClient) -> None:
    sign_in(hot_client, LEAD)
    page = hot_client.get("/hotspots" + QUERY + "&category=criminal_offence")
    assert page.status_code == 200
    assert '<select class="govuk-select" id="category" name="category">' in page.text
    assert '<option value="">All categories</option>' in page.text
    assert '<option value="criminal_offence" selected>Criminal offence</option>' in page.text
    assert "category=criminal_offence" in page.text  # the downloads keep the choice
    unknown = hot_client.get("/hotspots" + QUERY + "&category=burglary")
    assert unknown.status_code == 400
    assert 'href="#category"' in unknown.text and 'id="category-error"' in unknown.text
    assert " selected>" not in unknown.text.split('id="category"')[1].split("</select>")[0]


@pytest.mark.browser
def test_hot_spot_page_is_accessible(
    browser: Any, tmp_path: Path, assert_accessible: Callable[[Any], None]
) -> None:
    import threading
    import time

    import uvicorn

    from tests.entrypoints.conftest import _free_port

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'hot.db'}", demo_mode=True)
    container = build(settings)
    upgrade(container.engine)
    load_demo_data(container.engine, DemoConfig(people=400, seed=5, as_of=AS_OF))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, container=container),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.05)
    context = browser.new_context(base_url=f"http://127.0.0.1:{port}")
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.fill("#email", LEAD)
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.goto("/hotspots" + QUERY)
        assert page.locator("svg[role=img] > title").first.text_content()
        assert_accessible(page)
        page.goto("/hotspots" + QUERY + "&category=burglary")
        assert "Choose a data category" in page.locator(".govuk-error-summary").inner_text()
        assert_accessible(page)
    finally:
        context.close()
        server.should_exit = True
        thread.join(timeout=10)
        container.close()
