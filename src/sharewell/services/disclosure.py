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
from typing import Any, Protocol

from sharewell.domain.access import AccessDecision, AccessRequest, Decision, Reason, explain
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.citizens import CitizenActor
from sharewell.domain.errors import (
    NotFound,
    PermissionDenied,
    StorageUnavailable,
    ValidationError,
)
from sharewell.domain.risk import Assessment, EvidenceItem, VisibleRisk
from sharewell.domain.sharing import SharingGrant
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import DataCategory, Purpose, Role
from sharewell.services.alerts import AlertDisclosure
from sharewell.services.governance import Actor
from sharewell.services.ports import AuditLog
from sharewell.services.sharing import DisclosedItem

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
    address: str | None = None  # read only for identity review (DisclosureGate.identity_review)

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

    def records_by_id(self, record_ids: Sequence[int]) -> Sequence[IdentityRecord]:
        """Source records by their ids, with addresses, in the order asked (unknown ids left
        out): for identity review of a pair the linkage model was unsure about."""
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

    def references(
        self, org_code: str, local_ids: Sequence[str], categories: Sequence[DataCategory]
    ) -> Mapping[str, DataCategory]:
        """fact id -> category of the holder's facts in `categories` (no content)."""
        ...

    def read_ids(
        self, org_code: str, fact_ids: Sequence[str], fields: Sequence[str]
    ) -> Sequence[FactView]:
        """Only these fields of these facts of the holder (ids it does not hold are skipped)."""
        ...

    def risk_holdings(self, person_id: str) -> Sequence[Holding]:
        """Risk assessments and evidence items per holder and category (counts, no content).

        Rows without a known category are left out: nobody is shown them (fail closed)."""
        ...

    def read_risk(
        self, org_code: str, person_id: str, category: DataCategory, *, summaries: bool
    ) -> tuple[Sequence[Assessment], Sequence[EvidenceItem]]:
        """The holder's risk assessments and evidence of this category about the person.

        With `summaries` False an evidence item's summary is not selected (it comes back empty).
        """
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
    # Chronology items the viewer sees because a holder shared them on request (a grant).
    shared: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RiskDisclosure:
    """The risk assessments and evidence a practitioner may see about a person or household.

    `visible.withheld` counts the items withheld; `withheld` says whose and why, in the same
    words as the joined-up record, and `withheld_about` whom each group is about (person ids,
    in the same order). `members` are the other household members included.
    """

    person: PersonSummary
    purpose: Purpose
    visible: VisibleRisk
    withheld: tuple[WithheldGroup, ...]
    members: tuple[PersonSummary, ...] = ()
    limits: tuple[str, ...] = ()
    withheld_about: tuple[str, ...] = ()


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
        grants: Callable[[str, str, datetime], Sequence[SharingGrant]] | None = None,
        reading: Callable[[], contextlib.AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        self._directory = directory
        # Around a record read's reads: lets them share one database connection (bootstrap
        # passes the storage's `one_read_connection`); by default each read takes its own.
        self._reading = reading
        # Sharing grants in force for (practitioner id, person id, at): what holders chose to
        # share on request, added to what agreements permit when the record is built.
        self._grants = grants
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
        with self._reading():
            return self._joined_up_record(actor, purpose, person_id, at or utcnow())

    def _joined_up_record(
        self, actor: Actor, purpose: Purpose, person_id: str, at: datetime
    ) -> JoinedUpRecord:
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
                _disclosure(actor, at, purpose, person_id, outcome="not_found"),
            )
            raise NotFound(NOT_FOUND_MESSAGE, field="person")
        names = self._org_names()
        local_ids: dict[str, list[str]] = {}
        for r in records:
            local_ids.setdefault(r.org_code, []).append(r.local_id)
        asks: list[FactAsk] = []
        withheld: list[WithheldGroup] = []
        limits: list[str] = []
        role = actor.role.value if actor.role else None
        for holding, found in _decided_holdings(holdings, decision):
            if found.permitted:
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
            else:
                withheld.append(_withheld(holding, found, names, role))
        # Every permitted holder and category in one read (one round trip, not one each).
        chronology = list(self._facts.read_many(asks)) if asks else []
        shared = self._shared_with(actor, person_id, at, {f.id for f in chronology})
        chronology.extend(shared)
        chronology.sort(key=lambda f: (f.occurred_at is None, f.occurred_at), reverse=True)
        shown = Counter(f"{f.org_code}/{f.category.value}" for f in chronology)
        decided, pending[:] = tuple(pending), []
        self._append(
            *decided,
            _disclosure(
                actor,
                at,
                purpose,
                person_id,
                outcome="disclosed" if chronology else "identity_only",
                reasons=_reasons(decision),
                refs={
                    **{key: str(n) for key, n in sorted(shown.items())},
                    **_withheld_refs(withheld),
                    **({"granted": ",".join(sorted(f.id for f in shared))} if shared else {}),
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
            frozenset(f.id for f in shared),
        )

    def _shared_with(
        self, actor: Actor, person_id: str, at: datetime, already: set[str]
    ) -> list[FactView]:
        """Items holders shared with this practitioner on request, not already shown."""
        if self._grants is None:
            return []
        views: list[FactView] = []
        for grant in self._grants(actor.id, person_id, at):
            views.extend(v for v in self._granted_views(actor, grant, at) if v.id not in already)
            already.update(v.id for v in views)
        return views

    def _granted_views(self, actor: Actor, grant: SharingGrant, at: datetime) -> list[FactView]:
        """Only the granted fields of the granted items, only for the recipient, while in force."""
        by_fields: dict[tuple[str, ...], list[str]] = {}
        for item in grant.items:
            fields = grant.allows(actor.id, item.fact_id, at)
            if fields:
                by_fields.setdefault(tuple(dict.fromkeys(fields)), []).append(item.fact_id)
        views: list[FactView] = []
        for fields, fact_ids in by_fields.items():
            views.extend(self._facts.read_ids(grant.holder_org, fact_ids, fields))
        return views

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
                _event(
                    actor,
                    AuditKind.SEARCH,
                    at,
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
                _disclosure(
                    actor,
                    at,
                    purpose,
                    person_id,
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
                    _event(
                        actor,
                        AuditKind.SEARCH,
                        at,
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
                _event(
                    actor,
                    AuditKind.SEARCH,
                    at,
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

    # --- Requests to share: the holder's own items and what a sharing grant allows -------------

    def _local_ids(self, person_id: str, org_code: str) -> list[str]:
        return [r.local_id for r in self._directory.records_of(person_id) if r.org_code == org_code]

    def references(
        self, person_id: str, org: str, categories: Sequence[DataCategory]
    ) -> dict[str, DataCategory]:
        """fact id -> category of what `org` holds about the person in `categories`.

        References only (no content, so not a disclosure): the sharing service checks with them
        that a holder shares its own items about this person."""
        local_ids = self._local_ids(person_id, org)
        if not local_ids:
            return {}
        return dict(self._facts.references(org, local_ids, categories))

    def own_items(
        self,
        *,
        actor: Actor,
        person_id: str,
        categories: Sequence[DataCategory],
        purpose: Purpose,
        at: datetime | None = None,
    ) -> list[DisclosedItem]:
        """The actor's own organisation's items about the person, every field (for choosing
        what to share). A holder always sees its own records (OWN_RECORD); audited."""
        if actor.org is None:
            return []
        at = at or utcnow()
        local_ids = self._local_ids(person_id, actor.org)
        views: list[FactView] = []
        if local_ids:
            for category in dict.fromkeys(categories):
                views.extend(
                    self._facts.read(actor.org, local_ids, category, self._facts.all_fields())
                )
        views.sort(key=lambda f: (f.occurred_at is None, f.occurred_at), reverse=True)
        self._append(
            _disclosure(
                actor,
                at,
                purpose,
                person_id,
                outcome="permit",
                reasons=("OWN_RECORD",),
                refs={"holder": actor.org, "items": str(len(views))},
            )
        )
        return [_item(v) for v in views]

    def granted_items(
        self, *, actor: Actor, grant: SharingGrant, at: datetime
    ) -> list[DisclosedItem]:
        """Only the granted items and fields, only to the grant's recipient, only while in
        force; audited when anything is shown."""
        views = self._granted_views(actor, grant, at)
        if not views:
            return []
        views.sort(key=lambda f: (f.occurred_at is None, f.occurred_at))
        self._append(
            _disclosure(
                actor,
                at,
                grant.purpose,
                grant.person_id,
                outcome="permit",
                reasons=("SHARING_GRANT",),
                refs={
                    "grant": grant.id,
                    "decision_record": grant.decision_record_id,
                    "holder": grant.holder_org,
                    "items": str(len(views)),
                },
            )
        )
        return [_item(v) for v in views]

    # --- Joint risk (issue 7): agencies' risk assessments and evidence, through the gate --------

    def _risk_of(
        self, actor: Actor, purpose: Purpose, person_id: str, at: datetime
    ) -> RiskDisclosure | None:
        """Decide per holder and category, read only permitted rows, audit one entry."""
        records = list(self._directory.records_of(person_id))
        holdings = list(self._facts.risk_holdings(person_id)) if records else []
        holders = tuple(sorted({r.org_code for r in records} | {h.org_code for h in holdings}))
        categories = tuple(
            sorted({DataCategory.DEMOGRAPHICS, *(h.category for h in holdings)}, key=str)
        )
        decision = (
            self._decision(actor, person_id, AccessRequest(purpose, holders, categories), at)
            if records
            else AccessDecision(())
        )
        identities = _identity_of(records, decision)
        if not identities:
            self._append(
                _disclosure(
                    actor, at, purpose, person_id, outcome="not_found", refs={"view": "risk"}
                )
            )
            return None
        names = self._org_names()
        role = actor.role.value if actor.role else None
        assessments: list[Assessment] = []
        evidence: list[EvidenceItem] = []
        withheld: list[WithheldGroup] = []
        limits: list[str] = []
        shown: dict[str, str] = {}
        for holding, found in _decided_holdings(holdings, decision):
            if found.permitted:
                # The minimum data set: an evidence item's words only where "summary" is shared.
                summaries = found.fields is None or "summary" in found.fields
                if not summaries:
                    limits.append(
                        f"{names.get(holding.org_code, holding.org_code)} share the kind and date "
                        f"of their {holding.category.label} evidence with you, not its details."
                    )
                rows, items = self._facts.read_risk(
                    holding.org_code, person_id, holding.category, summaries=summaries
                )
                assessments.extend(rows)
                evidence.extend(items)
                shown[f"risk:{holding.org_code}/{holding.category.value}"] = str(
                    len(rows) + len(items)
                )
            else:
                withheld.append(_withheld(holding, found, names, role))
        self._append(
            _disclosure(
                actor,
                at,
                purpose,
                person_id,
                outcome="risk_disclosed" if shown else "risk_none",
                reasons=_reasons(decision),
                refs={"view": "risk", **dict(sorted(shown.items())), **_withheld_refs(withheld)},
            )
        )
        return RiskDisclosure(
            PersonSummary(person_id, identities),
            purpose,
            VisibleRisk(
                tuple(assessments),
                tuple(evidence),
                sum(w.count for w in withheld),
            ),
            tuple(withheld),
            limits=tuple(limits),
            withheld_about=tuple(person_id for _ in withheld),
        )

    def risk_assessments(
        self, *, actor: Actor, purpose: Purpose, person_id: str, at: datetime | None = None
    ) -> RiskDisclosure:
        """Agencies' risk assessments and evidence about a person that the practitioner may
        see, and what is withheld and why. NotFound as for the record; one audit entry."""
        found = self._risk_of(actor, purpose, person_id, at or utcnow())
        if found is None:
            raise NotFound(NOT_FOUND_MESSAGE, field="person")
        return found

    def household_risk_assessments(
        self, *, actor: Actor, purpose: Purpose, person_id: str, at: datetime | None = None
    ) -> RiskDisclosure:
        """The same for the person and every household member whose identity the practitioner
        may see (members they may not see are left out entirely); one audit entry per person."""
        at = at or utcnow()
        own = self._risk_of(actor, purpose, person_id, at)
        if own is None:
            raise NotFound(NOT_FOUND_MESSAGE, field="person")
        parts = [own]
        for member in self._directory.household_of(person_id):
            seen = self._risk_of(actor, purpose, member, at)
            if seen is not None:
                parts.append(seen)
        return RiskDisclosure(
            own.person,
            purpose,
            VisibleRisk(
                tuple(a for p in parts for a in p.visible.assessments),
                tuple(e for p in parts for e in p.visible.evidence),
                sum(p.visible.withheld or 0 for p in parts),
            ),
            tuple(w for p in parts for w in p.withheld),
            tuple(p.person for p in parts[1:]),
            tuple(dict.fromkeys(note for p in parts for note in p.limits)),
            tuple(about for p in parts for about in p.withheld_about),
        )

    # --- The citizen's own view (the portal) -------------------------------------------------
    # A citizen sees only people they may act for (CitizenActor.people); anyone else looks
    # exactly like nobody, with the same NotFound. Every call is audited as a citizen view.

    def _citizen_records(
        self, citizen: CitizenActor, person_id: str, what: str, at: datetime
    ) -> list[IdentityRecord]:
        records = (
            list(self._directory.records_of(person_id)) if citizen.may_act_for(person_id) else []
        )
        if not records:
            self._append(
                AuditEvent(
                    AuditKind.CITIZEN_VIEW,
                    at,
                    citizen.audit_id,
                    None,
                    subject_id=person_id,
                    outcome="not_found",
                    refs={"view": what},
                )
            )
            raise NotFound(NOT_FOUND_MESSAGE, field="person")
        return records

    def match_citizen(
        self, *, account_id: str, query: PersonQuery, at: datetime | None = None
    ) -> tuple[str, tuple[str, ...]] | None:
        """The one person whose records match every detail the citizen gave (family name, date
        of birth, and postcode or NHS number), with which details matched; None when no one or
        more than one does. Reveals nothing else; audited without the details."""
        at = at or utcnow()
        wanted_family = query.name.strip().split()[-1].casefold() if query.name.strip() else ""
        postcode = query.postcode.replace(" ", "").upper()
        nhs = query.nhs_number.replace(" ", "")
        found: dict[str, tuple[str, ...]] = {}
        if wanted_family and query.date_of_birth and (postcode or nhs):
            for person_id in self._directory.search(query, limit=CANDIDATE_LIMIT):
                for r in self._directory.records_of(person_id):
                    if (
                        r.family_name.casefold() != wanted_family
                        or r.date_of_birth != query.date_of_birth
                    ):
                        continue
                    if nhs and r.nhs_number and r.nhs_number.replace(" ", "") == nhs:
                        found[person_id] = ("family_name", "date_of_birth", "nhs_number")
                    elif (
                        postcode and r.postcode and r.postcode.replace(" ", "").upper() == postcode
                    ):
                        found.setdefault(person_id, ("family_name", "date_of_birth", "postcode"))
        matched = next(iter(found.items())) if len(found) == 1 else None
        self._append(
            AuditEvent(
                AuditKind.CITIZEN_SIGN_IN,
                at,
                f"citizen:{account_id}",
                None,
                subject_id=matched[0] if matched else None,
                outcome="identity_matched" if matched else "identity_not_matched",
                refs={"criteria": ",".join(query.criteria())},
            )
        )
        return matched

    def citizen_holdings(
        self, *, citizen: CitizenActor, person_id: str, at: datetime | None = None
    ) -> list[Holding]:
        """Which organisations hold how many items of which categories about the citizen:
        counts only, never content. Audited."""
        at = at or utcnow()
        records = self._citizen_records(citizen, person_id, "holdings", at)
        holdings = sorted(
            self._facts.holdings([r.ref for r in records]),
            key=lambda h: (h.org_code, h.category.value),
        )
        orgs = {r.org_code for r in records}
        # Every organisation with a record holds at least the person's identity details.
        for org in sorted(orgs - {h.org_code for h in holdings}):
            holdings.append(Holding(org, DataCategory.DEMOGRAPHICS, 1))
        self._append(
            AuditEvent(
                AuditKind.CITIZEN_VIEW,
                at,
                citizen.audit_id,
                None,
                subject_id=person_id,
                outcome="holdings",
                refs={"view": "holdings", "holders": ",".join(sorted(orgs))},
            )
        )
        return holdings

    def citizen_copy(
        self,
        *,
        citizen: CitizenActor,
        person_id: str,
        withheld: frozenset[DataCategory] = frozenset(),
        at: datetime | None = None,
    ) -> tuple[tuple[IdentityRecord, ...], tuple[FactView, ...], tuple[Holding, ...]]:
        """A copy of the citizen's own information (subject access): their identity records and
        every field of their facts, except categories the partnership reviews before release
        (returned as counts only). Audited."""
        at = at or utcnow()
        records = self._citizen_records(citizen, person_id, "copy", at)
        holdings = list(self._facts.holdings([r.ref for r in records]))
        local_ids: dict[str, list[str]] = {}
        for r in records:
            local_ids.setdefault(r.org_code, []).append(r.local_id)
        facts: list[FactView] = []
        held_back: list[Holding] = []
        for holding in sorted(holdings, key=lambda h: (h.org_code, h.category.value)):
            if holding.category in withheld:
                held_back.append(holding)
                continue
            facts.extend(
                self._facts.read(
                    holding.org_code,
                    local_ids[holding.org_code],
                    holding.category,
                    self._facts.all_fields(),
                )
            )
        facts.sort(key=lambda f: (f.occurred_at is None, f.occurred_at), reverse=True)
        self._append(
            AuditEvent(
                AuditKind.CITIZEN_VIEW,
                at,
                citizen.audit_id,
                None,
                subject_id=person_id,
                outcome="copy",
                refs={
                    "view": "copy",
                    "facts": str(len(facts)),
                    "held_back": ",".join(f"{h.org_code}/{h.category.value}" for h in held_back),
                },
            )
        )
        return tuple(records), tuple(facts), tuple(held_back)

    # --- Early alerts (services/alerts.py) ------------------------------------------------------

    def alert_content(
        self,
        *,
        actor: Actor,
        alert_id: str,
        person_id: str,
        holder: str,
        category: DataCategory,
        purpose: Purpose,
        fact_id: str,
        fields: Sequence[str],
        at: datetime,
    ) -> AlertDisclosure:
        """An alert's content for its recipient, decided now (at dispatch) for the alert's
        purpose: only the rule's minimum data set, further limited to what the agreement flow
        allows. Audited durably (in the person's access log) before anything is returned; a
        refusal (e.g. the agreement was terminated after the event) discloses nothing."""
        request = AccessRequest(purpose, (holder,), (category,))
        decision = self._decision(actor, person_id, request, at)
        found = next(
            (d for d in decision.decisions if d.holder == holder and d.category is category),
            None,
        )
        shown: dict[str, str] = {}
        if found is not None and found.permitted:
            allowed = [f for f in fields if found.fields is None or f in found.fields]
            # Named fields only: an alert never carries a fact's whole detail.
            named = [f for f in allowed if f != "detail"]
            views = self._facts.read_ids(holder, [fact_id], named) if named else []
            if views:
                shown = _item(views[0]).fields
        permitted = bool(found is not None and found.permitted and shown)
        reasons = tuple(r.value for r in found.reasons) if found is not None else ()
        self._append(
            _disclosure(
                actor,
                at,
                purpose,
                person_id,
                outcome="alert_disclosed" if permitted else "alert_withheld",
                reasons=reasons,
                agreement=found.agreement if found is not None else None,
                refs={
                    "alert": alert_id,
                    "fact": fact_id,
                    f"{holder}/{category.value}": ",".join(sorted(shown)) or "none",
                },
            )
        )
        return AlertDisclosure(
            permitted, shown if permitted else {}, reasons, found.agreement if found else None
        )

    # --- Identity review (issue 4 item 5): the two records of a pair the model was unsure of --

    def identity_review(
        self, *, actor: Actor, pair_id: int, record_ids: Sequence[int], at: datetime | None = None
    ) -> list[IdentityRecord]:
        """Both records of a review pair side by side, for an information governance lead of an
        organisation that holds one of them (the caller checks both) to decide whether they are
        one person. Only identity details are read; the access is audited before it is shown."""
        at = at or utcnow()
        if actor.role is not Role.IG_LEAD:
            raise PermissionDenied("Only an information governance lead reviews identity pairs")
        records = list(self._directory.records_by_id(record_ids))
        if actor.org not in {r.org_code for r in records}:
            records = []
        self._append(
            _event(
                actor,
                AuditKind.DISCLOSURE,
                at,
                purpose="identity_review",
                outcome="identity" if records else "not_found",
                refs={
                    "review_pair": str(pair_id),
                    "records": ",".join(f"{r.org_code}/{r.local_id}" for r in records),
                },
            )
        )
        if not records:
            raise NotFound("There is no such review pair awaiting you", field="pair")
        return records


def _withheld(
    holding: Holding, found: Decision, names: Mapping[str, str], role: str | None
) -> WithheldGroup:
    """A holder's items the viewer may not see, with the decision's reasons in plain English."""
    return WithheldGroup(
        holding.org_code,
        names.get(holding.org_code, holding.org_code),
        holding.category,
        holding.count,
        found.reasons,
        explain(found, names, role=role),
        found.override_available,
    )


def _decided_holdings(
    holdings: Sequence[Holding], decision: AccessDecision
) -> Iterator[tuple[Holding, Decision]]:
    """Each holding with the decision made about it, by holder then category (a holding the
    decision did not cover is left out: nothing is shown of it, and nothing said)."""
    by_key = {(d.holder, d.category): d for d in decision.decisions}
    for holding in sorted(holdings, key=lambda h: (h.org_code, h.category.value)):
        found = by_key.get((holding.org_code, holding.category))
        if found is not None:
            yield holding, found


def _reasons(decision: AccessDecision) -> tuple[str, ...]:
    """Every reason the decision gave, once each, for its disclosure entry."""
    return tuple(sorted({r.value for d in decision.decisions for r in d.reasons}))


def _withheld_refs(withheld: Sequence[WithheldGroup]) -> dict[str, str]:
    """A disclosure entry's count of each holder's withheld category."""
    return {f"withheld:{w.org_code}/{w.category.value}": str(w.count) for w in withheld}


def _disclosure(
    actor: Actor, at: datetime, purpose: Purpose, subject_id: str, outcome: str, **detail: Any
) -> AuditEvent:
    """The disclosure entry for what `actor` was shown (or not) about `subject_id`."""
    return _event(
        actor,
        AuditKind.DISCLOSURE,
        at,
        purpose=purpose.value,
        subject_id=subject_id,
        outcome=outcome,
        **detail,
    )


def _event(actor: Actor, kind: AuditKind, at: datetime, **detail: Any) -> AuditEvent:
    """The audit entry for something `actor` did through the gate (references only)."""
    return AuditEvent(kind, at, actor.id, actor.org, **detail)


def _item(view: FactView) -> DisclosedItem:
    """A fact as the sharing pages show it: its date (when disclosed) first, then its fields."""
    fields = {} if view.occurred_at is None else {"occurred_at": view.occurred_at.isoformat()}
    fields.update(view.fields)
    return DisclosedItem(view.id, view.org_code, view.category, fields)
