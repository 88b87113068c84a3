"""`sharewell ingest`, `sharewell link` and `sharewell identity ...`: people across agencies."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sharewell.config import Settings

app = typer.Typer(no_args_is_help=True)
identity_app = typer.Typer(no_args_is_help=True, help="People across agencies: explain, export.")
app.add_typer(identity_app, name="identity")
console = Console()


def _settings() -> Settings:
    return Settings()


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV, JSON or JSON Lines file of person records")],
    org: Annotated[str, typer.Option("--org", help="Code of the organisation that sent the file")],
    mapping: Annotated[Path, typer.Option("--mapping", help="YAML column mapping")],
    match: Annotated[
        bool, typer.Option(help="Match new and changed records on arrival (needs a model)")
    ] = True,
) -> None:
    """Load an agency's person records or facts; bad rows are quarantined and listed."""
    from sharewell.adapters.ingest.files import FileRows, load_mapping
    from sharewell.bootstrap import build, build_identity
    from sharewell.services.identity import match_on_arrival
    from sharewell.services.ingest import FactMapping, ingest_facts, ingest_people

    settings = _settings()
    column_mapping = load_mapping(mapping)
    source = FileRows(file, encoding=column_mapping.encoding)
    container = build(settings)
    try:
        identity = build_identity(settings, container.engine)
        with Progress(
            TextColumn("[bold]Ingesting[/bold] {task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(file.name, total=source.size())

            def report_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            if isinstance(column_mapping, FactMapping):
                report = ingest_facts(
                    identity.records,
                    source,
                    column_mapping,
                    org_code=org,
                    progress=report_progress,
                )
            else:
                report = ingest_people(
                    identity.records,
                    source,
                    column_mapping,
                    org_code=org,
                    progress=report_progress,
                )
        console.print(
            f"{report.rows} rows: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.quarantined} quarantined; "
            f"{report.invalid_nhs_numbers} invalid NHS numbers flagged.",
            highlight=False,
        )
        for problem in report.problems[:50]:
            where = f" ({problem.field})" if problem.field else ""
            console.print(f"  row {problem.row_number}{where}: {problem.reason}", highlight=False)
        if len(report.problems) > 50:
            console.print(f"  ... and {len(report.problems) - 50} more (see quarantined_rows)")
        if (
            match
            and not isinstance(column_mapping, FactMapping)
            and report.changed_record_ids
            and identity.people.has_people()
        ):
            outcomes: dict[str, int] = {}
            for record_id in report.changed_record_ids:
                outcome = match_on_arrival(
                    identity.linkage,
                    identity.people,
                    identity.review,
                    record_id,
                    threshold=settings.link_threshold,
                    review_lower=settings.review_lower,
                )
                outcomes[outcome.outcome] = outcomes.get(outcome.outcome, 0) + 1
            console.print(
                "Matched on arrival: " + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
            )
    finally:
        container.close()


@app.command()
def link(
    threshold: Annotated[
        float | None, typer.Option(help="Match probability at which records are linked")
    ] = None,
    review_lower: Annotated[
        float | None, typer.Option(help="Pairs from here to the threshold go to review")
    ] = None,
    engine: Annotated[str, typer.Option(help="Splink backend: duckdb or spark")] = "duckdb",
    train: Annotated[bool, typer.Option(help="Train a new model version first")] = False,
) -> None:
    """Link every source record into people (person IDs stay stable across runs)."""
    from sharewell.bootstrap import build, build_identity
    from sharewell.domain.errors import ValidationError
    from sharewell.services.identity import link_batch

    if engine not in ("duckdb", "spark"):
        raise ValidationError("--engine must be duckdb or spark", field="engine")
    settings = _settings()
    container = build(settings)
    try:
        identity = build_identity(settings, container.engine, backend=engine)
        with console.status("Linking records (Splink)..."):
            report = link_batch(
                identity.linkage,
                identity.people,
                identity.review,
                threshold=threshold if threshold is not None else settings.link_threshold,
                review_lower=review_lower if review_lower is not None else settings.review_lower,
                train=train,
            )
    finally:
        container.close()
    console.print(
        f"{report.records} records -> {report.people} people "
        f"({report.created} new, {report.merged} merged, {report.split} split); "
        f"{report.kept_ids}/{report.previously_linked} records kept their person ID; "
        f"{report.queued_for_review} pairs queued for review. Model: {report.model_path}",
        highlight=False,
    )


@identity_app.command()
def explain(
    person_id: Annotated[str, typer.Argument(help="A person ID (old IDs resolve)")],
) -> None:
    """Show why a person's records were linked: each pair's match-weight waterfall."""
    from sharewell.bootstrap import build, build_identity
    from sharewell.services.identity import explain_person

    settings = _settings()
    container = build(settings)
    try:
        identity = build_identity(settings, container.engine)
        found = explain_person(identity.linkage, identity.people, person_id)
    finally:
        container.close()
    if found.person_id != found.requested_id:
        console.print(f"{found.requested_id} was merged into {found.person_id}.")
    records = Table(title=f"Records of {found.person_id}")
    for column in ("record", "org", "local id", "name", "date of birth", "postcode", "linked by"):
        records.add_column(column)
    for r in found.records:
        dob = "-".join(
            f"{v:02d}" for v in (r["dob_year"], r["dob_month"], r["dob_day"]) if v is not None
        )
        records.add_row(
            str(r["id"]),
            r["org_code"],
            r["local_id"],
            f"{r['given_name']} {r['family_name']}",
            dob,
            r["postcode"] or "",
            r["method"],
        )
    console.print(records)
    for pair in found.pairs:
        table = Table(
            title=f"Records {pair.record_l} and {pair.record_r}: match weight "
            f"{pair.match_weight:.2f}, probability {pair.match_probability:.4f}"
        )
        for column in ("comparison", "left", "right", "level", "weight"):
            table.add_column(column)
        for step in pair.waterfall:
            table.add_row(
                str(step["comparison"]),
                str(step.get("left") if step.get("left") is not None else ""),
                str(step.get("right") if step.get("right") is not None else ""),
                str(step["level"]),
                f"{step['match_weight']:+.2f}",
            )
        console.print(table)
    for event in found.events:
        console.print(
            f"{event['at']:%Y-%m-%d %H:%M} {event['kind']} {event['person_id']} "
            f"{' '.join(event['other_ids'])} {event['detail']}",
            highlight=False,
        )


@identity_app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
) -> None:
    """Write org_code,local_id,person_id for every source record."""
    from sharewell.bootstrap import build, build_identity
    from sharewell.services.identity import export_links

    settings = _settings()
    container = build(settings)
    count = 0
    try:
        identity = build_identity(settings, container.engine)
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["org_code", "local_id", "person_id"])
            for row in export_links(identity.people):
                writer.writerow(row)
                count += 1
    finally:
        container.close()
    console.print(f"Wrote {count} records to {out}.")


@identity_app.command()
def resolve(person_id: Annotated[str, typer.Argument(help="A person ID, possibly old")]) -> None:
    """Print the person ID in use now for an old one (after merges)."""
    from sharewell.bootstrap import build, build_identity
    from sharewell.services.identity import resolve_person_id

    settings = _settings()
    container = build(settings)
    try:
        identity = build_identity(settings, container.engine)
        console.print(resolve_person_id(identity.people, person_id))
    finally:
        container.close()
