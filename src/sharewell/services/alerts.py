"""Early alerts: the partnership's rules, the people they watch, events that raise alerts (the
fact and its alerts written in one transaction: a transactional outbox), and the dispatcher that
decides each alert through the disclosure gate at dispatch time and delivers it by inbox,
signed webhook and email, with retries, a dead-letter list, receipts and escalation.

This module never reads facts for display: an alert's content comes only from
`AlertGate.alert_content` (services/disclosure.py), which decides, reads the minimum data set,
audits durably and only then returns.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from sharewell.domain.alerts import (
    Alert,
    AlertRule,
    AlertStatus,
    Channel,
    Delivery,
    DeliveryStatus,
    SchoolCalendar,
    SituationEntry,
    backoff,
    recipients_for,
    template,
)
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.errors import NotFound, PermissionDenied, ValidationError
from sharewell.domain.facts import Fact
from sharewell.domain.organisations import Organisation, Practitioner
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import DataCategory, Purpose, Role
from sharewell.services.governance import Actor
from sharewell.services.ports import AuditLog

log = logging.getLogger(__name__)

MANAGING_ROLES = frozenset({Role.IG_LEAD, Role.PARTNERSHIP_LEAD})
DASHBOARD_ROLES = frozenset({Role.PARTNERSHIP_LEAD, Role.IG_LEAD, Role.TEAM_MANAGER})


# --- Ports --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Webhook:
    """An organisation's endpoint for alerts, with the secret that signs them."""

    id: str
    org_code: str
    url: str
    secret: str
    active: bool = True


class AlertTransaction(Protocol):
    """One unit of work over the alert tables."""

    def add_fact(self, fact: Fact) -> None: ...

    def add_alert(self, alert: Alert) -> None: ...

    def add_delivery(self, delivery: Delivery) -> None: ...


class AlertStore(Protocol):
    """Where rules, situations, webhooks, alerts and deliveries live."""

    def transaction(self) -> AbstractContextManager[AlertTransaction]: ...

    def add_rule(self, rule: AlertRule) -> None: ...

    def rules(self) -> Sequence[AlertRule]: ...

    def add_situation(self, entry: SituationEntry) -> None: ...

    def situations_of(self, person_id: str) -> Sequence[SituationEntry]: ...

    def add_webhook(self, webhook: Webhook) -> None: ...

    def webhooks_for(self, org: str) -> Sequence[Webhook]: ...

    def webhook(self, webhook_id: str) -> Webhook | None: ...

    def practitioners_of(self, org: str) -> Sequence[Practitioner]: ...

    def local_id_of(self, person_id: str, org: str) -> str | None: ...

    def pending_alerts(self, limit: int) -> Sequence[Alert]: ...

    def save_alert(self, alert: Alert) -> None: ...

    def cancel_deliveries(self, alert_id: str) -> None: ...

    def due_deliveries(self, at: datetime, limit: int) -> Sequence[Delivery]: ...

    def save_delivery(self, delivery: Delivery) -> None: ...

    def get_alert(self, alert_id: str) -> Alert | None: ...

    def get_delivery(self, delivery_id: str) -> Delivery | None: ...

    def deliveries_of(self, alert_id: str) -> Sequence[Delivery]: ...

    def inbox(self, practitioner_id: str) -> Sequence[Alert]: ...

    def escalated_to(self, practitioner_id: str) -> Sequence[Alert]: ...

    def dead_letters(self) -> Sequence[Delivery]: ...

    def unread_past_due(self, at: datetime) -> Sequence[Alert]: ...

    def alerts_since(self, since: datetime) -> Sequence[Alert]: ...


class OrganisationLookup(Protocol):
    """Partner organisations (for an organisation's kind)."""

    def get(self, code: str) -> Organisation | None: ...


class PractitionerLookup(Protocol):
    """Practitioners (recipients and their managers)."""

    def get(self, practitioner_id: str) -> Practitioner | None: ...


@dataclass(frozen=True, slots=True)
class AlertDisclosure:
    """What the gate let through for one alert: the fields, or the reasons it refused."""

    permitted: bool
    fields: Mapping[str, str]
    reasons: tuple[str, ...] = ()
    agreement: str | None = None


class AlertGate(Protocol):
    """The disclosure gate as the dispatcher needs it (services/disclosure.py)."""

    def alert_content(
        self,
        *,
        actor: Actor,
        alert_id: str,
        person_id: str,
        holder: str,
        category: DataCategory,
        purpose: Purpose,
        fact_id: str,
        fields: Sequence[str],
        at: datetime,
    ) -> AlertDisclosure: ...


class DeliveryFailed(Exception):
    """A channel could not deliver (timeout, refusal, error status); it will be retried."""


class Leader(Protocol):
    """Whether this process leads a job only one process may do at a time."""

    def try_lead(self) -> bool: ...

    def release(self) -> None: ...


class Transport(Protocol):
    """Sends one alert by one channel; returns a receipt or raises DeliveryFailed."""

    def send(self, delivery: Delivery, alert: Alert, recipient: Practitioner | None) -> str: ...


# --- Rules and situations ------------------------------------------------------------------------


def _audit(
    audit: AuditLog,
    kind: AuditKind,
    at: datetime,
    actor: Actor,
    *,
    outcome: str,
    subject_id: str | None = None,
    purpose: str | None = None,
    refs: dict[str, str] | None = None,
) -> None:
    audit.append(
        AuditEvent(
            kind,
            at,
            actor.id,
            actor.org,
            purpose=purpose,
            subject_id=subject_id,
            outcome=outcome,
            refs=refs or {},
        )
    )


def add_rule_from_template(
    store: AlertStore,
    audit: AuditLog,
    *,
    template_key: str,
    agreement_id: str,
    actor: Actor,
    at: datetime | None = None,
) -> AlertRule:
    """Tie a built-in rule template to one of the partnership's agreements."""
    at = at or utcnow()
    rule = template(template_key).rule(rule_id=uuid.uuid4().hex, agreement_id=agreement_id)
    _audit(
        audit,
        AuditKind.AGREEMENT_CHANGE,
        at,
        actor,
        outcome="alert_rule_added",
        refs={"alert_rule": rule.id, "template": template_key, "agreement": agreement_id},
    )
    store.add_rule(rule)
    return rule


def record_situation(
    store: AlertStore,
    audit: AuditLog,
    entry: SituationEntry,
    *,
    actor: Actor,
    at: datetime | None = None,
) -> SituationEntry:
    """Record that a person is in a situation alert rules watch (by the responsible agency)."""
    at = at or utcnow()
    if actor.org is not None and actor.org != entry.org_code:
        raise PermissionDenied(
            "Only the responsible organisation records this situation", field="org"
        )
    _audit(
        audit,
        AuditKind.RELATIONSHIP_CHANGE,
        at,
        actor,
        outcome=f"situation:{entry.situation.value}",
        subject_id=entry.person_id,
        refs={"situation": entry.id, "org": entry.org_code},
    )
    store.add_situation(entry)
    return entry


# --- Events raise alerts (the outbox) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaisedEvent:
    """A recorded event and the alerts it raised."""

    fact: Fact
    alerts: tuple[Alert, ...]


def report_event(
    store: AlertStore,
    organisations: OrganisationLookup,
    *,
    actor: Actor,
    person_id: str,
    category: DataCategory,
    code: str,
    occurred_at: datetime,
    summary: str,
    detail: Mapping[str, str],
    calendar: SchoolCalendar | None,
    at: datetime | None = None,
) -> RaisedEvent:
    """An agency records an event about a person it holds a record of; every matching rule's
    alerts (and their webhook and email deliveries) are written in the same transaction."""
    at = at or utcnow()
    if actor.org is None:
        raise PermissionDenied("Only a practitioner of a partner reports events", field="actor")
    org = organisations.get(actor.org)
    if org is None:
        raise NotFound("Your organisation is not a partner", field="org")
    if occurred_at.tzinfo is None:
        raise ValidationError("occurred_at must include a time zone", field="occurred_at")
    if occurred_at > at + timedelta(minutes=5):
        raise ValidationError("The event cannot be in the future", field="occurred_at")
    if not code.strip():
        raise ValidationError("Choose what happened", field="code")
    local_id = store.local_id_of(person_id, org.code)
    if local_id is None:
        raise NotFound("Your organisation holds no record of this person", field="person")
    fact = Fact(
        id=uuid.uuid4().hex,
        org_code=org.code,
        local_id=local_id,
        category=category,
        code=code.strip(),
        occurred_at=occurred_at,
        summary=summary.strip(),
        detail={str(k): str(v) for k, v in detail.items() if str(v).strip()},
    )
    alerts: list[Alert] = []
    deliveries: list[Delivery] = []
    today = at.date()
    entries = [e for e in store.situations_of(person_id) if e.in_force(today)]
    for rule in store.rules():
        if not rule.matches(org.kind, category, fact.code):
            continue
        for entry in entries:
            if entry.situation is not rule.situation:
                continue
            staff = [
                (p.id, p.org_code, p.role, p.team, p.active)
                for p in store.practitioners_of(entry.org_code)
            ]
            due = rule.deadline.due(at, calendar)
            hooks = store.webhooks_for(entry.org_code) if Channel.WEBHOOK in rule.channels else []
            for recipient in recipients_for(rule, entry, staff):
                alert = Alert(
                    id=uuid.uuid4().hex,
                    rule_id=rule.id,
                    fact_id=fact.id,
                    person_id=person_id,
                    holder_org=org.code,
                    recipient_id=recipient,
                    recipient_org=entry.org_code,
                    purpose=rule.purpose,
                    category=category,
                    fields=rule.fields,
                    raised_at=at,
                    due_at=due,
                )
                alerts.append(alert)
                for hook in hooks:
                    if hook.active:
                        deliveries.append(_delivery(alert, Channel.WEBHOOK, hook.id, at))
                if Channel.EMAIL in rule.channels:
                    deliveries.append(_delivery(alert, Channel.EMAIL, recipient, at))
    with store.transaction() as tx:
        tx.add_fact(fact)
        for alert in alerts:
            tx.add_alert(alert)
        for delivery in deliveries:
            tx.add_delivery(delivery)
    return RaisedEvent(fact, tuple(alerts))


def _delivery(alert: Alert, channel: Channel, target: str, at: datetime) -> Delivery:
    return Delivery(
        id=uuid.uuid4().hex,
        alert_id=alert.id,
        channel=channel,
        target=target,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=at,
        idempotency_key=f"{alert.id}:{channel.value}:{target}",
    )


# --- The dispatcher ------------------------------------------------------------------------------


@dataclass
class DispatchReport:
    """What one pass of the dispatcher did."""

    delivered: int = 0
    withheld: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    escalated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.delivered or self.withheld or self.sent or self.retried or self.dead)


class Dispatcher:
    """Decides pending alerts through the gate and delivers them; safe to kill at any point
    (at-least-once delivery; receivers drop repeats by the idempotency key)."""

    def __init__(
        self,
        *,
        store: AlertStore,
        gate: AlertGate,
        practitioners: PractitionerLookup,
        transports: Mapping[Channel, Transport],
        audit: AuditLog,
        max_attempts: int = 8,
        backoff_base: timedelta = timedelta(seconds=1),
        workers: int = 8,
        batch: int = 200,
    ) -> None:
        self._store = store
        self._gate = gate
        self._practitioners = practitioners
        self._transports = dict(transports)
        self._audit = audit
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alerts")
        self._batch = batch

    def close(self) -> None:
        """Wait for work in flight, then close the channels' connections."""
        self._pool.shutdown(wait=True)
        for transport in self._transports.values():
            close = getattr(transport, "close", None)
            if callable(close):
                close()

    def run_once(
        self, at: datetime | None = None, *, clock: Callable[[], datetime] = utcnow
    ) -> DispatchReport:
        """One pass: decide pending alerts, send due deliveries, escalate late ones."""
        report = DispatchReport()
        pending = list(self._store.pending_alerts(self._batch))
        # Each alert is decided and then sent by the same worker, so a new alert waits for no
        # other: commit-to-delivery is one decision plus one send.
        for alert, sent in self._pool.map(lambda a: self._decide_and_send(a, at, clock), pending):
            if alert is None:
                report.errors.append("decision failed")
            elif alert.status is AlertStatus.WITHHELD:
                report.withheld += 1
            else:
                report.delivered += 1
            for outcome in sent:
                self._count(report, outcome)
        # Then retries that have come due.
        now = at or clock()
        due = list(self._store.due_deliveries(now, self._batch))
        for outcome in self._pool.map(lambda d: self._send(d, at or clock()), due):
            self._count(report, outcome)
        report.escalated = self.escalate(at or clock())
        return report

    def serve(
        self,
        *,
        should_stop: Callable[[], bool],
        poll_seconds: float = 0.02,
        housekeeping_seconds: float = 0.5,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Run until `should_stop()`: each new alert goes to a free worker at once (no waiting
        for a batch); retries that come due and escalations are handled every
        `housekeeping_seconds`. Nothing in flight is taken twice."""
        alerts_in_flight: dict[str, Future[object]] = {}
        sends_in_flight: dict[str, Future[object]] = {}
        last_housekeeping = 0.0
        while not should_stop():
            # Forget finished work before looking again: a finished alert's row is saved
            # before its future is done, so the next query no longer returns it as pending.
            for table in (alerts_in_flight, sends_in_flight):
                for key in [k for k, f in table.items() if f.done()]:
                    table.pop(key)
            fresh = [
                a for a in self._store.pending_alerts(self._batch) if a.id not in alerts_in_flight
            ]
            for alert in fresh:
                alerts_in_flight[alert.id] = self._pool.submit(
                    self._decide_and_send, alert, None, clock
                )
            if time.monotonic() - last_housekeeping >= housekeeping_seconds:
                last_housekeeping = time.monotonic()
                now = clock()
                for delivery in self._store.due_deliveries(now, self._batch):
                    if delivery.alert_id in alerts_in_flight or delivery.id in sends_in_flight:
                        continue
                    sends_in_flight[delivery.id] = self._pool.submit(self._send, delivery, now)
                try:
                    self.escalate(now)
                except Exception as exc:  # the log is down: try again next time
                    log.warning("alert escalation failed: %s", type(exc).__name__)
            if not fresh:
                time.sleep(poll_seconds)
        for future in [*alerts_in_flight.values(), *sends_in_flight.values()]:
            future.result()

    def serve_while_leading(
        self,
        leader: Leader,
        *,
        should_stop: Callable[[], bool],
        wait: Callable[[float], object],
        poll_seconds: float = 0.02,
        retry_seconds: float = 2.0,
    ) -> bool:
        """`serve` once this process leads the dispatch (several server processes each start a
        dispatcher; one sends, the others stand by and take over when it goes). `wait(seconds)`
        pauses between tries and returns early when stopping. True if this process dispatched."""
        try:
            while not should_stop():
                try:
                    leading = leader.try_lead()
                except Exception as exc:  # the database is away: try again later
                    log.warning("alert dispatch leadership check failed: %s", type(exc).__name__)
                    leading = False
                if leading:
                    self.serve(should_stop=should_stop, poll_seconds=poll_seconds)
                    return True
                wait(retry_seconds)
            return False
        finally:
            leader.release()

    @staticmethod
    def _count(report: DispatchReport, outcome: DeliveryStatus) -> None:
        if outcome is DeliveryStatus.DELIVERED:
            report.sent += 1
        elif outcome is DeliveryStatus.DEAD:
            report.dead += 1
        elif outcome is DeliveryStatus.FAILED:
            report.retried += 1

    def _decide_and_send(
        self, alert: Alert, at: datetime | None, clock: Callable[[], datetime]
    ) -> tuple[Alert | None, list[DeliveryStatus]]:
        done = self._disclose(alert, at or clock())
        if done is None or done.status is AlertStatus.WITHHELD:
            return done, []
        now = at or clock()
        ready = [
            d
            for d in self._store.deliveries_of(done.id)
            if d.status in {DeliveryStatus.PENDING, DeliveryStatus.FAILED}
            and d.next_attempt_at <= now
        ]
        return done, [self._send(d, now, alert=done) for d in ready]

    def _disclose(
        self, alert: Alert, at: datetime, recipient: Practitioner | None = None
    ) -> Alert | None:
        # The decision loads the practitioner afresh (role, training, active): the actor only
        # names them.
        actor = (
            Actor.of(recipient)
            if recipient is not None
            else Actor(alert.recipient_id, alert.recipient_org)
        )
        try:
            shown = self._gate.alert_content(
                actor=actor,
                alert_id=alert.id,
                person_id=alert.person_id,
                holder=alert.holder_org,
                category=alert.category,
                purpose=alert.purpose,
                fact_id=alert.fact_id,
                fields=alert.fields,
                at=at,
            )
        except Exception as exc:  # fail closed: stays pending, tried again next pass
            log.warning("alert decision failed: %s", type(exc).__name__)
            return None
        if shown.permitted:
            done = replace(
                alert, status=AlertStatus.DELIVERED, content=dict(shown.fields), delivered_at=at
            )
            self._store.save_alert(done)
            return done
        done = replace(alert, status=AlertStatus.WITHHELD, withheld_reasons=shown.reasons)
        self._store.save_alert(done)
        self._store.cancel_deliveries(alert.id)
        return done

    def _send(
        self,
        delivery: Delivery,
        at: datetime,
        *,
        alert: Alert | None = None,
        recipient: Practitioner | None = None,
    ) -> DeliveryStatus:
        alert = alert or self._store.get_alert(delivery.alert_id)
        if alert is None or alert.status in {AlertStatus.PENDING, AlertStatus.WITHHELD}:
            return DeliveryStatus.PENDING
        transport = self._transports.get(delivery.channel)
        if transport is None:
            # The partnership has not set this channel up (e.g. no SMTP server): nothing to
            # retry. The alert itself is in the inbox.
            self._store.save_delivery(
                replace(
                    delivery,
                    status=DeliveryStatus.CANCELLED,
                    last_error=f"no {delivery.channel.value} channel is configured",
                )
            )
            return DeliveryStatus.CANCELLED
        if recipient is None and delivery.channel is Channel.EMAIL:
            recipient = self._practitioners.get(alert.recipient_id)
        attempts = delivery.attempts + 1
        try:
            receipt = transport.send(delivery, alert, recipient)
        except DeliveryFailed as exc:
            status = (
                DeliveryStatus.DEAD if attempts >= self._max_attempts else DeliveryStatus.FAILED
            )
            self._store.save_delivery(
                replace(
                    delivery,
                    status=status,
                    attempts=attempts,
                    last_error=str(exc)[:300],
                    next_attempt_at=at + backoff(attempts, base=self._backoff_base),
                )
            )
            return status
        self._store.save_delivery(
            replace(
                delivery,
                status=DeliveryStatus.DELIVERED,
                attempts=attempts,
                delivered_at=at,
                receipt=receipt[:300],
                last_error=None,
            )
        )
        return DeliveryStatus.DELIVERED

    def escalate(self, at: datetime) -> int:
        """Alerts past their deadline and not yet read go to the recipient's manager."""
        count = 0
        for alert in self._store.unread_past_due(at):
            recipient = self._practitioners.get(alert.recipient_id)
            manager = recipient.manager_id if recipient is not None else None
            self._audit.append(
                AuditEvent(
                    AuditKind.DECISION,
                    at,
                    "sharewell:alerts",
                    alert.recipient_org,
                    purpose=alert.purpose.value,
                    subject_id=alert.person_id,
                    outcome="alert_escalated",
                    refs={"alert": alert.id, "manager": manager or "none"},
                )
            )
            self._store.save_alert(
                replace(alert, escalated_to=manager or "partnership", escalated_at=at)
            )
            count += 1
        return count


# --- Reading and acknowledging -------------------------------------------------------------------


def inbox(store: AlertStore, *, actor: Actor) -> list[Alert]:
    """The practitioner's alerts, newest first (their content was disclosed at dispatch)."""
    return sorted(store.inbox(actor.id), key=lambda a: a.raised_at, reverse=True)


def escalations(store: AlertStore, *, actor: Actor) -> list[Alert]:
    """Alerts escalated to this practitioner as a manager (no content: a pointer to chase)."""
    return sorted(store.escalated_to(actor.id), key=lambda a: a.due_at)


def escalated_alert(store: AlertStore, alert_id: str, *, actor: Actor) -> Alert:
    """An alert escalated to this manager, without its content (disclosed to the recipient
    only): who it is for, from whom, and when it was due, so the manager can chase it."""
    alert = store.get_alert(alert_id)
    if alert is None or alert.escalated_to != actor.id:
        raise NotFound("There is no alert escalated to you with this reference", field="alert")
    return replace(alert, content={})


def alert_for_recipient(store: AlertStore, alert_id: str, *, actor: Actor) -> Alert:
    """One of the actor's delivered alerts, as it is: reading it here records nothing (the
    page shows an unread alert's content only after `open_alert`, from a form)."""
    alert = store.get_alert(alert_id)
    if (
        alert is None
        or alert.recipient_id != actor.id
        or alert.status in (AlertStatus.PENDING, AlertStatus.WITHHELD)
    ):
        raise NotFound("There is no alert for you with this reference", field="alert")
    return alert


def open_alert(
    store: AlertStore, audit: AuditLog, alert_id: str, *, actor: Actor, at: datetime | None = None
) -> Alert:
    """The recipient reads an alert: the read acknowledgement is recorded (once) and audited."""
    at = at or utcnow()
    alert = alert_for_recipient(store, alert_id, actor=actor)
    if alert.read_at is None:
        _audit(
            audit,
            AuditKind.DISCLOSURE,
            at,
            actor,
            outcome="alert_read",
            subject_id=alert.person_id,
            purpose=alert.purpose.value,
            refs={"alert": alert.id},
        )
        alert = replace(alert, status=AlertStatus.READ, read_at=at)
        store.save_alert(alert)
    return alert


def replay(
    store: AlertStore,
    audit: AuditLog,
    delivery_id: str,
    *,
    actor: Actor,
    at: datetime | None = None,
) -> Delivery:
    """Put a dead-lettered delivery back in the outbox (same idempotency key)."""
    at = at or utcnow()
    if actor.role is not None and actor.role not in MANAGING_ROLES:
        raise PermissionDenied("Only an IG lead or partnership lead replays deliveries")
    delivery = store.get_delivery(delivery_id)
    if delivery is None or delivery.status is not DeliveryStatus.DEAD:
        raise NotFound("No dead-lettered delivery with this reference", field="delivery")
    _audit(
        audit,
        AuditKind.DECISION,
        at,
        actor,
        outcome="delivery_replayed",
        refs={"delivery": delivery.id, "alert": delivery.alert_id},
    )
    again = replace(delivery, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at)
    store.save_delivery(again)
    return again


def dead_letters(store: AlertStore) -> list[Delivery]:
    """Deliveries that gave up, oldest first (no content: references and the last error)."""
    return list(store.dead_letters())


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The partnership's view of alerting over a period (counts only, no personal data)."""

    since: datetime
    total: int
    delivered: int
    read: int
    withheld: int
    pending: int
    late: tuple[Alert, ...]
    escalated: int
    dead_letters: int
    median_seconds_to_deliver: float | None
    by_route: tuple[tuple[str, str, int], ...]


def dashboard(store: AlertStore, *, since: datetime, at: datetime | None = None) -> Dashboard:
    """Volumes, timeliness, late and escalated alerts and the dead-letter count."""
    at = at or utcnow()
    alerts = list(store.alerts_since(since))
    times = sorted((a.delivered_at - a.raised_at).total_seconds() for a in alerts if a.delivered_at)
    routes: dict[tuple[str, str], int] = {}
    for a in alerts:
        routes[(a.holder_org, a.recipient_org)] = routes.get((a.holder_org, a.recipient_org), 0) + 1

    def count(status: AlertStatus) -> int:
        return sum(1 for a in alerts if a.status is status)

    return Dashboard(
        since=since,
        total=len(alerts),
        delivered=count(AlertStatus.DELIVERED) + count(AlertStatus.READ),
        read=count(AlertStatus.READ),
        withheld=count(AlertStatus.WITHHELD),
        pending=count(AlertStatus.PENDING),
        late=tuple(a for a in alerts if a.late(at)),
        escalated=sum(1 for a in alerts if a.escalated_at is not None),
        dead_letters=len(store.dead_letters()),
        median_seconds_to_deliver=times[len(times) // 2] if times else None,
        by_route=tuple((h, r, n) for (h, r), n in sorted(routes.items())),
    )
