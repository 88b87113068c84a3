"""Risk calibrations and agencies' risk records in the relational store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from sharewell.adapters.db.tables_risk import (
    RiskAssessmentRow,
    RiskCalibrationRow,
    RiskCalibrationSignatureRow,
    RiskEvidenceRow,
)
from sharewell.domain.errors import Conflict, ValidationError
from sharewell.domain.risk import (
    Assessment,
    Calibration,
    EvidenceItem,
    Signature,
    parse_calibration,
)
from sharewell.domain.times import utcnow


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _need_category(category: object, what: str) -> None:
    # Without a category no access decision could govern it: refuse rather than guess.
    if category is None:
        raise ValidationError(
            f"Give the data category of the {what} (for example criminal_offence or "
            "social_care), so the agreements can govern who sees it",
            field="category",
        )


class SqlCalibrationStore:
    """`CalibrationStore`: the document as proposed, and signatures beside it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, calibration: Calibration, document: Mapping[str, Any]) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(RiskCalibrationRow).values(
                        id=calibration.id,
                        version=calibration.version,
                        title=calibration.title,
                        document=dict(document),
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            raise Conflict(
                f"Calibration {calibration.ref} already exists", field="version"
            ) from None

    def versions(self, calibration_id: str) -> Sequence[Calibration]:
        with self._engine.connect() as conn:
            documents = conn.execute(
                select(RiskCalibrationRow.version, RiskCalibrationRow.document)
                .where(RiskCalibrationRow.id == calibration_id)
                .order_by(RiskCalibrationRow.version)
            ).all()
            signatures = conn.execute(
                select(RiskCalibrationSignatureRow)
                .where(RiskCalibrationSignatureRow.calibration_id == calibration_id)
                .order_by(
                    RiskCalibrationSignatureRow.signed_at, RiskCalibrationSignatureRow.org_code
                )
            ).all()
        found: list[Calibration] = []
        for version, document in documents:
            calibration = parse_calibration(document)
            for s in signatures:
                if s.version == version:
                    calibration = calibration.with_signature(
                        Signature(s.org_code, s.signer_name, s.signer_role, _utc(s.signed_at))
                    )
            found.append(calibration)
        return found

    def ids(self) -> Sequence[str]:
        with self._engine.connect() as conn:
            return list(
                conn.scalars(
                    select(RiskCalibrationRow.id).distinct().order_by(RiskCalibrationRow.id)
                )
            )

    def sign(self, calibration_id: str, version: int, signature: Signature) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(RiskCalibrationSignatureRow).values(
                        calibration_id=calibration_id,
                        version=version,
                        org_code=signature.org,
                        signer_name=signature.name,
                        signer_role=signature.role,
                        signed_at=signature.signed_at,
                    )
                )
        except IntegrityError:
            raise Conflict(
                f"{signature.org} has already signed {calibration_id}@{version}", field="org"
            ) from None


class SqlRiskRecords:
    """`RiskRecords`: agencies record assessments and evidence here.

    Reading them back for a viewer is the disclosure gate's job (issue 5), not this class's.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_assessment(self, assessment: Assessment) -> None:
        _need_category(assessment.category, "assessment")
        with self._engine.begin() as conn:
            conn.execute(
                insert(RiskAssessmentRow).values(
                    id=assessment.id,
                    org_code=assessment.org_code,
                    org_name=assessment.org_name,
                    scale_id=assessment.scale_id,
                    level=assessment.level,
                    person_id=assessment.person_id,
                    household_id=assessment.household_id,
                    indicators=assessment.indicators,
                    assessed_at=assessment.assessed_at,
                    category=str(assessment.category),
                )
            )

    def add_evidence(self, item: EvidenceItem) -> None:
        _need_category(item.category, "evidence item")
        with self._engine.begin() as conn:
            conn.execute(
                insert(RiskEvidenceRow).values(
                    id=item.id,
                    org_code=item.org_code,
                    kind=item.kind.value,
                    summary=item.summary,
                    person_id=item.person_id,
                    household_id=item.household_id,
                    occurred_at=item.occurred_at,
                    category=str(item.category),
                )
            )
