"""The one place that wires settings -> engine -> repositories -> services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from sharewell.adapters.db.engine import check_reachable, make_engine
from sharewell.adapters.db.identity import SqlPeople, SqlReviewQueue, SqlSourceRecords
from sharewell.adapters.db.repositories import SqlOrganisations, SqlPractitioners
from sharewell.config import Settings

if TYPE_CHECKING:
    from sharewell.adapters.linkage.engine import SplinkLinkage


@dataclass
class Container:
    """Everything a request, a command or a test needs, built from settings."""

    settings: Settings
    engine: Engine
    organisations: SqlOrganisations
    practitioners: SqlPractitioners

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
    )


@dataclass
class Identity:
    """The identity services' adapters: records, people, review queue and the linkage engine."""

    records: SqlSourceRecords
    people: SqlPeople
    review: SqlReviewQueue
    linkage: SplinkLinkage


def build_identity(settings: Settings, engine: Engine, *, backend: str = "duckdb") -> Identity:
    """Wire identity (Splink is imported only here, when a command needs it)."""
    from sharewell.adapters.linkage.engine import SplinkLinkage

    records = SqlSourceRecords(engine)
    return Identity(
        records=records,
        people=SqlPeople(engine),
        review=SqlReviewQueue(engine),
        linkage=SplinkLinkage(records, settings.model_dir, backend=backend),
    )
