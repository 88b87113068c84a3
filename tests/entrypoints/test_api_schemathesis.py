"""Schemathesis against the OpenAPI document: at least 1,000 generated cases over every API
operation, authenticated with an API token (all scopes, an IG lead of a school), and no server
error, undocumented status, wrong content type or response that breaks its schema.

Generation is derandomised (same cases every run) so the suite stays deterministic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.synthetic.generator import DemoConfig
from sharewell.adapters.synthetic.loader import load_demo_data
from sharewell.bootstrap import build
from sharewell.config import Settings
from sharewell.domain.api_tokens import Scope
from sharewell.entrypoints.web.app import create_app
from sharewell.services import api_tokens
from sharewell.services import governance as gov

MIN_CASES = 1_000
PER_OPERATION = 75
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api(tmp_path: object) -> Iterator[tuple[object, str]]:
    database = f"sqlite:///{tmp_path}/schemathesis.db"
    app_settings = Settings(database_url=database, demo_mode=True)
    container = build(app_settings)
    upgrade(container.engine)
    load_demo_data(container.engine, DemoConfig(people=30, seed=5, as_of=date(2026, 3, 1)))
    lead = container.practitioners.get("demo-ig-sch1")
    assert lead is not None
    _token, secret = api_tokens.create_token(
        container.api_tokens,
        container.audit,
        actor=gov.Actor.of(lead),
        name="schemathesis",
        scopes=list(Scope),
    )
    app = create_app(app_settings, container=container)
    with TestClient(app):
        yield app, secret
    container.close()


def test_generated_requests_never_break_the_schema_or_the_server(
    api: tuple[object, str],
) -> None:
    app, secret = api
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {secret}"}
    cases = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    per_operation = max(PER_OPERATION, MIN_CASES // len(operations) + 1)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=per_operation,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            nonlocal cases
            cases += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
    assert cases >= MIN_CASES
