"""An interim disclosure gate for what requests to share need, until services/disclosure.py
(the one gate, being built alongside) lands: decide -> read only the permitted fields -> append
the audit entry durably -> return. If auditing fails nothing is returned (the error propagates).

It decides only two things: a holder reading its own items (OWN_RECORD, every field) and a
recipient reading what a sharing grant allows (the granted items and fields, while in force).
When the full gate is merged it implements `Disclose` and this module goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.facts import Fact
from sharewell.domain.sharing import SharingGrant
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import DataCategory, Purpose
from sharewell.services.governance import Actor
from sharewell.services.ports import AuditLog
from sharewell.services.sharing import DisclosedItem


class FactReader(Protocol):
    """Reads facts (content) for the gate; nothing else may use it for display."""

    def held_by(
        self, person_id: str, org: str, categories: Sequence[DataCategory]
    ) -> list[Fact]: ...

    def by_ids(self, fact_ids: Sequence[str]) -> list[Fact]: ...


class GrantDisclosure:
    """The `Disclose` port for own records and sharing grants (see the module docstring)."""

    def __init__(self, facts: FactReader, audit: AuditLog) -> None:
        self._facts = facts
        self._audit = audit

    def own_items(
        self,
        *,
        actor: Actor,
        person_id: str,
        categories: Sequence[DataCategory],
        purpose: Purpose,
    ) -> list[DisclosedItem]:
        """The actor's own organisation's items about the person, every field."""
        if actor.org is None:
            return []
        facts = self._facts.held_by(person_id, actor.org, categories)
        self._audit.append(
            AuditEvent(
                kind=AuditKind.DISCLOSURE,
                at=utcnow(),
                actor_id=actor.id,
                actor_org=actor.org,
                purpose=purpose.value,
                subject_id=person_id,
                outcome="permit",
                reasons=("OWN_RECORD",),
                refs={"holder": actor.org, "items": str(len(facts))},
            )
        )
        return [DisclosedItem(f.id, f.org_code, f.category, f.fields()) for f in facts]

    def granted_items(
        self, *, actor: Actor, grant: SharingGrant, at: datetime
    ) -> list[DisclosedItem]:
        """Only the granted items and fields, only to the grant's recipient, only while in force."""
        allowed = {
            item.fact_id: fields
            for item in grant.items
            if (fields := grant.allows(actor.id, item.fact_id, at)) is not None
        }
        if not allowed:
            return []
        facts = [
            f
            for f in self._facts.by_ids(list(allowed))
            if f.org_code == grant.holder_org and f.id in allowed
        ]
        items = [
            DisclosedItem(f.id, f.org_code, f.category, f.fields(frozenset(allowed[f.id])))
            for f in facts
        ]
        self._audit.append(
            AuditEvent(
                kind=AuditKind.DISCLOSURE,
                at=at,
                actor_id=actor.id,
                actor_org=actor.org,
                purpose=grant.purpose.value,
                subject_id=grant.person_id,
                outcome="permit",
                reasons=("SHARING_GRANT",),
                refs={
                    "grant": grant.id,
                    "decision_record": grant.decision_record_id,
                    "holder": grant.holder_org,
                    "items": str(len(items)),
                },
            )
        )
        return items
