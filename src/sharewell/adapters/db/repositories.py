"""SQL implementations of the services' repository ports."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select
from sqlalchemy.orm import Session

from sharewell.adapters.db.changes import KEEP_SECONDS, ChangeListener, Kept
from sharewell.adapters.db.engine import fetch_all, reads_only
from sharewell.adapters.db.tables import OrganisationRow, PractitionerRow, TrainingRecordRow
from sharewell.domain.accounts import Credentials
from sharewell.domain.organisations import Organisation, Practitioner
from sharewell.domain.vocabulary import OrganisationKind, Role


def _organisation(row: OrganisationRow) -> Organisation:
    return Organisation(
        code=row.code,
        name=row.name,
        kind=OrganisationKind(row.kind),
        council_area=row.council_area,
        contact_email=row.contact_email,
    )


class SqlOrganisations:
    """Organisations in the relational store.

    `names()` is read on every joined-up record (to say who holds what), so it is kept for
    `names_max_age` seconds; an organisation added in this process is seen at once, one added
    by another process (the command line) within that time. Names only label text.
    """

    def __init__(self, engine: Engine, *, names_max_age: float = 10.0) -> None:
        self._engine = engine
        self._reads = reads_only(engine)
        self._names_max_age = names_max_age
        self._names: tuple[float, dict[str, str]] | None = None

    def names(self) -> dict[str, str]:
        """Every organisation's code and name (a copy: callers may not change the cache)."""
        cached = self._names
        now = time.monotonic()
        if cached is None or now - cached[0] > self._names_max_age:
            with self._reads.connect() as conn:
                found = dict(conn.execute(select(OrganisationRow.code, OrganisationRow.name)).all())
            cached = self._names = (now, {str(k): str(v) for k, v in found.items()})
        return dict(cached[1])

    def add(self, organisation: Organisation) -> None:
        self._names = None
        with self._engine.begin() as conn:
            conn.execute(
                insert(OrganisationRow).values(
                    code=organisation.code,
                    name=organisation.name,
                    kind=organisation.kind.value,
                    council_area=organisation.council_area,
                    contact_email=organisation.contact_email,
                )
            )

    def get(self, code: str) -> Organisation | None:
        with Session(self._engine) as session:
            row = session.get(OrganisationRow, code)
            return _organisation(row) if row else None

    def list(self) -> Sequence[Organisation]:
        with Session(self._engine) as session:
            rows = session.scalars(select(OrganisationRow).order_by(OrganisationRow.name)).all()
            return [_organisation(r) for r in rows]


def _practitioner_query(key: Any) -> Any:
    """A practitioner with their training (one row per module), where `key` equals the bound
    parameter "key". Core columns only and built once at import: SQLAlchemy then finds the
    compiled statement in its cache without building or hashing the query again."""
    practitioner = PractitionerRow.__table__
    training = TrainingRecordRow.__table__
    return (
        select(*practitioner.c, training.c.module, training.c.completed_on)
        .outerjoin(training, training.c.practitioner_id == practitioner.c.id)
        .where(key == bindparam("key"))
    )


_BY_ID = _practitioner_query(PractitionerRow.__table__.c.id)
_BY_EMAIL = _practitioner_query(PractitionerRow.__table__.c.email)


class SqlPractitioners:
    """Practitioner accounts in the relational store.

    `get` runs for every signed-in request (the session check). Given `changes` (PostgreSQL),
    what it read is kept until the database says that practitioner changed, and used only
    while the listener is known to be listening (see adapters/db/changes.py); otherwise every
    `get` reads afresh. Whatever is kept is read again after `keep_seconds` all the same, so a
    change that is never announced (a trigger missing or switched off) is seen within that time.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        changes: ChangeListener | None = None,
        keep_at_most: int = 20_000,
        keep_seconds: float = KEEP_SECONDS,
    ) -> None:
        self._engine = engine
        self._reads = reads_only(engine)
        self._changes = changes
        self._kept: Kept[Practitioner | None] = Kept(
            changes, keep_at_most=keep_at_most, keep_seconds=keep_seconds
        )

    def close(self) -> None:
        """Stop listening for changes (if listening)."""
        if self._changes is not None:
            self._changes.close()

    def add(self, practitioner: Practitioner, *, password_hash: str | None) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(PractitionerRow).values(
                    id=practitioner.id,
                    org_code=practitioner.org_code,
                    name=practitioner.name,
                    email=practitioner.email.lower(),
                    role=practitioner.role.value,
                    active=practitioner.active,
                    team=practitioner.team,
                    manager_id=practitioner.manager_id,
                    password_hash=password_hash,
                    failed_sign_ins=0,
                )
            )
            for module, completed in practitioner.training.items():
                conn.execute(
                    insert(TrainingRecordRow).values(
                        practitioner_id=practitioner.id, module=module, completed_on=completed
                    )
                )

    def _row(self, query: Any, key: str) -> tuple[Any, Practitioner] | None:
        # One query, no ORM session, built once (see _practitioner_query): this runs for every
        # signed-in request, so it is kept to one round trip and little Python.
        with self._reads.connect() as conn:
            rows = fetch_all(conn, query, {"key": key})
        if not rows:
            return None
        row = rows[0]
        training = {r.module: r.completed_on for r in rows if r.module is not None}
        return row, Practitioner(
            id=row.id,
            org_code=row.org_code,
            name=row.name,
            email=row.email,
            role=Role(row.role),
            active=row.active,
            team=row.team,
            manager_id=row.manager_id,
            training=training,
        )

    def _load(self, query: Any, key: str) -> Practitioner | None:
        found = self._row(query, key)
        return found[1] if found else None

    def kept(self, practitioner_id: str) -> Practitioner | None:
        """The practitioner as kept, if kept and still to be relied on; never reads the
        database (so an event loop may call it without handing it to a thread)."""
        return self._kept.get(practitioner_id)

    def get(self, practitioner_id: str) -> Practitioner | None:
        return self._kept.read(
            practitioner_id,
            lambda: self._load(_BY_ID, practitioner_id),
            keep=lambda p: p is not None,
        )

    def by_email(self, email: str) -> Practitioner | None:
        return self._load(_BY_EMAIL, email.strip().lower())

    def credentials(self, email: str) -> Credentials | None:
        found = self._row(_BY_EMAIL, email.strip().lower())
        if found is None:
            return None
        row, practitioner = found
        return Credentials(practitioner=practitioner, password_hash=row.password_hash)
