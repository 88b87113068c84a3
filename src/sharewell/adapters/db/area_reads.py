"""Area-level reads for hot spots (ADR 0006): places, dates and categories, never who.

Only these columns are selected: facts.category, code, occurred_at, latitude, longitude;
households.latitude, longitude, council_area; key_buildings. No person identifier, local id,
summary or detail leaves this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from sharewell.adapters.db.tables import FactRow, HouseholdRow, KeyBuildingRow
from sharewell.domain.errors import StorageUnavailable
from sharewell.domain.hotspots import IncidentPoint, KeyBuilding, ResidentPoint


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SqlAreaReads:
    """`AreaReads` on the database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except (OperationalError, ProgrammingError):
            # Missing tables mean nobody ran `sharewell init`; say so instead of a traceback.
            raise StorageUnavailable(
                "The database is not set up or cannot be read: run `sharewell init`"
            ) from None

    def incidents(
        self, *, category: str | None = None, since: datetime | None = None
    ) -> Sequence[IncidentPoint]:
        query = select(
            FactRow.category,
            FactRow.code,
            FactRow.occurred_at,
            FactRow.latitude,
            FactRow.longitude,
        ).where(FactRow.latitude.is_not(None), FactRow.longitude.is_not(None))
        if category is not None:
            query = query.where(FactRow.category == category)
        if since is not None:
            query = query.where(FactRow.occurred_at >= since)
        query = query.order_by(FactRow.id)
        with self._connect() as conn:
            return [
                IncidentPoint(cat, code, _utc(at), float(lat), float(lon))
                for cat, code, at, lat, lon in conn.execute(query)
                if lat is not None and lon is not None
            ]

    def residents(self) -> Sequence[ResidentPoint]:
        query = select(
            HouseholdRow.latitude, HouseholdRow.longitude, HouseholdRow.council_area
        ).order_by(HouseholdRow.id)
        with self._connect() as conn:
            return [ResidentPoint(float(a), float(b), c) for a, b, c in conn.execute(query)]

    def key_buildings(self) -> Sequence[KeyBuilding]:
        query = select(
            KeyBuildingRow.id,
            KeyBuildingRow.name,
            KeyBuildingRow.kind,
            KeyBuildingRow.latitude,
            KeyBuildingRow.longitude,
        ).order_by(KeyBuildingRow.id)
        with self._connect() as conn:
            return [
                KeyBuilding(i, name, kind, float(lat), float(lon))
                for i, name, kind, lat, lon in conn.execute(query)
            ]
