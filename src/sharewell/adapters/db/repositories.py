"""SQL implementations of the services' repository ports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

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
    """Organisations in the relational store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, organisation: Organisation) -> None:
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


class SqlPractitioners:
    """Practitioner accounts in the relational store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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

    def _row(self, session: Session, where: object) -> tuple[PractitionerRow, Practitioner] | None:
        row = session.scalars(select(PractitionerRow).where(where)).first()  # type: ignore[arg-type]
        if row is None:
            return None
        training = session.execute(
            select(TrainingRecordRow.module, TrainingRecordRow.completed_on).where(
                TrainingRecordRow.practitioner_id == row.id
            )
        ).all()
        return row, Practitioner(
            id=row.id,
            org_code=row.org_code,
            name=row.name,
            email=row.email,
            role=Role(row.role),
            active=row.active,
            team=row.team,
            manager_id=row.manager_id,
            training=dict(training),
        )

    def _load(self, where: object) -> Practitioner | None:
        with Session(self._engine) as session:
            found = self._row(session, where)
            return found[1] if found else None

    def get(self, practitioner_id: str) -> Practitioner | None:
        return self._load(PractitionerRow.id == practitioner_id)

    def by_email(self, email: str) -> Practitioner | None:
        return self._load(PractitionerRow.email == email.strip().lower())

    def credentials(self, email: str) -> Credentials | None:
        with Session(self._engine) as session:
            found = self._row(session, PractitionerRow.email == email.strip().lower())
            if found is None:
                return None
            row, practitioner = found
            return Credentials(
                practitioner=practitioner,
                password_hash=row.password_hash,
                failed_sign_ins=row.failed_sign_ins,
                locked_until=_utc(row.locked_until),
            )

    def record_failed_sign_in(self, practitioner_id: str) -> int:
        # One UPDATE ... RETURNING, so parallel guesses cannot lose a count.
        with self._engine.begin() as conn:
            count = conn.execute(
                update(PractitionerRow)
                .where(PractitionerRow.id == practitioner_id)
                .values(failed_sign_ins=PractitionerRow.failed_sign_ins + 1)
                .returning(PractitionerRow.failed_sign_ins)
            ).scalar_one()
        return int(count)

    def lock(self, practitioner_id: str, *, until: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(PractitionerRow)
                .where(PractitionerRow.id == practitioner_id)
                .values(locked_until=until, failed_sign_ins=0)
            )

    def record_successful_sign_in(self, practitioner_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(PractitionerRow)
                .where(PractitionerRow.id == practitioner_id)
                .values(locked_until=None, failed_sign_ins=0)
            )


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
