"""`sharewell alerts`: templates, adding a rule and a webhook, one dispatcher pass, and the
dead-letter list; bad input exits 2 naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewell.entrypoints.cli.main import main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SHAREWELL_DEMO_MODE", "true")
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    return tmp_path


def test_templates_rules_webhooks_and_a_dispatch_pass(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del database
    assert main(["alerts", "templates"]) == 0
    out = capsys.readouterr().out
    assert "operation_encompass" in out and "Before the next school day" in out
    assert main(["alerts", "add-rule", "operation_encompass", "--agreement", "charter"]) == 0
    assert "Rule" in capsys.readouterr().out
    assert (
        main(
            [
                "alerts",
                "add-webhook",
                "SCH6",
                "https://school.example/alerts",
                "--secret",
                "a-long-enough-secret",
            ]
        )
        == 0
    )
    assert main(["alerts", "dispatch", "--once"]) == 0
    assert "delivered 0" in capsys.readouterr().out
    assert main(["alerts", "dead-letters"]) == 0


def test_bad_template_and_short_secret_exit_2(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    del database
    assert main(["alerts", "add-rule", "nope", "--agreement", "charter"]) == 2
    assert "No rule template 'nope'" in capsys.readouterr().err
    code = main(["alerts", "add-webhook", "SCH6", "https://x.example", "--secret", "short"])
    assert code == 2
    assert "at least 16 characters" in capsys.readouterr().err
