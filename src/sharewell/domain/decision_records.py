"""Decision records: golden rule 7, the written reasons for a decision to share or not to share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sharewell.domain.errors import ValidationError
from sharewell.domain.vocabulary import LEGAL_BASES, Purpose


class ShareChoice(StrEnum):
    """What the practitioner decided."""

    SHARE = "share"
    NOT_SHARE = "not_share"


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A practitioner's record of a decision to share or not to share; immutable once submitted.

    Captures what golden rule 7 asks for: purpose, what was asked, whether consent was sought
    (and if not, why) and the basis relied on, safety and well-being considered, what is shared
    with whom, why it is necessary and proportionate, and advice sought.
    """

    id: str
    practitioner_id: str
    org: str
    person_id: str
    purpose: Purpose
    choice: ShareChoice
    what_was_asked: str
    consent_sought: bool
    consent_detail: str
    legal_basis: tuple[str, ...]
    safety_considered: str
    shared_what: str
    shared_with: str
    necessary_and_proportionate: str
    advice_sought: str
    submitted_at: datetime
    disclosure_ref: str | None = None

    def __post_init__(self) -> None:
        texts = {
            "what_was_asked": "what was asked for",
            "consent_detail": "what the person said, or why consent was not sought",
            "safety_considered": "the safety and well-being considered",
            "necessary_and_proportionate": "why sharing (or not) is necessary and proportionate",
            "advice_sought": "whose advice was sought (or 'none' and why)",
        }
        if self.choice is ShareChoice.SHARE:
            texts["shared_what"] = "what is shared"
            texts["shared_with"] = "who it is shared with"
        for name, what in texts.items():
            if not str(getattr(self, name)).strip():
                raise ValidationError(f"Say {what}", field=name)
        if self.choice is ShareChoice.SHARE and not self.legal_basis:
            raise ValidationError("Name the legal basis relied on for sharing", field="legal_basis")
        for i, code in enumerate(self.legal_basis):
            if code not in LEGAL_BASES:
                raise ValidationError(f"Unknown legal basis {code!r}", field=f"legal_basis[{i}]")
        if self.submitted_at.tzinfo is None:
            raise ValidationError("submitted_at must be timezone-aware", field="submitted_at")
