"""Information sharing agreements: versioned, signed documents of who shares what with whom.

The document format is DESIGN.md's "Agreement file". `parse_agreement` turns a plain dict (from
YAML or JSON) into an `Agreement`, collecting every problem with the path of the field at fault
(`flows[0].categories.criminal_offence.fields`) so that the caller can add line numbers.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sharewell.domain.errors import ValidationError
from sharewell.domain.times import LONDON
from sharewell.domain.vocabulary import (
    ConsentModel,
    DataCategory,
    LegalBasisKind,
    Purpose,
    Role,
    legal_basis,
)

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_ORG = re.compile(r"^[A-Z0-9_]{1,16}$")


@lru_cache(maxsize=65536)
def add_months(start: date, months: int) -> date:
    """`start` moved on by whole months, clamped to the month's last day (31 Jan + 1 = 28 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def london_date(at: datetime) -> date:
    """The calendar day in the partnership's time zone: agreement dates are UK dates."""
    return at.astimezone(LONDON).date()


def london_midnight(day: date) -> datetime:
    """The UTC instant a UK calendar day begins."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


class AgreementStatus(StrEnum):
    """Where an agreement version is in its life."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    SIGNING = "signing"
    SIGNED = "signed"
    IN_FORCE = "in_force"
    REVIEW_DUE = "review_due"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    AgreementStatus.DRAFT: "draft",
    AgreementStatus.PROPOSED: "proposed to the partners",
    AgreementStatus.SIGNING: "partly signed",
    AgreementStatus.SIGNED: "signed by every party, not yet started",
    AgreementStatus.IN_FORCE: "in force",
    AgreementStatus.REVIEW_DUE: "in force, review due",
    AgreementStatus.EXPIRED: "expired",
    AgreementStatus.TERMINATED: "terminated",
    AgreementStatus.SUPERSEDED: "superseded by a newer version",
}


@dataclass(frozen=True, slots=True)
class Signature:
    """Who signed for a party, in what role, and when."""

    name: str
    role: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation bound by the agreement, and its signature once given."""

    org: str
    signed_by: Signature | None = None


@dataclass(frozen=True, slots=True)
class TrainingRequirement:
    """A training module every recipient must have completed within `valid_months`."""

    module: str
    valid_months: int

    def valid_until(self, completed_on: date) -> date:
        """The first day the training no longer counts."""
        return add_months(completed_on, self.valid_months)


@dataclass(frozen=True, slots=True)
class FlowLegalBasis:
    """The lawful basis a flow relies on: Article 6, Article 9, DPA 2018 condition, gateway."""

    article6: str
    article9: str | None = None
    condition: str | None = None
    gateway: str | None = None

    def as_dict(self) -> dict[str, str]:
        """Only the parts stated, in the file's key order."""
        parts = {
            "article6": self.article6,
            "article9": self.article9,
            "condition": self.condition,
            "gateway": self.gateway,
        }
        return {k: v for k, v in parts.items() if v is not None}

    def strongest(self) -> str:
        """The most specific part, for plain-English sentences ("the Children Act 2004 s.11")."""
        return self.gateway or self.condition or self.article9 or self.article6


@dataclass(frozen=True, slots=True)
class Flow:
    """One permitted flow: from these organisations to those, for purposes, with a data set."""

    from_orgs: tuple[str, ...]
    to_orgs: tuple[str, ...]
    purposes: frozenset[Purpose]
    categories: Mapping[DataCategory, tuple[str, ...]]
    recipient_roles: frozenset[Role]
    legal_basis: FlowLegalBasis
    consent: ConsentModel
    requires_relationship: bool = True
    national_opt_out_applies: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Agreement:
    """One version of a partnership's information sharing agreement."""

    id: str
    version: int
    title: str
    starts_on: date
    ends_on: date
    parties: tuple[Party, ...]
    flows: tuple[Flow, ...]
    review_on: date | None = None
    terminated_at: datetime | None = None
    termination_reason: str | None = None
    training: TrainingRequirement | None = None
    minimum_term_months: int | None = None
    description: str | None = None
    # Derived: when the last party signed (None while anyone has not), for quick in-force checks.
    fully_signed_at: datetime | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        signatures = [p.signed_by for p in self.parties]
        fully = None
        if signatures and all(s is not None for s in signatures):
            fully = max(s.signed_at for s in signatures if s is not None)
        object.__setattr__(self, "fully_signed_at", fully)

    @property
    def ref(self) -> str:
        """`id@version`, as decisions and the audit log cite it."""
        return f"{self.id}@{self.version}"

    @property
    def party_codes(self) -> tuple[str, ...]:
        return tuple(p.org for p in self.parties)

    def unsigned(self) -> tuple[str, ...]:
        """Parties that have not signed yet."""
        return tuple(p.org for p in self.parties if p.signed_by is None)

    def in_force(self, at: datetime, day: date | None = None) -> bool:
        """Every party has signed by `at`, `starts_on <= at < ends_on` (UK dates), not terminated.

        `day` is `at`'s UK calendar day when the caller already knows it. This does not know
        about newer versions; see `AgreementIndex` for supersession.
        """
        signed = self.fully_signed_at
        if signed is None or signed > at:
            return False
        if self.terminated_at is not None and self.terminated_at <= at:
            return False
        if day is None:
            day = london_date(at)
        return self.starts_on <= day < self.ends_on

    def status(
        self, at: datetime, *, proposed: bool = True, superseded: bool = False
    ) -> AgreementStatus:
        """The lifecycle status at `at`; `proposed` and `superseded` come from storage."""
        if self.terminated_at is not None and self.terminated_at <= at:
            return AgreementStatus.TERMINATED
        day = london_date(at)
        signed = self.fully_signed_at
        if signed is not None and signed <= at:
            if day >= self.ends_on:
                return AgreementStatus.EXPIRED
            if superseded:
                return AgreementStatus.SUPERSEDED
            if day < self.starts_on:
                return AgreementStatus.SIGNED
            if self.review_on is not None and day >= self.review_on:
                return AgreementStatus.REVIEW_DUE
            return AgreementStatus.IN_FORCE
        if any(p.signed_by is not None and p.signed_by.signed_at <= at for p in self.parties):
            return AgreementStatus.SIGNING
        return AgreementStatus.PROPOSED if proposed else AgreementStatus.DRAFT

    def signed(self, org: str, signature: Signature) -> Agreement:
        """This version with `org`'s signature added (a new value)."""
        if org not in self.party_codes:
            raise ValidationError(f"{org} is not a party to {self.ref}", field="org")
        for party in self.parties:
            if party.org == org and party.signed_by is not None:
                raise ValidationError(f"{org} has already signed {self.ref}", field="org")
        parties = tuple(Party(p.org, signature) if p.org == org else p for p in self.parties)
        return _replace(self, parties=parties)

    def with_parties(self, parties: tuple[Party, ...]) -> Agreement:
        """This version with its parties (and so its signatures) replaced (a new value)."""
        return _replace(self, parties=parties)

    def terminated(self, at: datetime, reason: str) -> Agreement:
        """This version, terminated at `at` for `reason` (a new value)."""
        if not reason.strip():
            raise ValidationError("Say why the agreement is terminated", field="reason")
        return _replace(self, terminated_at=at, termination_reason=reason.strip())

    def to_document(self, *, json_safe: bool = True) -> dict[str, Any]:
        """The agreement file as a plain dict (dates as strings when `json_safe`)."""

        def d(value: date | datetime | None) -> Any:
            if value is None or not json_safe:
                return value
            if isinstance(value, datetime):
                return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return value.isoformat()

        doc: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "title": self.title,
        }
        if self.description is not None:
            doc["description"] = self.description
        doc["starts_on"] = d(self.starts_on)
        doc["ends_on"] = d(self.ends_on)
        doc["review_on"] = d(self.review_on)
        if self.minimum_term_months is not None:
            doc["minimum_term_months"] = self.minimum_term_months
        doc["parties"] = [
            {
                "org": p.org,
                "signed_by": None
                if p.signed_by is None
                else {
                    "name": p.signed_by.name,
                    "role": p.signed_by.role,
                    "signed_at": d(p.signed_by.signed_at),
                },
            }
            for p in self.parties
        ]
        doc["terminated_at"] = d(self.terminated_at)
        if self.termination_reason is not None:
            doc["termination_reason"] = self.termination_reason
        doc["training"] = (
            None
            if self.training is None
            else {"module": self.training.module, "valid_months": self.training.valid_months}
        )
        doc["flows"] = [_flow_document(f) for f in self.flows]
        return doc


def _flow_document(flow: Flow) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if flow.description is not None:
        doc["description"] = flow.description
    doc.update(
        {
            "from": list(flow.from_orgs),
            "to": list(flow.to_orgs),
            "purposes": sorted(p.value for p in flow.purposes),
            "categories": {c.value: {"fields": list(fs)} for c, fs in flow.categories.items()},
            "recipient_roles": sorted(r.value for r in flow.recipient_roles),
            "legal_basis": flow.legal_basis.as_dict(),
            "consent": flow.consent.value,
            "requires_relationship": flow.requires_relationship,
            "national_opt_out_applies": flow.national_opt_out_applies,
        }
    )
    return doc


def _replace(agreement: Agreement, **changes: Any) -> Agreement:
    values = {
        name: getattr(agreement, name)
        for name in (
            "id",
            "version",
            "title",
            "starts_on",
            "ends_on",
            "parties",
            "flows",
            "review_on",
            "terminated_at",
            "termination_reason",
            "training",
            "minimum_term_months",
            "description",
        )
    }
    values.update(changes)
    return Agreement(**values)


def check_amendment(previous: Agreement | None, amended: Agreement) -> None:
    """An amendment is the next version of the same id; the first version is version 1."""
    expected = 1 if previous is None else previous.version + 1
    if amended.version != expected:
        if previous is None:
            message = f"A new agreement starts at version 1, not {amended.version}"
        else:
            message = (
                f"{amended.id} is at version {previous.version}: an amendment must be version "
                f"{expected}, not {amended.version}"
            )
        raise ValidationError(message, field="version")


# --- Parsing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document: the field path and a plain-English message."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.field}: {self.message}"


class AgreementInvalid(ValidationError):
    """An agreement document breaks one or more rules; `problems` lists every one."""

    code = "AGREEMENT_INVALID"

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(first.message + more, field=first.field, line=first.line)
        self.problems = problems


class _Problems:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.items: list[Problem] = []

    def path(self, path: str) -> str:
        if not self.prefix:
            return path
        return f"{self.prefix}.{path}" if path else self.prefix

    def add(self, path: str, message: str) -> None:
        self.items.append(Problem(self.path(path), message))


_TOP_KEYS = {
    "id",
    "version",
    "title",
    "description",
    "starts_on",
    "ends_on",
    "review_on",
    "minimum_term_months",
    "parties",
    "terminated_at",
    "termination_reason",
    "training",
    "flows",
}
_REQUIRED_TOP = ("id", "version", "title", "starts_on", "ends_on", "parties", "flows")
_FLOW_KEYS = {
    "description",
    "from",
    "to",
    "purposes",
    "categories",
    "recipient_roles",
    "legal_basis",
    "consent",
    "requires_relationship",
    "national_opt_out_applies",
}
_REQUIRED_FLOW = (
    "from",
    "to",
    "purposes",
    "categories",
    "recipient_roles",
    "legal_basis",
    "consent",
)
_BASIS_KINDS = {
    "article6": LegalBasisKind.ARTICLE6,
    "article9": LegalBasisKind.ARTICLE9,
    "condition": LegalBasisKind.CONDITION,
    "gateway": LegalBasisKind.GATEWAY,
}


def _join(base: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _instant(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else None
    if isinstance(value, str) and "T" in value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    return None


def _unknown_keys(doc: Mapping[Any, Any], allowed: set[str], base: str, out: _Problems) -> None:
    for key in doc:
        if key not in allowed:
            out.add(
                _join(base, str(key)),
                f"Unknown field {key!r}. Expected one of: {', '.join(sorted(allowed))}",
            )


def _text(doc: Mapping[str, Any], key: str, base: str, out: _Problems) -> str | None:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        out.add(_join(base, key), f"{key.replace('_', ' ').capitalize()} must be some text")
        return None
    return value.strip()


def _org_list(
    value: object, path: str, out: _Problems, known_orgs: Collection[str] | None
) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        out.add(path, "Give a list of one or more organisation codes, like [POL]")
        return ()
    codes: list[str] = []
    for i, code in enumerate(value):
        where = _join(path, i)
        if not isinstance(code, str) or not _ORG.match(code):
            out.add(where, f"{code!r} is not an organisation code (upper-case letters, digits)")
        elif known_orgs is not None and code not in known_orgs:
            out.add(where, f"Unknown organisation {code!r}: it is not a partner organisation")
        else:
            codes.append(code)
    return tuple(codes)


def parse_agreement(
    doc: object,
    *,
    known_orgs: Collection[str] | None = None,
    minimum_term_months: int | None = None,
    prefix: str = "",
) -> Agreement:
    """Validate an agreement document and build the `Agreement`.

    Raises `AgreementInvalid` listing every problem, each naming its field path (prefixed with
    `prefix`, e.g. `agreements[0]`). `known_orgs`, when given, is the set of partner codes that
    organisations must come from; `minimum_term_months` is the partnership's minimum term, used
    when the document does not state its own.
    """
    out = _Problems(prefix)
    if not isinstance(doc, Mapping):
        out.add("", "An agreement must be a mapping of fields (id, version, title, ...)")
        raise AgreementInvalid(out.items)
    _unknown_keys(doc, _TOP_KEYS, "", out)
    for key in _REQUIRED_TOP:
        if key not in doc:
            out.add(key, f"The field {key!r} is required")

    agreement_id = doc.get("id")
    if "id" in doc and (not isinstance(agreement_id, str) or not _ID.match(agreement_id)):
        out.add(
            "id", "The id must be lower-case letters, digits and hyphens, like anyshire-charter"
        )
    version = doc.get("version")
    if "version" in doc and (
        not isinstance(version, int) or isinstance(version, bool) or version < 1
    ):
        out.add("version", "The version must be a whole number from 1")
    title = _text(doc, "title", "", out) if "title" in doc else None
    description = doc.get("description")
    if description is not None and not isinstance(description, str):
        out.add("description", "The description must be text")

    starts_on = _date(doc.get("starts_on")) if "starts_on" in doc else None
    if "starts_on" in doc and starts_on is None:
        out.add("starts_on", "starts_on must be a date like 2026-01-01")
    ends_on = _date(doc.get("ends_on")) if "ends_on" in doc else None
    if "ends_on" in doc and ends_on is None:
        out.add("ends_on", "ends_on must be a date like 2031-01-01")
    review_on = None
    if doc.get("review_on") is not None:
        review_on = _date(doc.get("review_on"))
        if review_on is None:
            out.add("review_on", "review_on must be a date like 2027-01-01")

    minimum = doc.get("minimum_term_months", minimum_term_months)
    if minimum is not None and (
        not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 1
    ):
        out.add("minimum_term_months", "The minimum term must be a whole number of months")
        minimum = None
    if starts_on is not None and ends_on is not None:
        if ends_on <= starts_on:
            out.add(
                "ends_on", f"The agreement ends ({ends_on}) on or before it starts ({starts_on})"
            )
        elif minimum is not None and add_months(starts_on, minimum) > ends_on:
            out.add(
                "ends_on",
                f"The term from {starts_on} to {ends_on} is shorter than the minimum term of "
                f"{minimum} months",
            )
        if review_on is not None and not starts_on < review_on <= ends_on:
            out.add("review_on", "The review date must fall after the start and by the end")

    parties: list[Party] = []
    raw_parties = doc.get("parties")
    if "parties" in doc and (not isinstance(raw_parties, list) or not raw_parties):
        out.add("parties", "List the parties: at least one organisation")
    elif isinstance(raw_parties, list):
        for i, raw in enumerate(raw_parties):
            party = _parse_party(raw, _join("parties", i), out, known_orgs)
            if party is None:
                continue
            if any(p.org == party.org for p in parties):
                out.add(_join(_join("parties", i), "org"), f"{party.org} is listed twice")
                continue
            parties.append(party)

    terminated_at = None
    if doc.get("terminated_at") is not None:
        terminated_at = _instant(doc["terminated_at"])
        if terminated_at is None:
            out.add(
                "terminated_at", "terminated_at must be a date and time like 2026-03-01T10:00:00Z"
            )
    termination_reason = doc.get("termination_reason")
    if termination_reason is not None and not isinstance(termination_reason, str):
        out.add("termination_reason", "The termination reason must be text")
        termination_reason = None

    training = None
    raw_training = doc.get("training")
    if raw_training is not None:
        training = _parse_training(raw_training, out)

    flows: list[Flow] = []
    raw_flows = doc.get("flows")
    if "flows" in doc and (not isinstance(raw_flows, list) or not raw_flows):
        out.add("flows", "List at least one flow: who shares what with whom")
    elif isinstance(raw_flows, list):
        party_codes = {p.org for p in parties}
        for i, raw in enumerate(raw_flows):
            flow = _parse_flow(raw, _join("flows", i), out, known_orgs, party_codes)
            if flow is not None:
                flows.append(flow)

    if out.items:
        raise AgreementInvalid(out.items)
    assert isinstance(agreement_id, str) and isinstance(version, int) and title is not None
    assert starts_on is not None and ends_on is not None
    return Agreement(
        id=agreement_id,
        version=version,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        review_on=review_on,
        parties=tuple(parties),
        flows=tuple(flows),
        terminated_at=terminated_at,
        termination_reason=termination_reason,
        training=training,
        minimum_term_months=doc.get("minimum_term_months"),
        description=description if isinstance(description, str) else None,
    )


def _parse_party(
    raw: object, base: str, out: _Problems, known_orgs: Collection[str] | None
) -> Party | None:
    if not isinstance(raw, Mapping):
        out.add(base, "A party is a mapping with org and signed_by")
        return None
    _unknown_keys(raw, {"org", "signed_by"}, base, out)
    org = raw.get("org")
    if not isinstance(org, str) or not _ORG.match(org):
        out.add(_join(base, "org"), f"{org!r} is not an organisation code")
        return None
    if known_orgs is not None and org not in known_orgs:
        out.add(
            _join(base, "org"), f"Unknown organisation {org!r}: it is not a partner organisation"
        )
        return None
    signed = raw.get("signed_by")
    if signed is None:
        return Party(org)
    where = _join(base, "signed_by")
    if not isinstance(signed, Mapping):
        out.add(where, "signed_by is null or a mapping with name, role and signed_at")
        return Party(org)
    _unknown_keys(signed, {"name", "role", "signed_at"}, where, out)
    name = _text(signed, "name", where, out)
    role = _text(signed, "role", where, out)
    signed_at = _instant(signed.get("signed_at"))
    if signed_at is None:
        out.add(
            _join(where, "signed_at"),
            "signed_at must be a date and time with a time zone, like 2025-12-01T10:00:00Z",
        )
    if name is None or role is None or signed_at is None:
        return Party(org)
    return Party(org, Signature(name, role, signed_at))


def _parse_training(raw: object, out: _Problems) -> TrainingRequirement | None:
    if not isinstance(raw, Mapping):
        out.add("training", "training is null or a mapping with module and valid_months")
        return None
    _unknown_keys(raw, {"module", "valid_months"}, "training", out)
    module = _text(raw, "module", "training", out)
    months = raw.get("valid_months")
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        out.add("training.valid_months", "valid_months must be a whole number of months from 1")
        return None
    return TrainingRequirement(module, months) if module else None


def _parse_flow(
    raw: object,
    base: str,
    out: _Problems,
    known_orgs: Collection[str] | None,
    party_codes: set[str],
) -> Flow | None:
    if not isinstance(raw, Mapping):
        out.add(base, "A flow is a mapping with from, to, purposes, categories, ...")
        return None
    before = len(out.items)
    _unknown_keys(raw, _FLOW_KEYS, base, out)
    for key in _REQUIRED_FLOW:
        if key not in raw:
            out.add(_join(base, key), f"The field {key!r} is required in every flow")

    orgs: dict[str, tuple[str, ...]] = {}
    for key in ("from", "to"):
        if key in raw:
            codes = _org_list(raw[key], _join(base, key), out, known_orgs)
            for i, code in enumerate(codes):
                if party_codes and code not in party_codes:
                    out.add(
                        _join(_join(base, key), i),
                        f"{code} is not a party to this agreement: add it to parties",
                    )
            orgs[key] = codes

    purposes: set[Purpose] = set()
    raw_purposes = raw.get("purposes")
    if "purposes" in raw:
        if not isinstance(raw_purposes, list) or not raw_purposes:
            out.add(
                _join(base, "purposes"), "List one or more purposes, like [safeguarding_children]"
            )
        else:
            for i, value in enumerate(raw_purposes):
                try:
                    purposes.add(Purpose(str(value)))
                except ValueError:
                    out.add(
                        _join(_join(base, "purposes"), i),
                        f"Unknown purpose {value!r}. Choose from: "
                        + ", ".join(p.value for p in Purpose),
                    )

    categories: dict[DataCategory, tuple[str, ...]] = {}
    raw_categories = raw.get("categories")
    cbase = _join(base, "categories")
    if "categories" in raw:
        if not isinstance(raw_categories, Mapping) or not raw_categories:
            out.add(cbase, "Give one or more data categories, each with its fields")
        else:
            for key, spec in raw_categories.items():
                where = _join(cbase, str(key))
                try:
                    category = DataCategory(str(key))
                except ValueError:
                    out.add(
                        where,
                        f"Unknown data category {key!r}. Choose from: "
                        + ", ".join(c.value for c in DataCategory),
                    )
                    continue
                fields = _parse_fields(spec, where, out)
                if fields:
                    categories[category] = fields

    roles: set[Role] = set()
    raw_roles = raw.get("recipient_roles")
    rbase = _join(base, "recipient_roles")
    if "recipient_roles" in raw:
        if not isinstance(raw_roles, list) or not raw_roles:
            out.add(rbase, "List one or more recipient roles, like [designated_safeguarding_lead]")
        else:
            for i, value in enumerate(raw_roles):
                try:
                    roles.add(Role(str(value)))
                except ValueError:
                    out.add(
                        _join(rbase, i),
                        f"Unknown role {value!r}. Choose from: " + ", ".join(r.value for r in Role),
                    )

    consent: ConsentModel | None = None
    if "consent" in raw:
        try:
            consent = ConsentModel(str(raw["consent"]))
        except ValueError:
            out.add(
                _join(base, "consent"),
                f"Unknown consent model {raw['consent']!r}. Choose from: explicit, implied, "
                "not_required",
            )

    basis = None
    if "legal_basis" in raw:
        basis = _parse_basis(raw["legal_basis"], _join(base, "legal_basis"), out)
    if basis is not None and categories:
        lbase = _join(base, "legal_basis")
        special = [c.value for c in categories if c.special_category]
        if special and basis.article9 is None:
            out.add(
                _join(lbase, "article9"),
                f"{', '.join(special)} is special category data: state an Article 9(2) condition",
            )
        criminal = [c.value for c in categories if c.criminal_offence]
        if criminal and basis.condition is None:
            out.add(
                _join(lbase, "condition"),
                f"{', '.join(criminal)} is criminal offence data: state a DPA 2018 Schedule 1 "
                "condition",
            )
    if basis is not None and consent is ConsentModel.NOT_REQUIRED and basis.gateway is None:
        out.add(
            _join(_join(base, "legal_basis"), "gateway"),
            "consent: not_required needs a statutory gateway that allows sharing without consent",
        )

    flags: dict[str, bool] = {}
    for key in ("requires_relationship", "national_opt_out_applies"):
        if key in raw:
            if not isinstance(raw[key], bool):
                out.add(_join(base, key), f"{key} must be true or false")
            else:
                flags[key] = raw[key]
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        out.add(_join(base, "description"), "The description must be text")

    if len(out.items) > before or consent is None or basis is None:
        return None
    return Flow(
        from_orgs=orgs.get("from", ()),
        to_orgs=orgs.get("to", ()),
        purposes=frozenset(purposes),
        categories=categories,
        recipient_roles=frozenset(roles),
        legal_basis=basis,
        consent=consent,
        requires_relationship=flags.get("requires_relationship", True),
        # The national data opt-out covers uses beyond individual care: planning and research.
        national_opt_out_applies=flags.get(
            "national_opt_out_applies", Purpose.PLANNING_RESEARCH in purposes
        ),
        description=description if isinstance(description, str) else None,
    )


def _parse_fields(spec: object, where: str, out: _Problems) -> tuple[str, ...]:
    if not isinstance(spec, Mapping):
        out.add(where, "A category is a mapping like {fields: [occurred_at, incident_type]}")
        return ()
    _unknown_keys(spec, {"fields"}, where, out)
    raw_fields = spec.get("fields")
    fbase = _join(where, "fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        out.add(fbase, "The flow shares no fields: list the minimum data set, e.g. [occurred_at]")
        return ()
    fields: list[str] = []
    for i, name in enumerate(raw_fields):
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            out.add(_join(fbase, i), f"{name!r} is not a field name (lower-case, underscores)")
        elif name in fields:
            out.add(_join(fbase, i), f"The field {name!r} is listed twice")
        else:
            fields.append(name)
    return tuple(fields) if len(fields) == len(raw_fields) else ()


def _parse_basis(raw: object, base: str, out: _Problems) -> FlowLegalBasis | None:
    if not isinstance(raw, Mapping):
        out.add(
            base,
            "legal_basis is a mapping with article6 and, as needed, article9, "
            "condition and gateway",
        )
        return None
    _unknown_keys(raw, set(_BASIS_KINDS), base, out)
    parts: dict[str, str | None] = {}
    ok = True
    for key, kind in _BASIS_KINDS.items():
        value = raw.get(key)
        if value is None:
            parts[key] = None
            continue
        try:
            parts[key] = legal_basis(str(value), kind=kind, field=_join(base, key)).code
        except ValidationError as exc:
            out.add(_join(base, key), exc.message)
            ok = False
    if parts.get("article6") is None:
        if "article6" not in raw:
            out.add(_join(base, "article6"), "Every flow needs an Article 6 lawful basis")
        return None
    if not ok:
        return None
    article6 = parts["article6"]
    assert article6 is not None
    return FlowLegalBasis(article6, parts["article9"], parts["condition"], parts["gateway"])
