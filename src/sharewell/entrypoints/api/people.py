"""/api/v1 for the disclosure gate: purpose of use, find a person, joined-up record, household,
consent and relationships. A session or an API token: reading needs the `read` scope, recording
consent and starting or ending relationships the `share` scope. The purpose travels in the
session or, per request, in `X-Sharewell-Purpose`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from sharewell.bootstrap import Container
from sharewell.domain.access import Reason
from sharewell.domain.consent import ALL_PARTNERS, ConsentRecord, ConsentState
from sharewell.domain.errors import NotFound, PurposeRequired
from sharewell.domain.organisations import Practitioner
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.domain.times import LONDON
from sharewell.domain.vocabulary import DataCategory, Purpose
from sharewell.entrypoints.api.deps import Reader, Sharer, container
from sharewell.entrypoints.api.errors import ERROR_RESPONSES, ErrorBody
from sharewell.entrypoints.threads import in_thread
from sharewell.entrypoints.web.sessions import session_of
from sharewell.services import governance
from sharewell.services.disclosure import (
    JoinedUpRecord,
    PersonQuery,
    PersonSummary,
)
from sharewell.services.governance import Actor

# 409 PURPOSE_REQUIRED: reading about people needs the purpose of the practitioner's work first.
PEOPLE_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERROR_RESPONSES,
    409: {"model": ErrorBody, "description": "PURPOSE_REQUIRED"},
}
router = APIRouter(prefix="/api/v1", tags=["people"], responses=PEOPLE_ERROR_RESPONSES)

Wiring = Annotated[Container, Depends(container)]
PURPOSE_KEY = "purpose"


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


async def purpose_for(
    request: Request,
    x_sharewell_purpose: Annotated[
        Purpose | None,
        Header(description="The purpose of use for this request (else the session's)"),
    ] = None,
) -> Purpose:
    """The purpose of use of this request: the header, else the one chosen in the session."""
    if x_sharewell_purpose is not None:
        return x_sharewell_purpose
    session = session_of(request)
    value = session.data.get(PURPOSE_KEY) if session is not None else None
    if isinstance(value, str) and value in {p.value for p in Purpose}:
        return Purpose(value)
    raise PurposeRequired(
        "Choose the purpose of your work first (PUT /api/v1/purpose)", field="purpose"
    )


ForPurpose = Annotated[Purpose, Depends(purpose_for)]


class PurposeIn(BaseModel):
    """The purpose of the practitioner's work, from the vocabulary."""

    purpose: Purpose


class PurposeOut(BaseModel):
    """The purpose of use in force for this session (null when none is chosen yet)."""

    purpose: Purpose | None
    label: str | None


class IdentityOut(BaseModel):
    """One agency's identity details for the person (only those the viewer may see)."""

    holder: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: str
    nhs_number: str | None
    postcode: str | None


class PersonOut(BaseModel):
    """A person as the viewer may see them."""

    person_id: str
    name: str
    identities: list[IdentityOut]

    @classmethod
    def of(cls, person: PersonSummary) -> PersonOut:
        return cls(
            person_id=person.person_id,
            name=person.name,
            identities=[
                IdentityOut(
                    holder=i.org_code,
                    given_name=i.given_name,
                    family_name=i.family_name,
                    date_of_birth=i.date_of_birth,
                    sex=i.sex,
                    nhs_number=i.nhs_number,
                    postcode=i.postcode,
                )
                for i in person.identities
            ],
        )


class PeopleOut(BaseModel):
    """People matching a search (only those the viewer may see)."""

    people: list[PersonOut]


class FactOut(BaseModel):
    """One item of the chronology, with only the fields shared."""

    id: str
    holder: str
    category: DataCategory
    occurred_at: datetime | None
    date_london: str | None = Field(description="The date in Europe/London")
    fields: dict[str, str]
    shared_on_request: bool = Field(
        False, description="Shown because the holder shared it with you on request"
    )


class WithheldOut(BaseModel):
    """Items a holder keeps that the viewer may not see, and why."""

    holder: str
    category: DataCategory
    count: int
    reasons: list[Reason]
    sentence: str
    explanation: str
    override_available: bool
    request_url: str
    override_url: str | None


class RecordOut(BaseModel):
    """The joined-up record for one purpose."""

    person: PersonOut
    purpose: Purpose
    chronology: list[FactOut]
    withheld: list[WithheldOut]
    limits: list[str]

    @classmethod
    def of(cls, record: JoinedUpRecord) -> RecordOut:
        pid = record.person.person_id
        return cls(
            person=PersonOut.of(record.person),
            purpose=record.purpose,
            chronology=[
                FactOut(
                    id=f.id,
                    holder=f.org_code,
                    category=f.category,
                    occurred_at=f.occurred_at,
                    date_london=f.occurred_at.astimezone(LONDON).date().isoformat()
                    if f.occurred_at
                    else None,
                    fields=dict(f.fields),
                    shared_on_request=f.id in record.shared,
                )
                for f in record.chronology
            ],
            withheld=[
                WithheldOut(
                    holder=w.org_code,
                    category=w.category,
                    count=w.count,
                    reasons=list(w.reasons),
                    sentence=w.sentence,
                    explanation=w.explanation,
                    override_available=w.override_available,
                    request_url=f"/people/{pid}/requests/new?holder={w.org_code}"
                    f"&category={w.category.value}",
                    override_url=f"/people/{pid}/override?holder={w.org_code}"
                    f"&category={w.category.value}"
                    if w.override_available
                    else None,
                )
                for w in record.withheld
            ],
            limits=list(record.limits),
        )


class ConsentIn(BaseModel):
    """What the person said about sharing for a purpose."""

    purpose: Purpose
    state: ConsentState
    scope: str = Field(default=ALL_PARTNERS, description="`all` or an organisation code")
    obtained_how: str | None = None


class ConsentOut(BaseModel):
    """One consent statement."""

    purpose: Purpose
    state: ConsentState
    scope: str
    recorded_at: datetime
    recorded_by: str | None


class ConsentsOut(BaseModel):
    """The person's consent history, oldest first."""

    consents: list[ConsentOut]


class RelationshipIn(BaseModel):
    """Start a legitimate relationship between the signed-in practitioner and the person."""

    kind: RelationshipKind
    starts_on: date | None = None


class RelationshipOut(BaseModel):
    """A legitimate relationship."""

    id: str | None
    kind: RelationshipKind
    starts_on: date
    ends_on: date | None
    practitioner_id: str | None
    team: str | None

    @classmethod
    def of(cls, r: Relationship) -> RelationshipOut:
        return cls(
            id=r.id,
            kind=r.kind,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            practitioner_id=r.practitioner_id,
            team=r.team,
        )


class RelationshipsOut(BaseModel):
    """The person's relationships, current and ended."""

    relationships: list[RelationshipOut]


@router.get("/purpose", response_model=PurposeOut)
def get_purpose(request: Request, _viewer: Reader) -> PurposeOut:
    """The purpose of use chosen for this session."""
    session = session_of(request)
    value = session.data.get(PURPOSE_KEY) if session is not None else None
    purpose = Purpose(value) if isinstance(value, str) and value in set(Purpose) else None
    return PurposeOut(purpose=purpose, label=purpose.label if purpose else None)


@router.put("/purpose", response_model=PurposeOut)
def put_purpose(body: PurposeIn, request: Request, _viewer: Reader) -> PurposeOut:
    """Choose the purpose of use; it travels with every request until changed."""
    session = session_of(request)
    if session is None:
        raise PurposeRequired("A session is needed to keep a purpose", field="purpose")
    session.data[PURPOSE_KEY] = body.purpose.value
    session.changed = True
    return PurposeOut(purpose=body.purpose, label=body.purpose.label)


@router.get("/people", response_model=PeopleOut)
def search_people(
    request: Request,
    wiring: Wiring,
    viewer: Reader,
    purpose: ForPurpose,
    name: Annotated[str, Query(max_length=200)] = "",
    date_of_birth: date | None = None,
    nhs_number: Annotated[str, Query(max_length=20)] = "",
    postcode: Annotated[str, Query(max_length=10)] = "",
) -> PeopleOut:
    """People matching any of the criteria whom the viewer may see; audited."""
    found = wiring.disclosure.search(
        actor=Actor.signed_in(viewer),
        purpose=purpose,
        query=PersonQuery(name, date_of_birth, nhs_number, postcode),
        at=_now(request),
    )
    return PeopleOut(people=[PersonOut.of(p) for p in found])


@router.get("/people/{person_id}", response_model=RecordOut)
async def get_record(
    person_id: str, request: Request, viewer: Reader, purpose: ForPurpose
) -> Response:
    """The joined-up record through the disclosure gate; 404 alike for unknown and hidden."""
    # `async def` with the gate (which waits on the database) in a worker thread: FastAPI
    # checks the response model of a plain `def` route in the thread pool too, a second hand-off
    # to a thread and back for every record read. `in_thread` is the lighter hand-off. The
    # wiring is taken from the app here, not as one more dependency (about 12 µs a request).
    wiring: Container = request.app.state.container
    record = await in_thread(
        wiring.disclosure.joined_up_record,
        actor=Actor.signed_in(viewer),
        purpose=purpose,
        person_id=person_id,
        at=_now(request),
    )
    # Built and checked once, here: returned as a model, FastAPI would check it a second time
    # against the response model (which stays declared, for the OpenAPI document).
    return Response(RecordOut.of(record).model_dump_json(), media_type="application/json")


@router.get("/people/{person_id}/household", response_model=PeopleOut)
def get_household(
    person_id: str, request: Request, wiring: Wiring, viewer: Reader, purpose: ForPurpose
) -> PeopleOut:
    """Others at the person's address whom the viewer may see."""
    members = wiring.disclosure.household(
        actor=Actor.signed_in(viewer), purpose=purpose, person_id=person_id, at=_now(request)
    )
    return PeopleOut(people=[PersonOut.of(m) for m in members])


def _visible(
    request: Request, wiring: Container, viewer: Practitioner, purpose: Purpose, person_id: str
) -> Actor:
    actor = Actor.of(viewer)
    wiring.disclosure.person(actor=actor, purpose=purpose, person_id=person_id, at=_now(request))
    return actor


@router.get("/people/{person_id}/consents", response_model=ConsentsOut)
def list_consents(
    person_id: str, request: Request, wiring: Wiring, viewer: Reader, purpose: ForPurpose
) -> ConsentsOut:
    """What the person has said about consent."""
    _visible(request, wiring, viewer, purpose, person_id)
    history = governance.consent_history(wiring.governance, person_id)
    return ConsentsOut(
        consents=[
            ConsentOut(
                purpose=c.purpose,
                state=c.state,
                scope=c.scope,
                recorded_at=c.recorded_at,
                recorded_by=c.recorded_by,
            )
            for c in history
        ]
    )


@router.post("/people/{person_id}/consents", response_model=ConsentOut, status_code=201)
def add_consent(
    person_id: str,
    body: ConsentIn,
    request: Request,
    wiring: Wiring,
    viewer: Sharer,
    purpose: ForPurpose,
) -> ConsentOut:
    """Record consent given, refused or withdrawn; audited."""
    actor = _visible(request, wiring, viewer, purpose, person_id)
    record = governance.record_consent(
        wiring.governance,
        wiring.audit,
        ConsentRecord(
            person_id,
            body.purpose,
            body.scope,
            body.state,
            _now(request),
            body.obtained_how,
            viewer.id,
        ),
        actor=actor,
    )
    return ConsentOut(
        purpose=record.purpose,
        state=record.state,
        scope=record.scope,
        recorded_at=record.recorded_at,
        recorded_by=record.recorded_by,
    )


@router.get("/people/{person_id}/relationships", response_model=RelationshipsOut)
def list_relationships(
    person_id: str, request: Request, wiring: Wiring, viewer: Reader, purpose: ForPurpose
) -> RelationshipsOut:
    """The person's legitimate relationships."""
    _visible(request, wiring, viewer, purpose, person_id)
    found = governance.relationships_of(wiring.governance, person_id)
    return RelationshipsOut(relationships=[RelationshipOut.of(r) for r in found])


@router.post("/people/{person_id}/relationships", response_model=RelationshipOut, status_code=201)
def add_relationship(
    person_id: str,
    body: RelationshipIn,
    request: Request,
    wiring: Wiring,
    viewer: Sharer,
    purpose: ForPurpose,
) -> RelationshipOut:
    """Start a relationship between the signed-in practitioner and the person; audited."""
    actor = _visible(request, wiring, viewer, purpose, person_id)
    starts = body.starts_on or _now(request).astimezone(LONDON).date()
    started = governance.start_relationship(
        wiring.governance,
        wiring.audit,
        Relationship(person_id, body.kind, starts, practitioner_id=viewer.id),
        actor=actor,
        at=_now(request),
    )
    return RelationshipOut.of(started)


@router.post(
    "/people/{person_id}/relationships/{relationship_id}/end", response_model=RelationshipOut
)
def end_relationship(
    person_id: str,
    relationship_id: str,
    request: Request,
    wiring: Wiring,
    viewer: Sharer,
    purpose: ForPurpose,
) -> RelationshipOut:
    """End a relationship of this person from today; audited. Only the caller's own (or their
    team's), or as a team manager or designated safeguarding lead a colleague's in the caller's
    organisation: else 403 (ADR 0019)."""
    actor = _visible(request, wiring, viewer, purpose, person_id)
    if relationship_id not in {
        r.id for r in governance.relationships_of(wiring.governance, person_id)
    }:
        raise NotFound("There is no such relationship for this person", field="relationship")
    ended = governance.end_relationship(
        wiring.governance,
        wiring.practitioners,
        wiring.audit,
        relationship_id,
        on=_now(request).astimezone(LONDON).date(),
        actor=actor,
        at=_now(request),
    )
    return RelationshipOut.of(ended)
