"""`sharewell`: set up, fill with demo data, serve.

Expected failures print one line and exit non-zero, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console

from sharewell import __version__
from sharewell.config import Settings, settings_error
from sharewell.domain.errors import SharewellError, ValidationError
from sharewell.entrypoints.cli import agreements as agreements_cli
from sharewell.entrypoints.cli import policy as policy_cli
from sharewell.entrypoints.cli.alerts import app as alerts_app
from sharewell.entrypoints.cli.audit import app as _audit_app
from sharewell.entrypoints.cli.demo import app as demo_app
from sharewell.entrypoints.cli.hotspots import app as hotspots_app
from sharewell.entrypoints.cli.risk import app as risk_app

app = typer.Typer(
    name="sharewell",
    help="Sharewell: safe, lawful, early information sharing between public services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(policy_cli.app, name="policy")
app.add_typer(agreements_cli.app, name="agreements")
console = Console()
errors = Console(stderr=True)
app.add_typer(demo_app)
app.add_typer(_audit_app, name="audit")
app.add_typer(hotspots_app, name="hotspots")
app.add_typer(risk_app, name="risk")
app.add_typer(alerts_app, name="alerts")


def settings() -> Settings:
    """Settings from the environment, read when a command runs (never at import)."""
    return Settings()


def _version(value: bool) -> None:
    if value:
        console.print(f"sharewell {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Sharewell command line."""


@app.command()
def init() -> None:
    """Create the database or bring it up to date (safe to run again)."""
    from sharewell.adapters.db.migrate import upgrade
    from sharewell.bootstrap import build

    container = build(settings())
    try:
        before, after = upgrade(container.engine)
    finally:
        container.close()
    if before == after:
        console.print(f"Database already up to date (schema {after}).")
    else:
        console.print(f"Database ready: schema {before or 'empty'} -> {after}.")


from sharewell.entrypoints.cli import identity as identity_cli  # noqa: E402

app.add_typer(identity_cli.app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn expected failures into one line and an exit code."""
    try:
        # Without standalone mode click returns a command's `typer.Exit(code)` instead of raising.
        result = app(args=argv, prog_name="sharewell", standalone_mode=False)
        if isinstance(result, int) and result:
            return result
    except SharewellError as exc:
        line = getattr(exc, "line", None)
        place = ", ".join(p for p in (exc.field, f"line {line}" if line else None) if p)
        where = f" ({place})" if place else ""
        message = " ".join(exc.message.split())
        errors.print(f"Error{where}: {message}", highlight=False, markup=False, soft_wrap=True)
        return 2 if isinstance(exc, ValidationError) else 1
    except PydanticValidationError as exc:
        # A setting in the environment that is not valid (SHAREWELL_PORT=abc, say).
        line = settings_error(exc)
        if line is None:
            raise
        errors.print(f"Error: {line}", highlight=False, markup=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        errors.print("Aborted.")
        return 1
    except KeyboardInterrupt:
        errors.print("Interrupted.")
        return 130
    except Exception as exc:
        # Typer vendors click; its usage errors carry show() and exit_code.
        format_message = getattr(exc, "format_message", None)
        if format_message is not None and isinstance(getattr(exc, "exit_code", None), int):
            message = " ".join(str(format_message()).split())
            errors.print(
                f"Error: {message} (see 'sharewell --help')",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            return int(exc.exit_code)  # type: ignore[attr-defined]
        raise
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
