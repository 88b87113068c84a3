"""Identity use cases: batch linkage, stable person IDs, matching on arrival, review."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sharewell.domain.errors import NotFound, ValidationError
from sharewell.domain.identity import PersonEvent, PersonEventKind, assign_stable_ids, resolve
from sharewell.services.identity_ports import LinkageEngine, PeopleRegister, ReviewQueue, ScoredPair

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
