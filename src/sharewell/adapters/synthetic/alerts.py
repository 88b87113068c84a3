"""Early alerts for the demo: the built-in rule templates tied to the Anyshire charter, and a few
linked children in the situations those rules watch, so that a demo user can report an event
(for example an A&E attendance at the hospital) and see the alert reach the social worker.

Run after the agencies' records are linked into people (situations name person ids). Safe to run
again: rules are added only when none are stored, and a person's situation only once.
"""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import Engine, select

from sharewell.adapters.db.alerts import SqlAlerts
from sharewell.adapters.db.tables import SourceRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.domain.alerts import TEMPLATES, Situation, SituationEntry
from sharewell.services import alerts
from sharewell.services.governance import Actor
from sharewell.services.ports import AuditLog

CHARTER = "anyshire-charter"
OPERATOR = Actor("demo:operator", None)
SOCIAL_WORKER = Actor("demo-sw-cscn", "CSCN")
SCHOOL_DSL = Actor("demo-dsl-sch6", "SCH6")
# How many linked people of each kind the demo puts in a watched situation.
HOW_MANY = 5


def _people_known_to(engine: Engine, *orgs: str, born_after: int | None = None) -> list[str]:
    """Person ids with a record at every one of `orgs` (born after the year `born_after` by the
    first org's record, when given), in a stable order."""
    found: set[str] | None = None
    with engine.connect() as conn:
        for n, org in enumerate(orgs):
            query = (
                select(PersonLinkRow.person_id)
                .join(SourceRecordRow, SourceRecordRow.id == PersonLinkRow.record_id)
                .where(SourceRecordRow.org_code == org)
            )
            if born_after is not None and n == 0:
                query = query.where(SourceRecordRow.dob_year > born_after)
            ids = {str(r[0]) for r in conn.execute(query)}
            found = ids if found is None else found & ids
    return sorted(found or ())


def _entry_id(person_id: str, situation: Situation) -> str:
    return hashlib.sha256(f"demo:{situation.value}:{person_id}".encode()).hexdigest()[:32]


def plant_demo_alerts(engine: Engine, store: SqlAlerts, audit: AuditLog, *, since: date) -> int:
    """Add the built-in rules (if none yet) and the demo situations; returns how many people are
    in a watched situation."""
    if not store.rules():
        for template in TEMPLATES:
            alerts.add_rule_from_template(
                store, audit, template_key=template.key, agreement_id=CHARTER, actor=OPERATOR
            )
    planted = 0
    plan = [
        # Children known to the hospital: on a protection plan, allocated to the demo social
        # worker (A&E attendance -> social worker).
        (
            _people_known_to(engine, "ACU", born_after=since.year - 17),
            Situation.CHILD_PROTECTION_PLAN,
            SOCIAL_WORKER,
        ),
        # Pupils of SCH6 known to the police: on the school's roll (domestic incident -> school).
        (_people_known_to(engine, "SCH6", "POL"), Situation.ON_SCHOOL_ROLL, SCHOOL_DSL),
    ]
    for people, situation, actor in plan:
        allocated = actor.id if situation is Situation.CHILD_PROTECTION_PLAN else None
        for person_id in people[:HOW_MANY]:
            entry_id = _entry_id(person_id, situation)
            if any(e.id == entry_id for e in store.situations_of(person_id)):
                planted += 1
                continue
            assert actor.org is not None
            alerts.record_situation(
                store,
                audit,
                SituationEntry(
                    entry_id,
                    person_id,
                    situation,
                    actor.org,
                    since,
                    practitioner_id=allocated,
                ),
                actor=actor,
            )
            planted += 1
    return planted
