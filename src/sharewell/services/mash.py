"""MASH referrals: refer, triage (RAG), research requests to partner agencies, contributions,
the joint view, the decision (with a golden rule 7 decision record) and the outcome fed back to
the referrer. Every step is audited with the person's id, so it shows in their access log.

Contributions are what a partner's practitioner writes for the hub, for the safeguarding
purpose; this module reads no agency's facts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.decision_records import ShareChoice
from sharewell.domain.errors import NotFound, PermissionDenied, ValidationError
from sharewell.domain.mash import (
    Outcome,
    Rag,
    RagTimes,
    Referral,
    ReferralStatus,
    ResearchRequest,
    SubjectKind,
)
from sharewell.domain.times import utcnow
from sharewell.services.governance import Actor, submit_decision_record
from sharewell.services.governance_ports import GovernanceStore
from sharewell.services.ports import AuditLog


class MashStore(Protocol):
    """Where referrals and research requests live."""

    def add_referral(self, referral: Referral) -> None: ...

    def save_referral(self, referral: Referral) -> None: ...

    def referral(self, referral_id: str) -> Referral | None: ...

    def referrals_for_hub(self, hub_org: str) -> Sequence[Referral]: ...

    def referrals_by(self, referrer_id: str) -> Sequence[Referral]: ...

    def add_research(self, request: ResearchRequest) -> None: ...

    def save_research(self, request: ResearchRequest) -> None: ...

    def research(self, research_id: str) -> ResearchRequest | None: ...

    def research_of(self, referral_id: str) -> Sequence[ResearchRequest]: ...

    def research_for_org(self, org: str) -> Sequence[ResearchRequest]: ...


def _audit(
    audit: AuditLog,
    at: datetime,
    actor: Actor,
    referral: Referral,
    *,
    kind: AuditKind = AuditKind.SHARE_REQUEST,
    outcome: str,
    refs: dict[str, str] | None = None,
) -> None:
    audit.append(
        AuditEvent(
            kind,
            at,
            actor.id,
            actor.org,
            purpose=referral.purpose.value,
            subject_id=referral.person_id,
            outcome=outcome,
            refs={"mash_referral": referral.id, **(refs or {})},
        )
    )


def _hub_member(actor: Actor, hub_org: str) -> None:
    if actor.org != hub_org:
        raise PermissionDenied("Only the safeguarding hub does this", field="referral")


def refer(
    store: MashStore,
    audit: AuditLog,
    *,
    actor: Actor,
    person_id: str,
    subject: SubjectKind,
    concern: str,
    hub_org: str,
    at: datetime | None = None,
) -> Referral:
    """Anyone in a partner organisation refers a child or an adult to the hub."""
    at = at or utcnow()
    if actor.org is None:
        raise PermissionDenied("Only a practitioner of a partner makes referrals", field="actor")
    if not person_id.strip():
        raise ValidationError("Say who the referral is about", field="person")
    referral = Referral(
        id=uuid.uuid4().hex,
        person_id=person_id.strip(),
        subject=subject,
        referrer_id=actor.id,
        referrer_org=actor.org,
        concern=concern.strip(),
        received_at=at,
        hub_org=hub_org,
    )
    _audit(audit, at, actor, referral, kind=AuditKind.DISCLOSURE, outcome="mash_referred")
    store.add_referral(referral)
    return referral


def _get(store: MashStore, referral_id: str) -> Referral:
    referral = store.referral(referral_id)
    if referral is None:
        raise NotFound("There is no referral with this reference", field="referral")
    return referral


def triage(
    store: MashStore,
    audit: AuditLog,
    referral_id: str,
    *,
    rag: Rag,
    times: RagTimes,
    actor: Actor,
    at: datetime | None = None,
) -> Referral:
    """The hub rates the referral red, amber or green; the rating sets the response deadline."""
    at = at or utcnow()
    referral = _get(store, referral_id)
    _hub_member(actor, referral.hub_org)
    rated = referral.triaged(rag=rag, by=actor.id, at=at, times=times)
    _audit(audit, at, actor, rated, outcome=f"mash_triaged:{rag.value}")
    store.save_referral(rated)
    return rated


def ask_research(
    store: MashStore,
    audit: AuditLog,
    referral_id: str,
    *,
    orgs: Sequence[str],
    actor: Actor,
    at: datetime | None = None,
) -> list[ResearchRequest]:
    """The hub asks partner agencies to research the person by the referral's deadline."""
    at = at or utcnow()
    referral = _get(store, referral_id)
    _hub_member(actor, referral.hub_org)
    if referral.status is not ReferralStatus.TRIAGED or referral.due_at is None:
        raise ValidationError("Rate the referral before asking partners", field="orgs")
    asked = {r.org for r in store.research_of(referral.id)}
    wanted = [o for o in dict.fromkeys(orgs) if o and o not in asked and o != referral.hub_org]
    if not wanted:
        raise ValidationError("Choose at least one partner agency not yet asked", field="orgs")
    made = []
    for org in wanted:
        request = ResearchRequest(
            id=uuid.uuid4().hex,
            referral_id=referral.id,
            person_id=referral.person_id,
            org=org,
            asked_by=actor.id,
            asked_at=at,
            due_at=referral.due_at,
        )
        _audit(audit, at, actor, referral, outcome="mash_research_asked", refs={"org": org})
        store.add_research(request)
        made.append(request)
    return made


def contribute(
    store: MashStore,
    audit: AuditLog,
    research_id: str,
    *,
    text: str,
    actor: Actor,
    at: datetime | None = None,
) -> ResearchRequest:
    """A partner agency contributes what it knows, for the safeguarding purpose (a disclosure
    to the hub, audited with the person's id)."""
    at = at or utcnow()
    request = store.research(research_id)
    if request is None or request.org != actor.org:
        raise NotFound("There is no research request for your agency with this reference")
    referral = _get(store, request.referral_id)
    if referral.status is ReferralStatus.DECIDED:
        raise ValidationError("The hub has already decided this referral", field="contribution")
    done = request.contributed(text=text, by=actor.id, org=actor.org or "", at=at)
    _audit(
        audit,
        at,
        actor,
        referral,
        kind=AuditKind.DISCLOSURE,
        outcome="mash_contributed",
        refs={"research": request.id, "to": referral.hub_org},
    )
    store.save_research(done)
    return done


@dataclass(frozen=True, slots=True)
class JointView:
    """The hub's view of a referral and every agency's contribution."""

    referral: Referral
    research: tuple[ResearchRequest, ...]

    @property
    def complete(self) -> bool:
        return bool(self.research) and all(r.answered for r in self.research)


def joint_view(
    store: MashStore, audit: AuditLog, referral_id: str, *, actor: Actor, at: datetime | None = None
) -> JointView:
    """The referral with all contributions, for the hub only; audited as a disclosure."""
    at = at or utcnow()
    referral = _get(store, referral_id)
    _hub_member(actor, referral.hub_org)
    research = tuple(sorted(store.research_of(referral.id), key=lambda r: r.org))
    _audit(
        audit,
        at,
        actor,
        referral,
        kind=AuditKind.DISCLOSURE,
        outcome="mash_joint_view",
        refs={"contributions": str(sum(1 for r in research if r.answered))},
    )
    return JointView(referral, research)


def decide(
    store: MashStore,
    governance: GovernanceStore,
    audit: AuditLog,
    referral_id: str,
    *,
    outcome: Outcome,
    note: str,
    legal_basis: tuple[str, ...],
    consent_sought: bool,
    consent_detail: str,
    safety_considered: str,
    necessary_and_proportionate: str,
    advice_sought: str,
    actor: Actor,
    at: datetime | None = None,
) -> Referral:
    """The hub decides, records why (a decision record), and the outcome goes to the referrer."""
    at = at or utcnow()
    referral = _get(store, referral_id)
    _hub_member(actor, referral.hub_org)
    if referral.status is ReferralStatus.DECIDED:
        raise ValidationError("This referral has already been decided", field="outcome")
    # Check the decision itself before writing its record.
    referral.decided(outcome=outcome, note=note, by=actor.id, record_id="check", at=at)
    record = submit_decision_record(
        governance,
        audit,
        actor=actor,
        person_id=referral.person_id,
        purpose=referral.purpose,
        choice=ShareChoice.SHARE,
        what_was_asked=f"MASH referral: {referral.concern}",
        consent_sought=consent_sought,
        consent_detail=consent_detail,
        legal_basis=legal_basis,
        safety_considered=safety_considered,
        shared_what=f"The hub's decision ({outcome.label}) and what happens next",
        shared_with=f"The referrer ({referral.referrer_org}) and the agencies that contributed",
        necessary_and_proportionate=necessary_and_proportionate,
        advice_sought=advice_sought,
        disclosure_ref=f"mash:{referral.id}",
        at=at,
    )
    decided = referral.decided(outcome=outcome, note=note, by=actor.id, record_id=record.id, at=at)
    _audit(audit, at, actor, decided, outcome=f"mash_decided:{outcome.value}")
    store.save_referral(decided)
    return decided


def hub_queue(store: MashStore, *, actor: Actor) -> list[Referral]:
    """The hub's referrals: undecided first, soonest deadline first."""
    if actor.org is None:
        return []
    found = store.referrals_for_hub(actor.org)
    return sorted(
        found,
        key=lambda r: (
            r.status is ReferralStatus.DECIDED,
            r.due_at is None,
            r.due_at or r.received_at,
        ),
    )


def my_referrals(store: MashStore, *, actor: Actor) -> list[Referral]:
    """The referrer's own referrals with the hub's outcome (the feedback loop)."""
    return sorted(store.referrals_by(actor.id), key=lambda r: r.received_at, reverse=True)


def referral_for_referrer(store: MashStore, referral_id: str, *, actor: Actor) -> Referral:
    """One of the referrer's referrals (NotFound for anyone else's)."""
    referral = store.referral(referral_id)
    if referral is None or referral.referrer_id != actor.id:
        raise NotFound("There is no referral of yours with this reference", field="referral")
    return referral


def research_inbox(store: MashStore, *, actor: Actor) -> list[ResearchRequest]:
    """Research requests to the actor's agency: unanswered first, soonest deadline first."""
    if actor.org is None:
        return []
    return sorted(store.research_for_org(actor.org), key=lambda r: (r.answered, r.due_at))


def research_request(
    store: MashStore, research_id: str, *, actor: Actor
) -> tuple[ResearchRequest, Referral]:
    """A research request to the actor's agency, with the referral's concern (what to research)."""
    request = store.research(research_id)
    if request is None or request.org != actor.org:
        raise NotFound("There is no research request for your agency with this reference")
    return request, _get(store, request.referral_id)
