"""Reads agencies' facts for the disclosure gate, selecting only the fields it was allowed.

Only services/disclosure.py's gate may be given a `SqlFactReader` (an import-linter contract:
only bootstrap imports this module)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, func, select, tuple_

from sharewell.adapters.db.tables import FactRow
from sharewell.domain.vocabulary import DataCategory
from sharewell.services.disclosure import FactView, Holding, SourceRef

_COLUMNS = {"occurred_at": FactRow.occurred_at, "code": FactRow.code, "summary": FactRow.summary}
# Asking for "detail" means every detail key: only a holder's own practitioners get it.
ALL_DETAIL = "detail"
_KNOWN = frozenset(c.value for c in DataCategory)


class SqlFactReader:
    """The `FactReader` port on the facts table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def holdings(self, records: Sequence[SourceRef]) -> list[Holding]:
        if not records:
            return []
        query = (
            select(FactRow.org_code, FactRow.category, func.count())
            .where(
                tuple_(FactRow.org_code, FactRow.local_id).in_(
                    [(r.org_code, r.local_id) for r in records]
                )
            )
            .group_by(FactRow.org_code, FactRow.category)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Holding(org, DataCategory(category), int(count))
            for org, category, count in rows
            if category in _KNOWN
        ]

    def all_fields(self) -> tuple[str, ...]:
        return (*_COLUMNS, ALL_DETAIL)

    def read_fact(self, org_code: str, fact_id: str, fields: Sequence[str]) -> FactView | None:
        wanted = [f for f in dict.fromkeys(fields) if f != ALL_DETAIL]
        columns: list[Any] = [FactRow.id, FactRow.local_id, FactRow.category]
        for name in wanted:
            if name in _COLUMNS:
                columns.append(_COLUMNS[name].label(name))
            else:
                columns.append(FactRow.detail[name].as_string().label(name))
        query = select(*columns).where(FactRow.org_code == org_code, FactRow.id == fact_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or row["category"] not in _KNOWN:
            return None
        shown: dict[str, str] = {}
        occurred = None
        for name in wanted:
            value = row[name]
            if name == "occurred_at":
                occurred = value if value.tzinfo else value.replace(tzinfo=UTC)
            elif value is not None:
                shown[name] = str(value)
        return FactView(str(row["id"]), org_code, DataCategory(row["category"]), occurred, shown)

    def read(
        self, org_code: str, local_ids: Sequence[str], category: DataCategory, fields: Sequence[str]
    ) -> list[FactView]:
        wanted = list(dict.fromkeys(fields))
        # Only the allowed fields are selected: a column, or one key of the detail JSON.
        columns: list[Any] = [FactRow.id]
        for name in wanted:
            if name in _COLUMNS:
                columns.append(_COLUMNS[name].label(name))
            elif name == ALL_DETAIL:
                columns.append(FactRow.detail.label(ALL_DETAIL))
            else:
                columns.append(FactRow.detail[name].as_string().label(name))
        order = FactRow.occurred_at.desc()
        query = (
            select(*columns)
            .where(
                FactRow.org_code == org_code,
                FactRow.local_id.in_(list(local_ids)),
                FactRow.category == category.value,
            )
            .order_by(order)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        views = []
        for row in rows:
            shown: dict[str, str] = {}
            occurred = None
            for name in wanted:
                value = row[name]
                if name == "occurred_at":
                    # SQLite hands back naive datetimes; everything stored is UTC.
                    occurred = value if value.tzinfo else value.replace(tzinfo=UTC)
                elif name == ALL_DETAIL:
                    shown.update({str(k): str(v) for k, v in (value or {}).items()})
                elif value is not None:
                    shown[name] = str(value)
            views.append(FactView(str(row["id"]), org_code, category, occurred, shown))
        return views
