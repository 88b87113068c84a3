"""Alert rules, deadlines across school holidays and bank holidays, backoff and signatures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from sharewell.config import REPO_ROOT
from sharewell.domain.alerts import (
    TEMPLATES,
    Deadline,
    RecipientKind,
    SchoolCalendar,
    Situation,
    SituationEntry,
    Term,
    backoff,
    parse_calendar,
    recipients_for,
    sign,
    template,
    verify,
)
from sharewell.domain.errors import ValidationError
from sharewell.domain.vocabulary import Role

CALENDARS = REPO_ROOT / "config" / "calendars"


@pytest.fixture(scope="module")
def calendar() -> SchoolCalendar:
    terms = yaml.safe_load((CALENDARS / "anyshire-school-terms-2026-2027.yaml").read_text())
    holidays = yaml.safe_load((CALENDARS / "bank-holidays-england-wales.yaml").read_text())
    return parse_calendar(terms, holidays)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_friday_evening_is_due_before_monday_school_day(calendar: SchoolCalendar) -> None:
    # Friday 20 November 2026, 19:30 GMT -> Monday 23 November, 08:30 GMT.
    due = Deadline(next_school_day=True).due(utc(2026, 11, 20, 19, 30), calendar)
    assert due == utc(2026, 11, 23, 8, 30)


def test_early_morning_incident_is_due_the_same_school_day(calendar: SchoolCalendar) -> None:
    assert Deadline(next_school_day=True).due(utc(2026, 11, 24, 2, 0), calendar) == utc(
        2026, 11, 24, 8, 30
    )


def test_deadline_skips_half_term_and_the_inset_day_after_it(calendar: SchoolCalendar) -> None:
    # Last day before the autumn half term; the Monday back is an INSET (closure) day.
    due = Deadline(next_school_day=True).due(utc(2026, 10, 23, 17, 0), calendar)
    assert due == utc(2026, 11, 3, 8, 30)


def test_deadline_skips_a_bank_holiday_monday_in_term(calendar: SchoolCalendar) -> None:
    # Friday 1 May 2026; Monday 4 May is the early May bank holiday; 08:30 BST is 07:30 UTC.
    due = Deadline(next_school_day=True).due(utc(2026, 5, 1, 18, 0), calendar)
    assert due == utc(2026, 5, 5, 7, 30)


def test_deadline_across_a_bank_holiday_and_a_half_term_together(
    calendar: SchoolCalendar,
) -> None:
    # Friday 28 May 2027: spring bank holiday (31 May) opens the summer half term.
    due = Deadline(next_school_day=True).due(utc(2027, 5, 28, 16, 0), calendar)
    assert due == utc(2027, 6, 7, 7, 30)


def test_bank_holidays_are_data_for_england_and_wales(calendar: SchoolCalendar) -> None:
    assert date(2026, 12, 28) in calendar.bank_holidays  # Boxing Day substitute
    assert date(2027, 3, 26) in calendar.bank_holidays  # Good Friday
    assert not calendar.is_school_day(date(2026, 5, 4))
    assert calendar.is_school_day(date(2026, 5, 5))


def test_a_calendar_without_school_days_left_says_so() -> None:
    short = SchoolCalendar((Term("t", date(2026, 1, 5), date(2026, 1, 9)),))
    with pytest.raises(ValidationError, match="no school day"):
        short.next_school_day_start(utc(2026, 1, 9, 18, 0))


def test_hour_deadlines_and_parsing() -> None:
    assert Deadline(hours=4).due(utc(2026, 3, 1, 10, 0), None) == utc(2026, 3, 1, 14, 0)
    assert Deadline.parse("4h") == Deadline(hours=4)
    assert Deadline.parse("next_school_day") == Deadline(next_school_day=True)
    with pytest.raises(ValidationError) as caught:
        Deadline.parse("soon")
    assert caught.value.field == "deadline"
    with pytest.raises(ValidationError):
        Deadline(hours=4, next_school_day=True)


def test_a_malformed_term_file_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_calendar({"terms": [{"name": "x", "starts_on": "soon", "ends_on": "2026-01-01"}]}, {})
    assert caught.value.field == "terms[0].starts_on"


def test_templates_cover_the_national_patterns() -> None:
    keys = {t.key for t in TEMPLATES}
    assert keys == {
        "cp_plan_ae_attendance",
        "operation_encompass",
        "missing_from_home",
        "mental_health_crisis_contact",
    }
    encompass = template("operation_encompass")
    assert encompass.fields == ("occurred_at", "incident_type")
    assert encompass.deadline.next_school_day
    with pytest.raises(ValidationError):
        template("nope")


def test_recipients_by_kind() -> None:
    staff = [
        ("dsl", "SCH6", Role.DESIGNATED_SAFEGUARDING_LEAD, "Pastoral", True),
        ("teacher", "SCH6", Role.TEACHER, "Pastoral", True),
        ("gone", "SCH6", Role.DESIGNATED_SAFEGUARDING_LEAD, None, False),
    ]
    entry = SituationEntry("s", "P1", Situation.ON_SCHOOL_ROLL, "SCH6", date(2025, 9, 1))
    rule = template("operation_encompass").rule(rule_id="r", agreement_id="a")
    assert recipients_for(rule, entry, staff) == ["dsl"]
    allocated = SituationEntry(
        "s", "P1", Situation.CHILD_PROTECTION_PLAN, "CSCN", date(2025, 9, 1), "sw"
    )
    cp = template("cp_plan_ae_attendance").rule(rule_id="r", agreement_id="a")
    assert cp.recipient is RecipientKind.ALLOCATED
    assert recipients_for(cp, allocated, []) == ["sw"]


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(40) == timedelta(hours=1)


def test_signature_verifies_and_rejects_tampering_and_replays() -> None:
    now = utc(2026, 11, 20, 19, 30)
    stamp = str(int(now.timestamp()))
    body = b'{"alert_id":"a1"}'
    signature = sign(b"secret-secret-secret", stamp, body)
    assert verify(b"secret-secret-secret", stamp, body, signature, now=now)
    assert not verify(b"other-secret-secret!", stamp, body, signature, now=now)
    assert not verify(b"secret-secret-secret", stamp, body + b" ", signature, now=now)
    later = now + timedelta(minutes=10)
    assert not verify(b"secret-secret-secret", stamp, body, signature, now=later)
