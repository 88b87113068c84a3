"""`sharewell risk`: check, propose, sign and show the partnership's risk calibration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from sharewell.config import Settings
from sharewell.domain.errors import NotFound, ValidationError
from sharewell.domain.risk import COMMON_LEVELS, Calibration, parse_calibration

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Risk scales and calibration.")
console = Console()


def _read(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror}", field="file") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ValidationError(
            f"{path} is not valid YAML", field="file", line=None if line is None else line + 1
        ) from None
    if not isinstance(loaded, dict):
        raise ValidationError(f"{path} must hold a calibration mapping", field="file")
    return loaded


def _show(calibration: Calibration) -> None:
    table = Table(title=f"{calibration.title} ({calibration.ref})")
    for heading in ("Scale", "Owner", "Level", "Common level"):
        table.add_column(heading)
    for sid, scale in calibration.scales.items():
        for level in scale.levels:
            common = calibration.mapping[sid][level]
            table.add_row(scale.name, scale.owner, level, f"{common} {COMMON_LEVELS[common]}")
    console.print(table)
    waiting = calibration.unsigned_parties()
    console.print(
        f"Combined by: {calibration.combine.value}. "
        + (f"Waiting for signatures from: {', '.join(waiting)}." if waiting else "Signed by all.")
    )


@app.command()
def check(file: Path) -> None:
    """Check a calibration file; a mistake is one line naming the field (exit 2)."""
    _show(parse_calibration(_read(file)))


@app.command()
def propose(
    file: Path, by: Annotated[str, typer.Option(help="Id of the proposing practitioner")]
) -> None:
    """Store a new calibration version; it takes effect when every party has signed."""
    from sharewell.bootstrap import build

    container = build(Settings())
    try:
        actor = container.practitioners.get(by)
        if actor is None:
            raise NotFound(f"There is no practitioner {by!r}", field="by")
        calibration = container.risk_calibrations.propose(_read(file), actor=actor)
    finally:
        container.close()
    console.print(f"Proposed {calibration.ref}; it takes effect when all parties have signed.")


@app.command()
def sign(
    calibration_id: str,
    version: int,
    by: Annotated[str, typer.Option(help="Id of the signing practitioner")],
) -> None:
    """Sign a calibration version for the practitioner's organisation."""
    from sharewell.bootstrap import build

    container = build(Settings())
    try:
        actor = container.practitioners.get(by)
        if actor is None:
            raise NotFound(f"There is no practitioner {by!r}", field="by")
        signed = container.risk_calibrations.sign(calibration_id, version, actor=actor)
    finally:
        container.close()
    waiting = signed.unsigned_parties()
    console.print(
        f"{actor.org_code} signed {signed.ref}. "
        + (f"Still to sign: {', '.join(waiting)}." if waiting else "It is now in force.")
    )


@app.command()
def show(calibration_id: str) -> None:
    """Show the calibration version in force."""
    from sharewell.bootstrap import build

    container = build(Settings())
    try:
        current = container.risk_calibrations.in_force(calibration_id)
    finally:
        container.close()
    _show(current)
