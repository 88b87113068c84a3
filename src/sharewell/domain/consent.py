"""A person's consent per purpose and recipient, kept as a history that is never overwritten."""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sharewell.domain.errors import ValidationError
from sharewell.domain.organisations import check_org_code
from sharewell.domain.vocabulary import Purpose

ALL_PARTNERS = "all"


class ConsentState(StrEnum):
    """What the person said."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ConsentStatus(StrEnum):
    """What a consent record means at a moment: `expired` is a given consent past valid_until."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


def check_scope(scope: str, *, field: str = "scope") -> str:
    """A consent scope is `all` (every partner) or one organisation code."""
    if scope == ALL_PARTNERS:
        return scope
    return check_org_code(scope, field=field)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """One statement of consent by a person for a purpose, to all partners or one organisation."""

    person_id: str
    purpose: Purpose
    scope: str
    state: ConsentState
    recorded_at: datetime
    obtained_how: str | None = None
    recorded_by: str | None = None
    capacity_notes: str | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        if self.recorded_at.tzinfo is None:
            raise ValidationError("recorded_at must be timezone-aware", field="recorded_at")
        if self.valid_until is not None and self.valid_until.tzinfo is None:
            raise ValidationError("valid_until must be timezone-aware", field="valid_until")
        if self.valid_until is not None and self.state is not ConsentState.GIVEN:
            raise ValidationError(
                "Only a consent that is given can have a valid-until date", field="valid_until"
            )
        check_scope(self.scope)

    def covers(self, org: str) -> bool:
        """True when the record speaks about sharing with `org`."""
        return self.scope == ALL_PARTNERS or self.scope == org

    def status_at(self, at: datetime) -> ConsentStatus:
        """The record's meaning at `at` (a given consent lapses at valid_until)."""
        if self.state is ConsentState.GIVEN:
            if self.valid_until is not None and at >= self.valid_until:
                return ConsentStatus.EXPIRED
            return ConsentStatus.GIVEN
        return ConsentStatus(self.state.value)


def _order(record: ConsentRecord, seq: int) -> tuple[datetime, int, int]:
    # Latest recorded_at wins; at the same instant an organisation-specific record is more
    # specific than an `all` one; then the one added later.
    return (record.recorded_at, 0 if record.scope == ALL_PARTNERS else 1, seq)


class ConsentHistory:
    """Every consent record of one person, oldest first; records are only ever added."""

    __slots__ = ("_by_purpose", "_count")

    def __init__(self, records: tuple[ConsentRecord, ...] | list[ConsentRecord] = ()) -> None:
        self._by_purpose: dict[Purpose, list[tuple[tuple[datetime, int, int], ConsentRecord]]] = {}
        self._count = 0
        for record in records:
            self.add(record)

    def add(self, record: ConsentRecord) -> None:
        """Append a record; earlier records stay as they were."""
        insort(
            self._by_purpose.setdefault(record.purpose, []),
            (_order(record, self._count), record),
            key=lambda item: item[0],
        )
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def records(self) -> list[ConsentRecord]:
        """All records, oldest first."""
        items = [item for recs in self._by_purpose.values() for item in recs]
        return [record for _key, record in sorted(items, key=lambda item: item[0])]

    def latest(self, purpose: Purpose, org: str, at: datetime) -> ConsentRecord | None:
        """The latest record for `purpose` whose scope covers `org`, recorded no later than `at`."""
        for key, record in reversed(self._by_purpose.get(purpose, ())):
            if key[0] <= at and (record.scope == ALL_PARTNERS or record.scope == org):
                return record
        return None
