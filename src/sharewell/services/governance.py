"""Governance use cases: agreements, consent, opt-outs, relationships, access decisions,
overrides and decision records. One function per state change, keyword-only `actor`, one
transaction, and an audit event appended inside that transaction (so a change that cannot be
audited is rolled back).

The audit event is appended before the transaction's first write. SQLite has one writer at a time:
appending after a write would leave the audit sequencer waiting for a lock this transaction holds.
If the write then fails, the log holds an entry whose change is absent, which is the safe
direction: there is never a change without its entry."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sharewell.domain.access import (
    AccessDecision,
    AccessRequest,
    Decision,
    Outcome,
    Override,
    OverrideBasis,
    OverrideTier,
    Reason,
    decide,
)
from sharewell.domain.agreements import Agreement, AgreementStatus, Signature, check_amendment
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.consent import ConsentRecord
from sharewell.domain.decision_records import DecisionRecord, ShareChoice
from sharewell.domain.errors import NotFound, PermissionDenied, ValidationError
from sharewell.domain.organisations import Practitioner
from sharewell.domain.overrides import REVIEW_WITHIN, OverrideReview, ReviewOutcome
from sharewell.domain.relationships import Relationship, why_not_end
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import Purpose, Role
from sharewell.services.governance_ports import (
    GovernanceStore,
    StoredAgreement,
)
from sharewell.services.ports import AuditLog, PractitionerRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a signed-in practitioner, or an operator at the command line."""

    id: str
    org: str | None = None
    role: Role | None = None
    # The practitioner's account as the session check read it at the start of the request in
    # flight (`signed_in`), so the access decision in the same request does not read it again.
    # Never set on an actor kept beyond one request.
    account: Practitioner | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, practitioner: Practitioner) -> Actor:
        return cls(practitioner.id, practitioner.org_code, practitioner.role)

    @classmethod
    def signed_in(cls, practitioner: Practitioner) -> Actor:
        """The actor for a request whose session check has just read `practitioner` (active,
        with their training): decisions in that request use it rather than reading it again."""
        return cls(practitioner.id, practitioner.org_code, practitioner.role, practitioner)


def _account(practitioners: PractitionerRepository, actor: Actor) -> Practitioner:
    """The deciding practitioner: as read by this request's session check, else afresh."""
    if actor.account is not None and actor.account.id == actor.id:
        return actor.account
    return practitioners.get(actor.id) or _inactive(actor)


def _event(
    kind: AuditKind,
    at: datetime,
    actor: Actor,
    *,
    outcome: str | None = None,
    agreement: str | None = None,
    purpose: str | None = None,
    subject_id: str | None = None,
    refs: dict[str, str] | None = None,
) -> AuditEvent:
    return AuditEvent(
        kind=kind,
        at=at,
        actor_id=actor.id,
        actor_org=actor.org,
        purpose=purpose,
        subject_id=subject_id,
        outcome=outcome,
        agreement=agreement,
        refs=refs or {},
    )


# --- Agreements ---------------------------------------------------------------------------------


def _require_party(actor: Actor, agreements: list[Agreement], doing: str) -> None:
    """Only a party may change an agreement (ADR 0019): the actor's organisation must be a party
    to one of `agreements`. An operator at the command line (no organisation) may: they run the
    database itself."""
    if actor.org is None or any(actor.org in a.party_codes for a in agreements):
        return
    ref = agreements[-1].ref if agreements else "this agreement"
    raise PermissionDenied(
        f"{actor.org} is not a party to {ref}: only its parties may {doing} it",
        field="agreement",
    )


def import_agreement(
    store: GovernanceStore,
    audit: AuditLog,
    agreement: Agreement,
    *,
    actor: Actor,
    at: datetime | None = None,
) -> Agreement:
    """Store a new agreement (version 1) or an amendment (the next version) as a draft. The
    actor's organisation must be a party to it, and to the version it amends (ADR 0019)."""
    at = at or utcnow()
    _require_party(actor, [agreement], "upload")
    with store.transaction() as tx:
        versions = tx.agreements.versions(agreement.id)
        if versions:
            # An amendment is for the current parties to make: no one joins another's agreement
            # by uploading a version that names them.
            _require_party(actor, [versions[-1].agreement], "amend")
        check_amendment(versions[-1].agreement if versions else None, agreement)
        audit.append(
            _event(
                AuditKind.AGREEMENT_CHANGE, at, actor, outcome="imported", agreement=agreement.ref
            )
        )
        tx.agreements.add_version(agreement, at=at, by=actor.id)
    return agreement


def _version(
    versions: list[StoredAgreement] | tuple[StoredAgreement, ...],
    agreement_id: str,
    version: int | None,
) -> StoredAgreement:
    if not versions:
        raise NotFound(f"There is no agreement {agreement_id!r}", field="agreement")
    if version is None:
        return versions[-1]
    for stored in versions:
        if stored.agreement.version == version:
            return stored
    raise NotFound(f"{agreement_id} has no version {version}", field="version")


def stored_version(
    store: GovernanceStore, agreement_id: str, version: int | None = None
) -> StoredAgreement:
    """One stored version (default: the latest), with signatures and termination applied."""
    with store.transaction() as tx:
        return _version(list(tx.agreements.versions(agreement_id)), agreement_id, version)


@dataclass(frozen=True, slots=True)
class AgreementSummary:
    """An agreement version and its lifecycle status at a moment, for lists and pages."""

    stored: StoredAgreement
    status: AgreementStatus


def list_agreements(
    store: GovernanceStore, *, at: datetime | None = None
) -> list[AgreementSummary]:
    """Every stored version with its status (draft, proposed, ..., superseded, terminated)."""
    at = at or utcnow()
    with store.transaction() as tx:
        stored = list(tx.agreements.list())
        index = tx.agreements.index()
    return [
        AgreementSummary(
            s,
            s.agreement.status(
                at,
                proposed=s.proposed_at is not None,
                superseded=index.superseded(s.agreement, at),
            ),
        )
        for s in stored
    ]


def consent_history(store: GovernanceStore, person_id: str) -> list[ConsentRecord]:
    """Everything the person has said about consent, oldest first."""
    with store.transaction() as tx:
        return list(tx.consents.history(person_id))


def relationships_of(store: GovernanceStore, person_id: str) -> list[Relationship]:
    """The person's legitimate relationships, current and ended."""
    with store.transaction() as tx:
        return list(tx.relationships.for_person(person_id))


def pending_override_reviews(
    store: GovernanceStore, *, at: datetime | None = None
) -> list[tuple[OverrideReview, bool]]:
    """Overrides waiting for IG review, soonest deadline first, each with whether it is overdue."""
    at = at or utcnow()
    with store.transaction() as tx:
        return [(r, r.overdue(at)) for r in tx.overrides.pending()]


def decision_records_for(store: GovernanceStore, person_id: str) -> list[DecisionRecord]:
    """The decision records about a person, oldest first."""
    with store.transaction() as tx:
        return list(tx.decision_records.for_person(person_id))


def propose(
    store: GovernanceStore,
    audit: AuditLog,
    agreement_id: str,
    *,
    version: int | None = None,
    actor: Actor,
    at: datetime | None = None,
) -> Agreement:
    """Send a draft to the partners for signature (only a party may, ADR 0019)."""
    at = at or utcnow()
    with store.transaction() as tx:
        stored = _version(list(tx.agreements.versions(agreement_id)), agreement_id, version)
        _require_party(actor, [stored.agreement], "propose")
        if stored.proposed_at is not None:
            raise ValidationError(
                f"{stored.agreement.ref} has already been proposed", field="agreement"
            )
        audit.append(
            _event(
                AuditKind.AGREEMENT_CHANGE,
                at,
                actor,
                outcome="proposed",
                agreement=stored.agreement.ref,
            )
        )
        tx.agreements.mark_proposed(agreement_id, stored.agreement.version, at=at)
    return stored.agreement


def sign_agreement(
    store: GovernanceStore,
    audit: AuditLog,
    agreement_id: str,
    *,
    org: str,
    name: str,
    role: str,
    version: int | None = None,
    actor: Actor,
    at: datetime | None = None,
) -> Agreement:
    """Record a party's signature (named signatory, role, time) on a version (default latest)."""
    at = at or utcnow()
    if not name.strip():
        raise ValidationError("Give the signatory's name", field="name")
    if not role.strip():
        raise ValidationError("Give the signatory's role", field="role")
    if actor.org is not None and actor.org != org:
        raise PermissionDenied(
            f"You may sign only for your own organisation ({actor.org}), not {org}", field="org"
        )
    with store.transaction() as tx:
        stored = _version(list(tx.agreements.versions(agreement_id)), agreement_id, version)
        if stored.proposed_at is None:
            raise ValidationError(
                f"{stored.agreement.ref} is still a draft: propose it to the partners first",
                field="agreement",
            )
        signature = Signature(name.strip(), role.strip(), at)
        signed = stored.agreement.signed(org, signature)
        audit.append(
            _event(
                AuditKind.AGREEMENT_CHANGE,
                at,
                actor,
                outcome="signed",
                agreement=signed.ref,
                refs={"org": org},
            )
        )
        tx.agreements.add_signature(agreement_id, signed.version, org, signature, by=actor.id)
    return signed


def terminate_agreement(
    store: GovernanceStore,
    audit: AuditLog,
    agreement_id: str,
    *,
    reason: str,
    actor: Actor,
    at: datetime | None = None,
) -> list[Agreement]:
    """End an agreement now: every version not yet terminated stops being in force. Only a
    party to one of those versions may (ADR 0019)."""
    at = at or utcnow()
    if not reason.strip():
        raise ValidationError("Say why the agreement is terminated", field="reason")
    with store.transaction() as tx:
        versions = list(tx.agreements.versions(agreement_id))
        if not versions:
            raise NotFound(f"There is no agreement {agreement_id!r}", field="agreement")
        live = [v.agreement for v in versions if v.agreement.terminated_at is None]
        _require_party(actor, live or [v.agreement for v in versions], "terminate")
        if not live:
            raise ValidationError(f"{agreement_id} is already terminated", field="agreement")
        ended = [agreement.terminated(at, reason) for agreement in live]
        audit.append(
            _event(
                AuditKind.AGREEMENT_CHANGE, at, actor, outcome="terminated", agreement=ended[-1].ref
            )
        )
        for agreement in live:
            tx.agreements.add_termination(
                agreement_id, agreement.version, at=at, reason=reason.strip(), by=actor.id
            )
    return ended


# --- Consent, opt-out, relationships ------------------------------------------------------------


def record_consent(
    store: GovernanceStore, audit: AuditLog, record: ConsentRecord, *, actor: Actor
) -> ConsentRecord:
    """Add a consent statement to the person's history (earlier ones are kept)."""
    with store.transaction() as tx:
        audit.append(
            _event(
                AuditKind.CONSENT_CHANGE,
                record.recorded_at,
                actor,
                purpose=record.purpose.value,
                subject_id=record.person_id,
                outcome=record.state.value,
                refs={"scope": record.scope},
            )
        )
        tx.consents.add(record)
    return record


def set_national_opt_out(
    store: GovernanceStore,
    audit: AuditLog,
    person_id: str,
    opted_out: bool,
    *,
    actor: Actor,
    at: datetime | None = None,
) -> None:
    """Record that the person has registered (or withdrawn) a national data opt-out."""
    at = at or utcnow()
    with store.transaction() as tx:
        audit.append(
            _event(
                AuditKind.CONSENT_CHANGE,
                at,
                actor,
                subject_id=person_id,
                outcome="opted_out" if opted_out else "opt_out_withdrawn",
                refs={"national_opt_out": str(opted_out).lower()},
            )
        )
        tx.opt_outs.add(person_id, opted_out, at=at, by=actor.id)


def start_relationship(
    store: GovernanceStore,
    audit: AuditLog,
    relationship: Relationship,
    *,
    actor: Actor,
    at: datetime | None = None,
) -> Relationship:
    """Record a legitimate relationship (open case, registered patient, pupil, allocated)."""
    at = at or utcnow()
    if relationship.id is None:
        relationship = Relationship(
            relationship.person_id,
            relationship.kind,
            relationship.starts_on,
            relationship.ends_on,
            relationship.practitioner_id,
            relationship.team,
            uuid.uuid4().hex,
        )
    assert relationship.id is not None
    with store.transaction() as tx:
        audit.append(
            _event(
                AuditKind.RELATIONSHIP_CHANGE,
                at,
                actor,
                subject_id=relationship.person_id,
                outcome="started",
                refs={"relationship": relationship.id, "kind": relationship.kind.value},
            )
        )
        tx.relationships.add(relationship, by=actor.id)
    return relationship


def may_end_relationship(
    practitioners: PractitionerRepository, relationship: Relationship, *, actor: Actor
) -> str | None:
    """None when the actor may end the relationship, else why not (ADR 0019). An operator at
    the command line (no organisation) may end any: they run the database itself."""
    if actor.org is None:
        return None
    linked = (
        practitioners.get(relationship.practitioner_id)
        if relationship.practitioner_id is not None and relationship.practitioner_id != actor.id
        else None
    )
    return why_not_end(relationship, _account(practitioners, actor), linked)


def end_relationship(
    store: GovernanceStore,
    practitioners: PractitionerRepository,
    audit: AuditLog,
    relationship_id: str,
    *,
    on: date,
    actor: Actor,
    at: datetime | None = None,
) -> Relationship:
    """End a relationship: from `on` it no longer counts. Only the practitioner (or team) it is
    with, or a manager of their own organisation, may end it (ADR 0019)."""
    at = at or utcnow()
    # Checked before the transaction: it reads accounts, and SQLite has one writer at a time.
    with store.reads() as tx:
        found = tx.relationships.get(relationship_id)
    if found is None:
        raise NotFound(f"No relationship {relationship_id}", field="relationship")
    refusal = may_end_relationship(practitioners, found, actor=actor)
    if refusal is not None:
        raise PermissionDenied(refusal, field="relationship")
    with store.transaction() as tx:
        current = tx.relationships.get(relationship_id)
        if current is None:
            raise NotFound(f"No relationship {relationship_id}", field="relationship")
        ended = current.ended(on)
        audit.append(
            _event(
                AuditKind.RELATIONSHIP_CHANGE,
                at,
                actor,
                subject_id=current.person_id,
                outcome="ended",
                refs={"relationship": relationship_id},
            )
        )
        tx.relationships.end(relationship_id, on)
    return ended


# --- Access decisions and overrides -------------------------------------------------------------


def _unavailable(request: AccessRequest, recipient: str) -> AccessDecision:
    return AccessDecision(
        tuple(
            Decision(
                holder,
                recipient,
                category,
                request.purpose,
                Outcome.DENY,
                (Reason.DECISION_UNAVAILABLE,),
            )
            for holder in request.holders
            for category in request.categories
        )
    )


def _summary(result: AccessDecision) -> tuple[tuple[str, ...], dict[str, str]]:
    reasons = sorted({r.value for d in result.decisions for r in d.reasons})
    refs = {}
    for d in result.decisions:
        why = "+".join(r.value for r in d.reasons)
        where = f"@{d.agreement}" if d.agreement else ""
        refs[f"{d.holder}/{d.category.value}"] = f"{d.outcome.value}:{why}{where}"
    # Permits under an override used earlier: the reviews they rest on.
    earlier = sorted({d.override_review for d in result.decisions if d.override_review})
    if earlier:
        refs["override_review"] = ",".join(earlier)
    return tuple(reasons), refs


def _inactive(actor: Actor) -> Practitioner:
    # An account that no longer exists is treated as inactive: deny.
    return Practitioner(
        actor.id, actor.org or "UNKNOWN", actor.id, "", actor.role or Role.ANALYST, active=False
    )


def decide_unrecorded(
    store: GovernanceStore,
    practitioners: PractitionerRepository,
    *,
    actor: Actor,
    person_id: str,
    request: AccessRequest,
    at: datetime,
) -> tuple[AccessDecision, AuditEvent]:
    """Decide a request without an override, and give back the decision's audit entry.

    The caller MUST append the entry durably before it shows anything decided (the disclosure
    gate appends it together with its own entry, in one commit). Raises if the decision cannot
    be made; the caller then fails closed.
    """
    if request.override is not None:
        raise ValidationError("An override goes through request_override", field="override")
    practitioner = _account(practitioners, actor)
    with store.reads() as reads:
        index, subject = reads.decision_inputs(person_id, practitioner_id=practitioner.id, at=at)
    result = decide(index, practitioner, subject, request, at)
    reasons, refs = _summary(result)
    return result, AuditEvent(
        kind=AuditKind.DECISION,
        at=at,
        actor_id=practitioner.id,
        actor_org=practitioner.org_code,
        purpose=request.purpose.value,
        subject_id=person_id,
        outcome=result.outcome.value,
        reasons=reasons,
        refs=refs,
    )


def _decide_and_record(
    store: GovernanceStore,
    practitioners: PractitionerRepository,
    audit: AuditLog,
    *,
    actor: Actor,
    person_id: str,
    request: AccessRequest,
    at: datetime,
) -> tuple[AccessDecision, OverrideReview | None]:
    if request.override is None:
        # Nothing but the audit entry is written: read, let go of the connection, then wait
        # for the entry to be durable (the caller sees the decision only after that).
        result, event = decide_unrecorded(
            store, practitioners, actor=actor, person_id=person_id, request=request, at=at
        )
        audit.append(event)
        return result, None
    practitioner = practitioners.get(actor.id) or _inactive(actor)
    with store.transaction() as tx:
        index, subject = tx.decision_inputs(person_id, practitioner_id=practitioner.id, at=at)
        result = decide(index, practitioner, subject, request, at)
        reasons, refs = _summary(result)
        review = None
        overridden = [d for d in result.decisions if Reason.OVERRIDE in d.reasons]
        if overridden:
            assert request.override is not None
            expires = min(d.expires_at for d in overridden if d.expires_at is not None)
            review = OverrideReview(
                id=uuid.uuid4().hex,
                practitioner_id=practitioner.id,
                org=practitioner.org_code,
                person_id=person_id,
                purpose=request.purpose,
                override=request.override,
                decisions=tuple(
                    {
                        "holder": d.holder,
                        "category": d.category.value,
                        "agreement": d.agreement or "",
                        "overridden": "+".join(r.value for r in d.overridden),
                    }
                    for d in overridden
                ),
                granted_at=at,
                expires_at=expires,
                review_due_at=at + REVIEW_WITHIN,
            )
            refs["override_review"] = review.id
        audit.append(
            AuditEvent(
                kind=AuditKind.OVERRIDE if review else AuditKind.DECISION,
                at=at,
                actor_id=practitioner.id,
                actor_org=practitioner.org_code,
                purpose=request.purpose.value,
                subject_id=person_id,
                outcome=result.outcome.value,
                reasons=reasons,
                refs=refs,
            )
        )
        if review is not None:
            tx.overrides.add(review)
    return result, review


def decide_access(
    store: GovernanceStore,
    practitioners: PractitionerRepository,
    audit: AuditLog,
    *,
    actor: Actor,
    person_id: str,
    request: AccessRequest,
    at: datetime | None = None,
) -> AccessDecision:
    """Decide a request and audit the decision (permits and denials alike).

    Fails closed: if loading, deciding or auditing raises, every decision is a denial with
    reason DECISION_UNAVAILABLE. Approved overrides go through `request_override`, which checks
    the approver.
    """
    if request.override is not None and request.override.tier is OverrideTier.APPROVED:
        raise ValidationError(
            "An approved override goes through request_override", field="override"
        )
    at = at or utcnow()
    try:
        result, _review = _decide_and_record(
            store, practitioners, audit, actor=actor, person_id=person_id, request=request, at=at
        )
    except Exception as exc:
        log.warning("access decision failed closed: %s", type(exc).__name__)
        return _unavailable(request, actor.org or "")
    return result


def request_override(
    store: GovernanceStore,
    practitioners: PractitionerRepository,
    audit: AuditLog,
    *,
    actor: Actor,
    person_id: str,
    request: AccessRequest,
    tier: OverrideTier,
    basis: OverrideBasis,
    justification: str,
    approver_id: str | None = None,
    at: datetime | None = None,
) -> tuple[AccessDecision, OverrideReview | None]:
    """Ask for an emergency (self-asserted) or approved override; any override used creates an
    IG review item with a deadline. Fails closed like `decide_access`."""
    approved_by = approved_org = None
    if tier is OverrideTier.APPROVED:
        approver = practitioners.get(approver_id) if approver_id else None
        if approver is None or approver.role is not Role.IG_LEAD or not approver.active:
            raise PermissionDenied(
                "An approved override must be approved by an active IG lead of the holder",
                field="approver",
            )
        approved_by, approved_org = approver.name, approver.org_code
    override = Override(tier, basis, justification, approved_by, approved_org)
    request = AccessRequest(
        request.purpose, request.holders, request.categories, request.sealed, override
    )
    at = at or utcnow()
    try:
        return _decide_and_record(
            store, practitioners, audit, actor=actor, person_id=person_id, request=request, at=at
        )
    except Exception as exc:
        log.warning("override decision failed closed: %s", type(exc).__name__)
        return _unavailable(request, actor.org or ""), None


def review_override(
    store: GovernanceStore,
    audit: AuditLog,
    review_id: str,
    *,
    outcome: ReviewOutcome,
    notes: str,
    actor: Actor,
    at: datetime | None = None,
) -> OverrideReview:
    """An IG lead concludes the review of an override."""
    at = at or utcnow()
    if actor.role is not Role.IG_LEAD:
        raise PermissionDenied(
            "Only an information governance lead reviews overrides", field="actor"
        )
    with store.transaction() as tx:
        review = tx.overrides.get(review_id)
        if review is None:
            raise NotFound(f"No override review {review_id}", field="review")
        done = review.reviewed(outcome=outcome, notes=notes, by=actor.id, at=at)
        audit.append(
            _event(
                AuditKind.OVERRIDE,
                at,
                actor,
                subject_id=review.person_id,
                purpose=review.purpose.value,
                outcome=f"reviewed:{outcome.value}",
                refs={"override_review": review_id},
            )
        )
        tx.overrides.save_review(done)
    return done


# --- Decision records ---------------------------------------------------------------------------


def submit_decision_record(
    store: GovernanceStore,
    audit: AuditLog,
    *,
    actor: Actor,
    person_id: str,
    purpose: Purpose,
    choice: ShareChoice,
    what_was_asked: str,
    consent_sought: bool,
    consent_detail: str,
    legal_basis: tuple[str, ...],
    safety_considered: str,
    shared_what: str,
    shared_with: str,
    necessary_and_proportionate: str,
    advice_sought: str,
    disclosure_ref: str | None = None,
    at: datetime | None = None,
) -> DecisionRecord:
    """Submit a golden rule 7 record of a decision to share or not; it can never be changed."""
    at = at or utcnow()
    if actor.org is None:
        raise PermissionDenied("Only a practitioner can record a decision", field="actor")
    record = DecisionRecord(
        id=uuid.uuid4().hex,
        practitioner_id=actor.id,
        org=actor.org,
        person_id=person_id,
        purpose=purpose,
        choice=choice,
        what_was_asked=what_was_asked.strip(),
        consent_sought=consent_sought,
        consent_detail=consent_detail.strip(),
        legal_basis=legal_basis,
        safety_considered=safety_considered.strip(),
        shared_what=shared_what.strip(),
        shared_with=shared_with.strip(),
        necessary_and_proportionate=necessary_and_proportionate.strip(),
        advice_sought=advice_sought.strip(),
        submitted_at=at,
        disclosure_ref=disclosure_ref,
    )
    with store.transaction() as tx:
        audit.append(
            _event(
                AuditKind.DECISION_RECORD,
                at,
                actor,
                subject_id=person_id,
                purpose=purpose.value,
                outcome=choice.value,
                refs={
                    "decision_record": record.id,
                    **({"disclosure": disclosure_ref} if disclosure_ref else {}),
                },
            )
        )
        tx.decision_records.add(record)
    return record
