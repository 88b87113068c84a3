"""In-memory person directory and fact reader, for tests of the disclosure gate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sharewell.domain.risk import Assessment, EvidenceItem
from sharewell.domain.vocabulary import DataCategory
from sharewell.services.disclosure import (
    FactAsk,
    FactView,
    Holding,
    IdentityRecord,
    PersonQuery,
    SourceRef,
)

# A few common nicknames; the SQL directory uses the identity index's full table.
NICKNAMES = {
    "bill": "william",
    "will": "william",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "bob": "robert",
    "rob": "robert",
    "kate": "katherine",
    "jim": "james",
}


def _canonical(name: str) -> str:
    name = name.strip().casefold()
    return NICKNAMES.get(name, name)


@dataclass
class MemoryPersonDirectory:
    """Person ids -> records, with a name search that knows a few nicknames."""

    people: dict[str, list[IdentityRecord]] = field(default_factory=dict)
    households: dict[str, list[str]] = field(default_factory=dict)
    by_record: dict[int, IdentityRecord] = field(default_factory=dict)

    def add(self, person_id: str, record: IdentityRecord) -> None:
        self.people.setdefault(person_id, []).append(record)

    def records_of(self, person_id: str) -> list[IdentityRecord]:
        return list(self.people.get(person_id, []))

    def records_by_id(self, record_ids: Sequence[int]) -> list[IdentityRecord]:
        return [self.by_record[i] for i in record_ids if i in self.by_record]

    def household_of(self, person_id: str) -> list[str]:
        for members in self.households.values():
            if person_id in members:
                return [m for m in members if m != person_id]
        return []

    def search(self, query: PersonQuery, *, limit: int) -> list[str]:
        words = [_canonical(w) for w in query.name.split()]
        found = []
        for person_id, records in self.people.items():
            for r in records:
                names = {_canonical(r.given_name), _canonical(r.family_name)}
                if words and not all(w in names for w in words):
                    continue
                if query.date_of_birth and r.date_of_birth != query.date_of_birth:
                    continue
                if query.nhs_number.strip() and r.nhs_number != query.nhs_number.replace(" ", ""):
                    continue
                wanted = query.postcode.replace(" ", "").upper()
                if wanted and (r.postcode or "").replace(" ", "").upper() != wanted:
                    continue
                found.append(person_id)
                break
        return found[:limit]


@dataclass(frozen=True)
class StoredFact:
    """A fact as an agency holds it, every field."""

    id: str
    org_code: str
    local_id: str
    category: DataCategory
    occurred_at: datetime
    code: str
    summary: str
    detail: dict[str, str]


@dataclass
class MemoryFactReader:
    """Facts in a list; records which fields were asked for, so tests can check."""

    facts: list[StoredFact] = field(default_factory=list)
    asked: list[tuple[str, DataCategory, tuple[str, ...]]] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    risk_asked: list[tuple[str, str, DataCategory, bool]] = field(default_factory=list)

    def holdings(self, records: Sequence[SourceRef]) -> list[Holding]:
        refs = {(r.org_code, r.local_id) for r in records}
        counts = Counter(
            (f.org_code, f.category) for f in self.facts if (f.org_code, f.local_id) in refs
        )
        return [Holding(org, category, n) for (org, category), n in counts.items()]

    def all_fields(self) -> tuple[str, ...]:
        return ("occurred_at", "code", "summary", "detail")

    def read_many(self, asks: Sequence[FactAsk]) -> list[FactView]:
        return [v for a in asks for v in self.read(a.org_code, a.local_ids, a.category, a.fields)]

    def read(
        self, org_code: str, local_ids: Sequence[str], category: DataCategory, fields: Sequence[str]
    ) -> list[FactView]:
        self.asked.append((org_code, category, tuple(fields)))
        views = []
        for f in self.facts:
            if f.org_code != org_code or f.local_id not in local_ids or f.category is not category:
                continue
            shown: dict[str, str] = {}
            for name in fields:
                if name in ("code", "summary"):
                    shown[name] = getattr(f, name)
                elif name == "detail":
                    shown.update(f.detail)
                elif name in f.detail:
                    shown[name] = f.detail[name]
            occurred = f.occurred_at if "occurred_at" in fields else None
            views.append(FactView(f.id, org_code, category, occurred, shown))
        return views

    def risk_holdings(self, person_id: str) -> list[Holding]:
        rows: list[Assessment | EvidenceItem] = [*self.assessments, *self.evidence]
        counts = Counter(
            (r.org_code, r.category)
            for r in rows
            if r.person_id == person_id and r.category is not None
        )
        return [Holding(org, category, n) for (org, category), n in counts.items() if category]

    def read_risk(
        self, org_code: str, person_id: str, category: DataCategory, *, summaries: bool
    ) -> tuple[list[Assessment], list[EvidenceItem]]:
        self.risk_asked.append((org_code, person_id, category, summaries))

        def mine(r: Assessment | EvidenceItem) -> bool:
            return r.org_code == org_code and r.person_id == person_id and r.category is category

        items = [e if summaries else replace(e, summary="") for e in self.evidence if mine(e)]
        return [a for a in self.assessments if mine(a)], items

    def references(
        self, org_code: str, local_ids: Sequence[str], categories: Sequence[DataCategory]
    ) -> dict[str, DataCategory]:
        return {
            f.id: f.category
            for f in self.facts
            if f.org_code == org_code and f.local_id in local_ids and f.category in categories
        }

    def read_ids(
        self, org_code: str, fact_ids: Sequence[str], fields: Sequence[str]
    ) -> list[FactView]:
        return [
            view
            for f in self.facts
            if f.org_code == org_code and f.id in fact_ids
            for view in self.read(org_code, [f.local_id], f.category, fields)
            if view.id == f.id
        ]
