"""In-memory calibration store and a visible-risk source, for service tests.

`MemoryVisibleRisk` stands in for the disclosure gate: the test decides what the viewer sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sharewell.domain.errors import Conflict
from sharewell.domain.organisations import Practitioner
from sharewell.domain.risk import Calibration, Signature, VisibleRisk


class MemoryCalibrationStore:
    """The CalibrationStore port in a dict."""

    def __init__(self) -> None:
        self.calibrations: dict[tuple[str, int], Calibration] = {}
        self.documents: dict[tuple[str, int], dict[str, Any]] = {}

    def add(self, calibration: Calibration, document: Mapping[str, Any]) -> None:
        key = (calibration.id, calibration.version)
        if key in self.calibrations:
            raise Conflict(f"Calibration {calibration.ref} already exists", field="version")
        self.calibrations[key] = calibration
        self.documents[key] = dict(document)

    def versions(self, calibration_id: str) -> Sequence[Calibration]:
        return sorted(
            (c for (cid, _), c in self.calibrations.items() if cid == calibration_id),
            key=lambda c: c.version,
        )

    def ids(self) -> Sequence[str]:
        return sorted({cid for cid, _ in self.calibrations})

    def sign(self, calibration_id: str, version: int, signature: Signature) -> None:
        key = (calibration_id, version)
        self.calibrations[key] = self.calibrations[key].with_signature(signature)


class MemoryVisibleRisk:
    """A VisibleRiskSource that returns what the test put in, per person and household."""

    def __init__(self) -> None:
        self.people: dict[str, VisibleRisk] = {}
        self.households: dict[str, VisibleRisk] = {}
        self.asked: list[tuple[str, str, datetime]] = []

    def for_person(self, person_id: str, *, viewer: Practitioner, at: datetime) -> VisibleRisk:
        self.asked.append((person_id, viewer.id, at))
        return self.people.get(person_id, VisibleRisk((), ()))

    def for_household(
        self, household_id: str, *, viewer: Practitioner, at: datetime
    ) -> VisibleRisk:
        self.asked.append((household_id, viewer.id, at))
        return self.households.get(household_id, VisibleRisk((), ()))
