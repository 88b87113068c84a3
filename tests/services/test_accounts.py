"""Signing in: the password check, lockout, inactive accounts, no account enumeration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sharewell.adapters.memory.practitioners import (
    MemoryPractitioners,
    MemorySignInFailures,
    PlainPasswords,
)
from sharewell.domain.accounts import LockoutPolicy
from sharewell.domain.errors import (
    AccountInactive,
    AccountLocked,
    SignInFailed,
    ValidationError,
)
from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import Role
from sharewell.services.accounts import SIGN_IN_FAILED, Accounts

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GP = Practitioner(
    id="p-gp",
    org_code="GP1",
    name="Dr Gita Patel",
    email="Gita.Patel@gp1.example.org",
    role=Role.GP,
)
LEFT = Practitioner(
    id="p-left",
    org_code="POL",
    name="Former Officer",
    email="left@pol.example.org",
    role=Role.POLICE_OFFICER,
    active=False,
)


@pytest.fixture
def store() -> MemoryPractitioners:
    store = MemoryPractitioners()
    store.add(GP, password_hash="right password")
    store.add(LEFT, password_hash="right password")
    return store


@pytest.fixture
def passwords() -> PlainPasswords:
    return PlainPasswords()


@pytest.fixture
def accounts(store: MemoryPractitioners, passwords: PlainPasswords) -> Accounts:
    return Accounts(store, passwords, LockoutPolicy(attempts=3, minutes=15), MemorySignInFailures())


def test_signs_in_with_the_right_password_whatever_the_email_case(accounts: Accounts) -> None:
    assert accounts.sign_in(" gita.patel@GP1.example.org ", "right password", at=AT) == GP


def test_wrong_password_and_unknown_email_get_the_same_error(
    accounts: Accounts, passwords: PlainPasswords
) -> None:
    with pytest.raises(SignInFailed) as wrong:
        accounts.sign_in("gita.patel@gp1.example.org", "wrong", at=AT)
    with pytest.raises(SignInFailed) as unknown:
        accounts.sign_in("nobody@example.org", "wrong", at=AT)
    assert wrong.value.message == unknown.value.message == SIGN_IN_FAILED
    assert wrong.value.field == unknown.value.field == "email"
    # An unknown account still costs a password check, so it cannot be told apart by timing.
    assert passwords.checks == 2


def test_locks_after_the_set_number_of_failures(accounts: Accounts) -> None:
    for _ in range(2):
        with pytest.raises(SignInFailed):
            accounts.sign_in(GP.email, "wrong", at=AT)
    with pytest.raises(AccountLocked) as locked:
        accounts.sign_in(GP.email, "wrong", at=AT)
    assert "Try again after 2 Mar 2026, 09:15" in locked.value.message
    # While locked even the right password is refused.
    with pytest.raises(AccountLocked):
        accounts.sign_in(GP.email, "right password", at=AT + timedelta(minutes=14))


def test_lock_ends_after_the_set_minutes(accounts: Accounts) -> None:
    for _ in range(3):
        with pytest.raises((SignInFailed, AccountLocked)):
            accounts.sign_in(GP.email, "wrong", at=AT)
    assert accounts.sign_in(GP.email, "right password", at=AT + timedelta(minutes=15)) == GP


def test_success_forgets_earlier_failures(accounts: Accounts) -> None:
    for _ in range(2):
        with pytest.raises(SignInFailed):
            accounts.sign_in(GP.email, "wrong", at=AT)
    accounts.sign_in(GP.email, "right password", at=AT)
    for _ in range(2):
        with pytest.raises(SignInFailed):
            accounts.sign_in(GP.email, "wrong", at=AT)


def test_failures_older_than_the_lock_minutes_no_longer_count(accounts: Accounts) -> None:
    for minutes in (0, 10, 16):
        with pytest.raises(SignInFailed):
            accounts.sign_in(GP.email, "wrong", at=AT + timedelta(minutes=minutes))


def test_an_unknown_email_is_locked_exactly_as_a_real_account_is(
    accounts: Accounts, passwords: PlainPasswords
) -> None:
    answers: dict[str, list[tuple[str, str]]] = {}
    for email in (GP.email, "nobody@gp1.example.org"):
        answers[email] = []
        for _ in range(4):
            with pytest.raises((SignInFailed, AccountLocked)) as failed:
                accounts.sign_in(email, "wrong", at=AT)
            answers[email].append((failed.value.code, failed.value.message))
    assert answers[GP.email] == answers["nobody@gp1.example.org"]
    assert [code for code, _ in answers[GP.email]] == [
        "SIGN_IN_FAILED",
        "SIGN_IN_FAILED",
        "ACCOUNT_LOCKED",
        "ACCOUNT_LOCKED",
    ]
    # Locked or not, account or not: one password check's work every time.
    assert passwords.checks == 8


def test_the_lock_is_per_email_address_in_any_case(accounts: Accounts) -> None:
    for email in (GP.email, GP.email.upper(), f" {GP.email.lower()} "):
        with pytest.raises((SignInFailed, AccountLocked)):
            accounts.sign_in(email, "wrong", at=AT)
    with pytest.raises(AccountLocked):
        accounts.sign_in(GP.email, "right password", at=AT)
    # Other addresses are not held back by it.
    with pytest.raises(SignInFailed):
        accounts.sign_in("nobody@gp1.example.org", "wrong", at=AT)


def test_inactive_practitioner_cannot_sign_in(accounts: Accounts) -> None:
    with pytest.raises(AccountInactive):
        accounts.sign_in(LEFT.email, "right password", at=AT)


def test_inactive_practitioner_with_wrong_password_gets_the_generic_error(
    accounts: Accounts,
) -> None:
    with pytest.raises(SignInFailed):
        accounts.sign_in(LEFT.email, "wrong", at=AT)


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("", "x", "email"), ("  ", "x", "email"), (GP.email, "", "password")],
)
def test_blank_email_or_password_names_the_field(
    accounts: Accounts, email: str, password: str, field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        accounts.sign_in(email, password, at=AT)
    assert error.value.field == field


def test_refuses_a_time_without_a_zone(accounts: Accounts) -> None:
    with pytest.raises(ValidationError):
        accounts.sign_in(GP.email, "right password", at=datetime(2026, 3, 2, 9, 0))  # noqa: DTZ001


def test_every_sign_in_is_audited_without_the_email(
    store: MemoryPractitioners, passwords: PlainPasswords
) -> None:
    from sharewell.adapters.memory.audit import MemoryAuditLog
    from sharewell.domain.audit import AuditKind

    log = MemoryAuditLog()
    audited = Accounts(
        store, passwords, LockoutPolicy(attempts=3, minutes=15), MemorySignInFailures(), audit=log
    )
    audited.sign_in(GP.email, "right password", at=AT)
    with pytest.raises(SignInFailed):
        audited.sign_in(GP.email, "wrong", at=AT)
    with pytest.raises(SignInFailed):
        audited.sign_in("nobody@example.org", "wrong", at=AT)
    assert [(e.kind, e.actor_id, e.outcome) for e in log.events] == [
        (AuditKind.SIGN_IN, "p-gp", "succeeded"),
        (AuditKind.SIGN_IN_FAILED, "p-gp", "wrong_password"),
        (AuditKind.SIGN_IN_FAILED, None, "unknown_account"),
    ]
    assert all("@" not in repr(e) for e in log.events)


def test_nobody_signs_in_when_the_audit_log_cannot_take_it(
    store: MemoryPractitioners, passwords: PlainPasswords
) -> None:
    from sharewell.adapters.memory.audit import MemoryAuditLog
    from sharewell.domain.errors import StorageUnavailable

    log = MemoryAuditLog()
    log.fail_next = True
    audited = Accounts(
        store, passwords, LockoutPolicy(attempts=3, minutes=15), MemorySignInFailures(), audit=log
    )
    with pytest.raises(StorageUnavailable):
        audited.sign_in(GP.email, "right password", at=AT)
    assert log.events == []
