"""`sharewell policy check SCENARIO.json`: what would happen, before anyone signs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sharewell.domain.errors import ValidationError

app = typer.Typer(help="Test the partnership's rules against a scenario.", no_args_is_help=True)


def read_json(path: Path) -> Any:
    """A JSON file, or a ValidationError naming the line of the first syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}", field=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{path} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            field=str(path),
            line=exc.lineno,
        ) from None


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Scenario JSON file (see docs/access-decisions.md)")],
    explain: Annotated[
        bool, typer.Option("--explain", help="Print plain English instead of JSON.")
    ] = False,
) -> None:
    """Decide a scenario and print the decision as JSON (exit 2 and one line if malformed)."""
    from sharewell.policy import evaluate, explain_scenario

    scenario = read_json(file)
    if not isinstance(scenario, dict):
        raise ValidationError("The scenario must be a JSON object", field=str(file))
    if explain:
        for line in explain_scenario(scenario):
            typer.echo(line)
        return
    result = evaluate(scenario)
    typer.echo(json.dumps(result, indent=2))
