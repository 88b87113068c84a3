"""The import-linter contract that keeps the disclosure gate the only reader of facts exists."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_only_the_gate_may_read_facts_for_display() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    gate = next(
        c for c in contracts if c["name"] == "Only the disclosure gate reads facts for display"
    )
    assert gate["type"] == "forbidden"
    assert gate["forbidden_modules"] == ["sharewell.adapters.db.fact_reads"]
    for source in (
        "sharewell.entrypoints",
        "sharewell.services",
        "sharewell.adapters.db.area_reads",
    ):
        assert source in gate["source_modules"]
    assert "ignore_imports" not in gate
    tables = next(
        c for c in contracts if c["name"] == "Entry points never query the tables themselves"
    )
    assert "sharewell.entrypoints" in tables["source_modules"]
