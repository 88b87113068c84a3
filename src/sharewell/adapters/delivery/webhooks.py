"""Signed webhooks: the alert as JSON, HMAC-SHA256 over "timestamp.body" with the endpoint's
secret, an idempotency key, and a short timeout (a timeout or any non-2xx answer is a failure
the dispatcher retries with backoff)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx

from sharewell.domain.alerts import Alert, Delivery, sign
from sharewell.domain.organisations import Practitioner
from sharewell.domain.times import utcnow
from sharewell.services.alerts import DeliveryFailed, Webhook

SIGNATURE_HEADER = "Sharewell-Signature"
TIMESTAMP_HEADER = "Sharewell-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
CACHE_SECONDS = 2.0


def body_of(alert: Alert, delivery: Delivery) -> bytes:
    """The JSON the receiver gets: references and the minimum data set only."""
    document = {
        "alert_id": alert.id,
        "idempotency_key": delivery.idempotency_key,
        "person_id": alert.person_id,
        "from": alert.holder_org,
        "to": alert.recipient_org,
        "recipient_id": alert.recipient_id,
        "purpose": alert.purpose.value,
        "category": alert.category.value,
        "raised_at": alert.raised_at.isoformat(),
        "due_at": alert.due_at.isoformat(),
        "content": dict(alert.content),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class WebhookTransport:
    """Posts alerts to organisations' webhook endpoints (one keep-alive client per thread)."""

    def __init__(
        self,
        lookup: Callable[[str], Webhook | None],
        *,
        timeout_seconds: float = 5.0,
        clock: Callable[[], object] = utcnow,
    ) -> None:
        self._lookup = lookup
        self._timeout = timeout_seconds
        self._local = threading.local()
        self._clock = clock
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Webhook | None]] = {}

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(timeout=self._timeout, trust_env=False)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _hook(self, webhook_id: str) -> Webhook | None:
        # Endpoints change rarely; a change is seen within CACHE_SECONDS.
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(webhook_id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        hook = self._lookup(webhook_id)
        with self._lock:
            self._cache[webhook_id] = (now, hook)
        return hook

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    def send(self, delivery: Delivery, alert: Alert, recipient: Practitioner | None) -> str:
        del recipient  # the endpoint is the organisation's
        hook = self._hook(delivery.target)
        if hook is None or not hook.active:
            raise DeliveryFailed("the webhook endpoint is no longer configured")
        body = body_of(alert, delivery)
        timestamp = str(int(utcnow().timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(hook.secret.encode(), timestamp, body),
            IDEMPOTENCY_HEADER: delivery.idempotency_key,
        }
        try:
            answer = self._client().post(hook.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryFailed("the endpoint did not answer in time") from None
        except httpx.HTTPError as exc:
            raise DeliveryFailed(
                f"the endpoint could not be reached ({type(exc).__name__})"
            ) from None
        if not 200 <= answer.status_code < 300:
            raise DeliveryFailed(f"the endpoint answered {answer.status_code}")
        return f"HTTP {answer.status_code}"
