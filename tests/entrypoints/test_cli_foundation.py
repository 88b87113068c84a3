import pytest

from sharewell import __version__
from sharewell.entrypoints.cli.main import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_init_is_idempotent(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", empty_database_url)
    assert main(["init"]) == 0
    assert "Database ready" in capsys.readouterr().out
    assert main(["init"]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_unreachable_database_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: Cannot reach the database")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_unsupported_database_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", "mysql://root@127.0.0.1/x")
    assert main(["init"]) == 1
    assert "supports SQLite and PostgreSQL" in capsys.readouterr().err


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_a_bad_argument_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-data", "--people", "many"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "--people" in err


def test_an_invalid_setting_is_one_line_naming_it_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_PORT", "abc")
    monkeypatch.setenv("SHAREWELL_WORKERS", "0")
    monkeypatch.setenv("SHAREWELL_OIDC_CLIENT_SECRET", "x")
    assert main(["init"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "pydantic" not in err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("Error: Invalid setting SHAREWELL_PORT: Input should be a valid integer")
    assert "SHAREWELL_WORKERS: Input should be greater than or equal to 1" in err
    assert "abc" not in err  # values are not repeated: one may be a secret
