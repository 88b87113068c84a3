"""`sharewell agreements ...`: import, export, show, sign and terminate sharing agreements."""

from __future__ import annotations

import typer

app = typer.Typer(help="Information sharing agreements.", no_args_is_help=True)
