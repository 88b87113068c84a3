"""Signing practitioners in: password check, lockout, no account enumeration.

Neither the answer nor the time it takes tells whether an email address has an account: an
unknown address fails and is locked exactly as a real one with a wrong password is.
"""

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
from sharewell.services.ports import (
    AuditLog,
    PasswordVerifier,
    PractitionerRepository,
    SignInFailures,
)

log = structlog.get_logger("sharewell.accounts")

# One message for an unknown email and a wrong password, so nobody can learn who has an account.
SIGN_IN_FAILED = "The email address or password is not right"


def _locked(until: datetime) -> AccountLocked:
    # Said of an email address, not an account: an address nobody has is locked the same way.
    return AccountLocked(
        "Signing in with this email address is locked because of too many failed tries. "
        f"Try again after {london(until)}.",
        field="email",
    )


@dataclass(frozen=True)
class Accounts:
    """Sign-in for practitioners' local accounts."""

    practitioners: PractitionerRepository
    passwords: PasswordVerifier
    lockout: LockoutPolicy
    # Counted per email address, whether or not an account has it.
    failures: SignInFailures
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
        address = email.lower()
        since = at - self.lockout.window
        credentials = self.practitioners.credentials(email)
        who = credentials.practitioner if credentials else None
        who_id = who.id if who else None
        # Every path below does one password check's work (a dummy one when there is no account
        # or the address is locked), so the time taken tells nobody which path was taken.
        locked_until = self.lockout.lock_end(self.failures.recent(address, since=since))
        if locked_until is not None:
            self.passwords.verify(None, password)
            log.info("sign_in.refused_locked", practitioner_id=who_id)
            self._audit(AuditKind.SIGN_IN_FAILED, at, who, "locked")
            raise _locked(locked_until)
        # Checked whether or not there is an account (no hash: the dummy check's work).
        right = self.passwords.verify(credentials.password_hash if credentials else None, password)
        if credentials is None or not right:
            reason = "wrong_password" if credentials else "unknown_account"
            failures = self.failures.record(address, at=at, since=since)
            log.info(
                "sign_in.failed", reason=reason, practitioner_id=who_id, failures=len(failures)
            )
            self._audit(AuditKind.SIGN_IN_FAILED, at, who, reason)
            locked_until = self.lockout.lock_end(failures)
            if locked_until is not None:
                log.warning("sign_in.locked", practitioner_id=who_id)
                raise _locked(locked_until)
            raise SignInFailed(SIGN_IN_FAILED, field="email")
        practitioner = credentials.practitioner
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
        self.failures.clear(address)
        log.info("sign_in.succeeded", practitioner_id=practitioner.id)
        return practitioner
