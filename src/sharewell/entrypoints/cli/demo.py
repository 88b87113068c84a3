"""`sharewell demo-data`, `sharewell serve` and `sharewell demo`.

Expected failures raise the domain's exceptions; `main()` turns them into one line and an exit
code (bad arguments 2, storage or conflicts 1).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sharewell.config import Settings
from sharewell.domain.errors import ValidationError
from sharewell.domain.times import utcnow

app = typer.Typer()
console = Console()

DEFAULT_DEMO_PEOPLE = 2_000
DEFAULT_DEMO_SEED = 42


def _as_of(text: str | None) -> date:
    if text is None:
        return utcnow().date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date like 2026-11-01", field="as_of") from None


def _load(settings: Settings, people: int, seed: int, as_of: date, *, replace: bool) -> None:
    """Migrate if needed, then generate and store the partnership with a progress bar."""
    from sharewell.adapters.db.migrate import upgrade
    from sharewell.adapters.synthetic.generator import DemoConfig
    from sharewell.adapters.synthetic.loader import (
        already_present,
        demo_data_present,
        load_demo_data,
    )
    from sharewell.bootstrap import build

    config = DemoConfig(people=people, seed=seed, as_of=as_of)  # checks arguments first
    container = build(settings)
    try:
        before, after = upgrade(container.engine)
        if before != after:
            console.print(f"Database ready: schema {before or 'empty'} -> {after}.")
        if not replace and demo_data_present(container.engine):
            raise already_present()
        started = time.perf_counter()
        with Progress(
            TextColumn("Generating Anyshire"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("people"),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("people", total=people)
            report = load_demo_data(
                container.engine,
                config,
                replace=replace,
                progress=lambda n: bar.advance(task, n),
            )
        seconds = time.perf_counter() - started
    finally:
        container.close()
    counts = report.counts
    console.print(
        f"Stored the Anyshire demo partnership (seed {seed}, as at {as_of.isoformat()}): "
        f"{report.people:,} people, {counts.get('organisations', 0)} organisations, "
        f"{counts.get('source_records', 0):,} agency records, {counts.get('facts', 0):,} facts, "
        f"{counts.get('practitioners', 0)} demo accounts in {seconds:.1f} s.",
        highlight=False,
    )


@app.command("demo-data")
def demo_data(
    people: Annotated[int, typer.Option(help="How many people live in Anyshire.")] = (
        DEFAULT_DEMO_PEOPLE
    ),
    seed: Annotated[int, typer.Option(help="The same seed gives the same partnership.")] = (
        DEFAULT_DEMO_SEED
    ),
    replace: Annotated[
        bool, typer.Option("--replace", help="Remove the demo data already stored first.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(help="Date the data is current to (YYYY-MM-DD); default today."),
    ] = None,
) -> None:
    """Generate the synthetic Anyshire partnership and store it (runs init first if needed)."""
    _load(Settings(), people, seed, _as_of(as_of), replace=replace)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """Which peers' X-Forwarded-For (the client address the sign-in limit counts) and
    X-Forwarded-Proto uvicorn believes: the `trusted_proxies` setting, given explicitly so that
    it, not uvicorn's own FORWARDED_ALLOW_IPS, decides (docs/settings.md, "Behind a proxy")."""
    return {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxies}


def _serve(settings: Settings, host: str | None, port: int | None, workers: int = 1) -> None:
    host = host or settings.host
    port = settings.port if port is None else port
    if not 1 <= port <= 65535:
        raise ValidationError(f"The port must be between 1 and 65535, not {port}", field="port")
    if workers < 1:
        raise ValidationError(f"--workers must be 1 or more, not {workers}", field="workers")
    import uvicorn

    settings = settings.model_copy(update={"host": host, "port": port})
    where = f"http://{host}:{port}/"
    if workers == 1:
        from sharewell.entrypoints.web.app import create_app, settle_for_serving

        application = create_app(settings)  # refuses unsafe settings before anything listens
        settle_for_serving()
        console.print(f"Sharewell is running at {where} (press Ctrl+C to stop).")
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            # uvicorn's access log prints each query string, which may carry personal data (a
            # search by name); Sharewell logs each request itself, the path only.
            access_log=False,
            **proxy_options(settings),
        )
        return
    from sharewell.adapters.crypto.signing import load_signer

    settings.check_safe()  # before anything listens; each worker builds its own app
    # Every worker signs tree heads with the same key: in demo mode make it once, here, before
    # the workers start (they would otherwise race to generate one each).
    load_signer(settings)
    console.print(f"Sharewell is running at {where} in {workers} processes (press Ctrl+C to stop).")
    uvicorn.run(
        "sharewell.entrypoints.web.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,  # as above: query strings may carry personal data
        **proxy_options(settings),
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Server processes (default: the `workers` setting, 1). Each takes requests and "
            "appends to the one audit log; use PostgreSQL for more than one."
        ),
    ] = None,
) -> None:
    """Serve the web pages and the API."""
    settings = Settings()
    _serve(settings, host, port, settings.workers if workers is None else workers)


def sign_in_table() -> Table:
    """The demo sign-ins as a Rich table."""
    from sharewell.adapters.synthetic.accounts import DEMO_ACCOUNTS

    table = Table(title="Demo sign-ins", title_justify="left")
    table.add_column("Email", no_wrap=True)
    table.add_column("Role")
    table.add_column("Org")
    table.add_column("Note")
    for account in DEMO_ACCOUNTS:
        table.add_row(account.email, account.role.label, account.org_code, account.note)
    return table


def _put_partnership_to_work(settings: Settings) -> None:
    """Sign the example charter and link the agencies' records, so people can be found; then
    sign the example risk calibration and record the agencies' risk assessments."""
    from sharewell.adapters.synthetic.alerts import plant_demo_alerts
    from sharewell.adapters.synthetic.charter import sign_demo_charter
    from sharewell.adapters.synthetic.risk import plant_demo_risk, sign_demo_calibration
    from sharewell.bootstrap import build, build_identity
    from sharewell.services.identity import link_batch

    container = build(settings)
    try:
        ref = sign_demo_charter(container.governance, container.audit)
        console.print(f"Agreement {ref} imported and signed by every party.", highlight=False)
        identity = build_identity(settings, container.engine)
        with console.status("Linking the agencies' records into people (Splink)..."):
            report = link_batch(
                identity.linkage,
                identity.people,
                identity.review,
                threshold=settings.link_threshold,
                review_lower=settings.review_lower,
            )
        calibration = sign_demo_calibration(container.risk_calibrations)
        assessments = plant_demo_risk(container.engine, as_of=utcnow())
        watched = plant_demo_alerts(
            container.engine, container.alerts, container.audit, since=utcnow().date()
        )
    finally:
        container.close()
    console.print(
        f"Risk calibration {calibration} signed by every party; "
        f"{assessments:,} agencies' risk assessments recorded.",
        highlight=False,
    )
    console.print(
        f"Early alert rules in force; {watched} people in situations they watch (for example "
        "a child on a protection plan: report an A&E attendance as clinician@acu and it reaches "
        "sw@cscn).",
        highlight=False,
    )
    console.print(
        f"Linked {report.records:,} agency records into {report.people:,} people "
        f"({report.queued_for_review} pairs for clerical review).",
        highlight=False,
    )


@app.command()
def demo(
    people: Annotated[int, typer.Option(help="People to generate if none are stored.")] = (
        DEFAULT_DEMO_PEOPLE
    ),
    seed: Annotated[int, typer.Option(help="Seed for the generated partnership.")] = (
        DEFAULT_DEMO_SEED
    ),
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Set everything up and print sign-ins, but exit.")
    ] = False,
) -> None:
    """Demo mode: init, demo data (if none yet), print the sign-ins, then serve."""
    from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD
    from sharewell.adapters.synthetic.generator import DemoConfig
    from sharewell.adapters.synthetic.loader import demo_data_present
    from sharewell.bootstrap import build

    settings = Settings(demo_mode=True)
    as_of = utcnow().date()
    DemoConfig(people=people, seed=seed, as_of=as_of)  # refuse bad arguments before any work
    container = build(settings)
    try:
        from sharewell.adapters.db.migrate import upgrade

        upgrade(container.engine)
        present = demo_data_present(container.engine)
    finally:
        container.close()
    if present:
        console.print("Demo data is already stored: using it.")
    else:
        _load(settings, people, seed, as_of, replace=False)
        _put_partnership_to_work(settings)
    from sharewell.adapters.synthetic.citizens import demo_citizen

    container = build(settings)
    try:
        citizen = demo_citizen(container.engine)
    finally:
        container.close()
    host = host or settings.host
    port = settings.port if port is None else port
    console.print(sign_in_table())
    console.print(f"Password for every demo account: {DEMO_PASSWORD}", highlight=False)
    console.print(f"Open http://{host}:{port}/ in a browser.", highlight=False)
    console.print(
        f"Citizens sign in at http://{host}:{port}/my; in the demo their one-time codes appear "
        f"at http://{host}:{port}/my/demo-outbox.",
        highlight=False,
    )
    if citizen is not None:
        console.print(
            f"To be a citizen, prove you are {citizen.given_name} {citizen.family_name}: born "
            f"{citizen.date_of_birth:%-d %B %Y}, postcode {citizen.postcode}.",
            highlight=False,
        )
    if not no_serve:
        _serve(settings, host, port)
