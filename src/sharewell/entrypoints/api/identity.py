"""/api/v1/identity/review: the identity review queue for information governance leads, the
same services as the pages. The records of a pair come through the disclosure gate (audited)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from sharewell.bootstrap import Container
from sharewell.domain.api_tokens import Scope
from sharewell.domain.organisations import Practitioner
from sharewell.entrypoints.api.deps import container, require_scope
from sharewell.entrypoints.api.errors import ERROR_RESPONSES
from sharewell.services import identity
from sharewell.services.governance import Actor

router = APIRouter(prefix="/api/v1/identity", tags=["identity"], responses=ERROR_RESPONSES)

Wiring = Annotated[Container, Depends(container)]
Admin = Annotated[Practitioner, Depends(require_scope(Scope.ADMIN))]


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


class ReviewPairSummary(BaseModel):
    """A pair awaiting review: which organisations hold the records and the model's score."""

    id: int
    org_l: str
    org_r: str
    match_probability: float
    match_weight: float
    created_at: datetime | None


class ReviewRecord(BaseModel):
    """One record of the pair, as its holder recorded it."""

    org_code: str
    local_id: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: str
    nhs_number: str | None
    postcode: str | None
    address: str | None


class WaterfallStepOut(BaseModel):
    """One comparison's level and the match weight it added (negative: against a match)."""

    comparison: str
    name: str
    level: str
    effect: str
    match_weight: float


class ReviewPairOut(BaseModel):
    """Both records side by side with the match-weight waterfall, and any decision made."""

    id: int
    match_probability: float
    match_weight: float
    status: Literal["pending", "match", "non_match"]
    decided_by: str | None
    records: list[ReviewRecord]
    waterfall: list[WaterfallStepOut]

    @classmethod
    def of(cls, view: identity.ReviewPairView) -> ReviewPairOut:
        return cls(
            id=view.id,
            match_probability=view.match_probability,
            match_weight=view.match_weight,
            status=view.status,  # type: ignore[arg-type]
            decided_by=view.decided_by,
            records=[
                ReviewRecord(
                    org_code=r.org_code,
                    local_id=r.local_id,
                    given_name=r.given_name,
                    family_name=r.family_name,
                    date_of_birth=r.date_of_birth,
                    sex=r.sex,
                    nhs_number=r.nhs_number,
                    postcode=r.postcode,
                    address=r.address,
                )
                for r in view.records
            ],
            waterfall=[
                WaterfallStepOut(
                    comparison=s.comparison,
                    name=s.name,
                    level=s.level,
                    effect=s.effect,
                    match_weight=s.match_weight,
                )
                for s in view.waterfall
            ],
        )


class DecisionIn(BaseModel):
    """The reviewer's decision: the two records are one person (match) or two (non_match)."""

    decision: Literal["match", "non_match"]


@router.get("/review")
def review_queue(wiring: Wiring, caller: Admin) -> list[ReviewPairSummary]:
    """Pairs awaiting review one of whose records the caller's organisation holds (IG leads)."""
    return [
        ReviewPairSummary(**row)
        for row in identity.identity_review_queue(wiring.identity_review, actor=Actor.of(caller))
    ]


@router.get("/review/{pair_id}")
def review_pair(request: Request, pair_id: int, wiring: Wiring, caller: Admin) -> ReviewPairOut:
    """Both records of a pair side by side and the match-weight waterfall (audited)."""
    view = identity.open_review_pair(
        wiring.identity_review,
        wiring.disclosure,
        actor=Actor.of(caller),
        pair_id=pair_id,
        at=_now(request),
    )
    return ReviewPairOut.of(view)


@router.post("/review/{pair_id}")
def decide_pair(
    request: Request, pair_id: int, body: DecisionIn, wiring: Wiring, caller: Admin
) -> ReviewPairOut:
    """Record the decision; it overrides the model in every later link and match on arrival."""
    actor = Actor.of(caller)
    identity.decide_identity_review(
        wiring.identity_review,
        wiring.audit,
        actor=actor,
        pair_id=pair_id,
        is_match=body.decision == "match",
        at=_now(request),
    )
    view = identity.open_review_pair(
        wiring.identity_review, wiring.disclosure, actor=actor, pair_id=pair_id, at=_now(request)
    )
    return ReviewPairOut.of(view)
