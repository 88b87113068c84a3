"""Identity use cases: batch linkage, stable person IDs, matching on arrival, review."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.errors import NotFound, PermissionDenied, ValidationError
from sharewell.domain.identity import PersonEvent, PersonEventKind, assign_stable_ids, resolve
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import Role
from sharewell.services.disclosure import DisclosureGate, IdentityRecord
from sharewell.services.governance import Actor
from sharewell.services.identity_ports import LinkageEngine, PeopleRegister, ReviewQueue, ScoredPair
from sharewell.services.ports import AuditLog

DEFAULT_THRESHOLD = 0.95
DEFAULT_REVIEW_LOWER = 0.5


def new_person_id() -> str:
    """A fresh person ID: opaque, never reused, says nothing about the person."""
    return "P-" + uuid.uuid4().hex[:16]


def _check_thresholds(threshold: float, review_lower: float) -> None:
    if not 0 < threshold <= 1:
        raise ValidationError(
            "The threshold is a probability above 0 and at most 1", field="threshold"
        )
    if not 0 < review_lower <= threshold:
        raise ValidationError(
            "The review lower bound must be above 0 and not above the threshold",
            field="review_lower",
        )


@dataclass(slots=True)
class LinkReport:
    """What a batch link did."""

    records: int
    people: int
    created: int
    merged: int
    split: int
    kept_ids: int
    previously_linked: int
    queued_for_review: int
    model_path: str
    seconds: dict[str, float] = field(default_factory=dict)


def link_batch(
    engine: LinkageEngine,
    people: PeopleRegister,
    review: ReviewQueue,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    review_lower: float = DEFAULT_REVIEW_LOWER,
    train: bool = False,
) -> LinkReport:
    """Link every source record into people, keeping person IDs stable across runs.

    Reviewers' decisions override the model; pairs between `review_lower` and `threshold` are
    queued for review. Merges and splits are recorded so old person IDs still resolve.
    """
    _check_thresholds(threshold, review_lower)
    matches, non_matches = review.decisions()
    result = engine.link_all(
        threshold=threshold,
        review_lower=review_lower,
        forced_matches=matches,
        forced_non_matches=non_matches,
        train=train,
    )
    previous = people.links()
    assignment = assign_stable_ids(previous, result.clusters, new_person_id)
    people.apply(
        links=assignment.ids,
        created=assignment.created,
        merged_into=assignment.merged_into,
        events=assignment.events,
        method="batch",
        probabilities={},
    )
    queued = review.add_pending(result.pairs)
    kept = sum(1 for record, pid in previous.items() if assignment.ids.get(record) == pid)
    return LinkReport(
        records=len(assignment.ids),
        people=len(result.clusters),
        created=len(assignment.created),
        merged=len(assignment.merged_into),
        split=sum(1 for e in assignment.events if e.kind is PersonEventKind.SPLIT),
        kept_ids=kept,
        previously_linked=len(previous),
        queued_for_review=queued,
        model_path=result.model_path,
        seconds=dict(result.seconds),
    )


@dataclass(frozen=True, slots=True)
class ArrivalOutcome:
    """What happened to a record matched on arrival."""

    record_id: int
    person_id: str
    outcome: str  # linked | review | new_person
    best: ScoredPair | None


def match_on_arrival(
    engine: LinkageEngine,
    people: PeopleRegister,
    review: ReviewQueue,
    record_id: int,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    review_lower: float = DEFAULT_REVIEW_LOWER,
) -> ArrivalOutcome:
    """Match one new or changed record against existing people as it arrives.

    Linked to the best candidate's person at or above `threshold`; between the bounds it
    becomes a new person and the pair is queued for review; otherwise a new person.
    """
    _check_thresholds(threshold, review_lower)
    matches, non_matches = review.decisions()
    blocked = {(min(a, b), max(a, b)) for a, b in non_matches}
    forced = {(min(a, b), max(a, b)) for a, b in matches}
    candidates = engine.score_new(record_id)
    links = people.person_of([p.record_r for p in candidates])
    scored = [
        p
        for p in candidates
        if p.record_r in links
        and (min(p.record_l, p.record_r), max(p.record_l, p.record_r)) not in blocked
    ]
    for pair in scored:
        if (min(pair.record_l, pair.record_r), max(pair.record_l, pair.record_r)) in forced:
            return _link(people, record_id, links[pair.record_r], pair, "linked")
    best = scored[0] if scored else None
    if best is not None and best.match_probability >= threshold:
        return _link(people, record_id, links[best.record_r], best, "linked")
    person = new_person_id()
    people.apply(
        links={record_id: person},
        created=[person],
        merged_into={},
        events=[PersonEvent(PersonEventKind.CREATED, person, (), "new on arrival")],
        method="realtime",
        probabilities={},
    )
    if best is not None and best.match_probability >= review_lower:
        review.add_pending([best])
        return ArrivalOutcome(record_id, person, "review", best)
    return ArrivalOutcome(record_id, person, "new_person", best)


def _link(
    people: PeopleRegister, record_id: int, person: str, pair: ScoredPair, outcome: str
) -> ArrivalOutcome:
    people.apply(
        links={record_id: person},
        created=[],
        merged_into={},
        events=[PersonEvent(PersonEventKind.RECORD_LINKED, person, (), f"record {record_id}")],
        method="realtime",
        probabilities={record_id: pair.match_probability},
    )
    return ArrivalOutcome(record_id, person, outcome, pair)


def resolve_person_id(people: PeopleRegister, person_id: str) -> str:
    """The person ID in use now for an ID that consents, relationships or audit entries name."""
    return resolve(person_id, people.merged_into())


def pending_reviews(review: ReviewQueue, *, limit: int = 50) -> list[dict[str, Any]]:
    """Pairs waiting for a reviewer, most likely matches first."""
    return review.pending(limit)


def review_pair(review: ReviewQueue, pair_id: int) -> dict[str, Any]:
    """Both records side by side with the match-weight waterfall."""
    found = review.get(pair_id)
    if found is None:
        raise NotFound(f"Review pair {pair_id} does not exist", field="pair")
    return found


def decide_review(review: ReviewQueue, pair_id: int, *, is_match: bool, actor: str) -> None:
    """Record a reviewer's decision; it overrides the model in every later run."""
    if not actor:
        raise ValidationError("A decision needs the reviewer's id", field="actor")
    review.decide(pair_id, is_match=is_match, actor=actor)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a person's records were linked: the records, the pairwise scores, the history."""

    person_id: str
    requested_id: str
    records: list[dict[str, Any]]
    pairs: list[ScoredPair]
    events: list[dict[str, Any]]


def explain_person(engine: LinkageEngine, people: PeopleRegister, person_id: str) -> Explanation:
    """The records of a person and, for each record after the first, its best-scoring partner."""
    current = resolve_person_id(people, person_id)
    records = people.records_of(current)
    if not records:
        raise NotFound(f"Person {person_id} has no records", field="person")
    pairs: list[ScoredPair] = []
    ids = [int(r["id"]) for r in records]
    # Each pair is scored once: beyond 20 records the explanation covers the first 20.
    ids = ids[:20]
    for index, record in enumerate(ids[1:], start=1):
        scored = [engine.explain(other, record) for other in ids[:index]]
        pairs.append(max(scored, key=lambda p: p.match_weight))
    return Explanation(current, person_id, records, pairs, people.events_of(current))


def export_links(people: PeopleRegister) -> Iterator[tuple[str, str, str]]:
    """(org_code, local_id, person_id) for every source record."""
    return people.export_rows()


# --- The review queue for information governance leads (pages and API) -------------------------

COMPARISON_NAMES = {
    "prior": "Starting point",
    "given_name": "Given name",
    "family_name": "Family name",
    "dob": "Date of birth",
    "nhs_number": "NHS number",
    "shared_id": "Shared identifier",
    "sex": "Sex",
    "location": "Postcode and address",
}


@dataclass(frozen=True, slots=True)
class WaterfallStep:
    """One comparison's part in a pair's score: its level and the match weight it added."""

    comparison: str
    name: str
    level: str
    match_weight: float

    @property
    def effect(self) -> str:
        if self.comparison == "prior":
            return "starting point"
        if self.match_weight > 0:
            return "agrees"
        if self.match_weight < 0:
            return "disagrees"
        return "no evidence"


@dataclass(frozen=True, slots=True)
class ReviewPairView:
    """A pair for a reviewer: both records side by side and the match-weight waterfall."""

    id: int
    match_probability: float
    match_weight: float
    status: str  # pending | match | non_match
    decided_by: str | None
    records: tuple[IdentityRecord, ...]
    waterfall: tuple[WaterfallStep, ...]


def _must_be_ig_lead(actor: Actor) -> str:
    if actor.role is not Role.IG_LEAD or not actor.org:
        raise PermissionDenied("Only an information governance lead reviews identity pairs")
    return actor.org


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def identity_review_queue(
    review: ReviewQueue, *, actor: Actor, limit: int = 50
) -> list[dict[str, Any]]:
    """Pairs awaiting review one of whose records the lead's organisation holds, most likely
    matches first: ids, organisations and scores only (no names)."""
    org = _must_be_ig_lead(actor)
    return [
        {
            "id": int(r["id"]),
            "match_probability": float(r["match_probability"]),
            "match_weight": float(r["match_weight"]),
            "org_l": r["org_l"],
            "org_r": r["org_r"],
            # Stored as UTC; SQLite gives it back without its zone.
            "created_at": _utc(r["created_at"]),
        }
        for r in review.pending(limit, org_code=org)
    ]


def open_review_pair(
    review: ReviewQueue,
    gate: DisclosureGate,
    *,
    actor: Actor,
    pair_id: int,
    at: datetime | None = None,
) -> ReviewPairView:
    """One pair in the lead's queue: the records come through the disclosure gate (audited)."""
    org = _must_be_ig_lead(actor)
    found = review.get(pair_id) if review.involves(pair_id, org) else None
    if found is None:
        raise NotFound("There is no such review pair awaiting you", field="pair")
    records = gate.identity_review(
        actor=actor,
        pair_id=pair_id,
        record_ids=[int(found["record_l"]), int(found["record_r"])],
        at=at,
    )
    steps = tuple(
        WaterfallStep(
            comparison=str(step["comparison"]),
            name=COMPARISON_NAMES.get(str(step["comparison"]), str(step["comparison"])),
            level=str(step.get("level", "")),
            match_weight=float(step.get("match_weight") or 0.0),
        )
        for step in found.get("waterfall") or ()
    )
    return ReviewPairView(
        id=pair_id,
        match_probability=float(found["match_probability"]),
        match_weight=float(found["match_weight"]),
        status=str(found["status"]),
        decided_by=found.get("decided_by"),
        records=tuple(records),
        waterfall=steps,
    )


def decide_identity_review(
    review: ReviewQueue,
    audit: AuditLog,
    *,
    actor: Actor,
    pair_id: int,
    is_match: bool,
    at: datetime | None = None,
) -> None:
    """A lead's decision on a pair in their queue: kept, audited, and it overrides the model in
    every later batch run and match on arrival."""
    org = _must_be_ig_lead(actor)
    if not review.involves(pair_id, org):
        raise NotFound("There is no such review pair awaiting you", field="pair")
    # Logged first: no decision is kept that the log does not hold.
    audit.append(
        AuditEvent(
            AuditKind.IDENTITY_REVIEW,
            at or utcnow(),
            actor.id,
            actor.org,
            outcome="match" if is_match else "non_match",
            refs={"review_pair": str(pair_id)},
        )
    )
    decide_review(review, pair_id, is_match=is_match, actor=actor.id)
