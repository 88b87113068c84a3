"""Legitimate relationships between practitioners (or teams) and the people they work with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sharewell.domain.errors import ValidationError
from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import Role

# Roles that manage others' caseloads in their own organisation, and so may end a colleague's
# relationship (ADR 0019).
MANAGING_ROLES = frozenset({Role.TEAM_MANAGER, Role.DESIGNATED_SAFEGUARDING_LEAD})


class RelationshipKind(StrEnum):
    """Why a practitioner legitimately works with a person."""

    OPEN_CASE = "open_case"
    REGISTERED_PATIENT = "registered_patient"
    PUPIL_ON_ROLL = "pupil_on_roll"
    ALLOCATED_WORKER = "allocated_worker"


@dataclass(frozen=True, slots=True)
class Relationship:
    """A practitioner's or a team's relationship with a person, from `starts_on` to `ends_on`.

    `ends_on` is exclusive, like an agreement's `ends_on`: a relationship ending on 1 March is no
    longer in force on 1 March.
    """

    person_id: str
    kind: RelationshipKind
    starts_on: date
    ends_on: date | None = None
    practitioner_id: str | None = None
    team: str | None = None
    id: str | None = None

    def __post_init__(self) -> None:
        if (self.practitioner_id is None) == (self.team is None):
            raise ValidationError(
                "A relationship links either one practitioner or one team", field="practitioner"
            )
        if self.ends_on is not None and self.ends_on <= self.starts_on:
            raise ValidationError("A relationship must end after it starts", field="to")

    def in_force(self, on: date) -> bool:
        """True on days from `starts_on` up to but not including `ends_on`."""
        return self.starts_on <= on and (self.ends_on is None or on < self.ends_on)

    def links(self, practitioner: Practitioner) -> bool:
        """True when the relationship is with this practitioner or with their team."""
        if self.practitioner_id is not None:
            return self.practitioner_id == practitioner.id
        return practitioner.team is not None and self.team == practitioner.team

    def ended(self, on: date) -> Relationship:
        """The same relationship, ending on `on` (a new value; the old one is unchanged)."""
        return Relationship(
            self.person_id,
            self.kind,
            self.starts_on,
            on,
            self.practitioner_id,
            self.team,
            self.id,
        )


def why_not_end(
    relationship: Relationship, by: Practitioner, linked: Practitioner | None
) -> str | None:
    """None when `by` may end the relationship, else why not, in plain English (ADR 0019).

    `linked` is the practitioner the relationship is with (None for a team's, or an account that
    no longer exists). A relationship is the legitimacy another practitioner's access rests on,
    so only they (or their team), or a team manager or designated safeguarding lead of their own
    organisation, may end it: never another agency."""
    if not by.active:
        return "Your account is not active"
    if relationship.links(by):
        return None
    if relationship.team is not None:
        return (
            f"This relationship is with the team {relationship.team!r}: "
            "only a member of that team may end it"
        )
    if linked is None:
        return "This relationship is with a practitioner who no longer has an account"
    if linked.org_code != by.org_code:
        return (
            f"This relationship is with a practitioner at {linked.org_code}: "
            "only they, or a team manager or designated safeguarding lead there, may end it"
        )
    if by.role not in MANAGING_ROLES:
        return (
            "This relationship is with a colleague: only they, or a team manager or designated "
            "safeguarding lead of your organisation, may end it"
        )
    return None
