"""/api/v1/alerts and /api/v1/mash: early alerts (report an event, the inbox, read an alert,
the dashboard) and MASH referrals (refer, triage, research, contribute, joint view, decide,
outcome). The same services as the pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from sharewell.bootstrap import Container
from sharewell.domain.alerts import Alert
from sharewell.domain.api_tokens import Scope
from sharewell.domain.errors import PermissionDenied
from sharewell.domain.mash import Outcome, Rag, Referral, ResearchRequest, SubjectKind
from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import DataCategory
from sharewell.entrypoints.api.deps import container, require_scope
from sharewell.entrypoints.api.errors import ERROR_RESPONSES
from sharewell.services import alerts as alert_service
from sharewell.services import governance as gov
from sharewell.services import mash

router = APIRouter(prefix="/api/v1", tags=["alerts and MASH"], responses=ERROR_RESPONSES)

Wiring = Annotated[Container, Depends(container)]
Reader = Annotated[Practitioner, Depends(require_scope(Scope.READ))]
Sharer = Annotated[Practitioner, Depends(require_scope(Scope.SHARE))]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


class AlertOut(BaseModel):
    """An alert to the caller: its content is the minimum data set the gate let through."""

    id: str
    person_id: str
    holder_org: str
    recipient_org: str
    purpose: str
    category: str
    raised_at: datetime
    due_at: datetime
    status: str
    delivered_at: datetime | None
    read_at: datetime | None
    late: bool
    content: dict[str, str]

    @classmethod
    def of(cls, a: Alert, at: datetime) -> AlertOut:
        return cls(
            id=a.id,
            person_id=a.person_id,
            holder_org=a.holder_org,
            recipient_org=a.recipient_org,
            purpose=a.purpose.value,
            category=a.category.value,
            raised_at=a.raised_at,
            due_at=a.due_at,
            status=a.status.value,
            delivered_at=a.delivered_at,
            read_at=a.read_at,
            late=a.late(at),
            content=dict(a.content),
        )


class EventIn(BaseModel):
    """An event the caller's organisation records about a person it holds a record of."""

    person_id: str = Field(min_length=1, max_length=40)
    category: DataCategory
    code: str = Field(min_length=1, max_length=60)
    occurred_at: datetime
    summary: str = Field(default="", max_length=4000)
    detail: dict[str, str] = Field(default_factory=dict, max_length=20)


class EventOut(BaseModel):
    """The recorded fact and the alerts it raised (to be decided at dispatch)."""

    fact_id: str
    alerts: list[str]


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(request: Request, wiring: Wiring, practitioner: Reader) -> list[AlertOut]:
    """The caller's alerts, newest first."""
    at = _now(request)
    found = alert_service.inbox(wiring.alerts, actor=gov.Actor.of(practitioner))
    return [AlertOut.of(a, at) for a in found]


@router.post("/alerts/events", response_model=EventOut, status_code=201)
def report_event(body: EventIn, request: Request, wiring: Wiring, practitioner: Sharer) -> EventOut:
    """Record an event; matching alert rules raise alerts in the same transaction."""
    raised = alert_service.report_event(
        wiring.alerts,
        wiring.organisations,
        actor=gov.Actor.of(practitioner),
        person_id=body.person_id,
        category=body.category,
        code=body.code,
        occurred_at=body.occurred_at,
        summary=body.summary,
        detail=body.detail,
        calendar=wiring.school_calendar,
        at=_now(request),
    )
    return EventOut(fact_id=raised.fact.id, alerts=[a.id for a in raised.alerts])


class DashboardOut(BaseModel):
    """Alerting across the partnership over the last 30 days (counts only)."""

    total: int
    delivered: int
    read: int
    withheld: int
    pending: int
    late: int
    escalated: int
    dead_letters: int
    median_seconds_to_deliver: float | None


@router.get("/alerts/dashboard", response_model=DashboardOut)
def alert_dashboard(request: Request, wiring: Wiring, practitioner: Reader) -> DashboardOut:
    """Counts for partnership leads, IG leads and team managers."""
    if practitioner.role not in alert_service.DASHBOARD_ROLES:
        raise PermissionDenied("Only partnership leads, IG leads and team managers see this")
    at = _now(request)
    b = alert_service.dashboard(wiring.alerts, since=at - timedelta(days=30), at=at)
    return DashboardOut(
        total=b.total,
        delivered=b.delivered,
        read=b.read,
        withheld=b.withheld,
        pending=b.pending,
        late=len(b.late),
        escalated=b.escalated,
        dead_letters=b.dead_letters,
        median_seconds_to_deliver=b.median_seconds_to_deliver,
    )


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def read_alert(alert_id: str, request: Request, wiring: Wiring, practitioner: Reader) -> AlertOut:
    """One of the caller's alerts; the first read is recorded as the acknowledgement."""
    at = _now(request)
    alert = alert_service.open_alert(
        wiring.alerts, wiring.audit, alert_id, actor=gov.Actor.of(practitioner), at=at
    )
    return AlertOut.of(alert, at)


# --- MASH ---------------------------------------------------------------------------------------


class ResearchOut(BaseModel):
    """A research request to a partner agency and its contribution."""

    id: str
    referral_id: str
    person_id: str
    org: str
    due_at: datetime
    contribution: str
    contributed_at: datetime | None

    @classmethod
    def of(cls, q: ResearchRequest) -> ResearchOut:
        return cls(
            id=q.id,
            referral_id=q.referral_id,
            person_id=q.person_id,
            org=q.org,
            due_at=q.due_at,
            contribution=q.contribution,
            contributed_at=q.contributed_at,
        )


class ReferralOut(BaseModel):
    """A referral and where it stands (with the joint view's contributions for the hub)."""

    id: str
    person_id: str
    subject: SubjectKind
    referrer_org: str
    concern: str
    received_at: datetime
    status: str
    rag: Rag | None
    due_at: datetime | None
    outcome: Outcome | None
    outcome_note: str
    decision_record_id: str | None
    contributions: list[ResearchOut] = Field(default_factory=list)

    @classmethod
    def of(cls, r: Referral, research: Any = ()) -> ReferralOut:
        return cls(
            id=r.id,
            person_id=r.person_id,
            subject=r.subject,
            referrer_org=r.referrer_org,
            concern=r.concern,
            received_at=r.received_at,
            status=r.status.value,
            rag=r.rag,
            due_at=r.due_at,
            outcome=r.outcome,
            outcome_note=r.outcome_note,
            decision_record_id=r.decision_record_id,
            contributions=[ResearchOut.of(q) for q in research],
        )


class ReferralIn(BaseModel):
    """A referral to the hub."""

    person_id: str = Field(min_length=1, max_length=40)
    subject: SubjectKind
    concern: str = Field(min_length=20, max_length=8000)


class TriageIn(BaseModel):
    rag: Rag


class ResearchIn(BaseModel):
    orgs: list[str] = Field(min_length=1, max_length=30)


class ContributionIn(BaseModel):
    contribution: str = Field(min_length=1, max_length=8000)


class DecisionIn(BaseModel):
    """The hub's decision and its golden rule 7 record."""

    outcome: Outcome
    note: str = Field(min_length=1, max_length=4000)
    legal_basis: list[str] = Field(min_length=1, max_length=6)
    consent_sought: bool
    consent_detail: str = Field(min_length=1, max_length=4000)
    safety_considered: str = Field(min_length=1, max_length=4000)
    necessary_and_proportionate: str = Field(min_length=1, max_length=4000)
    advice_sought: str = Field(min_length=1, max_length=4000)


@router.get("/mash/referrals", response_model=list[ReferralOut])
def list_referrals(wiring: Wiring, practitioner: Reader) -> list[ReferralOut]:
    """The hub's queue for hub staff; otherwise the caller's own referrals with outcomes."""
    actor = gov.Actor.of(practitioner)
    if practitioner.org_code == wiring.settings.mash_hub_org:
        return [ReferralOut.of(r) for r in mash.hub_queue(wiring.mash, actor=actor)]
    return [ReferralOut.of(r) for r in mash.my_referrals(wiring.mash, actor=actor)]


@router.post("/mash/referrals", response_model=ReferralOut, status_code=201)
def create_referral(
    body: ReferralIn, request: Request, wiring: Wiring, practitioner: Sharer
) -> ReferralOut:
    """Refer a child or adult to the hub."""
    made = mash.refer(
        wiring.mash,
        wiring.audit,
        actor=gov.Actor.of(practitioner),
        person_id=body.person_id,
        subject=body.subject,
        concern=body.concern,
        hub_org=wiring.settings.mash_hub_org,
        at=_now(request),
    )
    return ReferralOut.of(made)


@router.get("/mash/referrals/{referral_id}", response_model=ReferralOut)
def get_referral(
    referral_id: str, request: Request, wiring: Wiring, practitioner: Reader
) -> ReferralOut:
    """The joint view for the hub (audited); the outcome for the referrer."""
    actor = gov.Actor.of(practitioner)
    if practitioner.org_code == wiring.settings.mash_hub_org:
        view = mash.joint_view(
            wiring.mash, wiring.audit, referral_id, actor=actor, at=_now(request)
        )
        return ReferralOut.of(view.referral, view.research)
    return ReferralOut.of(mash.referral_for_referrer(wiring.mash, referral_id, actor=actor))


@router.post("/mash/referrals/{referral_id}/triage", response_model=ReferralOut)
def triage(
    referral_id: str, body: TriageIn, request: Request, wiring: Wiring, practitioner: Sharer
) -> ReferralOut:
    """Rate the referral; the rating sets its response deadline."""
    rated = mash.triage(
        wiring.mash,
        wiring.audit,
        referral_id,
        rag=body.rag,
        times=wiring.rag_times,
        actor=gov.Actor.of(practitioner),
        at=_now(request),
    )
    return ReferralOut.of(rated)


@router.post(
    "/mash/referrals/{referral_id}/research", response_model=list[ResearchOut], status_code=201
)
def ask_research(
    referral_id: str, body: ResearchIn, request: Request, wiring: Wiring, practitioner: Sharer
) -> list[ResearchOut]:
    """Ask partner agencies to research and contribute by the referral's deadline."""
    made = mash.ask_research(
        wiring.mash,
        wiring.audit,
        referral_id,
        orgs=body.orgs,
        actor=gov.Actor.of(practitioner),
        at=_now(request),
    )
    return [ResearchOut.of(q) for q in made]


@router.post("/mash/referrals/{referral_id}/decision", response_model=ReferralOut)
def decide(
    referral_id: str, body: DecisionIn, request: Request, wiring: Wiring, practitioner: Sharer
) -> ReferralOut:
    """Record the hub's decision with its decision record; the referrer sees the outcome."""
    done = mash.decide(
        wiring.mash,
        wiring.governance,
        wiring.audit,
        referral_id,
        outcome=body.outcome,
        note=body.note,
        legal_basis=tuple(body.legal_basis),
        consent_sought=body.consent_sought,
        consent_detail=body.consent_detail,
        safety_considered=body.safety_considered,
        necessary_and_proportionate=body.necessary_and_proportionate,
        advice_sought=body.advice_sought,
        actor=gov.Actor.of(practitioner),
        at=_now(request),
    )
    return ReferralOut.of(done)


@router.get("/mash/research", response_model=list[ResearchOut])
def research_requests(wiring: Wiring, practitioner: Reader) -> list[ResearchOut]:
    """Research requests to the caller's agency."""
    found = mash.research_inbox(wiring.mash, actor=gov.Actor.of(practitioner))
    return [ResearchOut.of(q) for q in found]


@router.post("/mash/research/{research_id}/contribution", response_model=ResearchOut)
def contribute(
    research_id: str, body: ContributionIn, request: Request, wiring: Wiring, practitioner: Sharer
) -> ResearchOut:
    """Contribute what the caller's agency knows, for the safeguarding purpose."""
    done = mash.contribute(
        wiring.mash,
        wiring.audit,
        research_id,
        text=body.contribution,
        actor=gov.Actor.of(practitioner),
        at=_now(request),
    )
    return ResearchOut.of(done)
