"""SQL storage of the citizen portal (services/portal.py `PortalStore`), and the read of the
audit log's entries about one person for "who has looked"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, literal_column, not_, select, update
from sqlalchemy.sql.elements import ColumnElement

from sharewell.adapters.db.tables_audit import SUBJECT_OF_ENTRY, AuditEntryRow
from sharewell.adapters.db.tables_portal import (
    ActingForRow,
    CitizenAccountRow,
    CitizenCodeRow,
    CitizenRequestRow,
    DemoOutboxRow,
    IdentityVerificationRow,
)
from sharewell.domain.citizens import (
    ACCESS_KINDS,
    ActingFor,
    ActingRelation,
    CitizenAccount,
    CitizenRequest,
    IdentityVerification,
    LoggedAccess,
    OneTimeCode,
    RequestKind,
    RequestStatus,
    VerificationLevel,
    VerificationMethod,
    WithholdingRule,
)

# Person ids, purposes and organisation codes are plain tokens: anything else matches nothing,
# so no LIKE pattern is ever built from unexpected characters.
_TOKEN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _naive(value: datetime) -> datetime:
    # The log's `at` column holds UTC without an offset on SQLite; compare like with like.
    return value.astimezone(UTC).replace(tzinfo=None)


def _like(key: str, value: str) -> str:
    # Canonical JSON: sorted keys, no spaces; `_` is a LIKE wildcard, so escape it.
    return '%"' + key + '":"' + value.replace("_", "\\_") + '"%'


class SqlPortal:
    """Accounts, codes, verification, acting-for relations, requests and the demo outbox."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- accounts -----------------------------------------------------------------------------

    def account_for_login(self, login: str, *, new_id: str, at: datetime) -> CitizenAccount:
        """The account with this login, made now if there is none."""
        with self._engine.begin() as conn:
            row = conn.execute(
                select(CitizenAccountRow).where(CitizenAccountRow.login == login)
            ).first()
            if row is None:
                conn.execute(
                    insert(CitizenAccountRow).values(id=new_id, login=login, created_at=at)
                )
                return CitizenAccount(new_id, login, at)
        return self._account(row.id, row.login, row.created_at)

    def account(self, account_id: str) -> CitizenAccount | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(CitizenAccountRow).where(CitizenAccountRow.id == account_id)
            ).first()
        return None if row is None else self._account(row.id, row.login, row.created_at)

    def _account(self, account_id: str, login: str, created: datetime) -> CitizenAccount:
        own = [a for a in self.acting_for(account_id) if a.relation is ActingRelation.SELF]
        return CitizenAccount(account_id, login, _utc(created), own[0].person_id if own else None)

    def acting_for(self, account_id: str) -> list[ActingFor]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(ActingForRow)
                .where(ActingForRow.account_id == account_id)
                .order_by(ActingForRow.id)
            ).all()
        return [
            ActingFor(
                r.account_id,
                r.person_id,
                ActingRelation(r.relation),
                _utc(r.starts_at),
                None if r.ends_at is None else _utc(r.ends_at),
                r.verification_id,
            )
            for r in rows
        ]

    def bind(self, verification: IdentityVerification, acting: ActingFor) -> None:
        """Record the verification and the relation it supports, together."""
        with self._engine.begin() as conn:
            conn.execute(
                insert(IdentityVerificationRow).values(
                    id=verification.id,
                    account_id=verification.account_id,
                    person_id=verification.person_id,
                    method=verification.method.value,
                    level=verification.level.value,
                    evidence=list(verification.evidence),
                    verified_at=verification.verified_at,
                )
            )
            conn.execute(
                insert(ActingForRow).values(
                    account_id=acting.account_id,
                    person_id=acting.person_id,
                    relation=acting.relation.value,
                    starts_at=acting.starts_at,
                    ends_at=acting.ends_at,
                    verification_id=acting.verification_id,
                )
            )

    def verifications(self, account_id: str) -> list[IdentityVerification]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(IdentityVerificationRow).where(
                    IdentityVerificationRow.account_id == account_id
                )
            ).all()
        return [
            IdentityVerification(
                r.id,
                r.account_id,
                r.person_id,
                VerificationMethod(r.method),
                VerificationLevel(r.level),
                tuple(r.evidence),
                _utc(r.verified_at),
            )
            for r in rows
        ]

    # --- one-time codes -----------------------------------------------------------------------

    def add_code(self, code: OneTimeCode) -> None:
        """Store a new code; any earlier unused code for the login stops working."""
        with self._engine.begin() as conn:
            conn.execute(
                update(CitizenCodeRow)
                .where(CitizenCodeRow.login == code.login, CitizenCodeRow.used_at.is_(None))
                .values(used_at=code.created_at)
            )
            conn.execute(
                insert(CitizenCodeRow).values(
                    id=code.id,
                    login=code.login,
                    digest=code.digest,
                    salt=code.salt,
                    created_at=code.created_at,
                    expires_at=code.expires_at,
                    attempts=code.attempts,
                    used_at=None,
                )
            )

    def codes_since(self, login: str, since: datetime) -> int:
        """How many codes were sent to the login since then (to limit sending)."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(func.count())
                .select_from(CitizenCodeRow)
                .where(CitizenCodeRow.login == login, CitizenCodeRow.created_at >= since)
            ).scalar()
        return int(found or 0)

    def latest_code(self, login: str) -> OneTimeCode | None:
        """The code that can still be used (there is at most one)."""
        with self._engine.connect() as conn:
            r = conn.execute(
                select(CitizenCodeRow)
                .where(CitizenCodeRow.login == login, CitizenCodeRow.used_at.is_(None))
                .order_by(CitizenCodeRow.created_at.desc())
                .limit(1)
            ).first()
        return None if r is None else _code(r)

    def code(self, code_id: str) -> OneTimeCode | None:
        """The code with this id, used or not."""
        with self._engine.connect() as conn:
            r = conn.execute(select(CitizenCodeRow).where(CitizenCodeRow.id == code_id)).first()
        return None if r is None else _code(r)

    def count_attempt(self, code_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(CitizenCodeRow)
                .where(CitizenCodeRow.id == code_id)
                .values(attempts=CitizenCodeRow.attempts + 1)
            )

    def use_code(self, code_id: str, at: datetime) -> bool:
        """Mark the code used; False if it already was (a second use of one code)."""
        with self._engine.begin() as conn:
            done = conn.execute(
                update(CitizenCodeRow)
                .where(CitizenCodeRow.id == code_id, CitizenCodeRow.used_at.is_(None))
                .values(used_at=at)
            )
        return bool(done.rowcount)

    # --- the demo outbox ----------------------------------------------------------------------

    def send(self, recipient: str, body: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(DemoOutboxRow).values(recipient=recipient, body=body, sent_at=at))

    def outbox(self, limit: int = 20) -> list[tuple[str, str, datetime]]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(DemoOutboxRow).order_by(DemoOutboxRow.id.desc()).limit(limit)
            ).all()
        return [(r.recipient, r.body, _utc(r.sent_at)) for r in rows]

    # --- requests -----------------------------------------------------------------------------

    def add_request(self, request: CitizenRequest) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(CitizenRequestRow).values(
                    id=request.id,
                    account_id=request.account_id,
                    person_id=request.person_id,
                    org_code=request.org_code,
                    kind=request.kind.value,
                    details=request.details,
                    received_at=request.received_at,
                    due_on=request.due_on,
                    status=request.status.value,
                )
            )

    def requests_of(self, person_id: str) -> list[CitizenRequest]:
        return self._requests(CitizenRequestRow.person_id == person_id)

    def requests_to(self, org_code: str) -> list[CitizenRequest]:
        return self._requests(CitizenRequestRow.org_code == org_code)

    def request(self, request_id: str) -> CitizenRequest | None:
        found = self._requests(CitizenRequestRow.id == request_id)
        return found[0] if found else None

    def mark_answered(self, request_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(CitizenRequestRow)
                .where(CitizenRequestRow.id == request_id)
                .values(status=RequestStatus.ANSWERED.value)
            )

    def _requests(self, where: ColumnElement[bool]) -> list[CitizenRequest]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(CitizenRequestRow).where(where).order_by(CitizenRequestRow.received_at)
            ).all()
        return [
            CitizenRequest(
                r.id,
                r.account_id,
                r.person_id,
                r.org_code,
                RequestKind(r.kind),
                r.details,
                _utc(r.received_at),
                r.due_on,
                RequestStatus(r.status),
            )
            for r in rows
        ]

    # --- who has looked -----------------------------------------------------------------------

    @property
    def _subject(self) -> ColumnElement[str]:
        # The person an entry is about, written exactly as the index on it
        # (migration 0009_audit_subject_index), so the page reads only that person's entries.
        return literal_column(SUBJECT_OF_ENTRY[self._engine.dialect.name])

    def _instant(self, value: datetime) -> datetime:
        # SQLite's `at` holds UTC without an offset; PostgreSQL's is timestamptz.
        return _naive(value) if self._engine.dialect.name == "sqlite" else value.astimezone(UTC)

    def _shown(
        self, person_id: str, rules: Sequence[WithholdingRule], at: datetime
    ) -> ColumnElement[bool]:
        entries = AuditEntryRow
        conditions: list[ColumnElement[bool]] = [
            entries.kind.in_(sorted(ACCESS_KINDS)),
            self._subject == person_id,
            # An IG lead's review is shown with the override it reviews, not as an access.
            not_(entries.body.like('%"outcome":"reviewed:%')),
        ]
        for rule in rules:
            if not _TOKEN.match(rule.purpose) or not (rule.org == "*" or _TOKEN.match(rule.org)):
                continue
            applies: list[ColumnElement[bool]] = [
                entries.body.like(_like("purpose", rule.purpose), escape="\\"),
                entries.at > self._instant(at - timedelta(days=rule.days)),
            ]
            if rule.org != "*":
                applies.append(entries.body.like(_like("actor_org", rule.org), escape="\\"))
            # Withheld entries are left out in the query itself, before counting and paging.
            conditions.append(not_(and_(*applies)))
        return and_(*conditions)

    def accesses(
        self,
        person_id: str,
        rules: Sequence[WithholdingRule],
        *,
        at: datetime,
        offset: int,
        limit: int,
    ) -> tuple[list[LoggedAccess], int]:
        """One page of the entries about the person that are shown now, newest first, and how
        many are shown in all. Withheld entries are neither listed nor counted."""
        if not _TOKEN.match(person_id):
            return [], 0
        shown = self._shown(person_id, rules, at)
        with self._engine.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(AuditEntryRow).where(shown)
            ).scalar()
            rows = conn.execute(
                select(AuditEntryRow.idx, AuditEntryRow.body)
                .where(shown)
                .order_by(AuditEntryRow.idx.desc())
                .offset(offset)
                .limit(limit)
            ).all()
        return [LoggedAccess(int(r.idx), str(r.body)) for r in rows], int(total or 0)

    def access_entry(
        self, person_id: str, index: int, rules: Sequence[WithholdingRule], *, at: datetime
    ) -> LoggedAccess | None:
        """One entry, only if it is about the person and shown now."""
        if not _TOKEN.match(person_id):
            return None
        shown = self._shown(person_id, rules, at)
        with self._engine.connect() as conn:
            row = conn.execute(
                select(AuditEntryRow.idx, AuditEntryRow.body).where(
                    AuditEntryRow.idx == index, shown
                )
            ).first()
        return None if row is None else LoggedAccess(int(row.idx), str(row.body))


def _code(r: Any) -> OneTimeCode:
    return OneTimeCode(
        r.id,
        r.login,
        r.digest,
        r.salt,
        _utc(r.created_at),
        _utc(r.expires_at),
        r.attempts,
        None if r.used_at is None else _utc(r.used_at),
    )
