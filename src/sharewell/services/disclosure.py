"""The one disclosure gate (DESIGN.md): decide -> read only the permitted fields -> append the
audit entry durably -> return.

Shared facts reach a practitioner, an API client or an export only through `DisclosureGate`. It
is the only module that may use a `FactReader`; an import-linter contract keeps it so (see
docs/disclosure.md). If deciding or auditing fails, nothing is disclosed (fail closed).

A person the practitioner may see nothing about looks exactly like a person who does not exist:
both raise the same `NotFound`, and searches leave such people out of results and counts.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from sharewell.domain.access import AccessDecision, AccessRequest, Decision, Reason, explain
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.errors import NotFound, StorageUnavailable, ValidationError
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import DataCategory, Purpose
from sharewell.services.governance import Actor
from sharewell.services.ports import AuditLog

log = logging.getLogger(__name__)

# The same words for an unknown person and one the practitioner may not see: no oracle.
NOT_FOUND_MESSAGE = "There is no record of this person that you can see"
SEARCH_LIMIT = 20
CANDIDATE_LIMIT = 50


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One agency's record of a person: the holder and its local id."""

    org_code: str
    local_id: str


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """An agency's identity details for a person (the demographics category)."""

    org_code: str
    local_id: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: str
    nhs_number: str | None
    postcode: str | None

    @property
    def ref(self) -> SourceRef:
        return SourceRef(self.org_code, self.local_id)


@dataclass(frozen=True, slots=True)
class PersonQuery:
    """What a practitioner searches by: any of name, date of birth, NHS number, postcode."""

    name: str = ""
    date_of_birth: date | None = None
    nhs_number: str = ""
    postcode: str = ""

    def criteria(self) -> tuple[str, ...]:
        """Which criteria were given (audited instead of the values, which are personal)."""
        given = {
            "name": bool(self.name.strip()),
            "date_of_birth": self.date_of_birth is not None,
            "nhs_number": bool(self.nhs_number.strip()),
            "postcode": bool(self.postcode.strip()),
        }
        return tuple(k for k, v in given.items() if v)


class PersonDirectory(Protocol):
    """Who is who across agencies: person ids and the source records linked to them."""

    def records_of(self, person_id: str) -> Sequence[IdentityRecord]:
        """The records linked to the person (none for an unknown id)."""
        ...

    def search(self, query: PersonQuery, *, limit: int) -> Sequence[str]:
        """Candidate person ids, best first; tolerant of typos and nicknames in names."""
        ...

    def household_of(self, person_id: str) -> Sequence[str]:
        """Other people recorded at the same address as this person."""
        ...


@dataclass(frozen=True, slots=True)
class Holding:
    """How many facts of a category one holder keeps about a person (no content)."""

    org_code: str
    category: DataCategory
    count: int


@dataclass(frozen=True, slots=True)
class FactView:
    """A fact as disclosed: only the fields the decision allowed."""

    id: str
    org_code: str
    category: DataCategory
    occurred_at: datetime | None
    fields: Mapping[str, str]


class FactReader(Protocol):
    """Reads agencies' facts. Only `DisclosureGate` may use it (import-linter contract)."""

    def holdings(self, records: Sequence[SourceRef]) -> Sequence[Holding]:
        """Counts per holder and category, without reading any fact's content."""
        ...

    def read(
        self, org_code: str, local_ids: Sequence[str], category: DataCategory, fields: Sequence[str]
    ) -> Sequence[FactView]:
        """Only these fields of the holder's facts of this category, newest first.

        `fields` names columns (occurred_at, code, summary) or keys of the fact's detail; an
        adapter must select nothing else.
        """
        ...

    def all_fields(self) -> Sequence[str]:
        """Every field a holder's own practitioners see (the columns, and every detail key)."""
        ...

    def read_many(self, asks: Sequence[FactAsk]) -> Sequence[FactView]:
        """`read` for each ask, in one go: the asks' facts in the order given, each ask's newest
        first. Each ask's facts carry only that ask's fields."""
        ...


@dataclass(frozen=True, slots=True)
class FactAsk:
    """One holder's facts of one category, and the only fields that may be read of them."""

    org_code: str
    local_ids: tuple[str, ...]
    category: DataCategory
    fields: tuple[str, ...]


class Decider(Protocol):
    """Decides an access request and gives back the decision's audit entry, unrecorded
    (governance.decide_unrecorded): the gate appends it durably, with its own entry, before
    anything decided is shown."""

    def __call__(
        self, *, actor: Actor, person_id: str, request: AccessRequest, at: datetime
    ) -> tuple[AccessDecision, AuditEvent]: ...


@dataclass(frozen=True, slots=True)
class WithheldGroup:
    """Facts one holder keeps that the practitioner may not see, and why, in plain English."""

    org_code: str
    holder_name: str
    category: DataCategory
    count: int
    reasons: tuple[Reason, ...]
    explanation: str
    override_available: bool

    @property
    def sentence(self) -> str:
        items = "item" if self.count == 1 else "items"
        return f"{self.holder_name} hold {self.count} {items} of {self.category.label} data."


@dataclass(frozen=True, slots=True)
class PersonSummary:
    """A person as a search result shows them: only identity details the viewer may see."""

    person_id: str
    identities: tuple[IdentityRecord, ...]

    @property
    def name(self) -> str:
        first = self.identities[0]
        return f"{first.given_name} {first.family_name}"

    @property
    def date_of_birth(self) -> date | None:
        return next((i.date_of_birth for i in self.identities if i.date_of_birth), None)


@dataclass(frozen=True, slots=True)
class JoinedUpRecord:
    """What one practitioner may see about one person, for one purpose, at one moment."""

    person: PersonSummary
    purpose: Purpose
    chronology: tuple[FactView, ...]
    withheld: tuple[WithheldGroup, ...]
    decisions: tuple[Decision, ...] = field(default=())
    # Plain-English notes where only some fields of a holder's facts are shared with the viewer.
    limits: tuple[str, ...] = ()


def _identity_of(
    records: Sequence[IdentityRecord], decision: AccessDecision
) -> tuple[IdentityRecord, ...]:
    allowed = {
        d.holder
        for d in decision.decisions
        if d.category is DataCategory.DEMOGRAPHICS and d.permitted
    }
    return tuple(r for r in records if r.org_code in allowed)


class DisclosureGate:
    """The only way facts about a person are shown: decide, read what is permitted, audit."""

    def __init__(
        self,
        *,
        directory: PersonDirectory,
        facts: FactReader,
        decide: Decider,
        audit: AuditLog,
        org_names: Callable[[], Mapping[str, str]] = dict,
    ) -> None:
        self._directory = directory
        self._facts = facts
        self._decide = decide
        self._audit = audit
        # Read when needed: organisations are added after the application is built.
        self._org_names = org_names

    def _decision(
        self, actor: Actor, person_id: str, request: AccessRequest, at: datetime
    ) -> AccessDecision:
        """Decide and record the decision at once."""
        pending: list[AuditEvent] = []
        decision = self._decided(actor, person_id, request, at, pending)
        self._append(*pending)
        return decision

    def _decided(
        self,
        actor: Actor,
        person_id: str,
        request: AccessRequest,
        at: datetime,
        pending: list[AuditEvent],
    ) -> AccessDecision:
        """Decide, leaving the decision's audit entry in `pending`: the caller appends it with
        its own entry (one commit, one wait) before it shows anything."""
        try:
            decision, event = self._decide(actor=actor, person_id=person_id, request=request, at=at)
        except Exception as exc:
            log.warning("disclosure decision failed closed: %s", type(exc).__name__)
            raise StorageUnavailable(
                "Nothing can be shown just now because the decision could not be made; try again"
            ) from exc
        if any(Reason.DECISION_UNAVAILABLE in d.reasons for d in decision.decisions):
            raise StorageUnavailable(
                "Nothing can be shown just now because the decision could not be recorded; "
                "try again"
            )
        pending.append(event)
        return decision

    def _append(self, *events: AuditEvent) -> None:
        # No answer leaves the gate until its entries are durable: a failure here discloses
        # nothing. Several entries (decisions, then the disclosure) are committed together.
        try:
            self._audit.append_many(events)
        except Exception as exc:
            log.warning("disclosure audit failed closed: %s", type(exc).__name__)
            raise StorageUnavailable(
                "Nothing can be shown just now because the access could not be recorded; try again"
            ) from exc

    def _append_with(self, pending: list[AuditEvent], *events: AuditEvent) -> None:
        """Append the pending decision entries, then `events`, in one commit."""
        decided = tuple(pending)
        pending.clear()
        self._append(*decided, *events)

    @contextlib.contextmanager
    def _recording(self) -> Iterator[list[AuditEvent]]:
        """A list for decision entries made in the block; if the block fails before appending
        them, they are still appended (if they can be), and the failure goes on."""
        pending: list[AuditEvent] = []
        try:
            yield pending
        except Exception:
            if pending:
                with contextlib.suppress(StorageUnavailable):
                    self._append_with(pending)
            raise

    def joined_up_record(
        self, *, actor: Actor, purpose: Purpose, person_id: str, at: datetime | None = None
    ) -> JoinedUpRecord:
        """One chronology across agencies, the withheld items grouped with reasons.

        NotFound, with the same message, for an unknown id and for a person whose identity the
        practitioner may not see; both are audited alike.
        """
        at = at or utcnow()
        records = list(self._directory.records_of(person_id))
        holders = tuple(sorted({r.org_code for r in records}))
        holdings = list(self._facts.holdings([r.ref for r in records])) if records else []
        categories = tuple(
            sorted({DataCategory.DEMOGRAPHICS, *(h.category for h in holdings)}, key=str)
        )
        pending: list[AuditEvent] = []
        decision = (
            self._decided(
                actor, person_id, AccessRequest(purpose, holders, categories), at, pending
            )
            if holders
            else AccessDecision(())
        )
        try:
            return self._record(actor, purpose, person_id, at, records, holdings, decision, pending)
        except Exception:
            # Nothing is shown, but a decision made is still recorded (if it can be).
            if pending:
                with contextlib.suppress(StorageUnavailable):
                    self._append(*pending)
            raise

    def _record(
        self,
        actor: Actor,
        purpose: Purpose,
        person_id: str,
        at: datetime,
        records: Sequence[IdentityRecord],
        holdings: Sequence[Holding],
        decision: AccessDecision,
        pending: list[AuditEvent],
    ) -> JoinedUpRecord:
        identities = _identity_of(records, decision)
        if not identities:
            decided, pending[:] = tuple(pending), []
            self._append(
                *decided,
                AuditEvent(
                    AuditKind.DISCLOSURE,
                    at,
                    actor.id,
                    actor.org,
                    purpose=purpose.value,
                    subject_id=person_id,
                    outcome="not_found",
                ),
            )
            raise NotFound(NOT_FOUND_MESSAGE, field="person")
        names = self._org_names()
        by_key = {(d.holder, d.category): d for d in decision.decisions}
        local_ids: dict[str, list[str]] = {}
        for r in records:
            local_ids.setdefault(r.org_code, []).append(r.local_id)
        asks: list[FactAsk] = []
        withheld: list[WithheldGroup] = []
        limits: list[str] = []
        role = actor.role.value if actor.role else None
        for holding in sorted(holdings, key=lambda h: (h.org_code, h.category.value)):
            found = by_key.get((holding.org_code, holding.category))
            if found is not None and found.permitted:
                fields = found.fields if found.fields is not None else self._facts.all_fields()
                if found.fields is not None:
                    limits.append(explain(found, names, role=role))
                asks.append(
                    FactAsk(
                        holding.org_code,
                        tuple(local_ids[holding.org_code]),
                        holding.category,
                        tuple(fields),
                    )
                )
            elif found is not None:
                withheld.append(
                    WithheldGroup(
                        holding.org_code,
                        names.get(holding.org_code, holding.org_code),
                        holding.category,
                        holding.count,
                        found.reasons,
                        explain(found, names, role=role),
                        found.override_available,
                    )
                )
        # Every permitted holder and category in one read (one round trip, not one each).
        chronology = list(self._facts.read_many(asks)) if asks else []
        chronology.sort(key=lambda f: (f.occurred_at is None, f.occurred_at), reverse=True)
        shown = Counter(f"{f.org_code}/{f.category.value}" for f in chronology)
        decided, pending[:] = tuple(pending), []
        self._append(
            *decided,
            AuditEvent(
                AuditKind.DISCLOSURE,
                at,
                actor.id,
                actor.org,
                purpose=purpose.value,
                subject_id=person_id,
                outcome="disclosed" if chronology else "identity_only",
                reasons=tuple(sorted({r.value for d in decision.decisions for r in d.reasons})),
                refs={
                    **{key: str(n) for key, n in sorted(shown.items())},
                    **{f"withheld:{w.org_code}/{w.category.value}": str(w.count) for w in withheld},
                },
            ),
        )
        return JoinedUpRecord(
            PersonSummary(person_id, identities),
            purpose,
            tuple(chronology),
            tuple(withheld),
            decision.decisions,
            tuple(limits),
        )

    def search(
        self, *, actor: Actor, purpose: Purpose, query: PersonQuery, at: datetime | None = None
    ) -> list[PersonSummary]:
        """People matching the query whose identity the practitioner may see; audited.

        People they may not see are left out entirely, so neither results nor counts reveal
        that someone else's record exists.
        """
        at = at or utcnow()
        criteria = query.criteria()
        if not criteria:
            raise ValidationError(
                "Enter a name, date of birth, NHS number or postcode", field="name"
            )
        results: list[PersonSummary] = []
        with self._recording() as pending:
            for person_id in self._directory.search(query, limit=CANDIDATE_LIMIT):
                records = list(self._directory.records_of(person_id))
                holders = tuple(sorted({r.org_code for r in records}))
                if not holders:
                    continue
                request = AccessRequest(purpose, holders, (DataCategory.DEMOGRAPHICS,))
                decision = self._decided(actor, person_id, request, at, pending)
                identities = _identity_of(records, decision)
                if identities:
                    results.append(PersonSummary(person_id, identities))
                if len(results) >= SEARCH_LIMIT:
                    break
            self._append_with(
                pending,
                AuditEvent(
                    AuditKind.SEARCH,
                    at,
                    actor.id,
                    actor.org,
                    purpose=purpose.value,
                    outcome=f"{len(results)} results",
                    refs={
                        "criteria": ",".join(criteria),
                        "people": ",".join(p.person_id for p in results),
                    },
                ),
            )
        return results

    def person(
        self, *, actor: Actor, purpose: Purpose, person_id: str, at: datetime | None = None
    ) -> PersonSummary:
        """Only the identity details the practitioner may see (for pages about a person, such
        as consent and relationships); NotFound as for the record. Audited."""
        at = at or utcnow()
        records = list(self._directory.records_of(person_id))
        holders = tuple(sorted({r.org_code for r in records}))
        request = AccessRequest(purpose, holders, (DataCategory.DEMOGRAPHICS,))
        with self._recording() as pending:
            seen = (
                _identity_of(records, self._decided(actor, person_id, request, at, pending))
                if holders
                else ()
            )
            self._append_with(
                pending,
                AuditEvent(
                    AuditKind.DISCLOSURE,
                    at,
                    actor.id,
                    actor.org,
                    purpose=purpose.value,
                    subject_id=person_id,
                    outcome="identity" if seen else "not_found",
                    refs={"demographics": ",".join(sorted({r.org_code for r in seen}))},
                ),
            )
        if not seen:
            raise NotFound(NOT_FOUND_MESSAGE, field="person")
        return PersonSummary(person_id, seen)

    def household(
        self, *, actor: Actor, purpose: Purpose, person_id: str, at: datetime | None = None
    ) -> list[PersonSummary]:
        """The person's household: only members whose identity the practitioner may see.

        The person themself must be visible first (else NotFound, as for the record)."""
        at = at or utcnow()
        records = list(self._directory.records_of(person_id))
        holders = tuple(sorted({r.org_code for r in records}))
        request = AccessRequest(purpose, holders, (DataCategory.DEMOGRAPHICS,))
        members: list[PersonSummary] = []
        with self._recording() as pending:
            if not holders or not _identity_of(
                records, self._decided(actor, person_id, request, at, pending)
            ):
                self._append_with(
                    pending,
                    AuditEvent(
                        AuditKind.SEARCH,
                        at,
                        actor.id,
                        actor.org,
                        purpose=purpose.value,
                        subject_id=person_id,
                        outcome="not_found",
                        refs={"criteria": "household"},
                    ),
                )
                raise NotFound(NOT_FOUND_MESSAGE, field="person")
            for member in self._directory.household_of(person_id):
                member_records = list(self._directory.records_of(member))
                member_holders = tuple(sorted({r.org_code for r in member_records}))
                if not member_holders:
                    continue
                member_request = AccessRequest(
                    purpose, member_holders, (DataCategory.DEMOGRAPHICS,)
                )
                member_decision = self._decided(actor, member, member_request, at, pending)
                seen = _identity_of(member_records, member_decision)
                if seen:
                    members.append(PersonSummary(member, seen))
            self._append_with(
                pending,
                AuditEvent(
                    AuditKind.SEARCH,
                    at,
                    actor.id,
                    actor.org,
                    purpose=purpose.value,
                    subject_id=person_id,
                    outcome=f"{len(members)} results",
                    refs={
                        "criteria": "household",
                        "people": ",".join(m.person_id for m in members),
                    },
                ),
            )
        return members
