"""The identity review queue for information governance leads: pairs of records the linkage
model was unsure about, each shown side by side with its match-weight waterfall, and the
lead's match / not a match decision, which overrides the model from then on."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from sharewell.bootstrap import Container
from sharewell.domain.errors import ValidationError
from sharewell.domain.times import london
from sharewell.entrypoints.api.deps import container
from sharewell.entrypoints.web.ig_pages import IgLead
from sharewell.entrypoints.web.sessions import session_of
from sharewell.entrypoints.web.templating import render
from sharewell.services import identity
from sharewell.services.governance import Actor
from sharewell.services.identity import ReviewPairView, WaterfallStep

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]

BAR_WIDTH = 160  # pixels for the largest contribution in a pair's chart


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def percent(probability: float) -> str:
    """A match probability as a person reads it: 0.8734 -> "87.3%"."""
    return f"{probability * 100:.1f}%"


def bars(steps: tuple[WaterfallStep, ...]) -> list[dict[str, Any]]:
    """The waterfall as rows of a table with a bar each, drawn on the server as SVG geometry
    (no script, no inline style): agreeing evidence to the right of the axis, disagreeing to
    the left, each as long as its share of the largest weight."""
    largest = max((abs(s.match_weight) for s in steps), default=0.0) or 1.0
    half = BAR_WIDTH // 2
    rows = []
    for step in steps:
        length = round(abs(step.match_weight) / largest * half)
        rows.append(
            {
                "name": step.name,
                "level": step.level,
                "weight": f"{step.match_weight:+.2f}",
                "effect": step.effect,
                "x": half if step.match_weight >= 0 else half - length,
                "width": max(length, 1),
                "positive": step.match_weight >= 0,
            }
        )
    return rows


def _record_rows(view: ReviewPairView) -> list[dict[str, Any]]:
    def value(field: str) -> list[str]:
        out = []
        for r in view.records:
            v = getattr(r, field)
            if field == "date_of_birth" and v is not None:
                v = v.strftime("%d %B %Y").lstrip("0")
            out.append(str(v) if v not in (None, "") else "Not recorded")
        return out

    labels = (
        ("Held by", "org_code"),
        ("Their reference", "local_id"),
        ("Given name", "given_name"),
        ("Family name", "family_name"),
        ("Date of birth", "date_of_birth"),
        ("Sex", "sex"),
        ("NHS number", "nhs_number"),
        ("Postcode", "postcode"),
        ("Address", "address"),
    )
    rows = []
    for label, field in labels:
        values = value(field)
        rows.append(
            {
                "label": label,
                "values": values,
                "same": len(set(values)) == 1 and values[0] != "Not recorded",
            }
        )
    return rows


@router.get("/ig/identity-reviews")
def queue(request: Request, wiring: Wiring, lead: IgLead) -> Response:
    pairs = identity.identity_review_queue(wiring.identity_review, actor=Actor.of(lead))
    return render(
        request,
        "ig_identity_reviews.html",
        {
            "title": "Identity reviews",
            "nav": "ig",
            "rows": [
                {
                    "id": p["id"],
                    "orgs": f"{p['org_l']} and {p['org_r']}",
                    "probability": percent(p["match_probability"]),
                    "queued": london(p["created_at"]) if p["created_at"] else "",
                }
                for p in pairs
            ],
        },
    )


@router.get("/ig/identity-reviews/{pair_id}")
def pair(request: Request, pair_id: int, wiring: Wiring, lead: IgLead) -> Response:
    view = identity.open_review_pair(
        wiring.identity_review,
        wiring.disclosure,
        actor=Actor.of(lead),
        pair_id=pair_id,
        at=_now(request),
    )
    return render(
        request,
        "ig_identity_review.html",
        {
            "title": f"Identity review {pair_id}",
            "nav": "ig",
            "pair": view,
            "probability": percent(view.match_probability),
            "total_weight": f"{view.match_weight:+.2f}",
            "records": _record_rows(view),
            "bars": bars(view.waterfall),
            "bar_width": BAR_WIDTH,
            "decision": {"match": "A match", "non_match": "Not a match"}.get(view.status),
        },
    )


@router.post("/ig/identity-reviews/{pair_id}")
async def decide(request: Request, pair_id: int, wiring: Wiring, lead: IgLead) -> Response:
    form = await request.form()
    choice = str(form.get("decision", ""))
    if choice not in ("match", "non_match"):
        raise ValidationError("Choose a match or not a match", field="decision")
    identity.decide_identity_review(
        wiring.identity_review,
        wiring.audit,
        actor=Actor.of(lead),
        pair_id=pair_id,
        is_match=choice == "match",
        at=_now(request),
    )
    session = session_of(request)
    if session is not None:
        said = "the same person" if choice == "match" else "different people"
        session.flash(
            f"Pair {pair_id} recorded as {said}. Linking follows your decision from now on."
        )
    return RedirectResponse("/ig/identity-reviews", status_code=303)
