"""`sharewell policy check FILE`: the JSON result, or one line naming the field and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sharewell.entrypoints.cli.main import main
from tests.domain.scenario_kit import base


def test_prints_the_decision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(base()))
    assert main(["policy", "check", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["outcome"] == "permit"
    assert result["decisions"][0]["reasons"] == ["AGREEMENT"]


def test_malformed_scenario_gives_one_line_and_exit_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = base()
    scenario["request"]["purpose"] = "curiosity"
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    assert main(["policy", "check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.strip().splitlines()
    assert line.startswith("Error (request.purpose): Unknown purpose 'curiosity'")


def test_broken_json_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scenario.json"
    path.write_text('{\n  "at": "2026-03-01T10:00:00Z",\n  "agreements": [,]\n}')
    assert main(["policy", "check", str(path)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "line 3" in line


def test_explain_prints_plain_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(base()))
    assert main(["policy", "check", str(path), "--explain"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("POL shares with SCH1's designated safeguarding lead the occurred at")
    assert "Children Act 2004 s.11" in out
