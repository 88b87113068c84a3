"""SQL implementations of the governance ports (services/governance_ports.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)

from sharewell.adapters.db.engine import fetch_all, read_connection, reads_only
from sharewell.adapters.db.tables_governance import (
    AgreementSignatureRow,
    AgreementTerminationRow,
    AgreementVersionRow,
    ConsentRecordRow,
    DecisionRecordRow,
    NationalOptOutRow,
    OverrideReviewRow,
    RelationshipRow,
)
from sharewell.domain.access import (
    AgreementIndex,
    Override,
    OverrideBasis,
    OverrideInForce,
    OverrideTier,
    Subject,
)
from sharewell.domain.agreements import Agreement, Party, Signature, parse_agreement
from sharewell.domain.consent import ConsentHistory, ConsentRecord, ConsentState
from sharewell.domain.decision_records import DecisionRecord, ShareChoice
from sharewell.domain.errors import Conflict, NotFound
from sharewell.domain.overrides import OverrideReview, ReviewOutcome
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.domain.vocabulary import DataCategory, Purpose
from sharewell.services.governance_ports import StoredAgreement


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


# The governance reads, built once at import with bound parameters and Core columns: SQLAlchemy
# then finds each compiled statement in its cache without building or hashing the query again
# (a measurable share of a record read's CPU time; docs/performance.md). An access decision
# reads what all four read in one statement, _DECISION_INPUTS below.
_AGREEMENTS_FINGERPRINT = select(
    select(func.count()).select_from(AgreementVersionRow.__table__).scalar_subquery(),
    select(func.count()).select_from(AgreementSignatureRow.__table__).scalar_subquery(),
    select(func.count()).select_from(AgreementTerminationRow.__table__).scalar_subquery(),
)
_consents = ConsentRecordRow.__table__
_CONSENT_HISTORY = (
    select(_consents)
    .where(_consents.c.person_id == bindparam("person_id"))
    .order_by(_consents.c.id)
)
_opt_outs = NationalOptOutRow.__table__
_CURRENT_OPT_OUT = (
    select(_opt_outs.c.opted_out)
    .where(_opt_outs.c.person_id == bindparam("person_id"))
    .order_by(_opt_outs.c.recorded_at.desc(), _opt_outs.c.id.desc())
    .limit(1)
)
_relationships = RelationshipRow.__table__
_RELATIONSHIPS_OF = select(_relationships).where(
    _relationships.c.person_id == bindparam("person_id")
)


def _nulls(kind: Any, count: int) -> list[Any]:
    return [cast(null(), kind) for _ in range(count)]


# Everything one access decision reads, in one statement (one round trip, not five): a row
# "a" with the agreements' fingerprint and the person's current opt-out, then the person's
# consent records ("c", in the order they were recorded), the deciding practitioner's overrides
# for the person still in force ("o") and the person's relationships ("r"). The branches share
# one shape; typed NULLs fill the columns a branch does not use.
_STAMP = DateTime(timezone=True)
_overrides = OverrideReviewRow.__table__
_DECISION_INPUTS = union_all(
    select(
        literal_column("'a'", String).label("kind"),
        literal_column("0", Integer).label("seq"),
        *(q.scalar_subquery() for q in _AGREEMENTS_FINGERPRINT.selected_columns),
        _CURRENT_OPT_OUT.scalar_subquery().label("flag"),
        *_nulls(String, 6),
        *_nulls(_STAMP, 2),
        *_nulls(Date, 2),
        *_nulls(String, 2),
    ),
    select(
        literal_column("'c'", String),
        _consents.c.id,
        *_nulls(Integer, 3),
        cast(null(), Boolean),
        _consents.c.purpose,
        _consents.c.scope,
        _consents.c.state,
        _consents.c.obtained_how,
        _consents.c.recorded_by,
        _consents.c.capacity_notes,
        _consents.c.recorded_at,
        _consents.c.valid_until,
        *_nulls(Date, 2),
        *_nulls(String, 2),
    ).where(_consents.c.person_id == bindparam("person_id")),
    select(
        literal_column("'o'", String),
        literal_column("0", Integer),
        *_nulls(Integer, 3),
        cast(null(), Boolean),
        _overrides.c.id,
        _overrides.c.purpose,
        _overrides.c.tier,
        _overrides.c.basis,
        _overrides.c.justification,
        _overrides.c.approved_by,
        _overrides.c.granted_at,
        _overrides.c.expires_at,
        *_nulls(Date, 2),
        _overrides.c.approved_by_org,
        # Which holders and categories it overcame (JSON), as text in this shared shape.
        cast(_overrides.c.decisions, Text),
    ).where(
        _overrides.c.practitioner_id == bindparam("practitioner_id"),
        _overrides.c.person_id == bindparam("person_id"),
        _overrides.c.expires_at > bindparam("at", type_=_STAMP),
        # Found not justified by information governance: ended, whatever its expiry.
        func.coalesce(_overrides.c.review_outcome, "") != ReviewOutcome.NOT_JUSTIFIED.value,
    ),
    select(
        literal_column("'r'", String),
        literal_column("0", Integer),
        *_nulls(Integer, 3),
        cast(null(), Boolean),
        _relationships.c.id,
        _relationships.c.practitioner_id,
        _relationships.c.team,
        _relationships.c.kind,
        *_nulls(String, 2),
        *_nulls(_STAMP, 2),
        _relationships.c.starts_on,
        _relationships.c.ends_on,
        *_nulls(String, 2),
    ).where(_relationships.c.person_id == bindparam("person_id")),
).order_by(literal_column("kind"), literal_column("seq"))


class SqlAgreements:
    """Agreement versions; signatures and terminations are separate rows, only ever added."""

    def __init__(self, conn: Connection, store: SqlGovernance) -> None:
        self._conn = conn
        self._store = store

    def add_version(self, agreement: Agreement, *, at: datetime, by: str) -> None:
        exists = self._conn.execute(
            select(AgreementVersionRow.version).where(
                AgreementVersionRow.agreement_id == agreement.id,
                AgreementVersionRow.version == agreement.version,
            )
        ).first()
        if exists:
            raise Conflict(f"{agreement.ref} is already stored", field="version")
        document = agreement.to_document()
        # Signatures and termination live in their own rows, so the document never changes.
        for party in document["parties"]:
            party["signed_by"] = None
        document["terminated_at"] = None
        document.pop("termination_reason", None)
        self._conn.execute(
            insert(AgreementVersionRow).values(
                agreement_id=agreement.id,
                version=agreement.version,
                title=agreement.title,
                status="draft",
                document=document,
                imported_at=at,
                imported_by=by,
                proposed_at=None,
            )
        )
        for party in agreement.parties:
            if party.signed_by is not None:
                self.add_signature(
                    agreement.id, agreement.version, party.org, party.signed_by, by=by
                )
        if agreement.terminated_at is not None:
            self.add_termination(
                agreement.id,
                agreement.version,
                at=agreement.terminated_at,
                reason=agreement.termination_reason or "terminated in the imported file",
                by=by,
            )

    def _build(self, rows: Sequence[Any]) -> list[StoredAgreement]:
        if not rows:
            return []
        keys = {(r.agreement_id, r.version) for r in rows}
        ids = {k[0] for k in keys}
        signatures: dict[tuple[str, int], dict[str, Signature]] = {}
        for s in self._conn.execute(
            select(AgreementSignatureRow).where(AgreementSignatureRow.agreement_id.in_(ids))
        ).all():
            signatures.setdefault((s.agreement_id, s.version), {})[s.org] = Signature(
                s.name, s.role, _utc(s.signed_at)
            )
        terminations = {
            (t.agreement_id, t.version): t
            for t in self._conn.execute(
                select(AgreementTerminationRow).where(AgreementTerminationRow.agreement_id.in_(ids))
            ).all()
        }
        out = []
        for row in rows:
            key = (row.agreement_id, row.version)
            agreement = parse_agreement(row.document)
            signed = signatures.get(key, {})
            parties = tuple(Party(p.org, signed.get(p.org)) for p in agreement.parties)
            agreement = agreement.with_parties(parties)
            ended = terminations.get(key)
            if ended is not None:
                agreement = agreement.terminated(_utc(ended.terminated_at), ended.reason)
            out.append(StoredAgreement(agreement, _utc_or_none(row.proposed_at)))
        return out

    def versions(self, agreement_id: str) -> Sequence[StoredAgreement]:
        rows = self._conn.execute(
            select(AgreementVersionRow)
            .where(AgreementVersionRow.agreement_id == agreement_id)
            .order_by(AgreementVersionRow.version)
        ).all()
        return self._build(rows)

    def list(self) -> Sequence[StoredAgreement]:
        rows = self._conn.execute(
            select(AgreementVersionRow).order_by(
                AgreementVersionRow.agreement_id, AgreementVersionRow.version
            )
        ).all()
        return self._build(rows)

    def mark_proposed(self, agreement_id: str, version: int, *, at: datetime) -> None:
        self._conn.execute(
            update(AgreementVersionRow)
            .where(
                AgreementVersionRow.agreement_id == agreement_id,
                AgreementVersionRow.version == version,
            )
            .values(status="proposed", proposed_at=at)
        )

    def add_signature(
        self, agreement_id: str, version: int, org: str, signature: Signature, *, by: str
    ) -> None:
        self._conn.execute(
            insert(AgreementSignatureRow).values(
                agreement_id=agreement_id,
                version=version,
                org=org,
                name=signature.name,
                role=signature.role,
                signed_at=signature.signed_at,
                recorded_by=by,
            )
        )

    def add_termination(
        self, agreement_id: str, version: int, *, at: datetime, reason: str, by: str
    ) -> None:
        self._conn.execute(
            insert(AgreementTerminationRow).values(
                agreement_id=agreement_id,
                version=version,
                terminated_at=at,
                reason=reason,
                recorded_by=by,
            )
        )

    def index(self) -> AgreementIndex:
        return self.index_for(tuple(self._conn.execute(_AGREEMENTS_FINGERPRINT).one()))

    def index_for(self, fingerprint: tuple[Any, ...]) -> AgreementIndex:
        # Rows are only ever added, so these counts change whenever anything that matters to a
        # decision changes: a termination or a signature is seen by the very next decision.
        cached = self._store.cached_index
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        index = AgreementIndex(s.agreement for s in self.list())
        self._store.cached_index = (fingerprint, index)
        return index


class SqlConsents:
    """Consent records; the table refuses UPDATE and DELETE."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: ConsentRecord) -> None:
        self._conn.execute(
            insert(ConsentRecordRow).values(
                person_id=record.person_id,
                purpose=record.purpose.value,
                scope=record.scope,
                state=record.state.value,
                recorded_at=record.recorded_at,
                obtained_how=record.obtained_how,
                recorded_by=record.recorded_by,
                capacity_notes=record.capacity_notes,
                valid_until=record.valid_until,
            )
        )

    def history(self, person_id: str) -> Sequence[ConsentRecord]:
        rows = self._conn.execute(_CONSENT_HISTORY, {"person_id": person_id}).all()
        return [
            ConsentRecord(
                person_id=r.person_id,
                purpose=Purpose(r.purpose),
                scope=r.scope,
                state=ConsentState(r.state),
                recorded_at=_utc(r.recorded_at),
                obtained_how=r.obtained_how,
                recorded_by=r.recorded_by,
                capacity_notes=r.capacity_notes,
                valid_until=_utc_or_none(r.valid_until),
            )
            for r in rows
        ]


class SqlOptOuts:
    """National data opt-out changes; the latest one is the person's current choice."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, person_id: str, opted_out: bool, *, at: datetime, by: str) -> None:
        self._conn.execute(
            insert(NationalOptOutRow).values(
                person_id=person_id, opted_out=opted_out, recorded_at=at, recorded_by=by
            )
        )

    def current(self, person_id: str) -> bool:
        row = self._conn.execute(_CURRENT_OPT_OUT, {"person_id": person_id}).first()
        return bool(row[0]) if row else False


def _relationship(r: Any) -> Relationship:
    return Relationship(
        person_id=r.person_id,
        kind=RelationshipKind(r.kind),
        starts_on=r.starts_on,
        ends_on=r.ends_on,
        practitioner_id=r.practitioner_id,
        team=r.team,
        id=r.id,
    )


class SqlRelationships:
    """Legitimate relationships."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, relationship: Relationship, *, by: str) -> None:
        assert relationship.id is not None
        self._conn.execute(
            insert(RelationshipRow).values(
                id=relationship.id,
                person_id=relationship.person_id,
                practitioner_id=relationship.practitioner_id,
                team=relationship.team,
                kind=relationship.kind.value,
                starts_on=relationship.starts_on,
                ends_on=relationship.ends_on,
                recorded_by=by,
            )
        )

    def get(self, relationship_id: str) -> Relationship | None:
        row = self._conn.execute(
            select(RelationshipRow).where(RelationshipRow.id == relationship_id)
        ).first()
        return _relationship(row) if row else None

    def end(self, relationship_id: str, on: date) -> None:
        done = self._conn.execute(
            update(RelationshipRow).where(RelationshipRow.id == relationship_id).values(ends_on=on)
        )
        if done.rowcount != 1:
            raise NotFound(f"No relationship {relationship_id}", field="relationship")

    def for_person(self, person_id: str) -> Sequence[Relationship]:
        rows = self._conn.execute(_RELATIONSHIPS_OF, {"person_id": person_id}).all()
        return [_relationship(r) for r in rows]


def _review(r: Any) -> OverrideReview:
    return OverrideReview(
        id=r.id,
        practitioner_id=r.practitioner_id,
        org=r.org,
        person_id=r.person_id,
        purpose=Purpose(r.purpose),
        override=Override(
            OverrideTier(r.tier),
            OverrideBasis(r.basis),
            r.justification,
            approved_by=r.approved_by,
            approved_by_org=r.approved_by_org,
        ),
        decisions=tuple(r.decisions),
        granted_at=_utc(r.granted_at),
        expires_at=_utc(r.expires_at),
        review_due_at=_utc(r.review_due_at),
        reviewed_at=_utc_or_none(r.reviewed_at),
        reviewed_by=r.reviewed_by,
        outcome=None if r.review_outcome is None else ReviewOutcome(r.review_outcome),
        notes=r.review_notes,
    )


class SqlOverrideReviews:
    """Override review items."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, review: OverrideReview) -> None:
        o = review.override
        self._conn.execute(
            insert(OverrideReviewRow).values(
                id=review.id,
                practitioner_id=review.practitioner_id,
                org=review.org,
                person_id=review.person_id,
                purpose=review.purpose.value,
                tier=o.tier.value,
                basis=o.basis.value,
                justification=o.justification,
                approved_by=o.approved_by,
                approved_by_org=o.approved_by_org,
                decisions=list(review.decisions),
                granted_at=review.granted_at,
                expires_at=review.expires_at,
                review_due_at=review.review_due_at,
            )
        )

    def get(self, review_id: str) -> OverrideReview | None:
        row = self._conn.execute(
            select(OverrideReviewRow).where(OverrideReviewRow.id == review_id)
        ).first()
        return _review(row) if row else None

    def save_review(self, review: OverrideReview) -> None:
        assert review.outcome is not None
        done = self._conn.execute(
            update(OverrideReviewRow)
            .where(OverrideReviewRow.id == review.id, OverrideReviewRow.reviewed_at.is_(None))
            .values(
                reviewed_at=review.reviewed_at,
                reviewed_by=review.reviewed_by,
                review_outcome=review.outcome.value,
                review_notes=review.notes,
            )
        )
        if done.rowcount != 1:
            raise Conflict("This override has already been reviewed", field="review")

    def pending(self) -> Sequence[OverrideReview]:
        rows = self._conn.execute(
            select(OverrideReviewRow)
            .where(OverrideReviewRow.reviewed_at.is_(None))
            .order_by(OverrideReviewRow.review_due_at)
        ).all()
        return [_review(r) for r in rows]


def _decision_record(r: Any) -> DecisionRecord:
    return DecisionRecord(
        id=r.id,
        practitioner_id=r.practitioner_id,
        org=r.org,
        person_id=r.person_id,
        purpose=Purpose(r.purpose),
        choice=ShareChoice(r.choice),
        what_was_asked=r.what_was_asked,
        consent_sought=r.consent_sought,
        consent_detail=r.consent_detail,
        legal_basis=tuple(r.legal_basis),
        safety_considered=r.safety_considered,
        shared_what=r.shared_what,
        shared_with=r.shared_with,
        necessary_and_proportionate=r.necessary_and_proportionate,
        advice_sought=r.advice_sought,
        submitted_at=_utc(r.submitted_at),
        disclosure_ref=r.disclosure_ref,
    )


class SqlDecisionRecords:
    """Decision records; the table refuses UPDATE and DELETE."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: DecisionRecord) -> None:
        self._conn.execute(
            insert(DecisionRecordRow).values(
                id=record.id,
                practitioner_id=record.practitioner_id,
                org=record.org,
                person_id=record.person_id,
                purpose=record.purpose.value,
                choice=record.choice.value,
                what_was_asked=record.what_was_asked,
                consent_sought=record.consent_sought,
                consent_detail=record.consent_detail,
                legal_basis=list(record.legal_basis),
                safety_considered=record.safety_considered,
                shared_what=record.shared_what,
                shared_with=record.shared_with,
                necessary_and_proportionate=record.necessary_and_proportionate,
                advice_sought=record.advice_sought,
                submitted_at=record.submitted_at,
                disclosure_ref=record.disclosure_ref,
            )
        )

    def get(self, record_id: str) -> DecisionRecord | None:
        row = self._conn.execute(
            select(DecisionRecordRow).where(DecisionRecordRow.id == record_id)
        ).first()
        return _decision_record(row) if row else None

    def for_person(self, person_id: str) -> Sequence[DecisionRecord]:
        rows = self._conn.execute(
            select(DecisionRecordRow)
            .where(DecisionRecordRow.person_id == person_id)
            .order_by(DecisionRecordRow.submitted_at)
        ).all()
        return [_decision_record(r) for r in rows]


class SqlGovernanceTransaction:
    """Every governance repository on one connection, inside one transaction."""

    def __init__(self, conn: Connection, store: SqlGovernance) -> None:
        self._conn = conn
        self.agreements = SqlAgreements(conn, store)
        self.consents = SqlConsents(conn)
        self.opt_outs = SqlOptOuts(conn)
        self.relationships = SqlRelationships(conn)
        self.overrides = SqlOverrideReviews(conn)
        self.decision_records = SqlDecisionRecords(conn)

    def decision_inputs(
        self, person_id: str, *, practitioner_id: str, at: datetime
    ) -> tuple[AgreementIndex, Subject]:
        # Everything is read afresh for every decision, in one statement: a termination,
        # withdrawal or ended relationship counts from the very next request. (The agreements
        # index is kept in memory only while the fingerprint of its tables is unchanged.)
        rows = fetch_all(
            self._conn,
            _DECISION_INPUTS,
            {"person_id": person_id, "practitioner_id": practitioner_id, "at": at},
        )
        head = rows[0]
        consents = [
            ConsentRecord(
                person_id=person_id,
                purpose=Purpose(r[6]),
                scope=r[7],
                state=ConsentState(r[8]),
                obtained_how=r[9],
                recorded_by=r[10],
                capacity_notes=r[11],
                recorded_at=_utc(r[12]),
                valid_until=_utc_or_none(r[13]),
            )
            for r in rows
            if r[0] == "c"
        ]
        relationships = tuple(
            Relationship(
                person_id=person_id,
                id=r[6],
                practitioner_id=r[7],
                team=r[8],
                kind=RelationshipKind(r[9]),
                starts_on=r[14],
                ends_on=r[15],
            )
            for r in rows
            if r[0] == "r"
        )
        overrides = tuple(
            OverrideInForce(
                review_id=r[6],
                practitioner_id=practitioner_id,
                purpose=Purpose(r[7]),
                holder=d["holder"],
                category=DataCategory(d["category"]),
                override=Override(
                    OverrideTier(r[8]),
                    OverrideBasis(r[9]),
                    r[10],
                    approved_by=r[11],
                    approved_by_org=r[16],
                ),
                expires_at=_utc(r[13]),
            )
            for r in rows
            if r[0] == "o"
            for d in json.loads(r[17])
        )
        subject = Subject(
            person_id, bool(head[5]), ConsentHistory(consents), relationships, overrides
        )
        return self.agreements.index_for(tuple(head[2:5])), subject


class SqlGovernance:
    """Opens governance transactions on the relational store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = reads_only(engine)
        self.cached_index: tuple[tuple[Any, ...], AgreementIndex] | None = None

    @contextmanager
    def transaction(self) -> Iterator[SqlGovernanceTransaction]:
        with self._engine.begin() as conn:
            yield SqlGovernanceTransaction(conn, self)

    @contextmanager
    def reads(self) -> Iterator[SqlGovernanceTransaction]:
        # Reads only, each statement on its own (no BEGIN/COMMIT round trips): an access
        # decision reads a handful of rows and writes nothing.
        with read_connection(self._reads) as conn:
            yield SqlGovernanceTransaction(conn, self)
