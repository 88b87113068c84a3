"""/api/v1: requests to share, their answers, emergency overrides, override reviews and API
tokens. The same services as the pages; what is shared comes through the disclosure gate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from sharewell.bootstrap import Container
from sharewell.domain.access import AccessRequest, OverrideBasis, OverrideTier
from sharewell.domain.api_tokens import ApiToken, Scope
from sharewell.domain.decision_records import ShareChoice
from sharewell.domain.errors import NotFound, PermissionDenied
from sharewell.domain.organisations import Practitioner
from sharewell.domain.overrides import OverrideReview, ReviewOutcome
from sharewell.domain.sharing import SharedItem, ShareRequest, Urgency
from sharewell.domain.vocabulary import DataCategory, Purpose, Role
from sharewell.entrypoints.api.deps import container, require_scope
from sharewell.entrypoints.api.errors import ERROR_RESPONSES
from sharewell.services import api_tokens, sharing
from sharewell.services import governance as gov

router = APIRouter(prefix="/api/v1", tags=["sharing"], responses=ERROR_RESPONSES)

Wiring = Annotated[Container, Depends(container)]
Reader = Annotated[Practitioner, Depends(require_scope(Scope.READ))]
Sharer = Annotated[Practitioner, Depends(require_scope(Scope.SHARE))]
Admin = Annotated[Practitioner, Depends(require_scope(Scope.ADMIN))]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


class ShareRequestIn(BaseModel):
    """A request to a holding organisation."""

    holder: str = Field(min_length=1, max_length=16)
    categories: list[DataCategory] = Field(min_length=1, max_length=12)
    purpose: Purpose
    urgency: Urgency
    reason: str = Field(min_length=20, max_length=4000)


class ShareRequestOut(BaseModel):
    """A request to share and where it stands."""

    id: str
    person_id: str
    requester_org: str
    holder_org: str
    purpose: Purpose
    categories: list[DataCategory]
    urgency: Urgency
    reason: str
    requested_at: datetime
    due_at: datetime
    status: Literal["open", "shared", "declined"]
    overdue: bool
    decided_at: datetime | None
    decision_record_id: str | None

    @classmethod
    def of(cls, r: ShareRequest, overdue: bool) -> ShareRequestOut:
        return cls(
            id=r.id,
            person_id=r.person_id,
            requester_org=r.requester_org,
            holder_org=r.holder_org,
            purpose=r.purpose,
            categories=list(r.categories),
            urgency=r.urgency,
            reason=r.reason,
            requested_at=r.requested_at,
            due_at=r.due_at,
            status=r.status.value,
            overdue=overdue,
            decided_at=r.decided_at,
            decision_record_id=r.decision_record_id,
        )


class SharedItemOut(BaseModel):
    """One item shared with the requester: only the fields the holder chose."""

    holder: str
    category: DataCategory
    fields: dict[str, str]


class ShareRequestDetail(BaseModel):
    """A request, and what was shared if the caller asked for it."""

    request: ShareRequestOut
    shared: list[SharedItemOut]


class ItemIn(BaseModel):
    """An item the holder shares, with the fields chosen."""

    fact_id: str = Field(min_length=1, max_length=40)
    category: DataCategory
    fields: list[str] = Field(min_length=1, max_length=40)


class AnswerIn(BaseModel):
    """The holder's decision with its golden rule 7 record."""

    choice: ShareChoice
    items: list[ItemIn] = Field(default_factory=list, max_length=500)
    consent_sought: bool
    consent_detail: str = Field(max_length=4000)
    legal_basis: list[str] = Field(default_factory=list, max_length=10)
    safety_considered: str = Field(max_length=4000)
    necessary_and_proportionate: str = Field(max_length=4000)
    advice_sought: str = Field(max_length=4000)


@router.post("/people/{person_id}/share-requests", status_code=201)
def create_share_request(
    request: Request, person_id: str, body: ShareRequestIn, wiring: Wiring, caller: Sharer
) -> ShareRequestOut:
    """Ask a holding organisation for categories of a person's information."""
    made = sharing.request_to_share(
        wiring.sharing,
        wiring.audit,
        actor=gov.Actor.of(caller),
        person_id=person_id,
        holder=body.holder,
        purpose=body.purpose,
        categories=body.categories,
        urgency=body.urgency,
        reason=body.reason,
        times=wiring.response_times,
        at=_now(request),
    )
    return ShareRequestOut.of(made, False)


@router.get("/share-requests/inbox")
def share_request_inbox(request: Request, wiring: Wiring, caller: Reader) -> list[ShareRequestOut]:
    """Requests to the caller's organisation: open first, soonest deadline first."""
    lines = sharing.inbox(wiring.sharing, caller.org_code, at=_now(request))
    return [ShareRequestOut.of(line.request, line.overdue) for line in lines]


@router.get("/share-requests/sent")
def share_requests_sent(request: Request, wiring: Wiring, caller: Reader) -> list[ShareRequestOut]:
    """The caller's own requests, newest first."""
    lines = sharing.requests_made(wiring.sharing, caller.id, at=_now(request))
    return [ShareRequestOut.of(line.request, line.overdue) for line in lines]


@router.get("/share-requests/{request_id}")
def share_request(
    request: Request, request_id: str, wiring: Wiring, caller: Reader
) -> ShareRequestDetail:
    """One request the caller's organisation sent or holds; with what was shared, for its
    requester (through the disclosure gate)."""
    actor = gov.Actor.of(caller)
    found = sharing.visible_request(wiring.sharing, request_id, actor=actor)
    shared = sharing.shared_with_me(
        wiring.sharing, wiring.disclosure, actor=actor, request_id=request_id, at=_now(request)
    )
    return ShareRequestDetail(
        request=ShareRequestOut.of(found, found.overdue(_now(request))),
        shared=[
            SharedItemOut(holder=i.holder, category=i.category, fields=i.fields) for i in shared
        ],
    )


@router.post("/share-requests/{request_id}/answer")
def answer_share_request(
    request: Request, request_id: str, body: AnswerIn, wiring: Wiring, caller: Sharer
) -> ShareRequestOut:
    """The holder decides, with a decision record; sharing grants exactly the items chosen."""
    answered, _grant = sharing.answer_request(
        wiring.sharing,
        wiring.governance,
        wiring.disclosure,
        wiring.audit,
        actor=gov.Actor.of(caller),
        request_id=request_id,
        choice=body.choice,
        items=[SharedItem(i.fact_id, i.category, tuple(i.fields)) for i in body.items],
        answers=sharing.DecisionAnswers(
            consent_sought=body.consent_sought,
            consent_detail=body.consent_detail,
            legal_basis=tuple(body.legal_basis),
            safety_considered=body.safety_considered,
            necessary_and_proportionate=body.necessary_and_proportionate,
            advice_sought=body.advice_sought,
        ),
        at=_now(request),
    )
    return ShareRequestOut.of(answered, answered.overdue(_now(request)))


class OverrideIn(BaseModel):
    """An emergency override: basis and a justification of at least 20 characters."""

    holder: str = Field(min_length=1, max_length=16)
    category: DataCategory
    purpose: Purpose
    basis: OverrideBasis
    justification: str = Field(min_length=20, max_length=4000)


class OverrideOut(BaseModel):
    """Whether the override was granted, until when, and why not if not."""

    granted: bool
    expires_at: datetime | None
    review_id: str | None
    reasons: list[str]


@router.post("/people/{person_id}/overrides")
def emergency_override(
    request: Request, person_id: str, body: OverrideIn, wiring: Wiring, caller: Sharer
) -> OverrideOut:
    """Use an emergency override (4 hours, reviewed by information governance)."""
    result, review = gov.request_override(
        wiring.governance,
        wiring.practitioners,
        wiring.audit,
        actor=gov.Actor.of(caller),
        person_id=person_id,
        request=AccessRequest(body.purpose, (body.holder,), (body.category,)),
        tier=OverrideTier.EMERGENCY,
        basis=body.basis,
        justification=body.justification,
        at=_now(request),
    )
    return OverrideOut(
        granted=review is not None,
        expires_at=review.expires_at if review else None,
        review_id=review.id if review else None,
        reasons=sorted({r.value for d in result.decisions for r in d.reasons}),
    )


class OverrideReviewOut(BaseModel):
    """An override awaiting IG review."""

    id: str
    person_id: str
    practitioner_id: str
    org: str
    purpose: Purpose
    basis: OverrideBasis
    justification: str
    granted_at: datetime
    review_due_at: datetime
    overdue: bool

    @classmethod
    def of(cls, r: OverrideReview, overdue: bool) -> OverrideReviewOut:
        return cls(
            id=r.id,
            person_id=r.person_id,
            practitioner_id=r.practitioner_id,
            org=r.org,
            purpose=r.purpose,
            basis=r.override.basis,
            justification=r.override.justification,
            granted_at=r.granted_at,
            review_due_at=r.review_due_at,
            overdue=overdue,
        )


def _holder_queue(
    wiring: Container, caller: Practitioner, at: datetime
) -> list[tuple[OverrideReview, bool]]:
    if caller.role is not Role.IG_LEAD:
        raise PermissionDenied("Only an information governance lead reviews overrides")
    # The holder's queue: overrides that reached this organisation's information.
    return [
        (r, overdue)
        for r, overdue in gov.pending_override_reviews(wiring.governance, at=at)
        if any(d.get("holder") == caller.org_code for d in r.decisions)
    ]


@router.get("/override-reviews")
def override_reviews(request: Request, wiring: Wiring, caller: Admin) -> list[OverrideReviewOut]:
    """Overrides of the IG lead's organisation's information awaiting review, soonest first."""
    return [OverrideReviewOut.of(r, o) for r, o in _holder_queue(wiring, caller, _now(request))]


class ReviewIn(BaseModel):
    """The review's conclusion: justified, or refer for investigation (not justified)."""

    outcome: ReviewOutcome
    notes: str = Field(min_length=1, max_length=4000)


@router.post("/override-reviews/{review_id}")
def conclude_override_review(
    request: Request, review_id: str, body: ReviewIn, wiring: Wiring, caller: Admin
) -> OverrideReviewOut:
    """Conclude the review of one override in the caller's queue."""
    mine = {r.id for r, _ in _holder_queue(wiring, caller, _now(request))}
    if review_id not in mine:
        raise NotFound("There is no such override review awaiting you", field="review")
    done = gov.review_override(
        wiring.governance,
        wiring.audit,
        review_id,
        outcome=body.outcome,
        notes=body.notes,
        actor=gov.Actor.of(caller),
        at=_now(request),
    )
    return OverrideReviewOut.of(done, False)


class TokenIn(BaseModel):
    """A new API token's name and scopes."""

    name: str = Field(min_length=1, max_length=120)
    scopes: list[Scope] = Field(min_length=1, max_length=3)


class TokenOut(BaseModel):
    """An API token (never its secret, except once when created)."""

    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, t: ApiToken) -> TokenOut:
        return cls(
            id=t.id,
            name=t.name,
            scopes=sorted(t.scopes),
            created_at=t.created_at,
            revoked_at=t.revoked_at,
            last_used_at=t.last_used_at,
        )


class NewTokenOut(TokenOut):
    """The new token, with its secret: shown this once, store it safely."""

    token: str


@router.get("/api-tokens")
def list_api_tokens(wiring: Wiring, caller: Admin) -> list[TokenOut]:
    """The IG lead's organisation's tokens."""
    return [
        TokenOut.of(t)
        for t in api_tokens.list_tokens(wiring.api_tokens, actor=gov.Actor.of(caller))
    ]


@router.post("/api-tokens", status_code=201)
def create_api_token(request: Request, body: TokenIn, wiring: Wiring, caller: Admin) -> NewTokenOut:
    """Make a token for the IG lead's organisation (acting as the IG lead)."""
    token, secret = api_tokens.create_token(
        wiring.api_tokens,
        wiring.audit,
        actor=gov.Actor.of(caller),
        name=body.name,
        scopes=body.scopes,
        at=_now(request),
    )
    return NewTokenOut(**TokenOut.of(token).model_dump(), token=secret)


@router.delete("/api-tokens/{token_id}")
def revoke_api_token(request: Request, token_id: str, wiring: Wiring, caller: Admin) -> TokenOut:
    """Revoke a token: it stops working at once."""
    return TokenOut.of(
        api_tokens.revoke_token(
            wiring.api_tokens, wiring.audit, token_id, actor=gov.Actor.of(caller), at=_now(request)
        )
    )
