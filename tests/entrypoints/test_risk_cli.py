"""`sharewell risk`: check a calibration file, propose, sign, show what is in force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from sharewell.adapters.db.engine import make_engine
from sharewell.entrypoints.cli.main import main
from tests.risk_fixtures import EXAMPLE, small_document


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


def test_check_accepts_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["risk", "check", str(EXAMPLE)]) == 0
    assert "Police DASH" in capsys.readouterr().out


def test_check_names_a_level_mapped_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = small_document()
    doc["mapping"]["school_concern"].append({"level": "low", "common": 2})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["risk", "check", str(bad)]) == 2
    assert "(mapping.school_concern.low)" in one_line_error(capsys)


def test_check_names_an_unknown_scale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = small_document()
    doc["mapping"]["triage"] = [{"level": "red", "common": 4}]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["risk", "check", str(bad)]) == 2
    assert "(mapping.triage)" in one_line_error(capsys)


def test_calibration_is_in_force_only_after_both_parties_sign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    # Calibration changes are audited: the log signs its tree heads with this key.
    assert main(["audit", "new-key", str(tmp_path / "audit-key.pem")]) == 0
    monkeypatch.setenv("SHAREWELL_AUDIT_SIGNING_KEY_FILE", str(tmp_path / "audit-key.pem"))
    assert main(["demo-data", "--people", "50", "--seed", "1", "--as-of", "2026-11-01"]) == 0
    file = tmp_path / "calibration.yaml"
    file.write_text(yaml.safe_dump(small_document()))
    assert main(["risk", "propose", str(file), "--by", "demo-ig-pol"]) == 0
    assert main(["risk", "sign", "test-calibration", "1", "--by", "demo-ig-pol"]) == 0
    assert "Still to sign: SCH1" in capsys.readouterr().out
    assert main(["risk", "show", "test-calibration"]) == 1
    assert "signed by every party" in one_line_error(capsys)
    assert main(["risk", "sign", "test-calibration", "1", "--by", "demo-ig-sch1"]) == 0
    assert "now in force" in capsys.readouterr().out
    assert main(["risk", "show", "test-calibration"]) == 0
    assert "Signed by all" in capsys.readouterr().out
    # Each change is in the audit log: proposed, two signatures, and coming into force.
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.connect() as conn:
        bodies = conn.execute(
            text("SELECT body FROM audit_entries WHERE kind = 'calibration_change' ORDER BY idx")
        ).scalars()
        outcomes = [json.loads(body)["outcome"] for body in bodies]
    engine.dispose()
    assert outcomes == ["proposed", "signed", "signed", "in_force"]
