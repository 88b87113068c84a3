"""/api/v1/risk/calibrations: the partnership's risk calibration (no personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from sharewell.bootstrap import Container
from sharewell.domain.organisations import Practitioner
from sharewell.domain.risk import COMMON_LEVELS, Calibration
from sharewell.entrypoints.api.deps import container, current_practitioner
from sharewell.entrypoints.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/risk", tags=["risk"], responses=ERROR_RESPONSES)


class LevelOut(BaseModel):
    """One level of an agency's scale and the common level it maps to."""

    level: str
    common: int
    common_label: str


class ScaleOut(BaseModel):
    """An agency's own scale."""

    id: str
    owner: str
    name: str
    levels: list[LevelOut]
    indicator_threshold: int | None
    threshold_level: str | None


class SignatureOut(BaseModel):
    """A party's signature."""

    org: str
    name: str
    role: str
    signed_at: datetime


class CalibrationOut(BaseModel):
    """One version of a calibration."""

    id: str
    version: int
    title: str
    parties: list[str]
    unsigned_parties: list[str]
    combine: str
    assessment_valid_days: int
    scales: list[ScaleOut]
    signatures: list[SignatureOut]

    @classmethod
    def of(cls, c: Calibration) -> CalibrationOut:
        return cls(
            id=c.id,
            version=c.version,
            title=c.title,
            parties=list(c.parties),
            unsigned_parties=list(c.unsigned_parties()),
            combine=c.combine.value,
            assessment_valid_days=c.assessment_valid_days,
            scales=[
                ScaleOut(
                    id=sid,
                    owner=scale.owner,
                    name=scale.name,
                    levels=[
                        LevelOut(
                            level=level,
                            common=c.mapping[sid][level],
                            common_label=COMMON_LEVELS[c.mapping[sid][level]],
                        )
                        for level in scale.levels
                    ],
                    indicator_threshold=scale.indicator_threshold,
                    threshold_level=scale.threshold_level,
                )
                for sid, scale in c.scales.items()
            ],
            signatures=[
                SignatureOut(org=s.org, name=s.name, role=s.role, signed_at=s.signed_at)
                for s in c.signatures
            ],
        )


class CalibrationStatusOut(BaseModel):
    """The version in force, if any, and newer versions awaiting signatures."""

    id: str
    in_force: CalibrationOut | None
    pending: list[CalibrationOut]


class CalibrationIds(BaseModel):
    """The partnership's calibrations."""

    calibrations: list[str]


Wiring = Annotated[Container, Depends(container)]
SignedIn = Annotated[Practitioner, Depends(current_practitioner)]


@router.get("/calibrations", response_model=CalibrationIds)
def list_calibrations(wiring: Wiring, _viewer: SignedIn) -> CalibrationIds:
    """Every risk calibration the partnership has."""
    return CalibrationIds(calibrations=list(wiring.risk_calibrations.ids()))


@router.get("/calibrations/{calibration_id}", response_model=CalibrationStatusOut)
def get_calibration(calibration_id: str, wiring: Wiring, _viewer: SignedIn) -> CalibrationStatusOut:
    """The version in force (signed by every party) and any amendment awaiting signatures."""
    status = wiring.risk_calibrations.status(calibration_id)
    return CalibrationStatusOut(
        id=status.id,
        in_force=None if status.in_force is None else CalibrationOut.of(status.in_force),
        pending=[CalibrationOut.of(c) for c in status.pending],
    )
