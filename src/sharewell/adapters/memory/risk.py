"""In-memory calibration store, for service tests.

What a viewer may see of agencies' assessments comes from the real disclosure gate, built on
the memory person directory and fact reader (adapters/memory/disclosure.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sharewell.domain.errors import Conflict
from sharewell.domain.risk import Calibration, Signature


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
