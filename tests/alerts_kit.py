"""Alerts on the demo partnership: the built-in rules tied to the Anyshire charter, a child on a
protection plan with an A&E record, a pupil on a school's roll, and a webhook receiver on
loopback that checks signatures and drops repeats by idempotency key."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine, func, select

from sharewell.adapters.db.tables import SourceRecordRow, TruthPersonRow, TruthRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.bootstrap import Container
from sharewell.config import Settings
from sharewell.domain.alerts import TEMPLATES, Situation, SituationEntry, verify
from sharewell.services import alerts
from sharewell.services.alerts import Webhook
from sharewell.services.governance import Actor
from tests.disclosure_fixtures import OPERATOR, Scenario, demo_partnership

SOCIAL_WORKER = "demo-sw-cscn"
TEAM_MANAGER = "demo-tm-cscn"
SCHOOL_DSL = "demo-dsl-sch6"
CLINICIAN = Actor("demo-clinician-acu", "ACU")
OFFICER = Actor("demo-officer-pol", "POL")


def child_with_record(engine: Engine, org: str, as_of: date = date(2026, 3, 1)) -> str:
    """A child (under 18 on `as_of`) with a record held by `org`."""
    adult_born = date(as_of.year - 18, as_of.month, as_of.day)
    query = (
        select(func.min(PersonLinkRow.person_id))
        .join(SourceRecordRow, SourceRecordRow.id == PersonLinkRow.record_id)
        .join(
            TruthRecordRow,
            (TruthRecordRow.org_code == SourceRecordRow.org_code)
            & (TruthRecordRow.local_id == SourceRecordRow.local_id),
        )
        .join(TruthPersonRow, TruthPersonRow.person_key == TruthRecordRow.person_key)
        .where(SourceRecordRow.org_code == org, TruthPersonRow.date_of_birth > adult_born)
    )
    with engine.connect() as conn:
        found = conn.execute(query).scalar()
    assert found, f"no child with a {org} record in the demo data"
    return str(found)


@dataclass(frozen=True)
class AlertScenario:
    """Who the alert walk-throughs are about."""

    child: str  # on a child protection plan, with an A&E (ACU) record
    pupil: str  # on SCH6's roll, with police records


def add_rules_and_situations(container: Container, scenario: Scenario) -> AlertScenario:
    for t in TEMPLATES:
        alerts.add_rule_from_template(
            container.alerts,
            container.audit,
            template_key=t.key,
            agreement_id="anyshire-charter",
            actor=OPERATOR,
        )
    child = child_with_record(container.engine, "ACU")
    since = date(2025, 9, 1)
    alerts.record_situation(
        container.alerts,
        container.audit,
        SituationEntry(
            uuid.uuid4().hex,
            child,
            Situation.CHILD_PROTECTION_PLAN,
            "CSCN",
            since,
            practitioner_id=SOCIAL_WORKER,
        ),
        actor=Actor("demo-sw-cscn", "CSCN"),
    )
    alerts.record_situation(
        container.alerts,
        container.audit,
        SituationEntry(uuid.uuid4().hex, scenario.pupil, Situation.ON_SCHOOL_ROLL, "SCH6", since),
        actor=Actor("demo-dsl-sch6", "SCH6"),
    )
    return AlertScenario(child=child, pupil=scenario.pupil)


def alerts_partnership(settings: Settings) -> tuple[Container, AlertScenario]:
    container, scenario = demo_partnership(settings)
    return container, add_rules_and_situations(container, scenario)


# --- A webhook receiver on loopback ------------------------------------------------------------


@dataclass
class Receiver:
    """Receives signed webhooks; `mode` is ok, error (500) or slow (answers after `delay`)."""

    secret: bytes
    mode: str = "ok"
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, int] = field(default_factory=dict)
    arrived_at: dict[str, float] = field(default_factory=dict)
    rejected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/alerts"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.mode == "slow":
                    time.sleep(receiver.delay)
                if receiver.mode == "error":
                    self.answer(500)
                    return
                ok = verify(
                    receiver.secret,
                    self.headers.get("Sharewell-Timestamp", ""),
                    body,
                    self.headers.get("Sharewell-Signature", ""),
                    now=datetime.now(UTC),
                )
                if not ok:
                    with receiver.lock:
                        receiver.rejected += 1
                    self.answer(401)
                    return
                key = self.headers.get("Idempotency-Key", "")
                with receiver.lock:
                    receiver.keys[key] = receiver.keys.get(key, 0) + 1
                    if receiver.keys[key] == 1:
                        receiver.arrived_at[key] = time.time()
                        receiver.received.append(json.loads(body))
                self.answer(200)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                # A dispatcher killed mid-request resets its connection: expected here.
                del request, client_address

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def register_webhook(container: Container, org: str, url: str, secret: str) -> Webhook:
    hook = Webhook(uuid.uuid4().hex, org, url, secret)
    container.alerts.add_webhook(hook)
    return hook
