"""MASH referrals and research requests on SQL (the `MashStore` port)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from sharewell.adapters.db.tables_alerts import MashReferralRow, MashResearchRow
from sharewell.domain.mash import (
    Outcome,
    Rag,
    Referral,
    ReferralStatus,
    ResearchRequest,
    SubjectKind,
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _referral(r: Any) -> Referral:
    return Referral(
        id=r.id,
        person_id=r.person_id,
        subject=SubjectKind(r.subject),
        referrer_id=r.referrer_id,
        referrer_org=r.referrer_org,
        concern=r.concern,
        received_at=_utc(r.received_at) or datetime.now(UTC),
        hub_org=r.hub_org,
        status=ReferralStatus(r.status),
        rag=Rag(r.rag) if r.rag else None,
        triaged_by=r.triaged_by,
        triaged_at=_utc(r.triaged_at),
        due_at=_utc(r.due_at),
        outcome=Outcome(r.outcome) if r.outcome else None,
        outcome_note=r.outcome_note or "",
        decided_by=r.decided_by,
        decided_at=_utc(r.decided_at),
        decision_record_id=r.decision_record_id,
    )


def _referral_values(r: Referral) -> dict[str, Any]:
    values = asdict(r)
    values["subject"] = r.subject.value
    values["status"] = r.status.value
    values["rag"] = r.rag.value if r.rag else None
    values["outcome"] = r.outcome.value if r.outcome else None
    return values


def _research(r: Any) -> ResearchRequest:
    return ResearchRequest(
        id=r.id,
        referral_id=r.referral_id,
        person_id=r.person_id,
        org=r.org,
        asked_by=r.asked_by,
        asked_at=_utc(r.asked_at) or datetime.now(UTC),
        due_at=_utc(r.due_at) or datetime.now(UTC),
        contribution=r.contribution or "",
        contributed_by=r.contributed_by,
        contributed_at=_utc(r.contributed_at),
    )


class SqlMash:
    """Referrals and research requests."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add_referral(self, referral: Referral) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(MashReferralRow).values(**_referral_values(referral)))

    def save_referral(self, referral: Referral) -> None:
        values = _referral_values(referral)
        del values["id"]
        with self._engine.begin() as conn:
            conn.execute(
                update(MashReferralRow).where(MashReferralRow.id == referral.id).values(**values)
            )

    def _referrals(self, where: Any) -> list[Referral]:
        with self._engine.connect() as conn:
            return [_referral(r) for r in conn.execute(select(MashReferralRow).where(where)).all()]

    def referral(self, referral_id: str) -> Referral | None:
        found = self._referrals(MashReferralRow.id == referral_id)
        return found[0] if found else None

    def referrals_for_hub(self, hub_org: str) -> list[Referral]:
        return self._referrals(MashReferralRow.hub_org == hub_org)

    def referrals_by(self, referrer_id: str) -> list[Referral]:
        return self._referrals(MashReferralRow.referrer_id == referrer_id)

    def add_research(self, request: ResearchRequest) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(MashResearchRow).values(**asdict(request)))

    def save_research(self, request: ResearchRequest) -> None:
        values = asdict(request)
        del values["id"]
        with self._engine.begin() as conn:
            conn.execute(
                update(MashResearchRow).where(MashResearchRow.id == request.id).values(**values)
            )

    def _research_rows(self, where: Any) -> list[ResearchRequest]:
        with self._engine.connect() as conn:
            return [_research(r) for r in conn.execute(select(MashResearchRow).where(where)).all()]

    def research(self, research_id: str) -> ResearchRequest | None:
        found = self._research_rows(MashResearchRow.id == research_id)
        return found[0] if found else None

    def research_of(self, referral_id: str) -> list[ResearchRequest]:
        return self._research_rows(MashResearchRow.referral_id == referral_id)

    def research_for_org(self, org: str) -> list[ResearchRequest]:
        return self._research_rows(MashResearchRow.org == org)
