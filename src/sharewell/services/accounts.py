"""Signing practitioners in: password check, lockout, no account enumeration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from sharewell.domain.accounts import LockoutPolicy
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.errors import (
    AccountInactive,
    AccountLocked,
    SignInFailed,
    ValidationError,
)
from sharewell.domain.organisations import Practitioner
from sharewell.domain.times import ensure_utc, london
from sharewell.services.ports import AuditLog, PasswordVerifier, PractitionerRepository

log = structlog.get_logger("sharewell.accounts")

# One message for an unknown email and a wrong password, so nobody can learn who has an account.
SIGN_IN_FAILED = "The email address or password is not right"


def _locked(until: datetime) -> AccountLocked:
    return AccountLocked(
        "This account is locked because of too many failed sign-ins. "
        f"Try again after {london(until)}.",
        field="email",
    )


@dataclass(frozen=True)
class Accounts:
    """Sign-in for practitioners' local accounts."""

    practitioners: PractitionerRepository
    passwords: PasswordVerifier
    lockout: LockoutPolicy
    # Every sign-in, failed or not, goes to the tamper-evident log (ids and reasons, no emails).
    audit: AuditLog | None = None

    def _audit(self, kind: AuditKind, at: datetime, who: Practitioner | None, outcome: str) -> None:
        if self.audit is None:
            return
        self.audit.append(
            AuditEvent(
                kind=kind,
                at=at,
                actor_id=who.id if who else None,
                actor_org=who.org_code if who else None,
                outcome=outcome,
            )
        )

    def sign_in(self, email: str, password: str, *, at: datetime) -> Practitioner:
        """The practitioner for these credentials, or SignInFailed / AccountLocked /
        AccountInactive / ValidationError."""
        at = ensure_utc(at, field="at")
        email = email.strip()
        if not email:
            raise ValidationError("Enter your email address", field="email")
        if not password:
            raise ValidationError("Enter your password", field="password")
        credentials = self.practitioners.credentials(email)
        if credentials is None:
            self.passwords.verify(None, password)
            log.info("sign_in.failed", reason="unknown_account")
            self._audit(AuditKind.SIGN_IN_FAILED, at, None, "unknown_account")
            raise SignInFailed(SIGN_IN_FAILED, field="email")
        practitioner = credentials.practitioner
        if credentials.is_locked(at):
            assert credentials.locked_until is not None
            log.info("sign_in.refused_locked", practitioner_id=practitioner.id)
            self._audit(AuditKind.SIGN_IN_FAILED, at, practitioner, "locked")
            raise _locked(credentials.locked_until)
        if not self.passwords.verify(credentials.password_hash, password):
            failures = self.practitioners.record_failed_sign_in(practitioner.id)
            log.info("sign_in.failed", practitioner_id=practitioner.id, failures=failures)
            self._audit(AuditKind.SIGN_IN_FAILED, at, practitioner, "wrong_password")
            if self.lockout.locks_after(failures):
                until = self.lockout.locked_until(at)
                self.practitioners.lock(practitioner.id, until=until)
                log.warning("sign_in.locked", practitioner_id=practitioner.id)
                raise _locked(until)
            raise SignInFailed(SIGN_IN_FAILED, field="email")
        # Checked only after the password, so the message tells nobody else the account exists.
        if not practitioner.active:
            log.info("sign_in.refused_inactive", practitioner_id=practitioner.id)
            self._audit(AuditKind.SIGN_IN_FAILED, at, practitioner, "inactive")
            raise AccountInactive(
                "This account is not active. Ask your organisation's Sharewell administrator.",
                field="email",
            )
        # Audited before the session is granted: if the log cannot take it, nobody signs in.
        self._audit(AuditKind.SIGN_IN, at, practitioner, "succeeded")
        self.practitioners.record_successful_sign_in(practitioner.id)
        log.info("sign_in.succeeded", practitioner_id=practitioner.id)
        return practitioner
