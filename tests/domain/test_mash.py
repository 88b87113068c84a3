"""MASH referrals: RAG response times, decisions that fit the subject, contributions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sharewell.domain.errors import PermissionDenied, ValidationError
from sharewell.domain.mash import (
    Outcome,
    Rag,
    RagTimes,
    Referral,
    ReferralStatus,
    ResearchRequest,
    SubjectKind,
)

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def referral(subject: SubjectKind = SubjectKind.CHILD) -> Referral:
    return Referral(
        "r1", "P1", subject, "p", "SCH1", "Bruising seen on both arms today.", AT, "CSCN"
    )


def test_default_response_times_are_4_24_72_hours() -> None:
    times = RagTimes()
    assert [times.due(r, AT) - AT for r in Rag] == [
        timedelta(hours=4),
        timedelta(hours=24),
        timedelta(hours=72),
    ]


def test_triage_sets_the_deadline_and_decision_needs_it() -> None:
    r = referral()
    with pytest.raises(ValidationError):
        r.decided(outcome=Outcome.EARLY_HELP, note="x", by="h", record_id="d", at=AT)
    rated = r.triaged(rag=Rag.AMBER, by="h", at=AT, times=RagTimes())
    assert rated.due_at == AT + timedelta(hours=24)
    done = rated.decided(
        outcome=Outcome.EARLY_HELP, note="Family hub", by="h", record_id="d", at=AT
    )
    assert done.status is ReferralStatus.DECIDED
    assert not done.overdue(AT + timedelta(days=3))


def test_outcomes_fit_the_subject() -> None:
    adult = referral(SubjectKind.ADULT).triaged(rag=Rag.RED, by="h", at=AT, times=RagTimes())
    with pytest.raises(ValidationError) as caught:
        adult.decided(outcome=Outcome.STRATEGY_DISCUSSION, note="n", by="h", record_id="d", at=AT)
    assert caught.value.field == "outcome"
    assert Outcome.ADULT_SAFEGUARDING_ENQUIRY.fits(SubjectKind.ADULT)
    assert not Outcome.ADULT_SAFEGUARDING_ENQUIRY.fits(SubjectKind.CHILD)


def test_short_concerns_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Referral("r", "P1", SubjectKind.CHILD, "p", "SCH1", "worried", AT, "CSCN")
    assert caught.value.field == "concern"


def test_only_the_agency_asked_contributes_once() -> None:
    q = ResearchRequest("q", "r", "P1", "POL", "h", AT, AT + timedelta(hours=24))
    with pytest.raises(PermissionDenied):
        q.contributed(text="x", by="gp", org="GP1", at=AT)
    done = q.contributed(text="Two call-outs this year.", by="ppu", org="POL", at=AT)
    assert done.answered and not done.late(AT)
    with pytest.raises(ValidationError):
        done.contributed(text="again", by="ppu", org="POL", at=AT)
