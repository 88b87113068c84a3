"""The one place that wires settings -> engine -> repositories -> services."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from sharewell.adapters.db.engine import check_reachable, make_engine
from sharewell.adapters.db.governance import SqlGovernance
from sharewell.adapters.db.repositories import SqlOrganisations, SqlPractitioners
from sharewell.adapters.memory.audit import MemoryAuditLog
from sharewell.config import Settings
from sharewell.services.ports import AuditLog


@dataclass
class Container:
    """Everything a request, a command or a test needs, built from settings."""

    settings: Settings
    engine: Engine
    organisations: SqlOrganisations
    practitioners: SqlPractitioners
    governance: SqlGovernance
    # The seam for the tamper-evident log: anything with `append(event) -> receipt`.
    audit: AuditLog

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings, *, check: bool = True) -> Container:
    """Wire the application for `settings`; StorageUnavailable if the database is not there."""
    engine = make_engine(settings.database_url)
    if check:
        check_reachable(engine)
    return Container(
        settings=settings,
        engine=engine,
        organisations=SqlOrganisations(engine),
        practitioners=SqlPractitioners(engine),
        governance=SqlGovernance(engine),
        audit=MemoryAuditLog(),
    )
