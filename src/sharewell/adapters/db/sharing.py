"""SQL implementations of the sharing ports (services/sharing.py) and of the API token store
(services/api_tokens.py). Facts are read only by the disclosure gate (adapters/db/fact_reads.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from sharewell.adapters.db.changes import ChangeListener, Kept
from sharewell.adapters.db.engine import fetch_all, read_connection, reads_only
from sharewell.adapters.db.tables_sharing import ApiTokenRow, ShareRequestRow, SharingGrantRow
from sharewell.domain.api_tokens import ApiToken, Scope
from sharewell.domain.sharing import (
    RequestStatus,
    SharedItem,
    ShareRequest,
    SharingGrant,
    Urgency,
)
from sharewell.domain.vocabulary import DataCategory, Purpose


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _request(r: Any) -> ShareRequest:
    return ShareRequest(
        id=r.id,
        person_id=r.person_id,
        requester_id=r.requester_id,
        requester_org=r.requester_org,
        holder_org=r.holder_org,
        purpose=Purpose(r.purpose),
        categories=tuple(DataCategory(c) for c in r.categories),
        urgency=Urgency(r.urgency),
        reason=r.reason,
        requested_at=_utc(r.requested_at),
        due_at=_utc(r.due_at),
        status=RequestStatus(r.status),
        decided_at=_utc_or_none(r.decided_at),
        decided_by=r.decided_by,
        decision_record_id=r.decision_record_id,
    )


class SqlShareRequests:
    """Requests to share; only the decision columns are ever updated, once."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, request: ShareRequest) -> None:
        self._conn.execute(
            insert(ShareRequestRow).values(
                id=request.id,
                person_id=request.person_id,
                requester_id=request.requester_id,
                requester_org=request.requester_org,
                holder_org=request.holder_org,
                purpose=request.purpose.value,
                categories=[c.value for c in request.categories],
                urgency=request.urgency.value,
                reason=request.reason,
                requested_at=request.requested_at,
                due_at=request.due_at,
                status=request.status.value,
            )
        )

    def get(self, request_id: str) -> ShareRequest | None:
        row = self._conn.execute(
            select(ShareRequestRow).where(ShareRequestRow.id == request_id)
        ).first()
        return None if row is None else _request(row)

    def save_decision(self, request: ShareRequest) -> None:
        self._conn.execute(
            update(ShareRequestRow)
            .where(ShareRequestRow.id == request.id, ShareRequestRow.status == "open")
            .values(
                status=request.status.value,
                decided_at=request.decided_at,
                decided_by=request.decided_by,
                decision_record_id=request.decision_record_id,
            )
        )

    def for_holder(self, org: str) -> Sequence[ShareRequest]:
        rows = self._conn.execute(
            select(ShareRequestRow).where(ShareRequestRow.holder_org == org)
        ).all()
        return [_request(r) for r in rows]

    def by_requester(self, practitioner_id: str) -> Sequence[ShareRequest]:
        rows = self._conn.execute(
            select(ShareRequestRow).where(ShareRequestRow.requester_id == practitioner_id)
        ).all()
        return [_request(r) for r in rows]


def _grant(r: Any) -> SharingGrant:
    return SharingGrant(
        id=r.id,
        request_id=r.request_id,
        person_id=r.person_id,
        holder_org=r.holder_org,
        recipient_id=r.recipient_id,
        recipient_org=r.recipient_org,
        purpose=Purpose(r.purpose),
        items=tuple(
            SharedItem(i["fact_id"], DataCategory(i["category"]), tuple(i["fields"]))
            for i in r.items
        ),
        decision_record_id=r.decision_record_id,
        granted_at=_utc(r.granted_at),
        expires_at=_utc_or_none(r.expires_at),
    )


# Read on every joined-up record: built once with bound parameters and Core columns, so
# SQLAlchemy finds it compiled in its cache without building or hashing it again.
_grants = SharingGrantRow.__table__
_GRANTS_FOR_RECIPIENT = select(_grants).where(
    _grants.c.recipient_id == bindparam("recipient_id"),
    _grants.c.person_id == bindparam("person_id"),
)
_PEOPLE_WITH_GRANTS = (
    select(_grants.c.person_id)
    .where(_grants.c.recipient_id == bindparam("recipient_id"))
    .distinct()
)


class SqlGrants:
    """Sharing grants: added once, never changed.

    Given `people_with_grants` (reads on PostgreSQL), `for_recipient` first asks which people
    the practitioner has any grant about, kept until PostgreSQL says that practitioner's grants
    changed (migration 0014): most records are read by practitioners with no grant about the
    person, and then no statement is needed at all.
    """

    def __init__(
        self, conn: Connection, people_with_grants: Kept[frozenset[str]] | None = None
    ) -> None:
        self._conn = conn
        self._people_with_grants = people_with_grants

    def add(self, grant: SharingGrant) -> None:
        self._conn.execute(
            insert(SharingGrantRow).values(
                id=grant.id,
                request_id=grant.request_id,
                person_id=grant.person_id,
                holder_org=grant.holder_org,
                recipient_id=grant.recipient_id,
                recipient_org=grant.recipient_org,
                purpose=grant.purpose.value,
                items=[
                    {"fact_id": i.fact_id, "category": i.category.value, "fields": list(i.fields)}
                    for i in grant.items
                ],
                decision_record_id=grant.decision_record_id,
                granted_at=grant.granted_at,
                expires_at=grant.expires_at,
            )
        )

    def for_request(self, request_id: str) -> Sequence[SharingGrant]:
        rows = self._conn.execute(
            select(SharingGrantRow).where(SharingGrantRow.request_id == request_id)
        ).all()
        return [_grant(r) for r in rows]

    def for_recipient(self, practitioner_id: str, person_id: str) -> Sequence[SharingGrant]:
        known = self._people_with_grants
        if known is not None and known.relied_on():
            people = known.read(
                practitioner_id, lambda: self._people_of(practitioner_id), keep=lambda _: True
            )
            if person_id not in people:
                return []
        rows = fetch_all(
            self._conn,
            _GRANTS_FOR_RECIPIENT,
            {"recipient_id": practitioner_id, "person_id": person_id},
        )
        return [_grant(r) for r in rows]

    def _people_of(self, practitioner_id: str) -> frozenset[str]:
        rows = fetch_all(self._conn, _PEOPLE_WITH_GRANTS, {"recipient_id": practitioner_id})
        return frozenset(r[0] for r in rows)


class SqlSharingTransaction:
    """Requests and grants on one connection (one transaction)."""

    def __init__(
        self, conn: Connection, people_with_grants: Kept[frozenset[str]] | None = None
    ) -> None:
        self.requests = SqlShareRequests(conn)
        self.grants = SqlGrants(conn, people_with_grants)


class SqlSharing:
    """The sharing store on a database. Given `changes` (PostgreSQL), reads keep which people
    each practitioner has grants about until a grant of theirs changes (see SqlGrants)."""

    def __init__(self, engine: Engine, *, changes: ChangeListener | None = None) -> None:
        self._engine = engine
        self._reads = reads_only(engine)
        self._people_with_grants: Kept[frozenset[str]] = Kept(changes)

    @contextmanager
    def transaction(self) -> Iterator[SqlSharingTransaction]:
        with self._engine.begin() as conn:
            yield SqlSharingTransaction(conn)

    @contextmanager
    def reads(self) -> Iterator[SqlSharingTransaction]:
        # Only reads use what is kept: a transaction may have added a grant not yet announced.
        with read_connection(self._reads) as conn:
            yield SqlSharingTransaction(conn, self._people_with_grants)


def _token(r: Any) -> ApiToken:
    return ApiToken(
        id=r.id,
        org=r.org_code,
        name=r.name,
        scopes=frozenset(Scope(s) for s in r.scopes),
        practitioner_id=r.practitioner_id,
        created_by=r.created_by,
        created_at=_utc(r.created_at),
        revoked_at=_utc_or_none(r.revoked_at),
        last_used_at=_utc_or_none(r.last_used_at),
    )


class SqlApiTokens:
    """API tokens: the digest is stored, never the secret."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, token: ApiToken, token_digest: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(ApiTokenRow).values(
                    id=token.id,
                    org_code=token.org,
                    name=token.name,
                    digest=token_digest,
                    scopes=sorted(s.value for s in token.scopes),
                    practitioner_id=token.practitioner_id,
                    created_by=token.created_by,
                    created_at=token.created_at,
                )
            )

    def _one(self, *where: Any) -> ApiToken | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(ApiTokenRow).where(*where)).first()
        return None if row is None else _token(row)

    def get(self, token_id: str) -> ApiToken | None:
        return self._one(ApiTokenRow.id == token_id)

    def by_digest(self, token_digest: str) -> ApiToken | None:
        return self._one(ApiTokenRow.digest == token_digest)

    def for_org(self, org: str) -> Sequence[ApiToken]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(ApiTokenRow).where(ApiTokenRow.org_code == org)).all()
        return [_token(r) for r in rows]

    def revoke(self, token_id: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(revoked_at=at)
            )

    def touch(self, token_id: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=at)
            )
