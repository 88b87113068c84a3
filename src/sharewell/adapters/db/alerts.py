"""The alert store on SQL: rules, situations, webhooks, and the outbox (alerts and deliveries,
written in the same transaction as the fact that raised them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from sharewell.adapters.db.tables import FactRow, PractitionerRow, SourceRecordRow
from sharewell.adapters.db.tables_alerts import (
    AlertDeliveryRow,
    AlertRow,
    AlertRuleRow,
    AlertSituationRow,
    AlertWebhookRow,
)
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.domain.alerts import (
    Alert,
    AlertRule,
    AlertStatus,
    Channel,
    Deadline,
    Delivery,
    DeliveryStatus,
    RecipientKind,
    Situation,
    SituationEntry,
)
from sharewell.domain.facts import Fact
from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import DataCategory, OrganisationKind, Purpose, Role
from sharewell.services.alerts import Webhook


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _alert(r: Any) -> Alert:
    return Alert(
        id=r.id,
        rule_id=r.rule_id,
        fact_id=r.fact_id,
        person_id=r.person_id,
        holder_org=r.holder_org,
        recipient_id=r.recipient_id,
        recipient_org=r.recipient_org,
        purpose=Purpose(r.purpose),
        category=DataCategory(r.category),
        fields=tuple(r.fields),
        raised_at=_utc(r.raised_at) or datetime.now(UTC),
        due_at=_utc(r.due_at) or datetime.now(UTC),
        status=AlertStatus(r.status),
        content=dict(r.content or {}),
        delivered_at=_utc(r.delivered_at),
        read_at=_utc(r.read_at),
        withheld_reasons=tuple(r.withheld_reasons or ()),
        escalated_to=r.escalated_to,
        escalated_at=_utc(r.escalated_at),
    )


def _alert_values(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "rule_id": a.rule_id,
        "fact_id": a.fact_id,
        "person_id": a.person_id,
        "holder_org": a.holder_org,
        "recipient_id": a.recipient_id,
        "recipient_org": a.recipient_org,
        "purpose": a.purpose.value,
        "category": a.category.value,
        "fields": list(a.fields),
        "raised_at": a.raised_at,
        "due_at": a.due_at,
        "status": a.status.value,
        "content": dict(a.content),
        "delivered_at": a.delivered_at,
        "read_at": a.read_at,
        "withheld_reasons": list(a.withheld_reasons),
        "escalated_to": a.escalated_to,
        "escalated_at": a.escalated_at,
    }


def _delivery(r: Any) -> Delivery:
    return Delivery(
        id=r.id,
        alert_id=r.alert_id,
        channel=Channel(r.channel),
        target=r.target,
        status=DeliveryStatus(r.status),
        attempts=r.attempts,
        next_attempt_at=_utc(r.next_attempt_at) or datetime.now(UTC),
        idempotency_key=r.idempotency_key,
        last_error=r.last_error,
        delivered_at=_utc(r.delivered_at),
        receipt=r.receipt,
    )


def _delivery_values(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "alert_id": d.alert_id,
        "channel": d.channel.value,
        "target": d.target,
        "status": d.status.value,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "idempotency_key": d.idempotency_key,
        "last_error": d.last_error,
        "delivered_at": d.delivered_at,
        "receipt": d.receipt,
    }


def _rule(r: Any) -> AlertRule:
    return AlertRule(
        id=r.id,
        name=r.name,
        agreement_id=r.agreement_id,
        source_kind=OrganisationKind(r.source_kind),
        category=DataCategory(r.category),
        fact_codes=tuple(r.fact_codes),
        situation=Situation(r.situation),
        recipient=RecipientKind(r.recipient),
        recipient_roles=tuple(Role(x) for x in r.recipient_roles),
        purpose=Purpose(r.purpose),
        fields=tuple(r.fields),
        deadline=Deadline.parse(r.deadline),
        channels=tuple(Channel(c) for c in r.channels),
        active=r.active,
    )


class SqlAlertTransaction:
    """Writes of one event: the fact, its alerts and deliveries, on one connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_fact(self, fact: Fact) -> None:
        self._conn.execute(
            insert(FactRow).values(
                id=fact.id,
                org_code=fact.org_code,
                local_id=fact.local_id,
                category=fact.category.value,
                code=fact.code,
                occurred_at=fact.occurred_at,
                summary=fact.summary,
                detail=dict(fact.detail),
                sensitivity=fact.sensitivity.value,
            )
        )

    def add_alert(self, alert: Alert) -> None:
        self._conn.execute(insert(AlertRow).values(**_alert_values(alert)))

    def add_delivery(self, delivery: Delivery) -> None:
        self._conn.execute(insert(AlertDeliveryRow).values(**_delivery_values(delivery)))


class SqlAlerts:
    """The `AlertStore` port on a database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def transaction(self) -> Iterator[SqlAlertTransaction]:
        with self._engine.begin() as conn:
            yield SqlAlertTransaction(conn)

    # rules, situations, webhooks

    def add_rule(self, rule: AlertRule) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(AlertRuleRow).values(
                    id=rule.id,
                    name=rule.name,
                    agreement_id=rule.agreement_id,
                    source_kind=rule.source_kind.value,
                    category=rule.category.value,
                    fact_codes=list(rule.fact_codes),
                    situation=rule.situation.value,
                    recipient=rule.recipient.value,
                    recipient_roles=[r.value for r in rule.recipient_roles],
                    purpose=rule.purpose.value,
                    fields=list(rule.fields),
                    deadline=rule.deadline.as_text(),
                    channels=[c.value for c in rule.channels],
                    active=rule.active,
                )
            )

    def rules(self) -> list[AlertRule]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(AlertRuleRow).order_by(AlertRuleRow.name)).all()
        return [_rule(r) for r in rows]

    def add_situation(self, entry: SituationEntry) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(AlertSituationRow).values(
                    id=entry.id,
                    person_id=entry.person_id,
                    situation=entry.situation.value,
                    org_code=entry.org_code,
                    practitioner_id=entry.practitioner_id,
                    team=entry.team,
                    starts_on=entry.starts_on,
                    ends_on=entry.ends_on,
                )
            )

    def situations_of(self, person_id: str) -> list[SituationEntry]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(AlertSituationRow).where(AlertSituationRow.person_id == person_id)
            ).all()
        return [
            SituationEntry(
                r.id,
                r.person_id,
                Situation(r.situation),
                r.org_code,
                r.starts_on,
                r.practitioner_id,
                r.team,
                r.ends_on,
            )
            for r in rows
        ]

    def add_webhook(self, webhook: Webhook) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(AlertWebhookRow).values(
                    id=webhook.id,
                    org_code=webhook.org_code,
                    url=webhook.url,
                    secret=webhook.secret,
                    active=webhook.active,
                )
            )

    def _webhooks(self, where: Any) -> list[Webhook]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(AlertWebhookRow).where(where)).all()
        return [Webhook(r.id, r.org_code, r.url, r.secret, r.active) for r in rows]

    def webhooks_for(self, org: str) -> list[Webhook]:
        return self._webhooks(AlertWebhookRow.org_code == org)

    def webhook(self, webhook_id: str) -> Webhook | None:
        found = self._webhooks(AlertWebhookRow.id == webhook_id)
        return found[0] if found else None

    def practitioners_of(self, org: str) -> list[Practitioner]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(PractitionerRow).where(PractitionerRow.org_code == org)
            ).all()
        return [
            Practitioner(
                r.id, r.org_code, r.name, r.email, Role(r.role), r.active, r.team, r.manager_id
            )
            for r in rows
        ]

    def local_id_of(self, person_id: str, org: str) -> str | None:
        query = (
            select(SourceRecordRow.local_id)
            .join(PersonLinkRow, PersonLinkRow.record_id == SourceRecordRow.id)
            .where(PersonLinkRow.person_id == person_id, SourceRecordRow.org_code == org)
            .order_by(SourceRecordRow.local_id)
            .limit(1)
        )
        with self._engine.connect() as conn:
            found = conn.execute(query).scalar()
        return str(found) if found is not None else None

    # the outbox

    def _alerts(self, query: Any) -> list[Alert]:
        with self._engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query).all()]

    def pending_alerts(self, limit: int) -> list[Alert]:
        return self._alerts(
            select(AlertRow)
            .where(AlertRow.status == AlertStatus.PENDING.value)
            .order_by(AlertRow.raised_at)
            .limit(limit)
        )

    def save_alert(self, alert: Alert) -> None:
        values = _alert_values(alert)
        del values["id"]
        with self._engine.begin() as conn:
            conn.execute(update(AlertRow).where(AlertRow.id == alert.id).values(**values))

    def cancel_deliveries(self, alert_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(AlertDeliveryRow)
                .where(
                    AlertDeliveryRow.alert_id == alert_id,
                    AlertDeliveryRow.status != DeliveryStatus.DELIVERED.value,
                )
                .values(status=DeliveryStatus.CANCELLED.value)
            )

    def due_deliveries(self, at: datetime, limit: int) -> list[Delivery]:
        query = (
            select(AlertDeliveryRow)
            .join(AlertRow, AlertRow.id == AlertDeliveryRow.alert_id)
            .where(
                AlertDeliveryRow.status.in_(
                    [DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value]
                ),
                AlertDeliveryRow.next_attempt_at <= at,
                AlertRow.status.in_([AlertStatus.DELIVERED.value, AlertStatus.READ.value]),
            )
            .order_by(AlertDeliveryRow.next_attempt_at)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_delivery(r) for r in conn.execute(query).all()]

    def save_delivery(self, delivery: Delivery) -> None:
        values = _delivery_values(delivery)
        del values["id"]
        with self._engine.begin() as conn:
            conn.execute(
                update(AlertDeliveryRow).where(AlertDeliveryRow.id == delivery.id).values(**values)
            )

    def get_alert(self, alert_id: str) -> Alert | None:
        found = self._alerts(select(AlertRow).where(AlertRow.id == alert_id))
        return found[0] if found else None

    def get_delivery(self, delivery_id: str) -> Delivery | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(AlertDeliveryRow).where(AlertDeliveryRow.id == delivery_id)
            ).first()
        return _delivery(row) if row is not None else None

    def deliveries_of(self, alert_id: str) -> list[Delivery]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(AlertDeliveryRow).where(AlertDeliveryRow.alert_id == alert_id)
            ).all()
        return [_delivery(r) for r in rows]

    def inbox(self, practitioner_id: str) -> list[Alert]:
        return self._alerts(
            select(AlertRow).where(
                AlertRow.recipient_id == practitioner_id,
                AlertRow.status.in_([AlertStatus.DELIVERED.value, AlertStatus.READ.value]),
            )
        )

    def escalated_to(self, practitioner_id: str) -> list[Alert]:
        return self._alerts(select(AlertRow).where(AlertRow.escalated_to == practitioner_id))

    def dead_letters(self) -> list[Delivery]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(AlertDeliveryRow)
                .where(AlertDeliveryRow.status == DeliveryStatus.DEAD.value)
                .order_by(AlertDeliveryRow.next_attempt_at)
            ).all()
        return [_delivery(r) for r in rows]

    def unread_past_due(self, at: datetime) -> list[Alert]:
        return self._alerts(
            select(AlertRow).where(
                AlertRow.due_at < at,
                AlertRow.escalated_at.is_(None),
                AlertRow.read_at.is_(None),
                or_(
                    AlertRow.status == AlertStatus.PENDING.value,
                    and_(AlertRow.status == AlertStatus.DELIVERED.value),
                ),
            )
        )

    def alerts_since(self, since: datetime) -> list[Alert]:
        return self._alerts(select(AlertRow).where(AlertRow.raised_at >= since))
