"""Audit log on PostgreSQL: durable append rate, verification speed, and crash safety.

    PYTHONPATH=src python benchmarks/audit.py [--seconds 10] [--entries 1000000] [--crashes 20]

(a) 32 threads append through the real sequencer for --seconds; reports appends/s, p50/p99
    latency, how many tree heads were signed and the largest gap between them (target <= 1 s).
(b) --entries entries with correct hashes (and a signed head every 10,000) are bulk-loaded, then
    the full `audit verify` check is timed, reading everything back from PostgreSQL; then
    inclusion proofs against the newest head (the first, which computes the tile roots, and 50
    more at random indexes, each verified).
(c) A child process appends under load and is killed with SIGKILL at a random moment, --crashes
    times; after each kill every entry the child had acknowledged must be in the log, and the log
    must verify.
(d) Two child processes (as two server workers, ADR 0014) append at once for --seconds and are
    then killed: appends/s across both, every acknowledged entry stored, no gaps, the log verifies.

Each part uses a scratch database that is created here and dropped at the end. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import itertools
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from sharewell.adapters.crypto.signing import TreeHeadSigner, load_signer, write_private_key
from sharewell.adapters.db.audit_log import SqlAuditLog, SqlAuditReader
from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.db.migrate import upgrade
from sharewell.config import Settings
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.merkle import CompactRange, TreeHead, canonical_entry, leaf_hash
from sharewell.services.audit import verify_audit_log
from sharewell.verify import tree_head_is_signed

ADMIN_URL = os.environ.get(
    "SHAREWELL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
WRITERS = 32


def event(n: int) -> AuditEvent:
    """A realistic decision entry: ids, a purpose, reason codes, the agreement relied on."""
    return AuditEvent(
        kind=AuditKind.DECISION,
        at=START + timedelta(milliseconds=n),
        actor_id=f"prac-{n % 4000:05d}",
        actor_org=("POL", "SCH1", "GP1", "LAC")[n % 4],
        purpose="safeguarding_children",
        subject_id=f"person-{n % 250_000:07d}",
        outcome="permit" if n % 3 else "deny",
        reasons=("AGREEMENT",) if n % 3 else ("NO_LEGITIMATE_RELATIONSHIP", "CONSENT_REFUSED"),
        agreement="anyshire-charter@3",
        refs={"request": f"req-{n}", "holder": "POL", "category": "criminal_offence"},
    )


def create_database() -> str:
    name = f"sharewell_bench_audit_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def verify_seconds(engine: Engine, signer: TreeHeadSigner) -> tuple[float, bool, str]:
    began = time.perf_counter()
    report = verify_audit_log(
        SqlAuditReader(engine), lambda h: tree_head_is_signed(h, signer.public_key)
    )
    return time.perf_counter() - began, report.intact, report.summary()


# -- (a) durable appends with 32 concurrent writers -------------------------------------------


def commit_latency_ms(engine: Engine, rounds: int = 200) -> float:
    """Baseline measured in the same run: one durable single-row commit, nothing else.

    32 callers that each wait for durability cannot exceed 32 / this latency appends/s.
    """
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE bench_commit (n bigint, body text)")
            began = time.perf_counter()
            for n in range(rounds):
                cur.execute("INSERT INTO bench_commit VALUES (%s, %s)", (n, "x" * 300))
            elapsed = time.perf_counter() - began
            cur.execute("DROP TABLE bench_commit")
        return elapsed / rounds * 1000
    finally:
        raw.invalidate()


def bench_appends(seconds: float) -> dict[str, Any]:
    url = create_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        baseline_ms = commit_latency_ms(engine)
        signer = TreeHeadSigner.generate()
        log = SqlAuditLog(engine, lambda: signer)
        log.start()
        latencies: list[list[float]] = [[] for _ in range(WRITERS)]
        stop = threading.Event()
        errors: list[str] = []

        def writer(w: int) -> None:
            mine = latencies[w]
            n = w
            clock = time.perf_counter
            try:
                while not stop.is_set():
                    began = clock()
                    log.append(event(n))
                    mine.append(clock() - began)
                    n += WRITERS
            except Exception as exc:
                errors.append(repr(exc))

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        heads_before = log.heads_signed
        batches_before = log.batches_committed
        began_ms = time.time_ns() // 1_000_000
        began = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        ended_ms = time.time_ns() // 1_000_000
        heads_signed = log.heads_signed - heads_before
        batches = log.batches_committed - batches_before
        log.close()
        all_latencies = [x for per in latencies for x in per]
        with engine.connect() as conn:
            stamps = [
                int(s)
                for s in conn.execute(
                    text(
                        "SELECT timestamp_ms FROM tree_heads WHERE timestamp_ms BETWEEN :a AND :b "
                        "ORDER BY tree_size"
                    ),
                    {"a": began_ms, "b": ended_ms},
                ).scalars()
            ]
        # Gaps under load: from the start of the load to the first head, between heads, and
        # from the last head to the end of the load.
        points = [began_ms, *stamps, ended_ms]
        max_gap = max(b - a for a, b in itertools.pairwise(points)) / 1000
        seconds_to_verify, intact, _ = verify_seconds(engine, signer)
        rate = len(all_latencies) / elapsed
        return {
            "writers": WRITERS,
            "baseline_commit_ms": round(baseline_ms, 2),
            "ceiling_appends_per_s": round(WRITERS / baseline_ms * 1000),
            "seconds": round(elapsed, 2),
            "appends": len(all_latencies),
            "appends_per_s": round(rate),
            "p50_ms": round(statistics.median(all_latencies) * 1000, 2),
            "p99_ms": round(percentile(all_latencies, 0.99) * 1000, 2),
            "batches": batches,
            "mean_batch": round(len(all_latencies) / max(1, batches), 1),
            "tree_heads_signed": heads_signed,
            "max_head_gap_s": round(max_gap, 3),
            "errors": len(errors),
            "log_verifies": intact,
            "verify_s": round(seconds_to_verify, 2),
            "pass_rate": rate >= 5000,
            "pass_heads": max_gap <= 1.0 and heads_signed > 0,
        }
    finally:
        engine.dispose()
        drop_database(url)


# -- (b) verify a million entries --------------------------------------------------------------


def bulk_load(engine: Engine, signer: TreeHeadSigner, entries: int) -> None:
    """Entries with correct canonical bodies and leaf hashes, a signed head every 10,000."""
    compact = CompactRange()
    chunk = 50_000
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        for start in range(0, entries, chunk):
            heads: list[tuple[Any, ...]] = []
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY audit_entries (idx, at, kind, body, leaf_hash) FROM STDIN"
                ) as copy:
                    for n in range(start, min(entries, start + chunk)):
                        e = event(n)
                        body = canonical_entry(n, e)
                        leaf = leaf_hash(body)
                        compact.append(leaf)
                        copy.write_row((n, e.at, e.kind.value, body.decode(), leaf))
                        if compact.size % 10_000 == 0 or compact.size == entries:
                            head = signer.sign(
                                TreeHead(compact.size, compact.root(), time.time_ns() // 1_000_000)
                            )
                            heads.append(
                                (
                                    head.tree_size,
                                    head.root_hash,
                                    head.timestamp_ms,
                                    head.signature,
                                    head.key_id,
                                    compact.to_bytes(),
                                )
                            )
                cur.executemany(
                    "INSERT INTO tree_heads (tree_size, root_hash, timestamp_ms, signature, "
                    "key_id, compact_range) VALUES (%s, %s, %s, %s, %s, %s)",
                    heads,
                )
            conn.commit()
        with conn.cursor() as cur:
            cur.execute("ANALYZE audit_entries")
        conn.commit()
    finally:
        raw.close()


def bench_verify(entries: int) -> dict[str, Any]:
    url = create_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        signer = TreeHeadSigner.generate()
        began = time.perf_counter()
        bulk_load(engine, signer, entries)
        load_s = time.perf_counter() - began
        seconds, intact, summary = verify_seconds(engine, signer)
        # A second run, to show the figure is not a one-off of a cold cache.
        seconds_again, _, _ = verify_seconds(engine, signer)
        proofs = bench_proofs(engine, signer)
        return {
            "entries": entries,
            "bulk_load_s": round(load_s, 1),
            "verify_s": round(seconds, 2),
            "verify_again_s": round(seconds_again, 2),
            "entries_per_s": round(entries / seconds),
            "intact": intact,
            "summary": summary,
            "pass": intact and seconds <= 10.0,
            "proofs": proofs,
        }
    finally:
        engine.dispose()
        drop_database(url)


def bench_proofs(engine: Engine, signer: TreeHeadSigner, count: int = 50) -> dict[str, Any]:
    """Inclusion proofs against the newest head, as the citizen portal asks for them: the first
    (the process computes its tile roots once) and then `count` more at random indexes; each is
    checked with `sharewell.verify`."""
    from sharewell.services.audit import prove_inclusion
    from sharewell.verify import verify_proof

    reader = SqlAuditReader(engine)
    head = reader.latest_head()
    assert head is not None
    rng = random.Random(7)
    began = time.perf_counter()
    verify_proof(prove_inclusion(reader, rng.randrange(head.tree_size)), signer.public_key_pem())
    first_s = time.perf_counter() - began
    timings = []
    for _ in range(count):
        began = time.perf_counter()
        document = prove_inclusion(reader, rng.randrange(head.tree_size))
        timings.append(time.perf_counter() - began)
        verify_proof(document, signer.public_key_pem())
    return {
        "tree_size": head.tree_size,
        "first_proof_s": round(first_s, 2),
        "proofs": count,
        "p50_ms": round(percentile(timings, 0.5) * 1000, 1),
        "p99_ms": round(percentile(timings, 0.99) * 1000, 1),
    }


# -- (c) SIGKILL the writer mid-load -----------------------------------------------------------


def child(url: str, ack_path: str, key_path: str, writers: int) -> None:
    """Append forever from `writers` threads; record each acknowledged (index, leaf hash)."""
    settings = Settings(database_url=url, audit_signing_key_file=Path(key_path))
    engine = make_engine(url)
    log = SqlAuditLog(engine, lambda: load_signer(settings))
    log.start()
    fd = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    base = random.randrange(1 << 30)

    def writer(w: int) -> None:
        n = base + w
        while True:
            receipt = log.append(event(n))
            # One small O_APPEND write per acknowledgement: whole lines, written only after
            # append() returned, i.e. after the entry's batch committed.
            os.write(fd, f"{receipt.index} {receipt.leaf_hash}\n".encode())
            n += writers

    threads = [threading.Thread(target=writer, args=(w,), daemon=True) for w in range(writers)]
    for t in threads:
        t.start()
    os.write(fd, b"")
    while True:
        time.sleep(3600)


CHILD_WRITERS = 8  # appending threads in each child process


def start_child(url: str, ack_path: Path, key_path: Path) -> subprocess.Popen[bytes]:
    """This script as a child process appending for ever (see `child`)."""
    return subprocess.Popen(
        [sys.executable, __file__, "--child", url, str(ack_path), str(key_path)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def read_acks(path: Path) -> dict[int, str]:
    acks: dict[int, str] = {}
    for line in path.read_text().split("\n"):
        parts = line.split()
        if len(parts) == 2 and len(parts[1]) == 64:
            acks[int(parts[0])] = parts[1]
    return acks


def bench_crashes(crashes: int, seed: int) -> dict[str, Any]:
    url = create_database()
    engine = make_engine(url)
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="sharewell-audit-crash-"))
    key_path = work / "key.pem"
    signer = TreeHeadSigner.generate()
    write_private_key(signer, key_path)
    rounds: list[dict[str, Any]] = []
    try:
        upgrade(engine)
        for round_no in range(crashes):
            ack_path = work / f"acks-{round_no}.txt"
            ack_path.touch()
            process = start_child(url, ack_path, key_path)
            # Wait until the child is appending, then let it run a random while.
            deadline = time.monotonic() + 60
            while ack_path.stat().st_size == 0 and time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"crash child exited early with {process.returncode}")
                time.sleep(0.01)
            time.sleep(rng.uniform(0.05, 1.5))
            process.send_signal(signal.SIGKILL)
            process.wait()
            acks = read_acks(ack_path)
            with engine.connect() as conn:
                stored = {
                    int(i): bytes(h).hex()
                    for i, h in conn.execute(
                        text("SELECT idx, leaf_hash FROM audit_entries WHERE idx = ANY(:ids)"),
                        {"ids": list(acks)},
                    )
                }
                total = conn.execute(text("SELECT count(*) FROM audit_entries")).scalar_one()
            lost = [i for i, h in acks.items() if stored.get(i) != h]
            _, intact, summary = verify_seconds(engine, signer)
            rounds.append(
                {
                    "acknowledged": len(acks),
                    "lost": len(lost),
                    "log_entries": int(total),
                    "verifies": intact,
                    **({} if intact else {"problem": summary}),
                }
            )
        # A last start after the final kill: recovery signs the unsigned tail, log still verifies.
        log = SqlAuditLog(engine, lambda: signer)
        log.start()
        log.close()
        _, final_intact, final_summary = verify_seconds(engine, signer)
    finally:
        engine.dispose()
        drop_database(url)
    return {
        "kills": len(rounds),
        "acknowledged_total": sum(r["acknowledged"] for r in rounds),
        "lost_total": sum(r["lost"] for r in rounds),
        "all_verified": all(r["verifies"] for r in rounds) and final_intact,
        "final_log": final_summary,
        "entries_after_kills": rounds[-1]["log_entries"] if rounds else 0,
        "failures": [r for r in rounds if r["lost"] or not r["verifies"]],
        "pass": bool(rounds)
        and all(r["verifies"] and not r["lost"] and r["acknowledged"] > 0 for r in rounds)
        and final_intact,
    }


# -- (d) several processes appending at once (ADR 0014) ---------------------------------------


def bench_processes(seconds: float, processes: int = 2) -> dict[str, Any]:
    """`processes` child processes (as server workers) append at once for `seconds`, then are
    killed; every acknowledged entry must be stored with its leaf hash, indexes must run without
    gaps, and the log must verify."""
    url = create_database()
    engine = make_engine(url)
    work = Path(tempfile.mkdtemp(prefix="sharewell-audit-processes-"))
    key_path = work / "key.pem"
    signer = TreeHeadSigner.generate()
    write_private_key(signer, key_path)
    children: list[subprocess.Popen[bytes]] = []
    try:
        upgrade(engine)
        acks_paths = [work / f"acks-{n}.txt" for n in range(processes)]
        for path in acks_paths:
            path.touch()
            children.append(start_child(url, path, key_path))
        deadline = time.monotonic() + 60
        while any(p.stat().st_size == 0 for p in acks_paths) and time.monotonic() < deadline:
            time.sleep(0.01)
        before = sum(len(read_acks(p)) for p in acks_paths)
        time.sleep(seconds)
        during = sum(len(read_acks(p)) for p in acks_paths) - before
        for child_process in children:
            child_process.send_signal(signal.SIGKILL)
            child_process.wait()
        per_process = [read_acks(p) for p in acks_paths]
        acks = {i: h for mine in per_process for i, h in mine.items()}
        with engine.connect() as conn:
            stored = {
                int(i): bytes(h).hex()
                for i, h in conn.execute(text("SELECT idx, leaf_hash FROM audit_entries"))
            }
        lost = [i for i, h in acks.items() if stored.get(i) != h]
        # A last start after the kills: recovery signs the unsigned tail.
        log = SqlAuditLog(engine, lambda: signer)
        log.start()
        log.close()
        _, intact, summary = verify_seconds(engine, signer)
        return {
            "processes": processes,
            "writers_per_process": CHILD_WRITERS,
            "seconds": seconds,
            "appends_per_s": round(during / seconds),
            "acknowledged_by_process": [len(mine) for mine in per_process],
            "indexes_without_gaps": sorted(stored) == list(range(len(stored))),
            "lost": len(lost),
            "log_verifies": intact,
            **({} if intact else {"problem": summary}),
            "pass": intact and not lost and all(per_process),
        }
    finally:
        for child_process in children:
            if child_process.poll() is None:
                child_process.kill()
                child_process.wait()
        engine.dispose()
        drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--crashes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--only", choices=["appends", "verify", "crash", "processes"], default=None)
    parser.add_argument("--child", nargs=3, metavar=("URL", "ACKS", "KEY"), default=None)
    args = parser.parse_args()
    if args.child:
        child(*args.child, writers=CHILD_WRITERS)
        return
    result: dict[str, Any] = {
        "benchmark": "audit",
        "database": "postgresql",
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if args.only in (None, "appends"):
        result["appends"] = bench_appends(args.seconds)
    if args.only in (None, "verify"):
        result["verify"] = bench_verify(args.entries)
    if args.only in (None, "crash"):
        result["crash"] = bench_crashes(args.crashes, args.seed)
    if args.only in (None, "processes"):
        result["processes"] = bench_processes(args.seconds)
    result["pass"] = {
        "appends_per_s_ge_5000": result.get("appends", {}).get("pass_rate"),
        "heads_every_second": result.get("appends", {}).get("pass_heads"),
        "verify_1m_le_10s": result.get("verify", {}).get("pass"),
        "crash_no_loss_and_verifies": result.get("crash", {}).get("pass"),
        "processes_no_loss_and_verifies": result.get("processes", {}).get("pass"),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
