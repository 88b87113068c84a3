"""Joint risk for the demo: the example calibration signed by every party, and agencies' risk
assessments and evidence about linked people, with a planted disagreement.

Run after the agencies' records are linked into people (assessments are recorded against the
partnership's person ids). Every child the police attended a domestic incident about and a
school knows gets the police's DASH "high" and the school's "low" concern: the disagreement of
two or more common levels the joint risk profile must flag. Children's social care add theirs
where they know the child, and the hospital's health RAG is added for every such child (a school
sees it only as withheld: no flow of the charter shares health data with schools).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, delete, select

from sharewell.adapters.db.risk_repositories import SqlRiskRecords
from sharewell.adapters.db.tables import FactRow, SourceRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.adapters.db.tables_risk import RiskAssessmentRow, RiskEvidenceRow
from sharewell.adapters.synthetic.partnership import ORG_CODES
from sharewell.config import REPO_ROOT
from sharewell.domain.errors import NotFound
from sharewell.domain.organisations import Practitioner
from sharewell.domain.risk import Assessment, EvidenceItem, EvidenceKind
from sharewell.domain.vocabulary import DataCategory, Role
from sharewell.services.joint_risk import RiskCalibrations

CALIBRATION = REPO_ROOT / "config" / "risk-calibration.example.yaml"
SIGNED_AT = datetime(2025, 12, 10, 10, 0, tzinfo=UTC)
DOMESTIC_INCIDENT = "domestic_abuse_incident"
SCHOOLS = tuple(c for c in ORG_CODES if c.startswith("SCH"))


def signatory(org: str) -> Practitioner:
    """Who signs the calibration for a party in the demo (a partnership lead)."""
    return Practitioner(
        id=f"demo-risk-signatory-{org.lower()}",
        org_code=org,
        name=f"Risk lead for {org}",
        email=f"risk-lead@{org.lower()}.anyshire.example",
        role=Role.PARTNERSHIP_LEAD,
    )


def sign_demo_calibration(calibrations: RiskCalibrations, *, path: Path = CALIBRATION) -> str:
    """Propose the example calibration and have every party sign it (each step audited).

    Returns its ref; proposes or signs only what is still missing, so it can run again."""
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    cid, version = str(doc["id"]), int(doc["version"])
    try:
        status = calibrations.status(cid, at=SIGNED_AT)
    except NotFound:
        calibrations.propose(doc, actor=signatory(str(doc["parties"][0])))
        status = calibrations.status(cid, at=SIGNED_AT)
    if status.in_force is None or status.in_force.version < version:
        waiting = next((c for c in status.pending if c.version == version), None)
        for org in waiting.unsigned_parties() if waiting else ():
            calibrations.sign(cid, version, actor=signatory(org), at=SIGNED_AT)
    return f"{cid}@{version}"


def _row_id(prefix: str, person: str, org: str) -> str:
    # Person ids may be long (linkage makes them): a short stable digest fits the id column.
    return f"{prefix}-{hashlib.sha256(f'{person}/{org}'.encode()).hexdigest()[:24]}"


def _names(engine: Engine) -> dict[str, str]:
    from sharewell.adapters.db.tables import OrganisationRow

    with engine.connect() as conn:
        rows = conn.execute(select(OrganisationRow.code, OrganisationRow.name)).all()
    return {str(code): str(name) for code, name in rows}


def plant_demo_risk(engine: Engine, *, as_of: datetime) -> int:
    """Record the demo agencies' assessments and evidence; returns how many assessments.

    Replaces any demo risk rows recorded before (the people may have been linked afresh)."""
    links = PersonLinkRow
    with engine.begin() as conn:
        for table in (RiskAssessmentRow, RiskEvidenceRow):
            conn.execute(delete(table).where(table.org_code.in_(ORG_CODES)))
        known: dict[str, set[str]] = defaultdict(set)
        for person, org in conn.execute(
            select(links.person_id, SourceRecordRow.org_code).join(
                SourceRecordRow, SourceRecordRow.id == links.record_id
            )
        ):
            known[str(person)].add(str(org))
        incidents: dict[str, datetime] = {}
        for person, occurred in conn.execute(
            select(links.person_id, FactRow.occurred_at)
            .join(SourceRecordRow, SourceRecordRow.id == links.record_id)
            .join(
                FactRow,
                (FactRow.org_code == SourceRecordRow.org_code)
                & (FactRow.local_id == SourceRecordRow.local_id),
            )
            .where(FactRow.org_code == "POL", FactRow.code == DOMESTIC_INCIDENT)
        ):
            when = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
            if when <= as_of and (person not in incidents or when > incidents[person]):
                incidents[str(person)] = when
    names = _names(engine)
    records = SqlRiskRecords(engine)
    planted = 0
    for n, person in enumerate(sorted(incidents)):
        schools = sorted(known[person] & set(SCHOOLS))
        if not schools:
            continue
        school = schools[0]
        incident = incidents[person]
        # Recent enough to count (the calibration's assessments are valid for a year).
        assessed = as_of - timedelta(days=10 + n % 60)

        def assess(
            org: str,
            scale: str,
            level: str,
            category: DataCategory,
            indicators: int | None = None,
            *,
            person: str = person,
            assessed: datetime = assessed,
        ) -> Assessment:
            return Assessment(
                id=_row_id("RA", person, org),
                org_code=org,
                org_name=names.get(org, org),
                scale_id=scale,
                level=level,
                person_id=person,
                assessed_at=assessed,
                indicators=indicators,
                category=category,
            )

        assessments = [
            # The planted disagreement: the police say high, the school says low.
            assess("POL", "police_dash", "high", DataCategory.CRIMINAL_OFFENCE, 15 - n % 3),
            assess(school, "school_concern", "low", DataCategory.EDUCATION),
            *(
                assess(csc, "childrens_continuum", "3", DataCategory.SOCIAL_CARE)
                for csc in sorted(known[person] & {"CSCN", "CSCS"})[:1]
            ),
            # The hospital's view goes on every planted child's profile: a school may not see
            # health data, so it shows there only as withheld, with the reason.
            assess("ACU", "health_rag", "amber", DataCategory.HEALTH),
        ]
        for assessment in assessments:
            records.add_assessment(assessment)
        planted += len(assessments)
        records.add_evidence(
            EvidenceItem(
                _row_id("RE", person, "POL"),
                "POL",
                EvidenceKind.FACTUAL,
                "Officers attended a domestic incident at the home",
                incident,
                person,
                category=DataCategory.CRIMINAL_OFFENCE,
            )
        )
        records.add_evidence(
            EvidenceItem(
                _row_id("RE", person, school),
                school,
                EvidenceKind.ANECDOTAL,
                "A neighbour told the school of shouting at the home",
                assessed - timedelta(days=20),
                person,
                category=DataCategory.EDUCATION,
            )
        )
    return planted
