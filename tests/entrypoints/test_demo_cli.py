"""`sharewell demo-data`, `sharewell serve` and `sharewell demo` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.synthetic.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from sharewell.adapters.synthetic.loader import table_counts
from sharewell.entrypoints.cli.main import main

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", url)
    return url


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


def test_demo_data_stores_the_partnership_then_refuses_to_repeat_without_replace(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    assert main(["demo-data", "--people", "200", "--seed", "4", "--as-of", "2026-11-01"]) == 0
    out = capsys.readouterr().out
    assert "Stored the Anyshire demo partnership" in out
    assert "200 people" in out

    assert main(["demo-data", "--people", "200", "--seed", "5"]) == 1
    line = _one_line_error(capsys)
    assert "already" in line and "--replace" in line

    assert main(["demo-data", "--people", "150", "--seed", "5", "--replace"]) == 0
    assert "150 people" in capsys.readouterr().out
    engine = make_engine(database_url)
    assert table_counts(engine, ("truth_people",)) == {"truth_people": 150}
    engine.dispose()


@pytest.mark.parametrize("people", ["0", "-3", "2000001"])
def test_demo_data_refuses_a_bad_number_of_people(
    people: str, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data", "--people", people]) == 2
    line = _one_line_error(capsys)
    assert "people" in line
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()  # refused before any work


def test_demo_data_refuses_a_negative_seed_and_a_bad_date(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data", "--seed", "-1"]) == 2
    assert "seed" in _one_line_error(capsys)
    assert main(["demo-data", "--as-of", "yesterday"]) == 2
    assert "2026-11-01" in _one_line_error(capsys)


def test_demo_data_refuses_a_non_number_without_a_traceback(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data", "--people", "many"]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "--people" in captured.err


def test_demo_data_reports_an_unreachable_database_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", UNREACHABLE)
    assert main(["demo-data", "--people", "10"]) == 1
    assert "Cannot reach the database" in _one_line_error(capsys)


def test_demo_data_reports_an_unusable_sqlite_path_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", f"sqlite:///{blocker / 'sub' / 'x.db'}")
    assert main(["demo-data", "--people", "10"]) == 1
    assert "Cannot create the folder" in _one_line_error(capsys)


def test_demo_sets_up_and_prints_the_sign_ins_without_serving(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--people", "120", "--no-serve", "--port", "8123"]) == 0
    out = capsys.readouterr().out
    assert "Stored the Anyshire demo partnership" in out
    # The charter is in force and the records are linked, so practitioners can find people.
    assert "anyshire-charter@1 imported and signed by every party" in out
    assert "agency records into" in out
    assert DEMO_PASSWORD in out
    assert "http://127.0.0.1:8123/" in out
    for account in DEMO_ACCOUNTS:
        assert account.email in out

    # A second run keeps the data already there.
    assert main(["demo", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "already stored" in out
    assert "Stored the Anyshire" not in out
    engine = make_engine(sqlite_url)
    assert table_counts(engine, ("truth_people",)) == {"truth_people": 120}
    engine.dispose()


def test_demo_refuses_bad_arguments_before_touching_storage(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--people", "0", "--no-serve"]) == 2
    assert "people" in _one_line_error(capsys)
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


def test_demo_reports_an_unreachable_database_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", UNREACHABLE)
    assert main(["demo", "--no-serve"]) == 1
    assert "Cannot reach the database" in _one_line_error(capsys)


def test_serve_refuses_the_demo_secret_outside_demo_mode(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SHAREWELL_DEMO_MODE", raising=False)
    monkeypatch.delenv("SHAREWELL_SECRET_KEY", raising=False)
    assert main(["serve"]) == 1
    assert "SHAREWELL_SECRET_KEY" in _one_line_error(capsys)


@pytest.mark.parametrize("port", ["0", "70000"])
def test_serve_refuses_a_port_out_of_range(
    port: str, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--port", port]) == 2
    assert "port" in _one_line_error(capsys)
