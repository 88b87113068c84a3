"""Early alerts: commit-to-delivery latency and crash safety of the dispatcher.

    PYTHONPATH=src python benchmarks/alerts.py [--rate 50] [--seconds 60] [--recipients 100]
                                               [--kills 20]

A scratch PostgreSQL database (SQLite if PostgreSQL is not running) gets the Anyshire charter
signed by every party, the "child on a protection plan attends A&E" rule, and --recipients
social workers, each allocated to one child on a protection plan, all subscribed through the
children's services webhook (a receiver on loopback that checks every HMAC signature and counts
deliveries per idempotency key). Events are the hospital's A&E attendances for those children,
round robin, at --rate a second, each committed with its alert in one transaction. The dispatcher
is the real `sharewell alerts dispatch` process: every alert is decided through the disclosure
gate and audited before it is posted.

(a) steady: --seconds of load; latency from the event's commit to the webhook's arrival.
(b) crash: the same load while the dispatcher is killed with SIGKILL --kills times at random
    moments and restarted; then the outbox drains. No alert may be lost, and after the receiver
    applies idempotency keys none may be delivered twice (raw redeliveries are reported).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text

from sharewell.adapters.crypto.signing import TreeHeadSigner, write_private_key
from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.db.tables import OrganisationRow, SourceRecordRow
from sharewell.adapters.db.tables_alerts import AlertDeliveryRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.adapters.synthetic.charter import sign_demo_charter
from sharewell.adapters.synthetic.generator import DemoConfig
from sharewell.adapters.synthetic.loader import load_demo_data
from sharewell.bootstrap import build
from sharewell.config import REPO_ROOT, Settings
from sharewell.domain.alerts import Channel, Situation, SituationEntry, template
from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import DataCategory, Role
from sharewell.services import alerts
from sharewell.services.alerts import Webhook
from sharewell.services.governance import Actor

sys.path.insert(0, str(REPO_ROOT))
from tests.alerts_kit import Receiver

ADMIN_URL = os.environ.get(
    "SHAREWELL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "benchmark-webhook-secret-0001"
CLINICIAN = Actor("demo-clinician-acu", "ACU")


def database(work: Path) -> tuple[str, str | None]:
    """A scratch database URL, and the PostgreSQL database name to drop (None for SQLite)."""
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"sharewell_bench_alerts_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name
    except Exception:
        return f"sqlite:///{work / 'sharewell.db'}", None


def drop(name: str | None) -> None:
    if name is None:
        return
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(settings: Settings, recipients: int, webhook_url: str) -> list[str]:
    """The partnership, the rule, the recipients and their children; returns the children."""
    container = build(settings)
    try:
        upgrade(container.engine)
        load_demo_data(container.engine, DemoConfig(people=20, seed=7, as_of=date(2026, 3, 1)))
        sign_demo_charter(container.governance, container.audit, actor=Actor("bench"))
        rule = template("cp_plan_ae_attendance").rule(
            rule_id="bench-rule", agreement_id="anyshire-charter"
        )
        container.alerts.add_rule(replace(rule, channels=(Channel.INBOX, Channel.WEBHOOK)))
        container.alerts.add_webhook(Webhook("bench-hook", "CSCN", webhook_url, SECRET))
        children = [f"PBENCH{i:04d}" for i in range(recipients)]
        with container.engine.begin() as conn:
            assert conn.execute(
                select(OrganisationRow).where(OrganisationRow.code == "ACU")
            ).first()
            for i, child in enumerate(children):
                record = conn.execute(
                    insert(SourceRecordRow)
                    .values(
                        org_code="ACU",
                        local_id=f"BENCH-{i:04d}",
                        given_name="Child",
                        family_name=f"Bench{i}",
                        sex="F",
                    )
                    .returning(SourceRecordRow.id)
                ).scalar_one()
                conn.execute(
                    insert(PersonLinkRow).values(
                        record_id=record,
                        person_id=child,
                        method="bench",
                        linked_at=datetime.now(UTC),
                    )
                )
        trained = {"golden-rules": date(2026, 1, 10)}
        for i, child in enumerate(children):
            worker = f"bench-sw-{i:04d}"
            container.practitioners.add(
                Practitioner(
                    worker,
                    "CSCN",
                    f"Social Worker {i}",
                    f"sw{i}@bench.example",
                    Role.SOCIAL_WORKER,
                    training=trained,
                ),
                password_hash=None,
            )
            container.alerts.add_situation(
                SituationEntry(
                    uuid.uuid4().hex,
                    child,
                    Situation.CHILD_PROTECTION_PLAN,
                    "CSCN",
                    date(2025, 9, 1),
                    practitioner_id=worker,
                )
            )
    finally:
        container.close()
    return children


def start_dispatcher(env: dict[str, str], work: Path) -> subprocess.Popen[bytes]:
    code = "from sharewell.entrypoints.cli.main import run; run()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "alerts", "dispatch"],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "dispatcher.log", "ab"),
    )


def load(
    settings: Settings,
    children: list[str],
    rate: float,
    seconds: float,
    on_tick: Any = None,
) -> dict[str, float]:
    """Report events at `rate` for `seconds` (a few producer threads, as several agencies'
    systems would); the commit time of each raised alert's webhook idempotency key."""
    container = build(settings)
    committed: dict[str, float] = {}
    lock = threading.Lock()

    def report(n: int) -> None:
        now = datetime.now(UTC)
        raised = alerts.report_event(
            container.alerts,
            container.organisations,
            actor=CLINICIAN,
            person_id=children[n % len(children)],
            category=DataCategory.HEALTH,
            code="ae_attendance",
            occurred_at=now,
            summary="Attended the emergency department",
            detail={},
            calendar=None,
            at=now,
        )
        done = time.time()
        with lock:
            for alert in raised.alerts:
                committed[f"{alert.id}:webhook:bench-hook"] = done

    try:
        total = int(rate * seconds)
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=6) as producers:
            futures = []
            for n in range(total):
                pause = start + n / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                if on_tick is not None:
                    on_tick(time.monotonic() - start)
                futures.append(producers.submit(report, n))
            for future in futures:
                future.result()
    finally:
        container.close()
    return committed


def wait_for(receiver: Receiver, keys: set[str], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with receiver.lock:
            if keys <= receiver.keys.keys():
                return
        time.sleep(0.1)


def latencies(receiver: Receiver, committed: dict[str, float]) -> dict[str, Any]:
    with receiver.lock:
        arrived = dict(receiver.arrived_at)
    ms = sorted((arrived[k] - t) * 1000 for k, t in committed.items() if k in arrived)
    if not ms:
        return {"delivered": 0}
    return {
        "delivered": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
        "max_ms": round(ms[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--recipients", type=int, default=100)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="sharewell-alerts-bench-"))
    key = work / "audit-key.pem"
    write_private_key(TreeHeadSigner.generate(), key)
    url, scratch = database(work)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT / "src"),
        "SHAREWELL_DATABASE_URL": url,
        "SHAREWELL_DEMO_MODE": "true",
        "SHAREWELL_AUDIT_SIGNING_KEY_FILE": str(key),
        "SHAREWELL_ALERTS_WEBHOOK_TIMEOUT_SECONDS": "2",
        "SHAREWELL_ALERTS_BACKOFF_SECONDS": "0.2",
        "SHAREWELL_LOG_LEVEL": "WARNING",
    }
    settings = Settings(database_url=url, demo_mode=True, audit_signing_key_file=key)
    receiver = Receiver(SECRET.encode()).start()
    dispatcher: subprocess.Popen[bytes] | None = None
    result: dict[str, Any] = {
        "benchmark": "alerts",
        "database": "postgresql" if scratch else "sqlite",
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "recipients": args.recipients,
        # The machine is shared: the 1-minute load average on its 2 cores, before and after.
        "load_average_before": round(os.getloadavg()[0], 2),
    }
    try:
        children = seed(settings, args.recipients, receiver.url)

        # (a) steady load
        dispatcher = start_dispatcher(env, work)
        # Warm up (imports, sequencer, connections): a few events, delivered before timing.
        warm = load(settings, children, 5, 1)
        wait_for(receiver, set(warm), 60)
        steady = load(settings, children, args.rate, args.seconds)
        wait_for(receiver, set(steady), 30)
        result["steady"] = {"alerts": len(steady), **latencies(receiver, steady)}

        # (b) the same load with SIGKILLs at random moments, then a drain
        kill_at = sorted(rng.uniform(0.5, args.seconds - 0.5) for _ in range(args.kills))
        kills = 0
        holder: dict[str, subprocess.Popen[bytes]] = {"p": dispatcher}

        def tick(elapsed: float) -> None:
            nonlocal kills
            while kills < len(kill_at) and elapsed >= kill_at[kills]:
                holder["p"].send_signal(signal.SIGKILL)
                holder["p"].wait()
                holder["p"] = start_dispatcher(env, work)
                kills += 1

        crash = load(settings, children, args.rate, args.seconds, on_tick=tick)
        dispatcher = holder["p"]
        wait_for(receiver, set(crash), 60)
        with receiver.lock:
            counts = {k: receiver.keys.get(k, 0) for k in crash}
            unique = len(receiver.received)
            alert_ids = {r["alert_id"] for r in receiver.received}
        lost = sum(1 for n in counts.values() if n == 0)
        engine = create_engine(url)
        with engine.connect() as conn:
            undelivered = conn.execute(
                select(AlertDeliveryRow.status).where(AlertDeliveryRow.status != "delivered")
            ).all()
        engine.dispose()
        result["crash"] = {
            "kills": kills,
            "alerts": len(crash),
            "lost": lost,
            "raw_redeliveries": sum(n - 1 for n in counts.values() if n > 1),
            # After the receiver keeps one delivery per idempotency key: alerts that still
            # arrived more than once (under another key).
            "delivered_twice_after_idempotency": unique - len(alert_ids),
            "deliveries_not_marked_delivered": len(undelivered),
            "signature_rejections": receiver.rejected,
            **latencies(receiver, crash),
        }
        steady_figures = result["steady"]
        result["targets_met"] = {
            "p50_le_100ms": steady_figures.get("p50_ms", 1e9) <= 100,
            "p99_le_1s": steady_figures.get("p99_ms", 1e9) <= 1000,
            "no_loss": lost == 0 and steady_figures.get("delivered") == len(steady),
            "none_twice": result["crash"]["delivered_twice_after_idempotency"] == 0,
        }
    finally:
        if dispatcher is not None and dispatcher.poll() is None:
            dispatcher.send_signal(signal.SIGTERM)
            try:
                dispatcher.wait(timeout=20)
            except subprocess.TimeoutExpired:
                dispatcher.kill()
        receiver.stop()
        drop(scratch)
    result["load_average_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
