"""SQL storage for identity: source records with history, quarantine, people and review."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, delete, func, insert, or_, select, update

from sharewell.adapters.db.bulk import bulk_insert
from sharewell.adapters.db.tables import FactRow, OrganisationRow, SourceRecordRow
from sharewell.adapters.db.tables_identity import (
    MatchRecordRow,
    PersonEventRow,
    PersonLinkRow,
    PersonRow,
    QuarantinedRowRow,
    ReviewPairRow,
    SourceRecordVersionRow,
)
from sharewell.adapters.linkage.features import (
    BROAD_BLOCKS,
    MATCH_COLUMNS,
    PREDICTION_BLOCKS,
    match_row,
)
from sharewell.domain.errors import NotFound, ValidationError
from sharewell.domain.facts import Fact, Location, Sensitivity
from sharewell.domain.identity import PersonEvent, record_fields
from sharewell.domain.people import PartialDate, Sex, SourceRecord
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import DataCategory
from sharewell.services.identity_ports import BadRow, IngestedRecord, ScoredPair
from sharewell.services.ingest import fact_hash, record_hash

_CHUNK = 500
MATCH_TABLE_COLUMNS = tuple(c.name for c in MatchRecordRow.__table__.columns)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _source_values(item: IngestedRecord) -> dict[str, Any]:
    r = item.record
    dob = r.date_of_birth
    return {
        "org_code": r.org_code,
        "local_id": r.local_id,
        "given_name": r.given_name,
        "middle_names": r.middle_names,
        "family_name": r.family_name,
        "dob_year": dob.year if dob else None,
        "dob_month": dob.month if dob else None,
        "dob_day": dob.day if dob else None,
        "sex": r.sex.value,
        "nhs_number": r.nhs_number,
        "nhs_number_valid": r.nhs_number_valid,
        "address": r.address,
        "postcode": r.postcode,
    }


def source_record(row: Mapping[str, Any]) -> SourceRecord:
    """A source_records row as the domain record (an impossible date of birth is dropped)."""
    dob: PartialDate | None = None
    if row["dob_year"] is not None:
        try:
            dob = PartialDate(row["dob_year"], row["dob_month"], row["dob_day"])
        except ValidationError:
            dob = None
    return SourceRecord(
        org_code=row["org_code"],
        local_id=row["local_id"],
        given_name=row["given_name"] or "",
        family_name=row["family_name"] or "",
        middle_names=row["middle_names"],
        date_of_birth=dob,
        sex=Sex(row["sex"]) if row["sex"] in ("female", "male") else Sex.UNKNOWN,
        nhs_number=row["nhs_number"],
        address=row["address"],
        postcode=row["postcode"],
    )


def _fact(row: Mapping[str, Any]) -> Fact:
    occurred = row["occurred_at"]
    if occurred.tzinfo is None:  # SQLite hands back naive UTC
        occurred = occurred.replace(tzinfo=UTC)
    location = None
    if row["latitude"] is not None and row["longitude"] is not None:
        location = Location(row["latitude"], row["longitude"])
    return Fact(
        id=row["id"],
        org_code=row["org_code"],
        local_id=row["local_id"],
        category=DataCategory(row["category"]),
        code=row["code"],
        occurred_at=occurred,
        summary=row["summary"],
        detail=dict(row["detail"] or {}),
        sensitivity=Sensitivity(row["sensitivity"]),
        location=location,
    )


class SqlSourceRecords:
    """Source records, their versions and the quarantine, in the relational store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sql_cache: dict[Any, str] = {}  # real-time lookups' SQL, by shape

    def organisation_exists(self, org_code: str) -> bool:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(OrganisationRow.code).where(OrganisationRow.code == org_code)
            ).first()
        return found is not None

    def current_hashes(self, org_code: str) -> dict[str, str]:
        query = (
            select(SourceRecordRow.local_id, MatchRecordRow.content_hash)
            .join(MatchRecordRow, MatchRecordRow.record_id == SourceRecordRow.id)
            .where(SourceRecordRow.org_code == org_code)
        )
        with self._engine.connect() as conn:
            return {str(a): str(b) for a, b in conn.execute(query).all()}

    def save(self, records: Sequence[IngestedRecord], *, source_name: str) -> list[int]:
        now = utcnow()
        ids: list[int] = []
        with self._engine.begin() as conn:
            for chunk in _chunks(records):
                org = chunk[0].record.org_code
                locals_ = [item.record.local_id for item in chunk]
                existing = dict(
                    conn.execute(
                        select(SourceRecordRow.local_id, SourceRecordRow.id).where(
                            SourceRecordRow.org_code == org, SourceRecordRow.local_id.in_(locals_)
                        )
                    ).all()
                )
                new = [item for item in chunk if item.record.local_id not in existing]
                if new:
                    conn.execute(insert(SourceRecordRow), [_source_values(i) for i in new])
                for item in chunk:
                    if item.record.local_id in existing:
                        conn.execute(
                            update(SourceRecordRow)
                            .where(SourceRecordRow.id == existing[item.record.local_id])
                            .values(**_source_values(item))
                        )
                id_of = dict(
                    conn.execute(
                        select(SourceRecordRow.local_id, SourceRecordRow.id).where(
                            SourceRecordRow.org_code == org, SourceRecordRow.local_id.in_(locals_)
                        )
                    ).all()
                )
                chunk_ids = [id_of[local] for local in locals_]
                latest = dict(
                    conn.execute(
                        select(
                            SourceRecordVersionRow.record_id,
                            func.max(SourceRecordVersionRow.version),
                        )
                        .where(SourceRecordVersionRow.record_id.in_(chunk_ids))
                        .group_by(SourceRecordVersionRow.record_id)
                    ).all()
                )
                versions = []
                for item, record_id in zip(chunk, chunk_ids, strict=True):
                    data: dict[str, Any] = dict(record_fields(item.record))
                    data["shared_id"] = item.shared_id
                    if item.notes:
                        data["notes"] = list(item.notes)
                    versions.append(
                        {
                            "record_id": record_id,
                            "version": latest.get(record_id, 0) + 1,
                            "content_hash": item.content_hash,
                            "data": data,
                            "source_name": source_name,
                            "recorded_at": now,
                        }
                    )
                conn.execute(insert(SourceRecordVersionRow), versions)
                conn.execute(delete(MatchRecordRow).where(MatchRecordRow.record_id.in_(chunk_ids)))
                conn.execute(
                    insert(MatchRecordRow),
                    [
                        match_row(record_id, item.record, item.content_hash, item.shared_id)
                        for item, record_id in zip(chunk, chunk_ids, strict=True)
                    ],
                )
                ids.extend(chunk_ids)
        return ids

    def quarantine(self, org_code: str, source_name: str, rows: Sequence[BadRow]) -> None:
        now = utcnow()
        values = []
        for row in rows:
            raw = {str(k): (None if v is None else str(v)) for k, v in row.raw.items()}
            digest = hashlib.sha256(
                json.dumps([row.reason, raw], sort_keys=True).encode("utf-8")
            ).hexdigest()
            values.append(
                {
                    "org_code": org_code,
                    "source_name": source_name,
                    "row_number": row.row_number,
                    "field": row.field,
                    "reason": row.reason,
                    "raw": raw,
                    "raw_hash": digest,
                    "received_at": now,
                }
            )
        with self._engine.begin() as conn:
            known = set(
                conn.execute(
                    select(QuarantinedRowRow.raw_hash).where(
                        QuarantinedRowRow.org_code == org_code,
                        QuarantinedRowRow.raw_hash.in_([v["raw_hash"] for v in values]),
                    )
                ).scalars()
            )
            fresh = [v for v in values if v["raw_hash"] not in known]
            if fresh:
                conn.execute(insert(QuarantinedRowRow), fresh)

    def fact_hashes(self, org_code: str) -> dict[str, str]:
        query = select(FactRow.__table__).where(FactRow.org_code == org_code)
        with self._engine.connect() as conn:
            return {
                row["id"]: fact_hash(_fact(dict(row))) for row in conn.execute(query).mappings()
            }

    def save_facts(self, facts: Sequence[Fact]) -> None:
        with self._engine.begin() as conn:
            for chunk in _chunks(facts):
                conn.execute(delete(FactRow).where(FactRow.id.in_([f.id for f in chunk])))
                conn.execute(
                    insert(FactRow),
                    [
                        {
                            "id": f.id,
                            "org_code": f.org_code,
                            "local_id": f.local_id,
                            "category": f.category.value,
                            "code": f.code,
                            "occurred_at": f.occurred_at,
                            "summary": f.summary,
                            "detail": dict(f.detail),
                            "sensitivity": f.sensitivity.value,
                            "latitude": f.location.latitude if f.location else None,
                            "longitude": f.location.longitude if f.location else None,
                        }
                        for f in chunk
                    ],
                )

    def quarantined(self, org_code: str) -> list[dict[str, Any]]:
        """The quarantined rows of one organisation, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(QuarantinedRowRow)
                .where(QuarantinedRowRow.org_code == org_code)
                .order_by(QuarantinedRowRow.id)
            ).mappings()
            return [dict(r) for r in rows]

    def versions(self, org_code: str, local_id: str) -> list[dict[str, Any]]:
        """Every version of one record, oldest first."""
        query = (
            select(SourceRecordVersionRow)
            .join(SourceRecordRow, SourceRecordRow.id == SourceRecordVersionRow.record_id)
            .where(SourceRecordRow.org_code == org_code, SourceRecordRow.local_id == local_id)
            .order_by(SourceRecordVersionRow.version)
        )
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def backfill_match_records(self) -> int:
        """Give records loaded without ingest (bulk loads, demo data) their match records."""
        s, m = SourceRecordRow, MatchRecordRow
        query = (
            select(s.__table__)
            .outerjoin(m, m.record_id == s.id)
            .where(m.record_id.is_(None))
            .order_by(s.id)
        )
        now = utcnow()
        count = 0
        match_table = MatchRecordRow.__table__
        version_table = SourceRecordVersionRow.__table__
        version_columns = (
            "record_id",
            "version",
            "content_hash",
            "data",
            "source_name",
            "recorded_at",
        )
        with self._engine.begin() as conn:
            rows = conn.execute(query).mappings().all()
            for chunk in _chunks(rows, 20_000):
                matches = []
                versions = []
                for row in chunk:
                    record = source_record(row)
                    digest = record_hash(record, None)
                    features = match_row(row["id"], record, digest, None)
                    matches.append(tuple(features[c] for c in MATCH_TABLE_COLUMNS))
                    versions.append(
                        (row["id"], 1, digest, dict(record_fields(record)), "bulk load", now)
                    )
                # COPY on PostgreSQL, one prepared executemany on SQLite: bulk loads are large.
                bulk_insert(conn, match_table, MATCH_TABLE_COLUMNS, matches)  # type: ignore[arg-type]
                bulk_insert(conn, version_table, version_columns, versions)  # type: ignore[arg-type]
                count += len(matches)
        return count

    def match_rows(self) -> Iterator[tuple[Any, ...]]:
        """Every match record as a tuple in MATCH_COLUMNS order (for the batch linker)."""
        columns = [getattr(MatchRecordRow, c) for c in MATCH_COLUMNS]
        with self._engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=20_000).execute(
                select(*columns).order_by(MatchRecordRow.record_id)
            )
            for row in result:
                yield tuple(row)

    def _placeholder(self, index: int) -> str:
        style = self._engine.dialect.paramstyle
        if style == "qmark":
            return "?"
        if style == "numeric":
            return f":{index + 1}"
        if style == "named":
            return f":p{index}"
        if style == "pyformat":
            return f"%(p{index})s"
        return "%s"

    def _params(self, values: Sequence[Any]) -> Any:
        if self._engine.dialect.paramstyle in ("named", "pyformat"):
            return {f"p{i}": v for i, v in enumerate(values)}
        return tuple(values)

    def _raw(self, sql: str, values: Sequence[Any]) -> list[dict[str, Any]]:
        """Run SQL written once per shape straight on the driver: real-time matching runs
        these on every arrival, where building and compiling SQLAlchemy queries costs more
        than the indexed lookups themselves."""
        with self._engine.connect() as conn:
            cursor = conn.exec_driver_sql(sql, self._params(values))
            names = [d[0] for d in cursor.cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def match_row(self, record_id: int) -> dict[str, Any] | None:
        """One match record by its source record id."""
        sql = self._sql_cache.get("match_row")
        if sql is None:
            sql = f"SELECT * FROM match_records WHERE record_id = {self._placeholder(0)}"
            self._sql_cache["match_row"] = sql
        rows = self._raw(sql, [record_id])
        return rows[0] if rows else None

    def candidates(
        self,
        probe: Mapping[str, Any],
        limit: int = 50,
        per_broad_rule: int = 10,
        per_rule: int = 100,
    ) -> list[dict[str, Any]]:
        """Stored match records sharing a blocking key with `probe` (each rule an indexed lookup).

        Broad rules (birth year with one name) return at most `per_broad_rule` records each, so
        a common name does not flood the scorer; when there are more than `limit`, those
        sharing the most keys with the probe are kept. One round trip: the SQL is written once
        for each combination of keys the probe has.
        """
        rules = []
        values: list[Any] = []
        for rule in PREDICTION_BLOCKS:
            rule_values = [probe.get(probe_column) for probe_column, _ in rule]
            if any(v is None or v == "" for v in rule_values):
                continue
            rules.append(rule)
            values.extend(rule_values)
        if not rules:
            return []
        exclude = probe.get("record_id")
        key = (tuple(PREDICTION_BLOCKS.index(r) for r in rules), exclude is not None, limit)
        sql = self._sql_cache.get(key)
        if sql is None:
            sql = self._candidates_sql(rules, exclude is not None, limit, per_broad_rule, per_rule)
            self._sql_cache[key] = sql
        params: list[Any] = []
        at = 0
        for rule in rules:
            params.extend(values[at : at + len(rule)])
            at += len(rule)
            if exclude is not None:
                params.append(exclude)
        return self._raw(sql, params)

    def _candidates_sql(
        self,
        rules: Sequence[tuple[tuple[str, str], ...]],
        exclude: bool,
        limit: int,
        per_broad_rule: int,
        per_rule: int,
    ) -> str:
        parts: list[str] = []
        index = 0
        for rule in rules:
            conditions = []
            for _, column in rule:
                conditions.append(f"{column} = {self._placeholder(index)}")
                index += 1
            if exclude:
                conditions.append(f"record_id <> {self._placeholder(index)}")
                index += 1
            cap = per_broad_rule if rule in BROAD_BLOCKS else per_rule
            parts.append(
                "SELECT record_id FROM (SELECT record_id FROM match_records WHERE "
                + " AND ".join(conditions)
                + f" LIMIT {int(cap)}) AS r{len(parts)}"
            )
        return (
            "SELECT m.* FROM (SELECT record_id, count(*) AS hits FROM ("
            + " UNION ALL ".join(parts)
            + ") AS found GROUP BY record_id ORDER BY count(*) DESC, record_id"
            + f" LIMIT {int(limit)}) AS best JOIN match_records m ON m.record_id = best.record_id"
            " ORDER BY best.hits DESC, best.record_id"
        )


class SqlPeople:
    """Person IDs, links from records and their history, in the relational store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def links(self) -> dict[int, str]:
        with self._engine.connect() as conn:
            return dict(
                conn.execute(select(PersonLinkRow.record_id, PersonLinkRow.person_id)).all()
            )

    def person_of(self, record_ids: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(record_ids)):
                query = select(PersonLinkRow.record_id, PersonLinkRow.person_id).where(
                    PersonLinkRow.record_id.in_(chunk)
                )
                found.update({int(r): str(p) for r, p in conn.execute(query)})
        return found

    def has_people(self) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(select(PersonLinkRow.record_id).limit(1)).first() is not None

    def merged_into(self) -> dict[str, str]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(PersonRow.id, PersonRow.merged_into).where(
                    PersonRow.merged_into.is_not(None)
                )
            ).all()
        return {a: b for a, b in rows if b is not None}

    def apply(
        self,
        *,
        links: Mapping[int, str],
        created: Sequence[str],
        merged_into: Mapping[str, str],
        events: Sequence[PersonEvent],
        method: str,
        probabilities: Mapping[int, float],
    ) -> None:
        now = utcnow()
        current = self.links()
        changed = [(r, p) for r, p in links.items() if current.get(r) != p]
        # COPY on PostgreSQL, one prepared executemany on SQLite: a first batch run writes a
        # row per person, per record and per event.
        with self._engine.begin() as conn:
            bulk_insert(
                conn,
                PersonRow.__table__,  # type: ignore[arg-type]
                ("id", "status", "merged_into", "created_at", "updated_at"),
                ((p, "active", None, now, now) for p in created),
            )
            for old, new in merged_into.items():
                conn.execute(
                    update(PersonRow)
                    .where(PersonRow.id == old)
                    .values(status="merged", merged_into=new, updated_at=now)
                )
            if current:
                for chunk in _chunks([r for r, _ in changed], 5_000):
                    conn.execute(delete(PersonLinkRow).where(PersonLinkRow.record_id.in_(chunk)))
            bulk_insert(
                conn,
                PersonLinkRow.__table__,  # type: ignore[arg-type]
                ("record_id", "person_id", "method", "match_probability", "linked_at"),
                ((r, p, method, probabilities.get(r), now) for r, p in changed),
            )
            bulk_insert(
                conn,
                PersonEventRow.__table__,  # type: ignore[arg-type]
                ("kind", "person_id", "other_ids", "detail", "at"),
                ((e.kind.value, e.person_id, list(e.other_ids), e.detail, now) for e in events),
            )

    def record_ids(self) -> list[int]:
        with self._engine.connect() as conn:
            return list(conn.execute(select(MatchRecordRow.record_id)).scalars())

    def exists(self, person_id: str) -> bool:
        with self._engine.connect() as conn:
            return (
                conn.execute(select(PersonRow.id).where(PersonRow.id == person_id)).first()
                is not None
            )

    def records_of(self, person_id: str) -> list[dict[str, Any]]:
        query = (
            select(SourceRecordRow, PersonLinkRow.method, PersonLinkRow.match_probability)
            .join(PersonLinkRow, PersonLinkRow.record_id == SourceRecordRow.id)
            .where(PersonLinkRow.person_id == person_id)
            .order_by(SourceRecordRow.org_code, SourceRecordRow.local_id)
        )
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def events_of(self, person_id: str) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(PersonEventRow).order_by(PersonEventRow.id)).mappings()
            return [
                dict(r)
                for r in rows
                if r["person_id"] == person_id or person_id in (r["other_ids"] or [])
            ]

    def export_rows(self) -> Iterator[tuple[str, str, str]]:
        query = (
            select(SourceRecordRow.org_code, SourceRecordRow.local_id, PersonLinkRow.person_id)
            .join(PersonLinkRow, PersonLinkRow.record_id == SourceRecordRow.id, isouter=True)
            .order_by(SourceRecordRow.org_code, SourceRecordRow.local_id)
        )
        with self._engine.connect() as conn:
            for org, local, person in conn.execute(query):
                yield org, local, person or ""


class SqlReviewQueue:
    """The clerical review queue in the relational store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_pending(self, pairs: Sequence[ScoredPair]) -> int:
        now = utcnow()
        with self._engine.begin() as conn:
            pairs_known = conn.execute(select(ReviewPairRow.record_l, ReviewPairRow.record_r))
            known = {(int(a), int(b)) for a, b in pairs_known}
            fresh = []
            for p in pairs:
                key = (min(p.record_l, p.record_r), max(p.record_l, p.record_r))
                if key in known:
                    continue
                known.add(key)
                fresh.append(
                    {
                        "record_l": key[0],
                        "record_r": key[1],
                        "match_probability": p.match_probability,
                        "match_weight": p.match_weight,
                        "waterfall": [dict(w) for w in p.waterfall],
                        "status": "pending",
                        "created_at": now,
                    }
                )
            for chunk in _chunks(fresh, 5_000):
                conn.execute(insert(ReviewPairRow), list(chunk))
        return len(fresh)

    def pending(self, limit: int, *, org_code: str | None = None) -> list[dict[str, Any]]:
        query = select(ReviewPairRow).where(ReviewPairRow.status == "pending")
        if org_code is not None:
            query = query.where(self._involves(org_code))
        with self._engine.connect() as conn:
            rows = conn.execute(
                query.order_by(ReviewPairRow.match_probability.desc(), ReviewPairRow.id).limit(
                    limit
                )
            ).mappings()
            out = [dict(r) for r in rows]
            ids = {r[side] for r in out for side in ("record_l", "record_r")}
            orgs = dict(
                conn.execute(
                    select(SourceRecordRow.id, SourceRecordRow.org_code).where(
                        SourceRecordRow.id.in_(ids)
                    )
                ).all()
            )
        for row in out:
            row["org_l"] = orgs.get(row["record_l"], "")
            row["org_r"] = orgs.get(row["record_r"], "")
        return out

    @staticmethod
    def _involves(org_code: str) -> Any:
        """Pairs one of whose records the organisation holds."""
        held = select(SourceRecordRow.id).where(SourceRecordRow.org_code == org_code)
        return or_(ReviewPairRow.record_l.in_(held), ReviewPairRow.record_r.in_(held))

    def involves(self, pair_id: int, org_code: str) -> bool:
        """Whether the organisation holds one of the pair's records."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(ReviewPairRow.id).where(
                    ReviewPairRow.id == pair_id, self._involves(org_code)
                )
            ).first()
        return found is not None

    def get(self, pair_id: int) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(select(ReviewPairRow).where(ReviewPairRow.id == pair_id))
                .mappings()
                .first()
            )
            if row is None:
                return None
            out = dict(row)
            for side in ("record_l", "record_r"):
                record = (
                    conn.execute(select(SourceRecordRow).where(SourceRecordRow.id == out[side]))
                    .mappings()
                    .first()
                )
                out[side + "_fields"] = dict(record) if record else {}
        return out

    def decide(self, pair_id: int, *, is_match: bool, actor: str) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(ReviewPairRow)
                .where(ReviewPairRow.id == pair_id)
                .values(
                    status="match" if is_match else "non_match",
                    decided_by=actor,
                    decided_at=utcnow(),
                )
            )
            if done.rowcount == 0:
                raise NotFound(f"Review pair {pair_id} does not exist", field="pair")

    def decisions(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(ReviewPairRow.record_l, ReviewPairRow.record_r, ReviewPairRow.status).where(
                    ReviewPairRow.status != "pending"
                )
            ).all()
        matches = [(a, b) for a, b, s in rows if s == "match"]
        non_matches = [(a, b) for a, b, s in rows if s == "non_match"]
        return matches, non_matches
