"""Email alerts through an SMTP server: a notice that an alert is waiting, with a link. The
minimum data set itself stays in Sharewell (email is not a secure channel for it)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from sharewell.domain.alerts import Alert, Delivery
from sharewell.domain.organisations import Practitioner
from sharewell.domain.times import london
from sharewell.services.alerts import DeliveryFailed


class SmtpTransport:
    """Sends alert notices through one SMTP server."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        base_url: str,
        timeout_seconds: float = 10.0,
        starttls: bool = False,
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout_seconds
        self._starttls = starttls

    def send(self, delivery: Delivery, alert: Alert, recipient: Practitioner | None) -> str:
        if recipient is None or not recipient.email:
            raise DeliveryFailed("the recipient has no email address")
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = recipient.email
        message["Subject"] = "Sharewell: a new safeguarding alert is waiting for you"
        message["Message-ID"] = f"<{delivery.idempotency_key.replace(':', '.')}@sharewell>"
        message.set_content(
            f"Dear {recipient.name},\n\n"
            "A partner agency has sent you an alert through Sharewell. Sign in to read it:\n"
            f"{self._base_url}/alerts/{alert.id}\n\n"
            f"Please read it by {london(alert.due_at)}.\n"
        )
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls()
                refused = smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(
                f"the mail server refused or was unreachable ({type(exc).__name__})"
            ) from None
        if refused:
            raise DeliveryFailed("the mail server refused the recipient")
        return f"SMTP accepted {message['Message-ID']}"
