"""The portal's rules: withholding policies, release dates, the one-month deadline, codes and
who an account may act for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sharewell.domain.citizens import (
    ActingFor,
    ActingRelation,
    CitizenActor,
    LoggedAccess,
    OneTimeCode,
    WithholdingRule,
    code_digest,
    new_code,
    parse_rule,
    release_at,
    statutory_deadline,
    visible,
)
from sharewell.domain.errors import ValidationError

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _entry(purpose: str, org: str) -> LoggedAccess:
    body = (
        f'{{"actor_org":"{org}","at":"2026-03-01T10:00:00.000000Z","kind":"decision",'
        f'"purpose":"{purpose}","subject_id":"P1"}}'
    )
    return LoggedAccess(3, body)


def test_a_rule_reads_purpose_org_days_and_why() -> None:
    rule = parse_rule("crime_prevention:POL:365:it could prejudice an investigation")
    assert rule == WithholdingRule(
        "crime_prevention", "POL", 365, "it could prejudice an investigation"
    )
    with pytest.raises(ValidationError) as caught:
        parse_rule("crime_prevention:POL:a year")
    assert caught.value.field == "portal_withholding"


def test_the_longest_matching_rule_sets_the_release_date() -> None:
    rules = (
        WithholdingRule("crime_prevention", "*", 30, "x"),
        WithholdingRule("crime_prevention", "POL", 365, "y"),
    )
    assert release_at(_entry("crime_prevention", "POL"), rules) == AT + timedelta(days=365)
    assert release_at(_entry("crime_prevention", "SCH1"), rules) == AT + timedelta(days=30)
    assert release_at(_entry("early_help", "POL"), rules) is None
    assert not visible(_entry("crime_prevention", "POL"), rules, AT + timedelta(days=364))
    assert visible(_entry("crime_prevention", "POL"), rules, AT + timedelta(days=365))


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), date(2026, 4, 2)),
        (datetime(2026, 1, 31, 12, 0, tzinfo=UTC), date(2026, 2, 28)),
        # 23:30 UTC on 31 May is already 1 June in London (summer time).
        (datetime(2026, 5, 31, 23, 30, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_the_deadline_is_one_calendar_month_from_receipt_in_london(
    received: datetime, due: date
) -> None:
    assert statutory_deadline(received) == due


def test_a_code_is_six_digits_usable_once_in_time_within_its_attempts() -> None:
    code = new_code()
    assert len(code) == 6 and code.isdigit()
    stored = OneTimeCode(
        "c", "email:a@b", code_digest(code, salt="s"), "s", AT, AT + timedelta(minutes=10)
    )
    assert code not in stored.digest and stored.matches(code) and not stored.matches("x" + code)
    assert stored.usable(AT, 5)
    assert not stored.usable(AT + timedelta(minutes=10), 5)
    tried = OneTimeCode("c", "email:a@b", stored.digest, "s", AT, stored.expires_at, attempts=5)
    assert not tried.usable(AT, 5)


def test_an_account_acts_only_for_the_people_it_is_related_to_now() -> None:
    relations = [
        ActingFor("a1", "P1", ActingRelation.SELF, AT),
        ActingFor("a1", "P2", ActingRelation.PARENT, AT, AT + timedelta(days=1)),
    ]
    now = CitizenActor.of("a1", relations, AT + timedelta(hours=1))
    assert now.may_act_for("P1") and now.may_act_for("P2") and not now.may_act_for("P3")
    later = CitizenActor.of("a1", relations, AT + timedelta(days=2))
    assert later.may_act_for("P1") and not later.may_act_for("P2")
    assert later.audit_id == "citizen:a1"
