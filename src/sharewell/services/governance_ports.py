"""Ports for governance storage: agreements, consent, opt-outs, relationships, overrides,
decision records. One `transaction()` groups the writes of one state change."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sharewell.domain.access import AgreementIndex, Subject
from sharewell.domain.agreements import Agreement, Signature
from sharewell.domain.consent import ConsentRecord
from sharewell.domain.decision_records import DecisionRecord
from sharewell.domain.overrides import OverrideReview
from sharewell.domain.relationships import Relationship


@dataclass(frozen=True, slots=True)
class StoredAgreement:
    """An agreement version as stored: the document with signatures and termination applied,
    and whether it has been proposed to the partners."""

    agreement: Agreement
    proposed_at: datetime | None


class AgreementRepository(Protocol):
    """Agreement versions, their signatures and terminations (only ever added to)."""

    def add_version(self, agreement: Agreement, *, at: datetime, by: str) -> None: ...

    def versions(self, agreement_id: str) -> Sequence[StoredAgreement]: ...

    def list(self) -> Sequence[StoredAgreement]: ...

    def mark_proposed(self, agreement_id: str, version: int, *, at: datetime) -> None: ...

    def add_signature(
        self, agreement_id: str, version: int, org: str, signature: Signature, *, by: str
    ) -> None: ...

    def add_termination(
        self, agreement_id: str, version: int, *, at: datetime, reason: str, by: str
    ) -> None: ...

    def index(self) -> AgreementIndex:
        """Every version, indexed for decisions; rebuilt whenever anything was added."""
        ...


class ConsentRepository(Protocol):
    """Consent records: append-only."""

    def add(self, record: ConsentRecord) -> None: ...

    def history(self, person_id: str) -> Sequence[ConsentRecord]: ...


class OptOutRepository(Protocol):
    """National data opt-out flags, kept as a history; the latest wins."""

    def add(self, person_id: str, opted_out: bool, *, at: datetime, by: str) -> None: ...

    def current(self, person_id: str) -> bool: ...


class RelationshipRepository(Protocol):
    """Legitimate relationships between practitioners or teams and people."""

    def add(self, relationship: Relationship, *, by: str) -> None: ...

    def get(self, relationship_id: str) -> Relationship | None: ...

    def end(self, relationship_id: str, on: date) -> None: ...

    def for_person(self, person_id: str) -> Sequence[Relationship]: ...


class OverrideReviewRepository(Protocol):
    """Overrides waiting for, or after, IG review."""

    def add(self, review: OverrideReview) -> None: ...

    def get(self, review_id: str) -> OverrideReview | None: ...

    def save_review(self, review: OverrideReview) -> None: ...

    def pending(self) -> Sequence[OverrideReview]: ...


class DecisionRecordRepository(Protocol):
    """Golden rule 7 records: immutable once submitted."""

    def add(self, record: DecisionRecord) -> None: ...

    def get(self, record_id: str) -> DecisionRecord | None: ...

    def for_person(self, person_id: str) -> Sequence[DecisionRecord]: ...


class GovernanceTransaction(Protocol):
    """The repositories, all inside one database transaction."""

    @property
    def agreements(self) -> AgreementRepository: ...

    @property
    def consents(self) -> ConsentRepository: ...

    @property
    def opt_outs(self) -> OptOutRepository: ...

    @property
    def relationships(self) -> RelationshipRepository: ...

    @property
    def overrides(self) -> OverrideReviewRepository: ...

    @property
    def decision_records(self) -> DecisionRecordRepository: ...

    def decision_inputs(
        self, person_id: str, *, practitioner_id: str, at: datetime
    ) -> tuple[AgreementIndex, Subject]:
        """What an access decision about `person_id` by `practitioner_id` reads, all read now:
        the agreements; the person's national opt-out, consent history and legitimate
        relationships; and that practitioner's overrides for the person in force at `at`."""
        ...


class GovernanceStore(Protocol):
    """Opens transactions: commit when the block ends, roll back if it raises."""

    def transaction(self) -> AbstractContextManager[GovernanceTransaction]: ...

    def reads(self) -> AbstractContextManager[GovernanceTransaction]:
        """The same repositories, for reading only: never write through them."""
        ...
