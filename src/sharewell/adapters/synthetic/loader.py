"""Stream the generated partnership into storage, detect it, and remove it again.

Rows go in with `bulk_insert` (COPY on PostgreSQL, executemany on SQLite) inside ONE transaction
for the whole load: an interrupted load leaves nothing behind, so the "already present" check
never sees half a partnership.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, select, text
from sqlalchemy.exc import DBAPIError

from sharewell.adapters.crypto.passwords import hash_password
from sharewell.adapters.db.bulk import bulk_insert
from sharewell.adapters.db.identity import SqlSourceRecords
from sharewell.adapters.db.tables import (
    Base,
    OrganisationRow,
    TruthPersonRow,
)
from sharewell.adapters.synthetic.accounts import DEMO_PASSWORD, demo_practitioners
from sharewell.adapters.synthetic.generator import COLUMNS, AnyshireGenerator, DemoConfig
from sharewell.adapters.synthetic.partnership import ORG_CODES
from sharewell.domain.errors import Conflict, StorageUnavailable

Progress = Callable[[int], None]

# Tables only the demo fills: --replace empties them whole.
_DEMO_ONLY = (
    "truth_clusters",
    "truth_families",
    "truth_records",
    "truth_people",
    "household_members",
    "households",
    "key_buildings",
)
PRACTITIONER_COLUMNS = (
    "id",
    "org_code",
    "name",
    "email",
    "role",
    "active",
    "team",
    "manager_id",
    "password_hash",
    "failed_sign_ins",
    "locked_until",
)


@dataclass
class LoadReport:
    """What a load wrote: rows per table."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def people(self) -> int:
        return self.counts.get("truth_people", 0)


def demo_data_present(engine: Engine) -> int:
    """How many demo people (or, failing that, demo organisations) the database holds."""
    with engine.connect() as conn:
        people = conn.execute(select(func.count()).select_from(TruthPersonRow)).scalar_one()
        if people:
            return int(people)
        orgs = conn.execute(
            select(func.count())
            .select_from(OrganisationRow)
            .where(OrganisationRow.code.in_(ORG_CODES))
        ).scalar_one()
        return int(orgs)


def already_present() -> Conflict:
    """The one explanation given when demo data is there and --replace was not asked for."""
    return Conflict(
        "Demo data is already in the database. Run again with --replace to remove it "
        "and generate new data."
    )


def load_demo_data(
    engine: Engine,
    config: DemoConfig,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> LoadReport:
    """Generate the partnership for `config` and store it; Conflict when already present."""
    present = demo_data_present(engine)
    if present and not replace:
        raise already_present()
    generator = AnyshireGenerator(config)
    tables = Base.metadata.tables
    report = LoadReport()
    with engine.begin() as conn:
        if present:
            remove_demo_data(conn)
        with _bulk_pragmas(conn):
            for batch in generator.batches():
                for name, rows in batch.rows.items():
                    if rows:
                        written = bulk_insert(conn, tables[name], COLUMNS[name], rows)
                        report.counts[name] = report.counts.get(name, 0) + written
                if batch.rows.get("organisations"):
                    _accounts(conn, config, report)
                if progress is not None and batch.people:
                    progress(batch.people)
    # The records arrive ready to match, as ingest stores them: their match records (and first
    # versions) are written now rather than by the first `sharewell link`.
    report.counts["match_records"] = SqlSourceRecords(engine).backfill_match_records()
    return report


def _accounts(conn: Connection, config: DemoConfig, report: LoadReport) -> None:
    practitioners = demo_practitioners(config.as_of)
    rows = [
        (
            p.id,
            p.org_code,
            p.name,
            p.email,
            p.role.value,
            p.active,
            p.team,
            p.manager_id,
            hash_password(DEMO_PASSWORD, fast=True),
            0,
            None,
        )
        for p in practitioners
    ]
    tables = Base.metadata.tables
    report.counts["practitioners"] = bulk_insert(
        conn, tables["practitioners"], PRACTITIONER_COLUMNS, rows
    )
    training = [(p.id, module, on) for p in practitioners for module, on in p.training.items()]
    report.counts["training_records"] = bulk_insert(
        conn, tables["training_records"], ("practitioner_id", "module", "completed_on"), training
    )


@contextmanager
def _bulk_pragmas(conn: Connection) -> Iterator[None]:
    """On SQLite, a bigger page cache during the load (the transaction still holds)."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.exec_driver_sql("PRAGMA cache_size=-131072")
    try:
        yield
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size=-2000")


def remove_demo_data(conn: Connection) -> dict[str, int]:
    """Delete the demo partnership and every row elsewhere that refers to it."""
    meta = MetaData()
    with warnings.catch_warnings():
        # Only foreign keys matter here; SQLite cannot reflect the audit log's expression index.
        warnings.filterwarnings(
            "ignore", message="Skipped unsupported reflection of expression-based index"
        )
        meta.reflect(bind=conn)
    removed: dict[str, int] = {}
    codes = ", ".join(f"'{c}'" for c in ORG_CODES)
    try:
        for name in _DEMO_ONLY:
            _delete(conn, meta, meta.tables[name], "1=1", removed)
        _delete(conn, meta, meta.tables["postcodes"], "postcode LIKE 'AY%'", removed)
        for name in ("facts", "source_records", "risk_assessments", "risk_evidence"):
            _delete(conn, meta, meta.tables[name], f"org_code IN ({codes})", removed)
        _delete(conn, meta, meta.tables["organisations"], f"code IN ({codes})", removed)
    except DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StorageUnavailable(f"Could not remove the previous demo data: {first}") from None
    return removed


def _delete(
    conn: Connection,
    meta: MetaData,
    table: Table,
    where: str,
    removed: dict[str, int],
    path: tuple[str, ...] = (),
) -> None:
    """Delete rows of `table` matching `where`, first deleting rows that refer to them."""
    path = (*path, table.name)
    for child in meta.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is table and child.name not in path:
                parent_col = fk.column.name
                child_col = fk.parent.name
                _delete(
                    conn,
                    meta,
                    child,
                    f'"{child_col}" IN (SELECT "{parent_col}" FROM "{table.name}" WHERE {where})',
                    removed,
                    path,
                )
    result = conn.execute(text(f'DELETE FROM "{table.name}" WHERE {where}'))
    removed[table.name] = removed.get(table.name, 0) + int(result.rowcount or 0)


def table_counts(engine: Engine, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Row counts of the demo tables (for reports and benchmarks)."""
    names = names or (*COLUMNS, "practitioners", "training_records")
    with engine.connect() as conn:
        return {
            name: int(conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one())
            for name in names
        }
