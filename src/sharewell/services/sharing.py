"""Request to share: a practitioner asks a holding organisation for categories of a person's
information; a practitioner of the holder answers with a golden rule 7 decision record and, if
sharing, chooses the items and fields; the answer becomes a sharing grant that the disclosure
gate honours. Every step is audited (entry appended before the write, as in governance).

What is shared reaches the requester only through a `Disclose` port (the disclosure gate):
this module never reads facts for display. It reads fact references (ids and categories) through
`HeldFacts` only to check that a holder shares its own items about this person.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.decision_records import ShareChoice
from sharewell.domain.errors import NotFound, PermissionDenied, ValidationError
from sharewell.domain.sharing import (
    RequestStatus,
    ResponseTimes,
    SharedItem,
    ShareRequest,
    SharingGrant,
    Urgency,
)
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import DataCategory, Purpose
from sharewell.services.governance import Actor, submit_decision_record
from sharewell.services.governance_ports import GovernanceStore
from sharewell.services.ports import AuditLog

# --- Ports --------------------------------------------------------------------------------------


class ShareRequestRepository(Protocol):
    """Requests to share."""

    def add(self, request: ShareRequest) -> None: ...

    def get(self, request_id: str) -> ShareRequest | None: ...

    def save_decision(self, request: ShareRequest) -> None: ...

    def for_holder(self, org: str) -> Sequence[ShareRequest]: ...

    def by_requester(self, practitioner_id: str) -> Sequence[ShareRequest]: ...


class GrantRepository(Protocol):
    """Sharing grants (disclosure authorities made by holders' decisions)."""

    def add(self, grant: SharingGrant) -> None: ...

    def for_request(self, request_id: str) -> Sequence[SharingGrant]: ...

    def for_recipient(self, practitioner_id: str, person_id: str) -> Sequence[SharingGrant]: ...


class SharingTransaction(Protocol):
    """One unit of work over requests and grants."""

    @property
    def requests(self) -> ShareRequestRepository: ...

    @property
    def grants(self) -> GrantRepository: ...


class SharingStore(Protocol):
    """Where requests and grants live."""

    def transaction(self) -> AbstractContextManager[SharingTransaction]: ...

    def reads(self) -> AbstractContextManager[SharingTransaction]:
        """The same repositories, for reading only (no transaction): never write through them."""
        ...


class HeldFacts(Protocol):
    """References (never content) to what an organisation holds about a person."""

    def references(
        self, person_id: str, org: str, categories: Sequence[DataCategory]
    ) -> dict[str, DataCategory]:
        """fact id -> category, for the facts `org` holds about the person in `categories`."""
        ...


@dataclass(frozen=True, slots=True)
class DisclosedItem:
    """One item as the disclosure gate returns it: only the fields the reader may see."""

    fact_id: str
    holder: str
    category: DataCategory
    fields: dict[str, str]


class Disclose(Protocol):
    """The disclosure gate, as this module needs it: decide, read only what is permitted,
    audit durably, then return (fail closed). Implemented by services/disclosure.py."""

    def own_items(
        self,
        *,
        actor: Actor,
        person_id: str,
        categories: Sequence[DataCategory],
        purpose: Purpose,
    ) -> list[DisclosedItem]:
        """The actor's own organisation's items about the person (for choosing what to share)."""
        ...

    def granted_items(
        self, *, actor: Actor, grant: SharingGrant, at: datetime
    ) -> list[DisclosedItem]:
        """What `grant` lets the actor see now (nothing if it is not theirs or has lapsed)."""
        ...


# --- Use cases ----------------------------------------------------------------------------------


def _event(
    kind: AuditKind,
    at: datetime,
    actor: Actor,
    request: ShareRequest,
    *,
    outcome: str,
    refs: dict[str, str] | None = None,
) -> AuditEvent:
    return AuditEvent(
        kind=kind,
        at=at,
        actor_id=actor.id,
        actor_org=actor.org,
        purpose=request.purpose.value,
        subject_id=request.person_id,
        outcome=outcome,
        refs={
            "share_request": request.id,
            "holder": request.holder_org,
            "categories": ",".join(c.value for c in request.categories),
            **(refs or {}),
        },
    )


def request_to_share(
    store: SharingStore,
    audit: AuditLog,
    *,
    actor: Actor,
    person_id: str,
    holder: str,
    purpose: Purpose,
    categories: Sequence[DataCategory],
    urgency: Urgency,
    reason: str,
    times: ResponseTimes,
    at: datetime | None = None,
) -> ShareRequest:
    """Send a request to the holding organisation's inbox, with a deadline set by urgency."""
    at = at or utcnow()
    if actor.org is None:
        raise PermissionDenied("Only a practitioner can ask for information", field="actor")
    request = ShareRequest(
        id=uuid.uuid4().hex,
        person_id=person_id,
        requester_id=actor.id,
        requester_org=actor.org,
        holder_org=holder,
        purpose=purpose,
        categories=tuple(dict.fromkeys(categories)),
        urgency=urgency,
        reason=reason.strip(),
        requested_at=at,
        due_at=times.due(urgency, at),
    )
    with store.transaction() as tx:
        audit.append(
            _event(
                AuditKind.SHARE_REQUEST,
                at,
                actor,
                request,
                outcome="requested",
                refs={"urgency": urgency.value},
            )
        )
        tx.requests.add(request)
    return request


@dataclass(frozen=True, slots=True)
class DecisionAnswers:
    """The holder's golden rule 7 answers (see domain/decision_records.py)."""

    consent_sought: bool
    consent_detail: str
    legal_basis: tuple[str, ...]
    safety_considered: str
    necessary_and_proportionate: str
    advice_sought: str
    shared_what: str = ""


def visible_request(store: SharingStore, request_id: str, *, actor: Actor) -> ShareRequest:
    """A request the actor's organisation sent or holds; any other id is simply not found
    (so guessing ids reveals nothing)."""
    with store.transaction() as tx:
        request = tx.requests.get(request_id)
    if request is None or actor.org not in {request.requester_org, request.holder_org}:
        raise NotFound("There is no such request", field="request")
    return request


def answer_request(
    store: SharingStore,
    governance: GovernanceStore,
    held: HeldFacts,
    audit: AuditLog,
    *,
    actor: Actor,
    request_id: str,
    choice: ShareChoice,
    items: Sequence[SharedItem],
    answers: DecisionAnswers,
    at: datetime | None = None,
) -> tuple[ShareRequest, SharingGrant | None]:
    """The holder decides: record the decision (golden rule 7), then answer the request and, when
    sharing, grant the requester exactly the chosen items and fields."""
    at = at or utcnow()
    request = visible_request(store, request_id, actor=actor)
    if actor.org != request.holder_org:
        raise PermissionDenied(
            "Only the organisation that holds the information answers this request",
            field="request",
        )
    if request.status is not RequestStatus.OPEN:
        raise ValidationError("This request has already been answered", field="request")
    chosen = tuple(item for item in items if item.fields)
    if choice is ShareChoice.SHARE:
        if not chosen:
            raise ValidationError("Choose at least one item and field to share", field="items")
        owned = held.references(request.person_id, request.holder_org, request.categories)
        for item in chosen:
            if owned.get(item.fact_id) is not item.category:
                raise ValidationError(
                    "You can only share your own organisation's items of the kinds asked for",
                    field="items",
                )
    else:
        chosen = ()
    asked = ", ".join(c.label for c in request.categories)
    record = submit_decision_record(
        governance,
        audit,
        actor=actor,
        person_id=request.person_id,
        purpose=request.purpose,
        choice=choice,
        what_was_asked=f"{request.requester_org} asked for {asked}: {request.reason}",
        consent_sought=answers.consent_sought,
        consent_detail=answers.consent_detail,
        legal_basis=answers.legal_basis,
        safety_considered=answers.safety_considered,
        shared_what=answers.shared_what or (f"{len(chosen)} item(s): {asked}" if chosen else ""),
        shared_with=request.requester_org if chosen else "",
        necessary_and_proportionate=answers.necessary_and_proportionate,
        advice_sought=answers.advice_sought,
        disclosure_ref=f"share_request:{request.id}",
        at=at,
    )
    status = RequestStatus.SHARED if chosen else RequestStatus.DECLINED
    answered = request.decided(
        status=status, by=actor.id, org=actor.org or "", record_id=record.id, at=at
    )
    grant = None
    if chosen:
        grant = SharingGrant(
            id=uuid.uuid4().hex,
            request_id=request.id,
            person_id=request.person_id,
            holder_org=request.holder_org,
            recipient_id=request.requester_id,
            recipient_org=request.requester_org,
            purpose=request.purpose,
            items=chosen,
            decision_record_id=record.id,
            granted_at=at,
        )
    with store.transaction() as tx:
        current = tx.requests.get(request.id)
        if current is None or current.status is not RequestStatus.OPEN:
            raise ValidationError("This request has already been answered", field="request")
        refs = {"decision_record": record.id}
        if grant is not None:
            refs["grant"] = grant.id
            refs["items"] = str(len(grant.items))
        audit.append(
            _event(
                AuditKind.SHARING_GRANT if grant else AuditKind.SHARE_REQUEST,
                at,
                actor,
                request,
                outcome=status.value,
                refs=refs,
            )
        )
        tx.requests.save_decision(answered)
        if grant is not None:
            tx.grants.add(grant)
    return answered, grant


@dataclass(frozen=True, slots=True)
class RequestLine:
    """A request as lists show it, with whether it is (or was answered) past its deadline."""

    request: ShareRequest
    overdue: bool


def inbox(store: SharingStore, org: str, *, at: datetime | None = None) -> list[RequestLine]:
    """Requests to `org`: open ones first (soonest deadline first), then answered, newest first."""
    at = at or utcnow()
    with store.transaction() as tx:
        found = list(tx.requests.for_holder(org))
    open_ = sorted((r for r in found if r.status is RequestStatus.OPEN), key=lambda r: r.due_at)
    done = sorted(
        (r for r in found if r.status is not RequestStatus.OPEN),
        key=lambda r: r.decided_at or r.requested_at,
        reverse=True,
    )
    return [RequestLine(r, r.overdue(at)) for r in open_ + done]


def requests_made(
    store: SharingStore, practitioner_id: str, *, at: datetime | None = None
) -> list[RequestLine]:
    """The practitioner's own requests, newest first: their notifications of answers."""
    at = at or utcnow()
    with store.transaction() as tx:
        found = sorted(
            tx.requests.by_requester(practitioner_id), key=lambda r: r.requested_at, reverse=True
        )
    return [RequestLine(r, r.overdue(at)) for r in found]


def grants_for_request(store: SharingStore, request_id: str) -> list[SharingGrant]:
    """The grants a request's answer made (none if declined or open)."""
    with store.transaction() as tx:
        return list(tx.grants.for_request(request_id))


def shared_with_me(
    store: SharingStore,
    disclose: Disclose,
    *,
    actor: Actor,
    request_id: str,
    at: datetime | None = None,
) -> list[DisclosedItem]:
    """What the holder shared in answer to the actor's request, through the disclosure gate."""
    at = at or utcnow()
    request = visible_request(store, request_id, actor=actor)
    if request.requester_id != actor.id:
        return []
    items: list[DisclosedItem] = []
    for grant in grants_for_request(store, request.id):
        items.extend(disclose.granted_items(actor=actor, grant=grant, at=at))
    return items


def active_grants(
    store: SharingStore, *, practitioner_id: str, person_id: str, at: datetime | None = None
) -> list[SharingGrant]:
    """The grants in force that let this practitioner see items about this person: what the
    disclosure gate adds to an agreement's permissions when it builds the record."""
    at = at or utcnow()
    # Read on every joined-up record: one statement, no transaction round trips.
    with store.reads() as tx:
        grants = tx.grants.for_recipient(practitioner_id, person_id)
    return [g for g in grants if g.expires_at is None or at < g.expires_at]
