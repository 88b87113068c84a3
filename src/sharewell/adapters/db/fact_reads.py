"""Reads agencies' facts for the disclosure gate, selecting only the fields it was allowed.

Only services/disclosure.py's gate may be given a `SqlFactReader` (an import-linter contract:
only bootstrap imports this module)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Engine,
    Integer,
    String,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    tuple_,
    union_all,
)

from sharewell.adapters.db.engine import fetch_all, read_connection, reads_only
from sharewell.adapters.db.tables import FactRow
from sharewell.adapters.db.tables_risk import RiskAssessmentRow, RiskEvidenceRow
from sharewell.domain.risk import Assessment, EvidenceItem, EvidenceKind
from sharewell.domain.vocabulary import DataCategory
from sharewell.services.disclosure import FactAsk, FactView, Holding, SourceRef

_COLUMNS = {"occurred_at": FactRow.occurred_at, "code": FactRow.code, "summary": FactRow.summary}
# Asking for "detail" means every detail key: only a holder's own practitioners get it.
ALL_DETAIL = "detail"
_KNOWN = frozenset(c.value for c in DataCategory)


_facts = FactRow.__table__
# Statements built for a record read are kept by shape (how many records, which fields), with
# every value a named bound parameter: the same statement object comes back for the same shape,
# so it is compiled once and can run through `fetch_all`. Shapes are few; the cache is bounded.
_SHAPES = 512


@lru_cache(maxsize=_SHAPES)
def _holdings(count: int) -> Any:
    """What is held for `count` (holder, local id) pairs: parameters o0, l0, o1, l1, ..."""
    pairs = [tuple_(bindparam(f"o{n}"), bindparam(f"l{n}")) for n in range(count)]
    return (
        select(_facts.c.org_code, _facts.c.category, func.count().label("n"))
        .where(tuple_(_facts.c.org_code, _facts.c.local_id).in_(pairs))
        .group_by(_facts.c.org_code, _facts.c.category)
    )


@lru_cache(maxsize=_SHAPES)
def _read_many(names: tuple[str, ...], shape: tuple[tuple[int, tuple[str, ...]], ...]) -> Any:
    """The UNION ALL for asks of this shape: per ask, how many local ids and which fields.

    Columns: id, part, rank, then one per name in `names`, labelled c0, c1, ... so a detail
    key can never clash with a column's name (NULL where that ask may not have it).
    Parameters: o<part> (holder), k<part> (category), l<part>_<n> (local ids)."""
    branches = []
    for part, (count, fields) in enumerate(shape):
        allowed = set(fields)
        columns: list[Any] = [
            FactRow.id.label("id"),
            literal_column(str(part), Integer).label("part"),
            func.row_number().over(order_by=FactRow.occurred_at.desc()).label("rank"),
        ]
        for n, name in enumerate(names):
            if name not in allowed:
                kind = _COLUMNS[name].type if name in _COLUMNS else None
                if name == ALL_DETAIL:
                    kind = FactRow.detail.type
                columns.append(cast(null(), kind or String).label(f"c{n}"))
            elif name in _COLUMNS:
                columns.append(_COLUMNS[name].label(f"c{n}"))
            elif name == ALL_DETAIL:
                columns.append(FactRow.detail.label(f"c{n}"))
            else:
                columns.append(FactRow.detail[name].as_string().label(f"c{n}"))
        branches.append(
            select(*columns).where(
                FactRow.org_code == bindparam(f"o{part}"),
                FactRow.local_id.in_([bindparam(f"l{part}_{n}") for n in range(count)]),
                FactRow.category == bindparam(f"k{part}"),
            )
        )
    # Ordered by the branches' own labels (no subquery to build on every read).
    return union_all(*branches).order_by(literal_column("part"), literal_column("rank"))


def _utc(value: Any) -> Any:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class SqlFactReader:
    """The `FactReader` port on the facts table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = reads_only(engine)

    def holdings(self, records: Sequence[SourceRef]) -> list[Holding]:
        if not records:
            return []
        params: dict[str, str] = {}
        for n, r in enumerate(records):
            params[f"o{n}"] = r.org_code
            params[f"l{n}"] = r.local_id
        with read_connection(self._engine) as conn:
            rows = fetch_all(conn, _holdings(len(records)), params)
        return [
            Holding(org, DataCategory(category), int(count))
            for org, category, count in rows
            if category in _KNOWN
        ]

    def all_fields(self) -> tuple[str, ...]:
        return (*_COLUMNS, ALL_DETAIL)

    def references(
        self, org_code: str, local_ids: Sequence[str], categories: Sequence[DataCategory]
    ) -> dict[str, DataCategory]:
        query = select(FactRow.id, FactRow.category).where(
            FactRow.org_code == org_code,
            FactRow.local_id.in_(list(local_ids)),
            FactRow.category.in_([c.value for c in categories]),
        )
        with read_connection(self._engine) as conn:
            return {str(i): DataCategory(c) for i, c in conn.execute(query) if c in _KNOWN}

    def read(
        self, org_code: str, local_ids: Sequence[str], category: DataCategory, fields: Sequence[str]
    ) -> list[FactView]:
        return self._select(
            org_code,
            fields,
            FactRow.local_id.in_(list(local_ids)),
            FactRow.category == category.value,
        )

    def read_ids(
        self, org_code: str, fact_ids: Sequence[str], fields: Sequence[str]
    ) -> list[FactView]:
        if not fact_ids:
            return []
        return self._select(org_code, fields, FactRow.id.in_(list(fact_ids)))

    def _select(self, org_code: str, fields: Sequence[str], *where: Any) -> list[FactView]:
        wanted = list(dict.fromkeys(fields))
        # Only the allowed fields are selected: a column, or one key of the detail JSON.
        columns: list[Any] = [FactRow.id.label("_id"), FactRow.category.label("_category")]
        for name in wanted:
            if name in _COLUMNS:
                columns.append(_COLUMNS[name].label(name))
            elif name == ALL_DETAIL:
                columns.append(FactRow.detail.label(ALL_DETAIL))
            else:
                columns.append(FactRow.detail[name].as_string().label(name))
        query = (
            select(*columns)
            .where(FactRow.org_code == org_code, *where)
            .order_by(FactRow.occurred_at.desc(), FactRow.id)
        )
        with read_connection(self._engine) as conn:
            rows = conn.execute(query).mappings().all()
        views = []
        for row in rows:
            if row["_category"] not in _KNOWN:
                continue
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
            views.append(
                FactView(str(row["_id"]), org_code, DataCategory(row["_category"]), occurred, shown)
            )
        return views

    def read_many(self, asks: Sequence[FactAsk]) -> list[FactView]:
        """Every ask in one UNION ALL. Each branch selects its own allowed fields and NULL for
        the rest, so no ask reads a field it was not allowed; a branch number and a rank (the
        newest first) keep each ask's facts together and in order."""
        if not asks:
            return []
        wanted = [tuple(dict.fromkeys(ask.fields)) for ask in asks]
        names = tuple(dict.fromkeys(name for fields in wanted for name in fields))
        shape = tuple(
            (len(ask.local_ids), fields) for ask, fields in zip(asks, wanted, strict=True)
        )
        statement = _read_many(names, shape)
        # Each name's column in a row: after id, part and rank.
        column = {name: 3 + n for n, name in enumerate(names)}
        params: dict[str, str] = {}
        for part, ask in enumerate(asks):
            params[f"o{part}"] = ask.org_code
            params[f"k{part}"] = ask.category.value
            for n, local_id in enumerate(ask.local_ids):
                params[f"l{part}_{n}"] = local_id
        with read_connection(self._engine) as conn:
            rows = fetch_all(conn, statement, params)
        views = []
        for row in rows:
            part = row[1]
            ask = asks[part]
            shown: dict[str, str] = {}
            occurred = None
            for name in wanted[part]:
                value = row[column[name]]
                if name == "occurred_at":
                    occurred = value if value.tzinfo else value.replace(tzinfo=UTC)
                elif name == ALL_DETAIL:
                    shown.update({str(k): str(v) for k, v in (value or {}).items()})
                elif value is not None:
                    shown[name] = str(value)
            views.append(FactView(str(row[0]), ask.org_code, ask.category, occurred, shown))
        return views

    # --- risk assessments and evidence (issue 7) ------------------------------------------------

    def risk_holdings(self, person_id: str) -> list[Holding]:
        a, e = RiskAssessmentRow, RiskEvidenceRow
        both = union_all(
            select(a.org_code, a.category, literal(1).label("n")).where(a.person_id == person_id),
            select(e.org_code, e.category, literal(1).label("n")).where(e.person_id == person_id),
        ).subquery()
        query = select(both.c.org_code, both.c.category, func.count()).group_by(
            both.c.org_code, both.c.category
        )
        with read_connection(self._engine) as conn:
            rows = conn.execute(query).all()
        return [
            Holding(org, DataCategory(category), int(count))
            for org, category, count in rows
            if category in _KNOWN
        ]

    def read_risk(
        self, org_code: str, person_id: str, category: DataCategory, *, summaries: bool
    ) -> tuple[list[Assessment], list[EvidenceItem]]:
        a, e = RiskAssessmentRow, RiskEvidenceRow
        evidence_columns: list[Any] = [e.id, e.kind, e.occurred_at, e.household_id]
        if summaries:
            evidence_columns.append(e.summary)
        with read_connection(self._engine) as conn:
            assessed = conn.execute(
                select(
                    a.id,
                    a.org_name,
                    a.scale_id,
                    a.level,
                    a.household_id,
                    a.indicators,
                    a.assessed_at,
                )
                .where(
                    a.org_code == org_code, a.person_id == person_id, a.category == category.value
                )
                .order_by(a.assessed_at.desc())
            ).all()
            items = (
                conn.execute(
                    select(*evidence_columns)
                    .where(
                        e.org_code == org_code,
                        e.person_id == person_id,
                        e.category == category.value,
                    )
                    .order_by(e.occurred_at.desc())
                )
                .mappings()
                .all()
            )
        return (
            [
                Assessment(
                    id=r.id,
                    org_code=org_code,
                    org_name=r.org_name,
                    scale_id=r.scale_id,
                    level=r.level,
                    person_id=person_id,
                    assessed_at=_utc(r.assessed_at),
                    household_id=r.household_id,
                    indicators=r.indicators,
                    category=category,
                )
                for r in assessed
            ],
            [
                EvidenceItem(
                    id=r["id"],
                    org_code=org_code,
                    kind=EvidenceKind(r["kind"]),
                    summary=r["summary"] if summaries else "",
                    occurred_at=_utc(r["occurred_at"]),
                    person_id=person_id,
                    household_id=r["household_id"],
                    category=category,
                )
                for r in items
            ],
        )
