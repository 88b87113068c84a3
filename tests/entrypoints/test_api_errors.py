"""Every /api/* error has one shape: {"error": {"code", "message", "field"}}."""

from __future__ import annotations

from typing import Any

import pytest

from tests.entrypoints.conftest import Web


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    error: dict[str, Any] = body["error"]
    return error


def test_unauthenticated_api_call_is_401_in_the_shape(web: Web) -> None:
    response = web.client.get("/api/v1/organisations")
    assert response.status_code == 401
    assert _error(response) == {
        "code": "NOT_AUTHENTICATED",
        "message": "Sign in to use the API",
        "field": None,
    }


def test_signed_in_practitioner_lists_organisations(web: Web) -> None:
    web.sign_in()
    body = web.client.get("/api/v1/organisations").json()
    assert [o["code"] for o in body["organisations"]] == ["POL", "SCH1"]
    school = body["organisations"][1]
    assert school == {
        "code": "SCH1",
        "name": "Brookfield Primary School",
        "kind": "school",
        "kind_label": "School",
        "council_area": "North Anyshire",
    }
    police = web.client.get("/api/v1/organisations", params={"kind": "police"}).json()
    assert [o["code"] for o in police["organisations"]] == ["POL"]


def test_unknown_organisation_is_404_naming_the_field(web: Web) -> None:
    web.sign_in()
    response = web.client.get("/api/v1/organisations/NOPE")
    assert response.status_code == 404
    error = _error(response)
    assert error["code"] == "NOT_FOUND"
    assert error["field"] == "code"
    assert "NOPE" in error["message"]


def test_unknown_api_route_is_404_in_the_shape(web: Web) -> None:
    web.sign_in()
    response = web.client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert _error(response)["code"] == "NOT_FOUND"


def test_request_validation_error_is_422_naming_the_field(web: Web) -> None:
    web.sign_in()
    response = web.client.get("/api/v1/organisations", params={"kind": "spaceship"})
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["field"] == "kind"
    assert error["message"].startswith("kind: ")


def test_a_crash_gives_the_shape_without_a_traceback(web: Web) -> None:
    app = web.client.app

    def explode() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/api/v1/explode", explode)  # type: ignore[attr-defined]
    app.add_api_route("/explode", explode)  # type: ignore[attr-defined]
    web.sign_in()
    response = web.client.get("/api/v1/explode")
    assert response.status_code == 500
    assert _error(response)["code"] == "INTERNAL_ERROR"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    page = web.client.get("/explode")
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.text
    assert "secret internals" not in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_openapi_documents_the_error_shape(web: Web) -> None:
    spec = web.client.get("/api/openapi.json").json()
    assert "ErrorBody" in spec["components"]["schemas"]
    responses = spec["paths"]["/api/v1/organisations"]["get"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    assert "/sign-in" not in spec["paths"]


def test_api_docs_load_swagger_from_local_assets(web: Web) -> None:
    page = web.client.get("/api/docs")
    assert page.status_code == 200
    assert "/assets/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()


@pytest.mark.parametrize("path", ["/nowhere", "/organisations/NOPE"])
def test_html_pages_get_the_one_error_page(web: Web, path: str) -> None:
    web.sign_in()
    response = web.client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_a_lost_database_connection_is_a_plain_503_and_other_database_errors_crash(
    web: Web,
) -> None:
    from sqlalchemy.exc import IntegrityError, OperationalError

    app = web.client.app

    def lost() -> None:
        raise OperationalError(
            "SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True
        )

    def broken() -> None:
        raise IntegrityError("INSERT", {}, Exception("duplicate key secret-value"))

    app.add_api_route("/api/v1/lost", lost)  # type: ignore[attr-defined]
    app.add_api_route("/lost", lost)  # type: ignore[attr-defined]
    app.add_api_route("/api/v1/broken", broken)  # type: ignore[attr-defined]
    web.sign_in()
    response = web.client.get("/api/v1/lost")
    assert response.status_code == 503
    assert _error(response)["code"] == "STORAGE_UNAVAILABLE"
    assert "Try again in a moment" in _error(response)["message"]
    page = web.client.get("/lost")
    assert page.status_code == 503
    assert "lost its connection to the database" in page.text
    crashed = web.client.get("/api/v1/broken")
    assert crashed.status_code == 500
    assert "secret-value" not in crashed.text


def test_a_session_check_that_loses_the_database_is_a_plain_503(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    web.sign_in()

    def lost(_practitioner_id: str) -> None:
        raise OperationalError(
            "SELECT", {}, Exception("server closed the connection"), connection_invalidated=True
        )

    monkeypatch.setattr(web.container.practitioners, "get", lost)
    response = web.client.get("/api/v1/organisations")
    assert response.status_code == 503
    assert _error(response)["code"] == "STORAGE_UNAVAILABLE"
    page = web.client.get("/organisations")
    assert page.status_code == 503
    assert page.headers["x-frame-options"] == "DENY"
