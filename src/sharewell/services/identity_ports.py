"""Ports the identity services need: record storage, the linkage engine, the people register."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sharewell.domain.facts import Fact
from sharewell.domain.identity import PersonEvent
from sharewell.domain.people import SourceRecord


@dataclass(frozen=True, slots=True)
class IngestedRecord:
    """A source record as ingest prepared it, with the extra identifier partners may share."""

    record: SourceRecord
    content_hash: str
    shared_id: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row ingest refused: where it was, why, and what it held."""

    row_number: int
    reason: str
    field: str | None
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RawRow:
    """One row from an agency's file, with the number people see when they open the file."""

    row_number: int
    values: Mapping[str, Any]


class RowSource(Protocol):
    """An agency's file of rows: checks what can be checked before anything is stored."""

    name: str

    def columns(self) -> Sequence[str]:
        """The column names (raises ValidationError on a wrong encoding or unreadable file)."""
        ...

    def rows(self) -> Iterator[RawRow]: ...

    def size(self) -> int:
        """Total bytes, for progress."""
        ...

    def position(self) -> int:
        """Bytes read so far, for progress."""
        ...


class SourceRecordStore(Protocol):
    """Where ingested records, their versions and the quarantine live."""

    def organisation_exists(self, org_code: str) -> bool: ...

    def current_hashes(self, org_code: str) -> dict[str, str]:
        """local_id -> content hash of the stored version, for one organisation."""
        ...

    def save(self, records: Sequence[IngestedRecord], *, source_name: str) -> list[int]:
        """Insert new records and update changed ones (keeping a version each); their ids."""
        ...

    def quarantine(self, org_code: str, source_name: str, rows: Sequence[BadRow]) -> None: ...


class FactStore(Protocol):
    """Where ingested facts and the quarantine live."""

    def organisation_exists(self, org_code: str) -> bool: ...

    def fact_hashes(self, org_code: str) -> dict[str, str]:
        """fact id -> content hash, for one organisation's stored facts."""
        ...

    def save_facts(self, facts: Sequence[Fact]) -> None:
        """Insert new facts and replace changed ones."""
        ...

    def quarantine(self, org_code: str, source_name: str, rows: Sequence[BadRow]) -> None: ...


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """Two records and how strongly the model thinks they are the same person."""

    record_l: int
    record_r: int
    match_probability: float
    match_weight: float
    waterfall: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class BatchLinkResult:
    """The scored pairs of a batch run and the clusters they form at the threshold."""

    pairs: Sequence[ScoredPair]
    clusters: Sequence[Sequence[int]]
    model_path: str
    seconds: Mapping[str, float] = field(default_factory=dict)


class LinkageEngine(Protocol):
    """A probabilistic record linkage engine (Splink behind it)."""

    def link_all(
        self,
        *,
        threshold: float,
        review_lower: float,
        forced_matches: Sequence[tuple[int, int]],
        forced_non_matches: Sequence[tuple[int, int]],
        train: bool,
    ) -> BatchLinkResult:
        """Train (or reuse) the model, score every blocked pair and cluster at `threshold`.

        Returns the pairs scoring at least `review_lower` (for the review queue) and clusters
        covering every record.
        """
        ...

    def score_new(self, record_id: int) -> list[ScoredPair]:
        """Score one stored record against its indexed candidates, best first."""
        ...

    def explain(self, record_l: int, record_r: int) -> ScoredPair:
        """Score one pair with its waterfall (each comparison's level and weight)."""
        ...


class PeopleRegister(Protocol):
    """Person IDs, which records belong to them and their history."""

    def links(self) -> dict[int, str]:
        """record id -> person id, for every linked record."""
        ...

    def merged_into(self) -> dict[str, str]: ...

    def person_of(self, record_ids: Sequence[int]) -> dict[int, str]:
        """record id -> person id for the given records that are linked."""
        ...

    def has_people(self) -> bool: ...

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
        """Store a new assignment of records to people, in one transaction."""
        ...

    def record_ids(self) -> list[int]: ...

    def records_of(self, person_id: str) -> list[dict[str, Any]]: ...

    def events_of(self, person_id: str) -> list[dict[str, Any]]: ...

    def export_rows(self) -> Iterator[tuple[str, str, str]]: ...


class ReviewQueue(Protocol):
    """Pairs waiting for a person to decide, and the decisions made."""

    def add_pending(self, pairs: Sequence[ScoredPair]) -> int: ...

    def pending(self, limit: int, *, org_code: str | None = None) -> list[dict[str, Any]]:
        """Pending pairs, most likely first (with `org_code`, only pairs one of whose records
        that organisation holds), each with its records' organisations (org_l, org_r)."""
        ...

    def involves(self, pair_id: int, org_code: str) -> bool:
        """Whether the organisation holds one of the pair's records."""
        ...

    def get(self, pair_id: int) -> dict[str, Any] | None: ...

    def decide(self, pair_id: int, *, is_match: bool, actor: str) -> None: ...

    def decisions(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(pairs decided as matches, pairs decided as not matches)."""
        ...
