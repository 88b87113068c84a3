"""Multi-agency safeguarding hub (MASH) referrals: anyone refers a child or adult; the hub
triages with a RAG rating whose response time is configuration; partner agencies are asked to
research and contribute what they know by the deadline; the hub decides, with a decision record,
and the outcome goes back to the referrer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sharewell.domain.errors import PermissionDenied, ValidationError
from sharewell.domain.vocabulary import Purpose

MIN_CONCERN_CHARS = 20


class SubjectKind(StrEnum):
    """Whom the referral is about."""

    CHILD = "child"
    ADULT = "adult"

    @property
    def purpose(self) -> Purpose:
        if self is SubjectKind.CHILD:
            return Purpose.SAFEGUARDING_CHILDREN
        return Purpose.SAFEGUARDING_ADULTS


class Rag(StrEnum):
    """The hub's triage rating."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReferralStatus(StrEnum):
    """Where a referral stands."""

    RECEIVED = "received"
    TRIAGED = "triaged"
    DECIDED = "decided"


class Outcome(StrEnum):
    """What the hub decided."""

    NO_FURTHER_ACTION = "no_further_action"
    EARLY_HELP = "early_help"
    CHILD_IN_NEED_ASSESSMENT = "child_in_need_assessment"
    STRATEGY_DISCUSSION = "strategy_discussion"
    ADULT_SAFEGUARDING_ENQUIRY = "adult_safeguarding_enquiry"

    @property
    def label(self) -> str:
        return {
            "no_further_action": "No further action",
            "early_help": "Early help",
            "child_in_need_assessment": "Child in need assessment (section 17)",
            "strategy_discussion": "Strategy discussion (section 47)",
            "adult_safeguarding_enquiry": "Adult safeguarding enquiry (Care Act section 42)",
        }[self.value]

    def fits(self, subject: SubjectKind) -> bool:
        children_only = {Outcome.CHILD_IN_NEED_ASSESSMENT, Outcome.STRATEGY_DISCUSSION}
        if subject is SubjectKind.ADULT:
            return self not in children_only
        return self is not Outcome.ADULT_SAFEGUARDING_ENQUIRY


@dataclass(frozen=True, slots=True)
class RagTimes:
    """How long the hub has to respond, by rating (configuration: defaults 4, 24, 72 hours)."""

    red_hours: int = 4
    amber_hours: int = 24
    green_hours: int = 72

    def due(self, rag: Rag, at: datetime) -> datetime:
        hours = {Rag.RED: self.red_hours, Rag.AMBER: self.amber_hours, Rag.GREEN: self.green_hours}
        return at + timedelta(hours=hours[rag])


@dataclass(frozen=True, slots=True)
class Referral:
    """A referral to the hub about a person."""

    id: str
    person_id: str
    subject: SubjectKind
    referrer_id: str
    referrer_org: str
    concern: str
    received_at: datetime
    hub_org: str
    status: ReferralStatus = ReferralStatus.RECEIVED
    rag: Rag | None = None
    triaged_by: str | None = None
    triaged_at: datetime | None = None
    due_at: datetime | None = None
    outcome: Outcome | None = None
    outcome_note: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_record_id: str | None = None

    def __post_init__(self) -> None:
        if len(self.concern.strip()) < MIN_CONCERN_CHARS:
            raise ValidationError(
                f"Describe the concern in at least {MIN_CONCERN_CHARS} characters", field="concern"
            )

    @property
    def purpose(self) -> Purpose:
        return self.subject.purpose

    def triaged(self, *, rag: Rag, by: str, at: datetime, times: RagTimes) -> Referral:
        if self.status is ReferralStatus.DECIDED:
            raise ValidationError("This referral has already been decided", field="rag")
        return replace(
            self,
            status=ReferralStatus.TRIAGED,
            rag=rag,
            triaged_by=by,
            triaged_at=at,
            due_at=times.due(rag, self.triaged_at or at),
        )

    def decided(
        self, *, outcome: Outcome, note: str, by: str, record_id: str, at: datetime
    ) -> Referral:
        if self.status is not ReferralStatus.TRIAGED:
            raise ValidationError("Rate the referral before deciding it", field="outcome")
        if not outcome.fits(self.subject):
            raise ValidationError(
                f"{outcome.label} is not a decision for a referral about an {self.subject.value}"
                if self.subject is SubjectKind.ADULT
                else f"{outcome.label} is not a decision for a referral about a child",
                field="outcome",
            )
        if not note.strip():
            raise ValidationError("Say what happens next, for the referrer", field="note")
        return replace(
            self,
            status=ReferralStatus.DECIDED,
            outcome=outcome,
            outcome_note=note.strip(),
            decided_by=by,
            decided_at=at,
            decision_record_id=record_id,
        )

    def overdue(self, at: datetime) -> bool:
        if self.due_at is None:
            return False
        return (self.decided_at or at) > self.due_at


@dataclass(frozen=True, slots=True)
class ResearchRequest:
    """The hub's request to one partner agency to research the person and contribute."""

    id: str
    referral_id: str
    person_id: str
    org: str
    asked_by: str
    asked_at: datetime
    due_at: datetime
    contribution: str = ""
    contributed_by: str | None = None
    contributed_at: datetime | None = None

    @property
    def answered(self) -> bool:
        return self.contributed_at is not None

    def contributed(self, *, text: str, by: str, org: str, at: datetime) -> ResearchRequest:
        if org != self.org:
            raise PermissionDenied(
                "Only the agency asked can contribute to this research request", field="request"
            )
        if self.answered:
            raise ValidationError("Your agency has already contributed", field="contribution")
        if not text.strip():
            raise ValidationError(
                "Say what your agency knows (or that it holds nothing)", field="contribution"
            )
        return replace(self, contribution=text.strip(), contributed_by=by, contributed_at=at)

    def late(self, at: datetime) -> bool:
        return (self.contributed_at or at) > self.due_at
