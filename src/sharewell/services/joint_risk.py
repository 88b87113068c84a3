"""Risk calibrations (versioned, signed by every partner) and joint risk profiles.

Person-level: the assessments and evidence behind a profile come through `VisibleRiskSource`,
which the disclosure gate implements (`DisclosureGate.risk_assessments`), already filtered to
what the viewer may see, audited (ADR 0006). This service never reads agencies' records itself.
Proposing, signing and a version coming into force are appended to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from sharewell.domain.organisations import Practitioner
from sharewell.domain.risk import (
    Assessment,
    Calibration,
    EvidenceItem,
    JointRiskProfile,
    Signature,
    calibration_in_force,
    joint_profile,
    parse_calibration,
)
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import Purpose
from sharewell.services.disclosure import PersonSummary, RiskDisclosure, WithheldGroup
from sharewell.services.governance import Actor
from sharewell.services.ports import AuditLog


class CalibrationStore(Protocol):
    """Calibration versions and their signatures."""

    def add(self, calibration: Calibration, document: Mapping[str, Any]) -> None:
        """Store a new version (unsigned); Conflict if that id@version exists."""
        ...

    def versions(self, calibration_id: str) -> Sequence[Calibration]:
        """Every version of a calibration, with its signatures."""
        ...

    def sign(self, calibration_id: str, version: int, signature: Signature) -> None: ...

    def ids(self) -> Sequence[str]:
        """Every calibration id, sorted."""
        ...


class RiskRecords(Protocol):
    """Where agencies record assessments and evidence (their own records)."""

    def add_assessment(self, assessment: Assessment) -> None: ...

    def add_evidence(self, item: EvidenceItem) -> None: ...


class VisibleRiskSource(Protocol):
    """Assessments and evidence about a person (or their household) that `actor` may see.

    Implemented by the disclosure gate (`DisclosureGate`): it decides per holder and category,
    reads only what is permitted, audits durably, and groups what is withheld with reasons.
    NotFound, as for the record, when the person is not someone the actor may see.
    """

    def risk_assessments(
        self, *, actor: Actor, purpose: Purpose, person_id: str, at: datetime | None = None
    ) -> RiskDisclosure: ...

    def household_risk_assessments(
        self, *, actor: Actor, purpose: Purpose, person_id: str, at: datetime | None = None
    ) -> RiskDisclosure: ...


def _calibration_event(
    actor: Practitioner, at: datetime, outcome: str, calibration: Calibration, **refs: str
) -> AuditEvent:
    return AuditEvent(
        AuditKind.CALIBRATION_CHANGE,
        at,
        actor.id,
        actor.org_code,
        outcome=outcome,
        agreement=calibration.ref,
        refs=dict(refs),
    )


class RiskCalibrations:
    """Propose, sign and look up the partnership's risk calibration."""

    def __init__(
        self,
        *,
        store: CalibrationStore,
        audit: AuditLog,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock

    def propose(self, document: Mapping[str, Any], *, actor: Practitioner) -> Calibration:
        """Store a new version of a calibration; it takes effect only when all parties sign."""
        calibration = parse_calibration(document)
        if actor.org_code not in calibration.parties:
            raise PermissionDenied(
                f"Only a party to {calibration.id} may propose a version of it", field="org"
            )
        existing = self._store.versions(calibration.id)
        if any(c.version == calibration.version for c in existing):
            raise Conflict(
                f"Calibration {calibration.ref} already exists: amend with a new version",
                field="version",
            )
        latest = max((c.version for c in existing), default=0)
        if calibration.version != latest + 1:
            raise ValidationError(
                f"The next version of {calibration.id} is {latest + 1}, not {calibration.version}",
                field="version",
            )
        # Audited before it is stored: if the log cannot take it, nothing is proposed.
        self._audit.append(
            _calibration_event(
                actor, self._clock(), "proposed", calibration, parties=",".join(calibration.parties)
            )
        )
        self._store.add(calibration, document)
        return calibration

    def sign(
        self, calibration_id: str, version: int, *, actor: Practitioner, at: datetime | None = None
    ) -> Calibration:
        """Sign a version for the actor's organisation."""
        found = {c.version: c for c in self._store.versions(calibration_id)}
        if version not in found:
            raise NotFound(f"There is no calibration {calibration_id}@{version}", field="version")
        signature = Signature(
            org=actor.org_code,
            name=actor.name,
            role=str(actor.role),
            signed_at=at or self._clock(),
        )
        signed = found[version].with_signature(signature)  # checks party and double signing
        self._audit.append(
            _calibration_event(actor, signature.signed_at, "signed", signed, org=actor.org_code)
        )
        self._store.sign(calibration_id, version, signature)
        if not signed.unsigned_parties():
            # The last party's signature brings this version into force (and any older one
            # out of it): an entry of its own, so the log shows when the mapping changed.
            before = calibration_in_force(
                [c for c in found.values() if c.version != version], signature.signed_at
            )
            replaces = {"replaces": before.ref} if before is not None else {}
            self._audit.append(
                _calibration_event(actor, signature.signed_at, "in_force", signed, **replaces)
            )
        return signed

    def in_force(self, calibration_id: str, *, at: datetime | None = None) -> Calibration:
        """The version in force: the newest signed by every party."""
        current = calibration_in_force(self._store.versions(calibration_id), at or self._clock())
        if current is None:
            raise NotFound(
                f"No version of calibration {calibration_id} is signed by every party",
                field="calibration",
            )
        return current

    def ids(self) -> Sequence[str]:
        """Every calibration the partnership has."""
        return self._store.ids()

    def status(self, calibration_id: str, *, at: datetime | None = None) -> CalibrationStatus:
        """What is in force and what awaits signatures; NotFound for an unknown id."""
        versions = self._store.versions(calibration_id)
        if not versions:
            raise NotFound(f"There is no calibration {calibration_id!r}", field="calibration")
        when = at or self._clock()
        current = calibration_in_force(versions, when)
        floor = current.version if current is not None else 0
        pending = tuple(c for c in versions if c.version > floor and not c.in_force(when))
        return CalibrationStatus(id=calibration_id, in_force=current, pending=pending)


@dataclass(frozen=True)
class CalibrationStatus:
    """The version in force (if any) and any newer version still waiting for signatures."""

    id: str
    in_force: Calibration | None
    pending: tuple[Calibration, ...]


@dataclass(frozen=True)
class RiskView:
    """A joint risk profile and, beside it, what was withheld from the viewer and why."""

    person: PersonSummary
    profile: JointRiskProfile
    withheld: tuple[WithheldGroup, ...]
    members: tuple[PersonSummary, ...] = ()
    limits: tuple[str, ...] = ()
    withheld_about: tuple[str, ...] = ()


class JointRisk:
    """Joint risk profiles for a person or a household, from what the viewer may see."""

    def __init__(
        self,
        *,
        calibrations: RiskCalibrations,
        visible: VisibleRiskSource,
        calibration_id: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._calibrations = calibrations
        self._visible = visible
        self._calibration_id = calibration_id
        self._clock = clock

    def _view(
        self, seen: RiskDisclosure, subject: str, calibration: Calibration, at: datetime
    ) -> RiskView:
        return RiskView(
            seen.person,
            joint_profile(subject, seen.visible, calibration, at=at),
            seen.withheld,
            seen.members,
            seen.limits,
            seen.withheld_about,
        )

    def for_person(
        self, person_id: str, *, actor: Actor, purpose: Purpose, at: datetime | None = None
    ) -> RiskView:
        """Every agency's level for the person, side by side, combined by the agreed rule.

        NotFound (field `calibration`) when no calibration is in force: then nothing is read,
        because nothing could be mapped."""
        at = at or self._clock()
        calibration = self._calibrations.in_force(self._calibration_id, at=at)
        seen = self._visible.risk_assessments(
            actor=actor, purpose=purpose, person_id=person_id, at=at
        )
        return self._view(seen, person_id, calibration, at)

    def for_household(
        self, person_id: str, *, actor: Actor, purpose: Purpose, at: datetime | None = None
    ) -> RiskView:
        """The same for the person's household (each agency's latest level per member)."""
        at = at or self._clock()
        calibration = self._calibrations.in_force(self._calibration_id, at=at)
        seen = self._visible.household_risk_assessments(
            actor=actor, purpose=purpose, person_id=person_id, at=at
        )
        return self._view(seen, f"household of {person_id}", calibration, at)
