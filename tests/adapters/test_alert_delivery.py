"""Delivery channels against real servers on loopback: a webhook endpoint that times out,
answers 500, or rejects the signature is retried with exponential backoff and then
dead-lettered (and can be replayed); a good endpoint gets one signed delivery; email goes
through a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from sqlalchemy import Engine

from sharewell.adapters.db.alerts import SqlAlerts
from sharewell.adapters.db.repositories import SqlOrganisations, SqlPractitioners
from sharewell.adapters.delivery.email import SmtpTransport
from sharewell.adapters.delivery.webhooks import WebhookTransport
from sharewell.domain.alerts import Alert, Channel, Delivery, DeliveryStatus
from sharewell.domain.audit import AuditEvent, AuditReceipt
from sharewell.domain.organisations import Organisation, Practitioner
from sharewell.domain.vocabulary import DataCategory, OrganisationKind, Purpose, Role
from sharewell.services.alerts import AlertDisclosure, Dispatcher, Transport, Webhook, replay
from sharewell.services.governance import Actor
from tests.alerts_kit import Receiver

AT = datetime(2026, 11, 20, 19, 30, tzinfo=UTC)
SECRET = "the-school-webhook-secret-0001"


class Gate:
    """Stands in for the disclosure gate: permits the minimum data set."""

    def alert_content(self, **kwargs: Any) -> AlertDisclosure:
        fields: Sequence[str] = kwargs["fields"]
        return AlertDisclosure(True, dict.fromkeys(fields, "x"), (), "anyshire-charter@1")


class Log:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> AuditReceipt:
        self.events.append(event)
        return AuditReceipt(len(self.events) - 1, "00")


@pytest.fixture
def store(engine: Engine) -> SqlAlerts:
    SqlOrganisations(engine).add(Organisation("SCH6", "Riverside", OrganisationKind.SCHOOL))
    SqlPractitioners(engine).add(
        Practitioner(
            "dsl", "SCH6", "Priya Nair", "dsl@sch6.example", Role.DESIGNATED_SAFEGUARDING_LEAD
        ),
        password_hash=None,
    )
    return SqlAlerts(engine)


def _alert(store: SqlAlerts, channel: Channel, target: str) -> tuple[Alert, Delivery]:
    alert = Alert(
        id=uuid.uuid4().hex,
        rule_id="r",
        fact_id="f",
        person_id="P1",
        holder_org="POL",
        recipient_id="dsl",
        recipient_org="SCH6",
        purpose=Purpose.SAFEGUARDING_CHILDREN,
        category=DataCategory.CRIMINAL_OFFENCE,
        fields=("occurred_at", "incident_type"),
        raised_at=AT,
        due_at=AT + timedelta(days=3),
    )
    delivery = Delivery(
        uuid.uuid4().hex,
        alert.id,
        channel,
        target,
        DeliveryStatus.PENDING,
        0,
        AT,
        f"{alert.id}:{channel.value}:{target}",
    )
    with store.transaction() as tx:
        tx.add_alert(alert)
        tx.add_delivery(delivery)
    return alert, delivery


def _dispatcher(
    store: SqlAlerts, engine: Engine, transports: dict[Channel, Transport], log: Log
) -> Dispatcher:
    return Dispatcher(
        store=store,
        gate=Gate(),
        practitioners=SqlPractitioners(engine),
        transports=transports,
        audit=log,
        max_attempts=3,
        backoff_base=timedelta(seconds=10),
        workers=2,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(SECRET.encode()).start()
    yield found
    found.stop()


def _webhook(store: SqlAlerts, url: str, secret: str = SECRET) -> Webhook:
    hook = Webhook(uuid.uuid4().hex, "SCH6", url, secret)
    store.add_webhook(hook)
    return hook


def _retries(
    store: SqlAlerts, engine: Engine, transport: WebhookTransport, delivery: Delivery, log: Log
) -> list[Delivery]:
    """Three passes, each at the retry time the last one set; the delivery after each."""
    dispatcher = _dispatcher(store, engine, {Channel.WEBHOOK: transport}, log)
    seen = []
    at = AT
    try:
        for _ in range(3):
            dispatcher.run_once(at)
            found = store.get_delivery(delivery.id)
            assert found is not None
            seen.append(found)
            at = found.next_attempt_at
    finally:
        dispatcher.close()
    return seen


def _backs_off_then_dead_letters(seen: list[Delivery], error: str) -> None:
    assert [d.status for d in seen] == [
        DeliveryStatus.FAILED,
        DeliveryStatus.FAILED,
        DeliveryStatus.DEAD,
    ]
    assert [d.attempts for d in seen] == [1, 2, 3]
    # 10 s, then 20 s: exponential backoff from the configured base.
    assert seen[0].next_attempt_at - AT == timedelta(seconds=10)
    assert seen[1].next_attempt_at - seen[0].next_attempt_at == timedelta(seconds=20)
    assert error in (seen[-1].last_error or "")


def test_webhook_that_returns_500_is_retried_then_dead_lettered_and_replayed(
    store: SqlAlerts, engine: Engine, receiver: Receiver
) -> None:
    receiver.mode = "error"
    _alert_row, delivery = _alert(store, Channel.WEBHOOK, _webhook(store, receiver.url).id)
    transport = WebhookTransport(store.webhook, timeout_seconds=2)
    log = Log()
    seen = _retries(store, engine, transport, delivery, log)
    _backs_off_then_dead_letters(seen, "answered 500")
    assert [d.id for d in store.dead_letters()] == [delivery.id]
    # Replay: back in the outbox with the same idempotency key; now the endpoint works.
    receiver.mode = "ok"
    again = replay(store, log, delivery.id, actor=Actor("ig", "SCH6", Role.IG_LEAD), at=AT)
    assert again.status is DeliveryStatus.PENDING and again.attempts == 0
    dispatcher = _dispatcher(store, engine, {Channel.WEBHOOK: transport}, log)
    try:
        dispatcher.run_once(AT + timedelta(seconds=1))
    finally:
        dispatcher.close()
        transport.close()
    done = store.get_delivery(delivery.id)
    assert done is not None and done.status is DeliveryStatus.DELIVERED
    assert list(receiver.keys) == [delivery.idempotency_key]
    assert store.dead_letters() == []


def test_webhook_that_times_out_is_retried_then_dead_lettered(
    store: SqlAlerts, engine: Engine, receiver: Receiver
) -> None:
    # Far longer than the test takes: a slow answer that arrived after the dispatcher gave up
    # would still be recorded by the receiver, and a busy machine can take a second between
    # the last attempt and the end of the test.
    receiver.mode, receiver.delay = "slow", 30.0
    _alert_row, delivery = _alert(store, Channel.WEBHOOK, _webhook(store, receiver.url).id)
    transport = WebhookTransport(store.webhook, timeout_seconds=0.2)
    try:
        seen = _retries(store, engine, transport, delivery, Log())
    finally:
        transport.close()
    _backs_off_then_dead_letters(seen, "did not answer in time")
    assert receiver.received == []


def test_webhook_whose_signature_the_endpoint_rejects_is_not_counted_delivered(
    store: SqlAlerts, engine: Engine, receiver: Receiver
) -> None:
    # Sharewell signs with a secret the endpoint does not hold: it answers 401 every time.
    hook = _webhook(store, receiver.url, secret="a-different-secret-entirely")
    _alert_row, delivery = _alert(store, Channel.WEBHOOK, hook.id)
    transport = WebhookTransport(store.webhook, timeout_seconds=2)
    try:
        seen = _retries(store, engine, transport, delivery, Log())
    finally:
        transport.close()
    _backs_off_then_dead_letters(seen, "answered 401")
    assert receiver.rejected == 3 and receiver.received == []


def test_good_endpoint_gets_one_signed_delivery_with_a_receipt(
    store: SqlAlerts, engine: Engine, receiver: Receiver
) -> None:
    alert, delivery = _alert(store, Channel.WEBHOOK, _webhook(store, receiver.url).id)
    transport = WebhookTransport(store.webhook, timeout_seconds=2)
    dispatcher = _dispatcher(store, engine, {Channel.WEBHOOK: transport}, Log())
    try:
        dispatcher.run_once(AT)
        dispatcher.run_once(AT + timedelta(minutes=1))
    finally:
        dispatcher.close()
        transport.close()
    done = store.get_delivery(delivery.id)
    assert done is not None and done.status is DeliveryStatus.DELIVERED
    assert done.receipt == "HTTP 200" and done.attempts == 1
    assert receiver.keys == {delivery.idempotency_key: 1}
    assert receiver.received[0]["alert_id"] == alert.id
    assert receiver.received[0]["content"] == {"occurred_at": "x", "incident_type": "x"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_email_notice_goes_through_a_local_smtp_server(store: SqlAlerts, engine: Engine) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Keep(Sink):
        def __init__(self) -> None:
            self.messages: list[bytes] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            del server, session
            self.messages.append(envelope.content)
            return "250 OK"

    handler = Keep()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        alert, delivery = _alert(store, Channel.EMAIL, "dsl")
        transport = SmtpTransport(
            host="127.0.0.1", port=port, sender="alerts@anyshire.example", base_url="http://x"
        )
        dispatcher = _dispatcher(store, engine, {Channel.EMAIL: transport}, Log())
        try:
            dispatcher.run_once(AT)
            deadline = time.monotonic() + 5
            while not handler.messages and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            dispatcher.close()
    finally:
        controller.stop()
    done = store.get_delivery(delivery.id)
    assert done is not None and done.status is DeliveryStatus.DELIVERED
    [raw] = handler.messages
    message = message_from_bytes(raw)
    assert message["To"] == "dsl@sch6.example"
    text = message.get_payload()
    assert f"/alerts/{alert.id}" in str(text)
    # The notice carries a link, never the minimum data set itself.
    assert "incident_type" not in str(text)


def test_email_to_an_unreachable_server_is_retried(store: SqlAlerts, engine: Engine) -> None:
    _alert_row, delivery = _alert(store, Channel.EMAIL, "dsl")
    transport = SmtpTransport(
        host="127.0.0.1",
        port=_free_port(),
        sender="alerts@anyshire.example",
        base_url="http://x",
        timeout_seconds=1,
    )
    dispatcher = _dispatcher(store, engine, {Channel.EMAIL: transport}, Log())
    try:
        dispatcher.run_once(AT)
    finally:
        dispatcher.close()
    found = store.get_delivery(delivery.id)
    assert found is not None and found.status is DeliveryStatus.FAILED
    assert "mail server" in (found.last_error or "")


def test_the_serving_dispatcher_sends_each_new_alert_once(
    store: SqlAlerts, engine: Engine, receiver: Receiver
) -> None:
    import threading

    hook = _webhook(store, receiver.url)
    made = [_alert(store, Channel.WEBHOOK, hook.id)[1] for _ in range(5)]
    transport = WebhookTransport(store.webhook, timeout_seconds=2)
    dispatcher = _dispatcher(store, engine, {Channel.WEBHOOK: transport}, Log())
    done = threading.Event()
    worker = threading.Thread(
        target=dispatcher.serve,
        kwargs={"should_stop": done.is_set, "poll_seconds": 0.01, "housekeeping_seconds": 0.05},
    )
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while len(receiver.keys) < len(made) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # several more passes: nothing may be sent again
    finally:
        done.set()
        worker.join(timeout=20)
        dispatcher.close()
        transport.close()
    assert receiver.keys == {d.idempotency_key: 1 for d in made}
    assert all(
        (found := store.get_delivery(d.id)) is not None and found.status is DeliveryStatus.DELIVERED
        for d in made
    )
