"""What the audit log records: references and reason codes, never the disclosed data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AuditKind(StrEnum):
    """The kinds of event the tamper-evident log holds."""

    DECISION = "decision"
    DISCLOSURE = "disclosure"
    OVERRIDE = "override"
    CONSENT_CHANGE = "consent_change"
    AGREEMENT_CHANGE = "agreement_change"
    RELATIONSHIP_CHANGE = "relationship_change"
    DECISION_RECORD = "decision_record"
    SEARCH = "search"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SHARE_REQUEST = "share_request"
    SHARING_GRANT = "sharing_grant"
    API_TOKEN = "api_token"
    CALIBRATION_CHANGE = "calibration_change"
    # The citizen portal: a citizen's sign-in, identity check, own views and requests.
    CITIZEN_SIGN_IN = "citizen_sign_in"
    CITIZEN_VIEW = "citizen_view"
    CITIZEN_REQUEST = "citizen_request"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing that happened, as the log will hold it (ids, codes, never facts' content)."""

    kind: AuditKind
    at: datetime
    actor_id: str | None
    actor_org: str | None
    purpose: str | None = None
    subject_id: str | None = None
    outcome: str | None = None
    reasons: tuple[str, ...] = ()
    agreement: str | None = None
    refs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditReceipt:
    """Proof that an event is durably in the log: its index and leaf hash."""

    index: int
    leaf_hash: str
