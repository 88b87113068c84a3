"""A demo citizen: someone in the synthetic partnership a demo user can be in the citizen portal.

The portal binds an account to a person only when exactly one person matches the family name,
date of birth and postcode given, so the demo prints such details for a person several agencies
hold records about (their GP's record of them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select

from sharewell.adapters.db.tables import SourceRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow


@dataclass(frozen=True, slots=True)
class DemoCitizen:
    """The details a demo user enters to prove who they are in the portal."""

    given_name: str
    family_name: str
    date_of_birth: date
    postcode: str


def demo_citizen(engine: Engine) -> DemoCitizen | None:
    """An adult known to several agencies whose family name, date of birth and postcode belong
    to them alone; None when the partnership has no such person (or is not linked yet)."""
    records = SourceRecordRow
    with engine.connect() as conn:
        holders = dict(
            conn.execute(
                select(PersonLinkRow.person_id, func.count(func.distinct(records.org_code)))
                .join(records, records.id == PersonLinkRow.record_id)
                .group_by(PersonLinkRow.person_id)
            ).all()
        )
        rows = conn.execute(
            select(
                PersonLinkRow.person_id,
                records.org_code,
                records.given_name,
                records.family_name,
                records.dob_year,
                records.dob_month,
                records.dob_day,
                records.postcode,
            )
            .join(records, records.id == PersonLinkRow.record_id)
            .where(records.dob_day.is_not(None), records.postcode.is_not(None))
        ).all()

    def key(r: Any) -> tuple[object, ...]:
        return (r.family_name.casefold(), r.dob_year, r.dob_month, r.dob_day, r.postcode)

    # Who has a record (at any agency) with each family name, date of birth and postcode.
    people_with: dict[tuple[object, ...], set[str]] = {}
    for r in rows:
        people_with.setdefault(key(r), set()).add(str(r.person_id))
    candidates = sorted(
        (
            r
            for r in rows
            if r.org_code.startswith("GP") and r.dob_year < 2000 and len(people_with[key(r)]) == 1
        ),
        key=lambda r: (-holders.get(r.person_id, 0), str(r.person_id)),
    )
    if not candidates:
        return None
    best = candidates[0]
    return DemoCitizen(
        best.given_name,
        best.family_name,
        date(best.dob_year, best.dob_month, best.dob_day),
        best.postcode,
    )
