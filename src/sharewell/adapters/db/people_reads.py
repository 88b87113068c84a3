"""The `PersonDirectory` port on the identity tables: person_links joins source records to people.

person_links belongs to the identity area (adapters/db/tables_identity.py); it is named here with
a lightweight table so this module does not depend on that area's ORM classes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Engine, String, and_, bindparam, column, func, or_, select, table

from sharewell.adapters.db.engine import fetch_all, read_connection, reads_only
from sharewell.adapters.db.tables import SourceRecordRow
from sharewell.services.disclosure import IdentityRecord, PersonQuery

person_links = table("person_links", column("record_id"), column("person_id", String))
people = table("people", column("id", String), column("merged_into", String))
# The identity area's match keys: a nickname group per forename, a sounds-alike key per surname.
match_records = table(
    "match_records",
    column("record_id"),
    column("given_canonical", String),
    column("family_phonetic", String),
)

_RECORD = (
    SourceRecordRow.org_code,
    SourceRecordRow.local_id,
    SourceRecordRow.given_name,
    SourceRecordRow.family_name,
    SourceRecordRow.dob_year,
    SourceRecordRow.dob_month,
    SourceRecordRow.dob_day,
    SourceRecordRow.sex,
    SourceRecordRow.nhs_number,
    SourceRecordRow.postcode,
)


# Every record read runs these two: built once with bound parameters and Core columns, so
# SQLAlchemy finds them compiled in its cache without building or hashing them again.
_MERGED_INTO = select(people.c.merged_into).where(people.c.id == bindparam("person_id"))
_source = SourceRecordRow.__table__
_RECORDS_OF = (
    select(*(_source.c[c.key] for c in _RECORD))
    .join(person_links, person_links.c.record_id == _source.c.id)
    .where(person_links.c.person_id == bindparam("person_id"))
    .order_by(_source.c.org_code, _source.c.local_id)
)


def _dob(year: int | None, month: int | None, day: int | None) -> date | None:
    if not (year and month and day):
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _identity(row: Any) -> IdentityRecord:
    return IdentityRecord(
        row.org_code,
        row.local_id,
        row.given_name,
        row.family_name,
        _dob(row.dob_year, row.dob_month, row.dob_day),
        row.sex,
        row.nhs_number,
        row.postcode,
    )


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


class SqlPersonDirectory:
    """Person ids and their linked source records; names matched exactly or by nickname.

    `forename_group` maps a folded forename to its nickname group ("bill" -> "william"); the
    identity area's nickname table is passed in by bootstrap when present.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        forename_group: Callable[[str], str | None] | None = None,
        surname_key: Callable[[str], str | None] | None = None,
    ) -> None:
        self._engine = reads_only(engine)
        self._group = forename_group or (lambda name: name)
        # With a surname key, names are matched on the identity index (typos that sound alike).
        self._surname_key = surname_key

    def _current(self, conn: Any, person_id: str) -> str:
        # A merged id points at the person who replaced it (ADR 0005); follow it a few steps.
        for _ in range(10):
            merged = conn.execute(_MERGED_INTO, {"person_id": person_id}).scalar()
            if not merged:
                break
            person_id = str(merged)
        return person_id

    def records_of(self, person_id: str) -> list[IdentityRecord]:
        with read_connection(self._engine) as conn:
            rows = fetch_all(conn, _RECORDS_OF, {"person_id": person_id})
            if not rows:
                # Only an id with no records can have been merged: a merge moves every record
                # of the old id to the survivor (domain/identity.py), so the common case is one
                # statement, and the merge chain is followed only when nothing was found.
                current = self._current(conn, person_id)
                if current != person_id:
                    rows = fetch_all(conn, _RECORDS_OF, {"person_id": current})
            return [_identity(row) for row in rows]

    def records_by_id(self, record_ids: Sequence[int]) -> list[IdentityRecord]:
        query = select(SourceRecordRow.id, SourceRecordRow.address, *_RECORD).where(
            SourceRecordRow.id.in_(list(record_ids))
        )
        with read_connection(self._engine) as conn:
            found = {
                row.id: replace(_identity(row), address=row.address) for row in conn.execute(query)
            }
        return [found[i] for i in record_ids if i in found]

    def household_of(self, person_id: str) -> list[str]:
        mine = (
            select(SourceRecordRow.address, SourceRecordRow.postcode)
            .join(person_links, person_links.c.record_id == SourceRecordRow.id)
            .where(person_links.c.person_id == person_id, SourceRecordRow.address.is_not(None))
        )
        with read_connection(self._engine) as conn:
            places = {(a, p) for a, p in conn.execute(mine)}
            if not places:
                return []
            others = (
                select(person_links.c.person_id)
                .join(SourceRecordRow, person_links.c.record_id == SourceRecordRow.id)
                .where(
                    or_(
                        *(
                            and_(SourceRecordRow.address == a, SourceRecordRow.postcode == p)
                            for a, p in places
                        )
                    ),
                    person_links.c.person_id != person_id,
                )
                .distinct()
            )
            return sorted(str(p) for p in conn.execute(others).scalars())

    def search(self, query: PersonQuery, *, limit: int) -> list[str]:
        conditions: list[Any] = []
        words = _fold(query.name).split()
        indexed = bool(words) and self._surname_key is not None
        if words:
            given = func.lower(SourceRecordRow.given_name)
            family = func.lower(SourceRecordRow.family_name)
            for word in words:
                group = self._group(word) or word
                either = [family == word, given.in_({word, group})]
                if self._surname_key is not None:
                    sound = self._surname_key(word)
                    either.append(match_records.c.given_canonical == group)
                    if sound:
                        either.append(match_records.c.family_phonetic == sound)
                conditions.append(or_(*either))
        if query.date_of_birth is not None:
            d = query.date_of_birth
            conditions += [
                SourceRecordRow.dob_year == d.year,
                SourceRecordRow.dob_month == d.month,
                SourceRecordRow.dob_day == d.day,
            ]
        nhs = "".join(query.nhs_number.split())
        if nhs:
            conditions.append(SourceRecordRow.nhs_number == nhs)
        postcode = " ".join(query.postcode.upper().split())
        if postcode:
            conditions.append(
                func.replace(func.upper(SourceRecordRow.postcode), " ", "")
                == postcode.replace(" ", "")
            )
        if not conditions:
            return []
        found = select(person_links.c.person_id).join(
            SourceRecordRow, person_links.c.record_id == SourceRecordRow.id
        )
        if indexed:
            found = found.join(
                match_records, match_records.c.record_id == SourceRecordRow.id, isouter=True
            )
        found = (
            found.where(*conditions)
            .group_by(person_links.c.person_id)
            .order_by(person_links.c.person_id)
            .limit(limit)
        )
        with read_connection(self._engine) as conn:
            return [str(p) for p in conn.execute(found).scalars()]
