"""Override reviews: every override is looked at by information governance by a deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sharewell.domain.access import Override
from sharewell.domain.errors import ValidationError
from sharewell.domain.vocabulary import Purpose

# Information governance looks at every override within three days of its use.
REVIEW_WITHIN = timedelta(days=3)


class ReviewOutcome(StrEnum):
    """What the IG review concluded."""

    JUSTIFIED = "justified"
    NOT_JUSTIFIED = "not_justified"


@dataclass(frozen=True, slots=True)
class OverrideReview:
    """An override that was used, and its information governance review once done."""

    id: str
    practitioner_id: str
    org: str
    person_id: str
    purpose: Purpose
    override: Override
    decisions: tuple[dict[str, str], ...]
    granted_at: datetime
    expires_at: datetime
    review_due_at: datetime
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    outcome: ReviewOutcome | None = None
    notes: str | None = None

    @property
    def pending(self) -> bool:
        return self.reviewed_at is None

    def overdue(self, at: datetime) -> bool:
        """Not reviewed and past its deadline."""
        return self.pending and at >= self.review_due_at

    def reviewed(
        self, *, outcome: ReviewOutcome, notes: str, by: str, at: datetime
    ) -> OverrideReview:
        """This review, concluded (a new value); a review is done once."""
        if not self.pending:
            raise ValidationError("This override has already been reviewed", field="review")
        if not notes.strip():
            raise ValidationError("Write what the review found", field="notes")
        return OverrideReview(
            self.id,
            self.practitioner_id,
            self.org,
            self.person_id,
            self.purpose,
            self.override,
            self.decisions,
            self.granted_at,
            self.expires_at,
            self.review_due_at,
            at,
            by,
            outcome,
            notes.strip(),
        )
