"""/api/v1/risk/calibrations: the partnership's risk calibration (no personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from sharewell.bootstrap import Container
from sharewell.domain.access import Reason
from sharewell.domain.risk import COMMON_LEVELS, Calibration, EvidenceKind
from sharewell.domain.vocabulary import DataCategory, Purpose
from sharewell.entrypoints.api.deps import Reader, container
from sharewell.entrypoints.api.errors import ERROR_RESPONSES
from sharewell.entrypoints.api.people import PEOPLE_ERROR_RESPONSES, ForPurpose
from sharewell.services.governance import Actor
from sharewell.services.joint_risk import RiskView

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


@router.get("/calibrations", response_model=CalibrationIds)
def list_calibrations(wiring: Wiring, _viewer: Reader) -> CalibrationIds:
    """Every risk calibration the partnership has."""
    return CalibrationIds(calibrations=list(wiring.risk_calibrations.ids()))


@router.get("/calibrations/{calibration_id}", response_model=CalibrationStatusOut)
def get_calibration(calibration_id: str, wiring: Wiring, _viewer: Reader) -> CalibrationStatusOut:
    """The version in force (signed by every party) and any amendment awaiting signatures."""
    status = wiring.risk_calibrations.status(calibration_id)
    return CalibrationStatusOut(
        id=status.id,
        in_force=None if status.in_force is None else CalibrationOut.of(status.in_force),
        pending=[CalibrationOut.of(c) for c in status.pending],
    )


# --- Joint risk profiles (personal data: through the disclosure gate) -------------------------

people_router = APIRouter(prefix="/api/v1", tags=["risk"], responses=PEOPLE_ERROR_RESPONSES)


class AgencyLevelOut(BaseModel):
    """One agency's latest level for a person, on its own scale and on the common scale."""

    person_id: str
    holder: str
    holder_name: str
    scale: str
    level: str
    common: int
    common_label: str
    assessed_at: datetime
    current: bool = Field(description="Recent enough to count towards the combined level")


class EvidenceOut(BaseModel):
    """An evidence item the viewer may see, with the weight it carries today."""

    id: str
    person_id: str | None
    holder: str
    kind: EvidenceKind
    summary: str | None = Field(description="Null when the holder does not share the details")
    occurred_at: datetime
    weight: float


class RiskWithheldOut(BaseModel):
    """Risk items a holder keeps that the viewer may not see, and why (as on the record)."""

    person_id: str = Field(description="Whom the withheld items are about")
    holder: str
    category: DataCategory
    count: int
    reasons: list[Reason]
    sentence: str
    explanation: str
    override_available: bool


class JointRiskOut(BaseModel):
    """The joint risk profile of a person or household, from what the viewer may see."""

    person_id: str
    members: list[str] = Field(description="Other household members included (household only)")
    purpose: Purpose
    calibration: str
    combine: str
    combined: int | None
    combined_label: str | None
    agencies: list[AgencyLevelOut]
    evidence: list[EvidenceOut]
    evidence_score: float
    disagreement: bool
    disagreement_text: str | None
    withheld_count: int | None
    withheld: list[RiskWithheldOut]
    notes: list[str]

    @classmethod
    def of(cls, view: RiskView, purpose: Purpose) -> JointRiskOut:
        p = view.profile
        return cls(
            person_id=view.person.person_id,
            members=[m.person_id for m in view.members],
            purpose=purpose,
            calibration=p.calibration,
            combine=p.combine.value,
            combined=p.combined,
            combined_label=p.combined_label,
            agencies=[
                AgencyLevelOut(
                    person_id=a.person_id,
                    holder=a.org_code,
                    holder_name=a.org_name,
                    scale=a.scale,
                    level=a.level,
                    common=a.common,
                    common_label=a.common_label,
                    assessed_at=a.assessed_at,
                    current=a.current,
                )
                for a in p.agencies
            ],
            evidence=[
                EvidenceOut(
                    id=w.item.id,
                    person_id=w.item.person_id,
                    holder=w.item.org_code,
                    kind=w.item.kind,
                    summary=w.item.summary or None,
                    occurred_at=w.item.occurred_at,
                    weight=w.weight,
                )
                for w in p.evidence
            ],
            evidence_score=p.evidence_score,
            disagreement=p.disagreement,
            disagreement_text=p.disagreement_text,
            withheld_count=p.withheld,
            withheld=[
                RiskWithheldOut(
                    person_id=about,
                    holder=w.org_code,
                    category=w.category,
                    count=w.count,
                    reasons=list(w.reasons),
                    sentence=w.sentence,
                    explanation=w.explanation,
                    override_available=w.override_available,
                )
                for about, w in zip(view.withheld_about, view.withheld, strict=True)
            ],
            notes=[*p.notes, *view.limits],
        )


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


@people_router.get("/people/{person_id}/risk", response_model=JointRiskOut)
def person_risk(
    person_id: str, request: Request, wiring: Wiring, viewer: Reader, purpose: ForPurpose
) -> JointRiskOut:
    """The person's joint risk profile through the disclosure gate; 404 alike for unknown and
    hidden people, and 404 (field `calibration`) when no calibration is in force."""
    view = wiring.joint_risk.for_person(
        person_id, actor=Actor.of(viewer), purpose=purpose, at=_now(request)
    )
    return JointRiskOut.of(view, purpose)


@people_router.get("/people/{person_id}/household/risk", response_model=JointRiskOut)
def household_risk(
    person_id: str, request: Request, wiring: Wiring, viewer: Reader, purpose: ForPurpose
) -> JointRiskOut:
    """The joint risk profile of the person and the household members the viewer may see."""
    view = wiring.joint_risk.for_household(
        person_id, actor=Actor.of(viewer), purpose=purpose, at=_now(request)
    )
    return JointRiskOut.of(view, purpose)
