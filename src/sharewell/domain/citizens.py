"""Citizens of the partnership as the portal knows them: accounts, one-time codes, identity
verification, who may act for whom, what they ask for, and which log entries are withheld.

Standard library only. A citizen account is never a practitioner: it has no organisation and no
role, and it sees only what concerns the people it may act for (itself, and later those it is a
proxy for: see `ActingFor` and docs/decisions/0010-citizen-proxies.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sharewell.domain.agreements import add_months, london_date, london_midnight
from sharewell.domain.errors import ValidationError

CODE_DIGITS = 6


class VerificationMethod(StrEnum):
    """How a citizen proved who they are when their account was bound to a person."""

    DEMO_DIRECTORY_MATCH = "demo_directory_match"
    OIDC_DIRECTORY_MATCH = "oidc_directory_match"


class VerificationLevel(StrEnum):
    """Confidence in the identity (in the spirit of GPG 45: low, medium, high)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ActingRelation(StrEnum):
    """Why an account may act for a person. Only `self` exists today; proxies come later."""

    SELF = "self"
    PARENT = "parent"
    CARER = "carer"
    APPOINTEE = "appointee"


@dataclass(frozen=True, slots=True)
class CitizenAccount:
    """Someone signed in to the portal: by e-mail (demo code) or an OpenID Connect subject."""

    id: str
    login: str  # "email:<address>" or "oidc:<issuer>|<subject>"
    created_at: datetime
    person_id: str | None = None  # bound at identity verification


@dataclass(frozen=True, slots=True)
class ActingFor:
    """An account may act for a person, for a reason, from a date, until a date.

    Every portal read and change names the person it is about and is checked against these
    relations; a citizen's own record is the relation `self`.
    """

    account_id: str
    person_id: str
    relation: ActingRelation
    starts_at: datetime
    ends_at: datetime | None = None
    verification_id: str | None = None

    def in_force(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)


@dataclass(frozen=True, slots=True)
class IdentityVerification:
    """The record that binds an account to a person: how, how well, and when."""

    id: str
    account_id: str
    person_id: str
    method: VerificationMethod
    level: VerificationLevel
    evidence: tuple[str, ...]  # which details matched (names of fields, never their values)
    verified_at: datetime


# --- One-time codes ---------------------------------------------------------------------------


def new_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(code: str, *, salt: str) -> str:
    """How a code is kept at rest: a keyed hash, never the code itself."""
    return hmac.new(salt.encode(), code.strip().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class OneTimeCode:
    """A code sent to a login, usable once, before it expires, within a few attempts."""

    id: str
    login: str
    digest: str
    salt: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None

    def usable(self, at: datetime, max_attempts: int) -> bool:
        return self.used_at is None and at < self.expires_at and self.attempts < max_attempts

    def matches(self, code: str) -> bool:
        return hmac.compare_digest(self.digest, code_digest(code, salt=self.salt))


# --- Requests to the holding organisation ------------------------------------------------------


class RequestKind(StrEnum):
    """What a citizen may ask a holding organisation for."""

    COPY = "copy"
    CORRECTION = "correction"
    CONCERN = "concern"

    @property
    def label(self) -> str:
        return {
            RequestKind.COPY: "A copy of my information (subject access)",
            RequestKind.CORRECTION: "A correction",
            RequestKind.CONCERN: "A concern",
        }[self]


class RequestStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


def statutory_deadline(received_at: datetime) -> date:
    """One calendar month from receipt (UK GDPR Art. 12(3)); the same day next month, or the
    month's last day where it has no such day."""
    return add_months(london_date(received_at), 1)


@dataclass(frozen=True, slots=True)
class CitizenRequest:
    """A request for a copy, a correction or about a concern, in one organisation's IG queue."""

    id: str
    account_id: str
    person_id: str
    org_code: str
    kind: RequestKind
    details: str
    received_at: datetime
    due_on: date
    status: RequestStatus = RequestStatus.OPEN

    def overdue(self, at: datetime) -> bool:
        return self.status is RequestStatus.OPEN and at >= london_midnight(
            self.due_on + timedelta(days=1)
        )


def check_request_details(kind: RequestKind, details: str) -> str:
    text = details.strip()
    if kind is not RequestKind.COPY and len(text) < 10:
        raise ValidationError(
            "Tell us in at least 10 characters what is wrong or what worries you",
            field="details",
        )
    if len(text) > 4000:
        raise ValidationError("Keep it under 4,000 characters", field="details")
    return text


# --- Who has looked: the log entries shown, and those withheld for a time ---------------------

# Kinds of log entry that are an access to (or a decision about access to) a person's record.
ACCESS_KINDS = frozenset({"decision", "disclosure", "override", "share_request", "sharing_grant"})


@dataclass(frozen=True, slots=True)
class WithholdingRule:
    """Entries for this purpose (and organisation, or any) are withheld for `days` after them."""

    purpose: str
    org: str  # an organisation code, or "*" for any
    days: int
    why: str

    def applies(self, purpose: str | None, org: str | None) -> bool:
        return purpose == self.purpose and (self.org == "*" or self.org == org)


def parse_rule(text: str) -> WithholdingRule:
    """`purpose:org:days:why`, for example `crime_prevention:POL:365:a crime investigation`."""
    parts = text.split(":", 3)
    if len(parts) != 4 or not parts[2].strip().isdigit():
        raise ValidationError(
            f"A withholding rule reads purpose:organisation:days:why, not {text!r}",
            field="portal_withholding",
        )
    purpose, org, days, why = (p.strip() for p in parts)
    return WithholdingRule(purpose, org or "*", int(days), why or "it could prejudice safety")


@dataclass(frozen=True, slots=True)
class LoggedAccess:
    """One log entry about a person, as stored (canonical JSON) with its index."""

    index: int
    body: str

    @property
    def fields(self) -> dict[str, object]:
        value = json.loads(self.body)
        return value if isinstance(value, dict) else {}


def release_at(entry: LoggedAccess, rules: tuple[WithholdingRule, ...]) -> datetime | None:
    """When a withheld entry may be shown (None: it is never withheld)."""
    fields = entry.fields
    purpose = fields.get("purpose")
    org = fields.get("actor_org")
    at = fields.get("at")
    if not isinstance(at, str):
        return None
    when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    days = [
        r.days
        for r in rules
        if r.applies(
            purpose if isinstance(purpose, str) else None, org if isinstance(org, str) else None
        )
    ]
    return when + timedelta(days=max(days)) if days else None


def visible(entry: LoggedAccess, rules: tuple[WithholdingRule, ...], at: datetime) -> bool:
    """Shown now: not withheld, or past its release date."""
    release = release_at(entry, rules)
    return release is None or at >= release


@dataclass(frozen=True, slots=True)
class CitizenActor:
    """A signed-in citizen as the disclosure gate sees them: the people they may act for now."""

    account_id: str
    people: frozenset[str]

    @property
    def audit_id(self) -> str:
        return f"citizen:{self.account_id}"

    def may_act_for(self, person_id: str) -> bool:
        return person_id in self.people

    @classmethod
    def of(cls, account_id: str, relations: list[ActingFor], at: datetime) -> CitizenActor:
        return cls(account_id, frozenset(r.person_id for r in relations if r.in_force(at)))
