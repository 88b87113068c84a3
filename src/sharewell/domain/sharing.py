"""Requests to share: one agency asks another for categories of a person's information, the
holder decides (with a golden rule 7 record) and, if it shares, grants exactly the items and
fields it chose. The grant is the disclosure authority the disclosure gate honours."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sharewell.domain.errors import PermissionDenied, ValidationError
from sharewell.domain.times import LONDON
from sharewell.domain.vocabulary import DataCategory, Purpose

MIN_REASON_CHARS = 20


class Urgency(StrEnum):
    """How soon the requester needs an answer; each has a deadline in Settings."""

    IMMEDIATE = "immediate"
    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RequestStatus(StrEnum):
    """Where a request to share stands."""

    OPEN = "open"
    SHARED = "shared"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """How long a holder has to answer, by urgency (hours, hours, working days)."""

    immediate_hours: int = 4
    urgent_hours: int = 24
    routine_working_days: int = 5

    def due(self, urgency: Urgency, at: datetime) -> datetime:
        """The deadline for a request made at `at` (routine counts Monday-Friday in London)."""
        if urgency is Urgency.IMMEDIATE:
            return at + timedelta(hours=self.immediate_hours)
        if urgency is Urgency.URGENT:
            return at + timedelta(hours=self.urgent_hours)
        local = at.astimezone(LONDON)
        left = self.routine_working_days
        while left > 0:
            local = (local + timedelta(days=1)).replace(tzinfo=LONDON)
            if local.weekday() < 5:
                left -= 1
        return local.astimezone(at.tzinfo)


@dataclass(frozen=True, slots=True)
class ShareRequest:
    """A practitioner's request to a holding organisation for categories of a person's data."""

    id: str
    person_id: str
    requester_id: str
    requester_org: str
    holder_org: str
    purpose: Purpose
    categories: tuple[DataCategory, ...]
    urgency: Urgency
    reason: str
    requested_at: datetime
    due_at: datetime
    status: RequestStatus = RequestStatus.OPEN
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_record_id: str | None = None

    def __post_init__(self) -> None:
        if not self.categories:
            raise ValidationError("Choose at least one kind of information", field="categories")
        if len(self.reason.strip()) < MIN_REASON_CHARS:
            raise ValidationError(
                f"Say why you need it, in at least {MIN_REASON_CHARS} characters", field="reason"
            )
        if self.holder_org == self.requester_org:
            raise ValidationError(
                "You can already see your own organisation's records", field="holder"
            )

    def overdue(self, at: datetime) -> bool:
        """Unanswered past its deadline, or answered after it."""
        answered = self.decided_at or at
        return answered > self.due_at

    def decided(
        self, *, status: RequestStatus, by: str, org: str, record_id: str, at: datetime
    ) -> ShareRequest:
        """This request, answered by a practitioner of the holder (a new value; once only)."""
        if self.status is not RequestStatus.OPEN:
            raise ValidationError("This request has already been answered", field="request")
        if org != self.holder_org:
            raise PermissionDenied(
                "Only the organisation that holds the information answers this request",
                field="request",
            )
        return replace(
            self, status=status, decided_at=at, decided_by=by, decision_record_id=record_id
        )


@dataclass(frozen=True, slots=True)
class SharedItem:
    """One item the holder chose to share: a fact and the fields of it the requester may see."""

    fact_id: str
    category: DataCategory
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SharingGrant:
    """A disclosure authority made by a holder's decision: these items, to this practitioner,
    for this purpose, about this person, until `expires_at`. Linked to its decision record."""

    id: str
    request_id: str
    person_id: str
    holder_org: str
    recipient_id: str
    recipient_org: str
    purpose: Purpose
    items: tuple[SharedItem, ...]
    decision_record_id: str
    granted_at: datetime
    expires_at: datetime | None = None

    def allows(self, practitioner_id: str, fact_id: str, at: datetime) -> tuple[str, ...] | None:
        """The fields of `fact_id` this grant lets `practitioner_id` see now, or None."""
        if practitioner_id != self.recipient_id:
            return None
        if self.expires_at is not None and at >= self.expires_at:
            return None
        for item in self.items:
            if item.fact_id == fact_id:
                return item.fields
        return None
