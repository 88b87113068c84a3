"""MASH referrals through the services, on SQLite and PostgreSQL: refer, triage amber, two
agencies contribute, the hub sees the joint view and decides with a decision record, the
referrer sees the outcome; every step is in the person's access log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sharewell.adapters.db.governance import SqlGovernance
from sharewell.adapters.db.mash import SqlMash
from sharewell.domain.audit import AuditEvent, AuditReceipt
from sharewell.domain.errors import NotFound, PermissionDenied, ValidationError
from sharewell.domain.mash import Outcome, Rag, RagTimes, ReferralStatus, SubjectKind
from sharewell.services import mash
from sharewell.services.governance import Actor, decision_records_for

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TEACHER = Actor("demo-teacher-sch1", "SCH1")
HUB = Actor("demo-mash-cscn", "CSCN")
POLICE = Actor("demo-ppu-pol", "POL")
GP = Actor("demo-gp-gp1", "GP1")


class Log:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> AuditReceipt:
        self.events.append(event)
        return AuditReceipt(len(self.events) - 1, "00")


DECISION = {
    "note": "Early help assessment offered through the family hub",
    "legal_basis": ("6(1)(e)", "Children Act 2004 s.11"),
    "consent_sought": True,
    "consent_detail": "Mother agreed to an early help assessment",
    "safety_considered": "No immediate risk; concerns about neglect are low level",
    "necessary_and_proportionate": "Only the outcome is shared with the referrer",
    "advice_sought": "MASH team manager",
}


def test_amber_referral_collects_two_contributions_and_is_decided(engine: Engine) -> None:
    store, governance, log = SqlMash(engine), SqlGovernance(engine), Log()
    referral = mash.refer(
        store,
        log,
        actor=TEACHER,
        person_id="P42",
        subject=SubjectKind.CHILD,
        concern="Arrives hungry most days and has missed a week of school",
        hub_org="CSCN",
        at=AT,
    )
    with pytest.raises(PermissionDenied):
        mash.triage(store, log, referral.id, rag=Rag.RED, times=RagTimes(), actor=TEACHER)
    rated = mash.triage(store, log, referral.id, rag=Rag.AMBER, times=RagTimes(), actor=HUB, at=AT)
    assert rated.due_at == AT + timedelta(hours=24)
    asked = mash.ask_research(store, log, referral.id, orgs=["POL", "GP1"], actor=HUB, at=AT)
    assert sorted(q.org for q in asked) == ["GP1", "POL"]
    assert all(q.due_at == rated.due_at for q in asked)
    [for_police] = mash.research_inbox(store, actor=POLICE)
    with pytest.raises(NotFound):
        mash.contribute(store, log, for_police.id, text="x", actor=GP)
    mash.contribute(
        store, log, for_police.id, text="One welfare check in June; no offences.", actor=POLICE
    )
    [for_gp] = mash.research_inbox(store, actor=GP)
    mash.contribute(store, log, for_gp.id, text="Missed two immunisations.", actor=GP, at=AT)
    view = mash.joint_view(store, log, referral.id, actor=HUB, at=AT)
    assert view.complete
    assert {q.org: q.contribution for q in view.research} == {
        "GP1": "Missed two immunisations.",
        "POL": "One welfare check in June; no offences.",
    }
    with pytest.raises(ValidationError) as caught:
        mash.decide(
            store,
            governance,
            log,
            referral.id,
            outcome=Outcome.ADULT_SAFEGUARDING_ENQUIRY,
            actor=HUB,
            at=AT,
            **DECISION,  # type: ignore[arg-type]
        )
    assert caught.value.field == "outcome"
    decided = mash.decide(
        store,
        governance,
        log,
        referral.id,
        outcome=Outcome.EARLY_HELP,
        actor=HUB,
        at=AT + timedelta(hours=3),
        **DECISION,  # type: ignore[arg-type]
    )
    assert decided.status is ReferralStatus.DECIDED and not decided.overdue(AT)
    [record] = decision_records_for(governance, "P42")
    assert record.id == decided.decision_record_id
    # The referrer sees the outcome; nobody else can look at their referral.
    seen = mash.referral_for_referrer(store, referral.id, actor=TEACHER)
    assert seen.outcome is Outcome.EARLY_HELP and seen.outcome_note == DECISION["note"]
    with pytest.raises(NotFound):
        mash.referral_for_referrer(store, referral.id, actor=POLICE)
    # Every step is in the person's access log.
    about = [e.outcome for e in log.events if e.subject_id == "P42"]
    for step in (
        "mash_referred",
        "mash_triaged:amber",
        "mash_contributed",
        "mash_joint_view",
        "mash_decided:early_help",
    ):
        assert step in about


def test_research_needs_a_rating_first(engine: Engine) -> None:
    store, log = SqlMash(engine), Log()
    referral = mash.refer(
        store,
        log,
        actor=TEACHER,
        person_id="P43",
        subject=SubjectKind.ADULT,
        concern="Neighbour reports an older man left alone for days",
        hub_org="CSCN",
    )
    with pytest.raises(ValidationError) as caught:
        mash.ask_research(store, log, referral.id, orgs=["POL"], actor=HUB)
    assert caught.value.field == "orgs"
