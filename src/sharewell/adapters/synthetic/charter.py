"""Put the example Anyshire charter in force for the demo: import, propose, every party signs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from sharewell.config import REPO_ROOT
from sharewell.domain.agreements import parse_agreement
from sharewell.services import governance as gov
from sharewell.services.governance import Actor
from sharewell.services.governance_ports import GovernanceStore
from sharewell.services.ports import AuditLog

CHARTER = REPO_ROOT / "examples" / "agreements" / "anyshire-charter.yaml"
DEMO_OPERATOR = Actor("demo-operator")


def sign_demo_charter(
    store: GovernanceStore, audit: AuditLog, *, path: Path = CHARTER, actor: Actor = DEMO_OPERATOR
) -> str:
    """Import the charter unsigned, propose it and record each party's signature; returns its ref.

    The file carries the signatures the partners gave; the demo replays them through the
    governance services so the audit log holds the whole lifecycle, as it would in production.
    """
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    signatures = {p["org"]: p.get("signed_by") for p in doc["parties"]}
    for party in doc["parties"]:
        party["signed_by"] = None
    agreement = parse_agreement(doc)
    gov.import_agreement(store, audit, agreement, actor=actor, at=datetime(2025, 11, 1, tzinfo=UTC))
    gov.propose(store, audit, agreement.id, actor=actor, at=datetime(2025, 11, 2, tzinfo=UTC))
    for party in agreement.parties:
        given = signatures.get(party.org) or {}
        gov.sign_agreement(
            store,
            audit,
            agreement.id,
            org=party.org,
            name=str(given.get("name") or f"Signatory for {party.org}"),
            role=str(given.get("role") or "Director"),
            actor=actor,
            at=datetime(2025, 12, 1, tzinfo=UTC),
        )
    return agreement.ref
