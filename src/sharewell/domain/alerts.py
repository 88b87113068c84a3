"""Early alerts between agencies: rules tied to an agreement flow, the people they watch (a
situation such as a child protection plan), their delivery deadlines (hours, or before the next
school day using school terms and bank holidays), and the state of each alert and delivery."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sharewell.domain.errors import ValidationError
from sharewell.domain.times import LONDON
from sharewell.domain.vocabulary import DataCategory, OrganisationKind, Purpose, Role

# --- School calendars --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A stretch of school days, first and last day inclusive (half terms are gaps between)."""

    name: str
    starts_on: date
    ends_on: date

    def __post_init__(self) -> None:
        if self.ends_on < self.starts_on:
            raise ValidationError(f"Term {self.name!r} ends before it starts", field="terms")


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """When schools are open: terms, closure (INSET) days, bank holidays and the day's start.

    A school day is a Monday to Friday inside a term that is neither a bank holiday nor a
    closure day. Calendars are data (YAML files under config/calendars), not code.
    """

    terms: tuple[Term, ...]
    bank_holidays: frozenset[date] = frozenset()
    closures: frozenset[date] = frozenset()
    day_starts: time = time(8, 30)

    def is_school_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.bank_holidays or day in self.closures:
            return False
        return any(t.starts_on <= day <= t.ends_on for t in self.terms)

    def next_school_day_start(self, after: datetime) -> datetime:
        """The start of the first school day beginning after `after` (UTC in, UTC out).

        ValidationError when the calendar has no school day left after `after` (load next
        year's terms)."""
        if after.tzinfo is None:
            raise ValidationError("A time with a time zone is needed", field="at")
        local = after.astimezone(LONDON)
        day = local.date()
        last = max((t.ends_on for t in self.terms), default=day)
        while day <= last:
            if self.is_school_day(day):
                start = datetime.combine(day, self.day_starts, tzinfo=LONDON)
                if start > local:
                    return start.astimezone(after.tzinfo)
            day += timedelta(days=1)
        raise ValidationError(
            "The school calendar has no school day after this time: add the next terms",
            field="calendar",
        )


def parse_calendar(
    terms_doc: Mapping[str, object], holidays_doc: Mapping[str, object]
) -> SchoolCalendar:
    """A calendar from the two YAML documents (already parsed): terms and bank holidays."""

    def day(value: object, where: str) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"{where}: {value!r} is not a date", field=where) from None

    raw_terms = terms_doc.get("terms")
    if not isinstance(raw_terms, list) or not raw_terms:
        raise ValidationError("The term calendar needs a list of terms", field="terms")
    terms = []
    for i, raw in enumerate(raw_terms):
        if not isinstance(raw, Mapping):
            raise ValidationError(f"terms[{i}] must be a mapping", field=f"terms[{i}]")
        terms.append(
            Term(
                str(raw.get("name", f"term {i + 1}")),
                day(raw.get("starts_on"), f"terms[{i}].starts_on"),
                day(raw.get("ends_on"), f"terms[{i}].ends_on"),
            )
        )
    closures = terms_doc.get("closures") or []
    holidays = holidays_doc.get("bank_holidays") or []
    if not isinstance(closures, list) or not isinstance(holidays, list):
        raise ValidationError("closures and bank_holidays must be lists", field="closures")
    starts = str(terms_doc.get("day_starts", "08:30"))
    try:
        day_starts = time.fromisoformat(starts)
    except ValueError:
        raise ValidationError(f"day_starts {starts!r} is not a time", field="day_starts") from None

    def holiday_date(item: object, i: int) -> date:
        value = item.get("date") if isinstance(item, Mapping) else item
        return day(value, f"bank_holidays[{i}]")

    return SchoolCalendar(
        tuple(terms),
        frozenset(holiday_date(h, i) for i, h in enumerate(holidays)),
        frozenset(day(c, f"closures[{i}]") for i, c in enumerate(closures)),
        day_starts,
    )


# --- Rules -------------------------------------------------------------------------------------


class Situation(StrEnum):
    """The situation a rule watches people in; recorded by the agency responsible."""

    CHILD_PROTECTION_PLAN = "child_protection_plan"
    ON_SCHOOL_ROLL = "on_school_roll"
    LOOKED_AFTER_OR_ALLOCATED = "allocated_social_worker"
    CARE_COORDINATOR_ALLOCATED = "care_coordinator_allocated"

    @property
    def label(self) -> str:
        return {
            "child_protection_plan": "On a child protection plan",
            "on_school_roll": "On a school's roll",
            "allocated_social_worker": "Has an allocated social worker",
            "care_coordinator_allocated": "Has an allocated care coordinator",
        }[self.value]


class RecipientKind(StrEnum):
    """Who an alert goes to: the practitioner named on the situation, their team, or the
    organisation (its practitioners in the flow's recipient roles)."""

    ALLOCATED = "allocated"
    TEAM = "team"
    ORGANISATION = "organisation"


class Channel(StrEnum):
    """How an alert reaches its recipient."""

    INBOX = "inbox"
    WEBHOOK = "webhook"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Deadline:
    """How soon an alert must be delivered: within `hours`, or before the next school day."""

    hours: int | None = None
    next_school_day: bool = False

    def __post_init__(self) -> None:
        if (self.hours is None) == (not self.next_school_day):
            raise ValidationError(
                "A deadline is either a number of hours or 'before the next school day'",
                field="deadline",
            )
        if self.hours is not None and self.hours < 1:
            raise ValidationError("A deadline is at least one hour", field="deadline")

    def due(self, at: datetime, calendar: SchoolCalendar | None) -> datetime:
        """When an alert raised at `at` must have been delivered."""
        if self.hours is not None:
            return at + timedelta(hours=self.hours)
        if calendar is None:
            raise ValidationError("No school calendar is configured", field="calendar")
        return calendar.next_school_day_start(at)

    @property
    def label(self) -> str:
        if self.hours is not None:
            return f"Within {self.hours} hours"
        return "Before the next school day"

    @classmethod
    def parse(cls, text: str) -> Deadline:
        text = text.strip().lower()
        if text in {"next_school_day", "before the next school day"}:
            return cls(next_school_day=True)
        try:
            return cls(hours=int(text.removesuffix("h")))
        except ValueError:
            raise ValidationError(
                f"Deadline {text!r} must be hours (like 4h) or next_school_day", field="deadline"
            ) from None

    def as_text(self) -> str:
        return "next_school_day" if self.next_school_day else f"{self.hours}h"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A partnership's rule: when an organisation of `source_kind` records `fact_code` (in
    `category`) about a person in `situation`, tell the recipient the `fields` (the flow's
    minimum data set) for `purpose`, under `agreement_id`, by the deadline."""

    id: str
    name: str
    agreement_id: str
    source_kind: OrganisationKind
    category: DataCategory
    fact_codes: tuple[str, ...]
    situation: Situation
    recipient: RecipientKind
    recipient_roles: tuple[Role, ...]
    purpose: Purpose
    fields: tuple[str, ...]
    deadline: Deadline
    channels: tuple[Channel, ...] = (Channel.INBOX,)
    active: bool = True

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValidationError("Give the rule a name", field="name")
        if not self.fact_codes:
            raise ValidationError("Name at least one kind of event", field="fact_codes")
        if not self.fields:
            raise ValidationError("Name the minimum data set fields", field="fields")
        if Channel.INBOX not in self.channels:
            raise ValidationError("Every alert goes to the in-app inbox", field="channels")

    def matches(self, kind: OrganisationKind, category: DataCategory, code: str) -> bool:
        return (
            self.active
            and kind is self.source_kind
            and category is self.category
            and code in self.fact_codes
        )


@dataclass(frozen=True, slots=True)
class RuleTemplate:
    """A built-in rule for a national pattern; becomes a rule when tied to an agreement."""

    key: str
    name: str
    description: str
    source_kind: OrganisationKind
    category: DataCategory
    fact_codes: tuple[str, ...]
    situation: Situation
    recipient: RecipientKind
    recipient_roles: tuple[Role, ...]
    purpose: Purpose
    fields: tuple[str, ...]
    deadline: Deadline
    channels: tuple[Channel, ...] = (Channel.INBOX,)

    def rule(self, *, rule_id: str, agreement_id: str) -> AlertRule:
        return AlertRule(
            rule_id,
            self.name,
            agreement_id,
            self.source_kind,
            self.category,
            self.fact_codes,
            self.situation,
            self.recipient,
            self.recipient_roles,
            self.purpose,
            self.fields,
            self.deadline,
            self.channels,
        )


TEMPLATES: tuple[RuleTemplate, ...] = (
    RuleTemplate(
        "cp_plan_ae_attendance",
        "Child on a protection plan attends A&E",
        "When a child on a child protection plan attends the emergency department, the child's "
        "social worker is told automatically.",
        OrganisationKind.ACUTE_TRUST,
        DataCategory.HEALTH,
        ("ae_attendance",),
        Situation.CHILD_PROTECTION_PLAN,
        RecipientKind.ALLOCATED,
        (Role.SOCIAL_WORKER,),
        Purpose.SAFEGUARDING_CHILDREN,
        ("occurred_at", "code", "summary"),
        Deadline(hours=4),
        (Channel.INBOX, Channel.WEBHOOK, Channel.EMAIL),
    ),
    RuleTemplate(
        "operation_encompass",
        "Domestic abuse incident where a child lives (Operation Encompass)",
        "When police attend a domestic abuse incident where a child lives, the child's school is "
        "told before the next school day, with the minimum data set only.",
        OrganisationKind.POLICE,
        DataCategory.CRIMINAL_OFFENCE,
        ("domestic_abuse_incident",),
        Situation.ON_SCHOOL_ROLL,
        RecipientKind.ORGANISATION,
        (Role.DESIGNATED_SAFEGUARDING_LEAD,),
        Purpose.SAFEGUARDING_CHILDREN,
        ("occurred_at", "incident_type"),
        Deadline(next_school_day=True),
        (Channel.INBOX, Channel.WEBHOOK, Channel.EMAIL),
    ),
    RuleTemplate(
        "missing_from_home",
        "Missing-from-home episode",
        "When police record a child missing from home, the child's social worker is told.",
        OrganisationKind.POLICE,
        DataCategory.CRIMINAL_OFFENCE,
        ("missing_person",),
        Situation.LOOKED_AFTER_OR_ALLOCATED,
        RecipientKind.ALLOCATED,
        (Role.SOCIAL_WORKER,),
        Purpose.SAFEGUARDING_CHILDREN,
        ("occurred_at", "incident_type", "summary"),
        Deadline(hours=24),
        (Channel.INBOX, Channel.WEBHOOK, Channel.EMAIL),
    ),
    RuleTemplate(
        "mental_health_crisis_contact",
        "Mental health crisis contact",
        "When the ambulance service attends a person in mental health crisis, their care "
        "coordinator is told.",
        OrganisationKind.AMBULANCE,
        DataCategory.MENTAL_HEALTH,
        ("mental_health_crisis_assessment",),
        Situation.CARE_COORDINATOR_ALLOCATED,
        RecipientKind.ALLOCATED,
        (Role.CARE_COORDINATOR,),
        Purpose.MENTAL_HEALTH_CRISIS,
        ("occurred_at", "code", "summary"),
        Deadline(hours=4),
        (Channel.INBOX, Channel.WEBHOOK, Channel.EMAIL),
    ),
)


def template(key: str) -> RuleTemplate:
    for found in TEMPLATES:
        if found.key == key:
            return found
    raise ValidationError(
        f"No rule template {key!r}; choose one of {', '.join(t.key for t in TEMPLATES)}",
        field="template",
    )


@dataclass(frozen=True, slots=True)
class SituationEntry:
    """A person recorded as in a situation by the responsible organisation, with who is
    responsible (a practitioner, a team, or the organisation itself)."""

    id: str
    person_id: str
    situation: Situation
    org_code: str
    starts_on: date
    practitioner_id: str | None = None
    team: str | None = None
    ends_on: date | None = None

    def in_force(self, on: date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on < self.ends_on)


# --- Alerts and deliveries ---------------------------------------------------------------------


class AlertStatus(StrEnum):
    """Where an alert stands."""

    PENDING = "pending"  # in the outbox, not yet decided
    DELIVERED = "delivered"  # disclosed and in the inbox
    WITHHELD = "withheld"  # the disclosure gate refused at dispatch (e.g. agreement ended)
    READ = "read"  # the recipient acknowledged it


class DeliveryStatus(StrEnum):
    """Where one channel's delivery of an alert stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # will be retried
    DEAD = "dead"  # gave up: on the dead-letter list until replayed
    CANCELLED = "cancelled"  # the alert was withheld


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert to one practitioner about one fact; its content comes only from the gate."""

    id: str
    rule_id: str
    fact_id: str
    person_id: str
    holder_org: str
    recipient_id: str
    recipient_org: str
    purpose: Purpose
    category: DataCategory
    fields: tuple[str, ...]
    raised_at: datetime
    due_at: datetime
    status: AlertStatus = AlertStatus.PENDING
    content: Mapping[str, str] = field(default_factory=dict)
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    withheld_reasons: tuple[str, ...] = ()
    escalated_to: str | None = None
    escalated_at: datetime | None = None

    def late(self, at: datetime) -> bool:
        """Not delivered (or withheld) by its deadline."""
        if self.status is AlertStatus.WITHHELD:
            return False
        done = self.delivered_at or at
        return done > self.due_at


@dataclass(frozen=True, slots=True)
class Delivery:
    """One channel's delivery of one alert, retried with backoff until it succeeds or dies."""

    id: str
    alert_id: str
    channel: Channel
    target: str  # webhook id, email address, or the recipient id for the inbox
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    idempotency_key: str
    last_error: str | None = None
    delivered_at: datetime | None = None
    receipt: str | None = None


BACKOFF_BASE = timedelta(seconds=1)
BACKOFF_CAP = timedelta(hours=1)


def backoff(attempts: int, *, base: timedelta = BACKOFF_BASE) -> timedelta:
    """Exponential backoff after `attempts` failed tries: base, 2 base, 4 base ... capped."""
    step: timedelta = base * (2 ** max(0, attempts - 1))
    return min(step, BACKOFF_CAP)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "timestamp.body", hex, prefixed with the scheme."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: datetime,
    tolerance: timedelta = timedelta(minutes=5),
) -> bool:
    """A receiver's check: the signature matches and the timestamp is recent (no replays)."""
    try:
        sent = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def recipients_for(
    rule: AlertRule,
    entry: SituationEntry,
    practitioners: Iterable[tuple[str, str, Role, str | None, bool]],
) -> list[str]:
    """Practitioner ids an alert under `rule` about `entry` goes to.

    `practitioners` are (id, org, role, team, active) of the entry's organisation."""
    people = [p for p in practitioners if p[4] and p[1] == entry.org_code]
    if rule.recipient is RecipientKind.ALLOCATED:
        return [entry.practitioner_id] if entry.practitioner_id else []
    if rule.recipient is RecipientKind.TEAM:
        return [p[0] for p in people if entry.team and p[3] == entry.team]
    return [p[0] for p in people if p[2] in rule.recipient_roles]
