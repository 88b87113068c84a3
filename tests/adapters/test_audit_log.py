"""The SQL audit log: group-committed appends, recovery, fail closed, append-only triggers."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from sharewell.adapters.crypto.signing import TreeHeadSigner
from sharewell.adapters.db.audit_log import SEQUENCER_LOCK_KEY, SqlAuditLog, SqlAuditReader
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.errors import StorageUnavailable
from sharewell.domain.merkle import (
    canonical_entry,
    inclusion_proof,
    leaf_hash,
    tree_root,
    verify_inclusion,
)
from sharewell.services.audit import verify_audit_log
from sharewell.verify import tree_head_is_signed
from tests.adapters.audit_helpers import (
    START,
    append_from_another_process,
    decision,
    new_log,
    refuse_next_write,
)


@pytest.fixture
def signer() -> TreeHeadSigner:
    return TreeHeadSigner.generate()


def verify(engine: Engine, signer: TreeHeadSigner) -> str:
    report = verify_audit_log(
        SqlAuditReader(engine), lambda h: tree_head_is_signed(h, signer.public_key)
    )
    assert report.intact, report.summary()
    return report.summary()


def test_appends_are_numbered_in_order_and_the_log_verifies(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    try:
        receipts = [log.append(decision(n)) for n in range(5)]
    finally:
        log.close()
    assert [r.index for r in receipts] == [0, 1, 2, 3, 4]
    reader = SqlAuditReader(engine)
    stored = list(reader.entries())
    for receipt, (index, body, leaf) in zip(receipts, stored, strict=True):
        assert index == receipt.index
        assert body == canonical_entry(index, decision(index))
        assert leaf.hex() == receipt.leaf_hash == leaf_hash(body).hex()
    head = reader.latest_head()
    assert head is not None and head.tree_size == 5
    assert head.root_hash == tree_root([leaf for _, _, leaf in stored])
    assert verify(engine, signer).startswith("Audit log intact: 5 entries")


def test_entries_hold_references_and_reason_codes_only(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    try:
        log.append(decision(1))
    finally:
        log.close()
    with engine.connect() as conn:
        body = conn.execute(text("SELECT body FROM audit_entries")).scalar_one()
    assert '"reasons":["NO_AGREEMENT"]' in body
    assert '"refs":{"holder":"POL","request":"r1"}' in body


def test_concurrent_callers_each_get_a_distinct_durable_index(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    indexes: list[int] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        for n in range(25):
            receipt = log.append(decision(worker * 100 + n))
            with lock:
                indexes.append(receipt.index)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        log.close()
    assert sorted(indexes) == list(range(200))
    assert log.batches_committed <= 200
    assert verify(engine, signer).startswith("Audit log intact: 200 entries")


def test_a_restarted_log_continues_the_same_tree(engine: Engine, signer: TreeHeadSigner) -> None:
    first = new_log(engine, signer)
    try:
        for n in range(7):
            first.append(decision(n))
    finally:
        first.close()
    second = new_log(engine, signer)
    try:
        assert second.append(decision(7)).index == 7
        head = second.checkpoint()
    finally:
        second.close()
    assert head.tree_size == 8
    assert verify(engine, signer).startswith("Audit log intact: 8 entries")


def test_entries_committed_before_a_crash_get_a_signed_head_on_restart(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    try:
        log.append(decision(0))
    finally:
        log.close()
    # As if the process died after committing entries 1 and 2 but before signing a head.
    with engine.begin() as conn:
        for n in (1, 2):
            body = canonical_entry(n, decision(n))
            conn.execute(
                text("INSERT INTO audit_entries VALUES (:i, :at, 'decision', :b, :l)"),
                {"i": n, "at": START, "b": body.decode(), "l": leaf_hash(body)},
            )
    restarted = new_log(engine, signer)
    try:
        restarted.start()
    finally:
        restarted.close()
    head = SqlAuditReader(engine).latest_head()
    assert head is not None and head.tree_size == 3
    verify(engine, signer)


def test_every_caller_in_a_failed_batch_is_refused_and_the_log_recovers(
    engine: Engine, signer: TreeHeadSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = new_log(engine, signer)
    try:
        log.append(decision(0))
        refuse_next_write(log, monkeypatch)
        with pytest.raises(StorageUnavailable, match="nothing may be disclosed"):
            log.append(decision(1))
        # The refused entry took no index: the next one is 1, and nothing was half-written.
        assert log.append(decision(2)).index == 1
    finally:
        log.close()
    assert [index for index, _, _ in SqlAuditReader(engine).entries()] == [0, 1]
    verify(engine, signer)


def test_entries_another_process_appended_are_taken_in_before_the_next_batch(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    try:
        log.append(decision(0))
        # Another process's sequencer appends entry 1 (written directly here, as it would be).
        body = canonical_entry(1, decision(99))
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO audit_entries VALUES (1, :at, 'decision', :b, :l)"),
                {"at": START, "b": body.decode(), "l": leaf_hash(body)},
            )
        assert log.append(decision(2)).index == 2
        head = log.checkpoint()
    finally:
        log.close()
    assert head.tree_size == 3
    verify(engine, signer)


def test_appends_keep_failing_while_the_stored_log_is_damaged(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    try:
        log.append(decision(0))
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO audit_entries VALUES (1, :at, 'decision', 'junk', :l)"),
                {"at": START, "l": b"\x00" * 32},
            )
        for n in (1, 2):
            with pytest.raises(StorageUnavailable):
                log.append(decision(n))
    finally:
        log.close()


def test_an_event_that_cannot_be_recorded_fails_alone(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    naive = AuditEvent(
        kind=AuditKind.SIGN_IN,
        at=START.replace(tzinfo=None),
        actor_id="p1",
        actor_org="POL",
    )
    log = new_log(engine, signer)
    try:
        with pytest.raises(StorageUnavailable, match="cannot be recorded"):
            log.append(naive)
        assert log.append(decision(0)).index == 0
    finally:
        log.close()


def test_closing_commits_and_then_refuses_appends(engine: Engine, signer: TreeHeadSigner) -> None:
    log = new_log(engine, signer)
    log.append(decision(0))
    log.close()
    log.close()
    with pytest.raises(StorageUnavailable, match="closed"):
        log.append(decision(1))
    assert not any(t.name == "sharewell-audit-sequencer" for t in threading.enumerate())


def test_a_log_that_was_never_used_closes_without_a_thread(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    log.close()
    assert SqlAuditReader(engine).latest_head() is None


def test_several_sequencers_append_to_one_log_without_gaps_or_repeats(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    """As several server processes do: each has its own sequencer and connection."""
    logs = [new_log(engine, signer, head_interval=0.01) for _ in range(3)]
    receipts: list[tuple[int, str]] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        log = logs[worker % len(logs)]
        for n in range(20):
            receipt = log.append(decision(worker * 100 + n))
            with lock:
                receipts.append((receipt.index, receipt.leaf_hash))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        head = logs[0].checkpoint()
    finally:
        for log in logs:
            log.close()
    assert sorted(index for index, _ in receipts) == list(range(120))
    stored = {index: leaf.hex() for index, _, leaf in SqlAuditReader(engine).entries()}
    assert all(stored[index] == leaf for index, leaf in receipts)
    assert head.tree_size == 120
    heads = SqlAuditReader(engine).heads()
    assert [h.timestamp_ms for h in heads] == sorted(h.timestamp_ms for h in heads)
    verify(engine, signer)


def test_processes_append_to_one_log_concurrently(
    engine: Engine, database_url: str, signer: TreeHeadSigner
) -> None:
    """Three OS processes (as three server workers) append at once; the log stays one tree."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        results = pool.starmap(
            append_from_another_process,
            [(database_url, signer.private_key_pem(), worker, 40) for worker in range(3)],
        )
    indexes = sorted(index for result in results for index in result)
    assert indexes == list(range(120))
    assert all(result == sorted(result) for result in results)
    head = SqlAuditReader(engine).latest_head()
    assert head is not None and head.tree_size == 120
    verify(engine, signer)


def test_a_batch_waits_for_another_sequencers_batch_and_fails_closed_after_the_wait(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer, lock_wait_seconds=0.2)
    try:
        log.append(decision(0))
        with engine.connect() as conn:
            # Another process holds the log's write lock (mid-batch) for longer than the wait.
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"SELECT pg_advisory_lock({SEQUENCER_LOCK_KEY})"))
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            with pytest.raises(StorageUnavailable, match="nothing may be disclosed"):
                log.append(decision(1))
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"SELECT pg_advisory_unlock({SEQUENCER_LOCK_KEY})"))
            else:
                conn.exec_driver_sql("ROLLBACK")
        assert log.append(decision(2)).index == 1
    finally:
        log.close()
    verify(engine, signer)


@pytest.mark.parametrize("table", ["audit_entries", "tree_heads"])
def test_database_refuses_to_update_or_delete_the_log(
    engine: Engine, signer: TreeHeadSigner, table: str
) -> None:
    log = new_log(engine, signer)
    try:
        log.append(decision(0))
    finally:
        log.close()
    statements = [
        f"UPDATE {table} SET key_id = 'x'"
        if table == "tree_heads"
        else f"UPDATE {table} SET body = 'x'",
        f"DELETE FROM {table}",
    ]
    if engine.dialect.name == "postgresql":
        statements.append(f"TRUNCATE {table}")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 1


def test_entries_with_escapes_and_accents_are_stored_byte_for_byte(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    odd = AuditEvent(
        kind=AuditKind.CONSENT_CHANGE,
        at=START,
        actor_id='o\'brien "the\\second"',
        actor_org="GP1",
        refs={"consent": "c1\tc2\nc3", "name": "Zoë Łukasz 🙂"},
    )
    log = new_log(engine, signer)
    try:
        receipt = log.append(odd)
    finally:
        log.close()
    index, body, leaf = next(iter(SqlAuditReader(engine).entries()))
    assert body == canonical_entry(index, odd)
    assert leaf.hex() == receipt.leaf_hash
    verify(engine, signer)


def test_a_lost_database_connection_fails_the_batch_then_the_log_reconnects(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("terminates the writer's PostgreSQL backend")
    log = new_log(engine, signer)
    try:
        log.append(decision(0))
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        with pytest.raises(StorageUnavailable, match="nothing may be disclosed"):
            log.append(decision(1))
        assert log.append(decision(2)).index == 1
    finally:
        log.close()
    verify(engine, signer)


def test_a_failed_start_is_retried_on_the_next_append(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    attempts: list[int] = []

    def flaky_signer() -> TreeHeadSigner:
        attempts.append(1)
        if len(attempts) == 1:
            raise StorageUnavailable("key store unreachable")
        return signer

    log = SqlAuditLog(engine, flaky_signer)
    try:
        with pytest.raises(StorageUnavailable, match="key store"):
            log.append(decision(0))
        assert log.append(decision(0)).index == 0
    finally:
        log.close()


def test_append_many_commits_its_entries_together_and_in_order(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    try:
        first = log.append(decision(0))
        batches = log.batches_committed
        receipts = log.append_many([decision(1), decision(2), decision(3)])
        # One commit for the three (nobody else was appending).
        assert log.batches_committed == batches + 1
        assert log.append_many([]) == []
    finally:
        log.close()
    assert first.index == 0
    assert [r.index for r in receipts] == [1, 2, 3]
    stored = list(SqlAuditReader(engine).entries())
    assert [body for _, body, _ in stored[1:]] == [
        canonical_entry(n, decision(n)) for n in (1, 2, 3)
    ]
    assert verify(engine, signer).startswith("Audit log intact: 4 entries")


def test_append_many_is_refused_whole_when_its_batch_fails(
    engine: Engine, signer: TreeHeadSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = new_log(engine, signer)
    try:
        log.append(decision(0))
        refuse_next_write(log, monkeypatch)
        with pytest.raises(StorageUnavailable, match="nothing may be disclosed"):
            log.append_many([decision(1), decision(2)])
        assert [r.index for r in log.append_many([decision(1), decision(2)])] == [1, 2]
    finally:
        log.close()
    verify(engine, signer)


def test_entries_about_a_person_are_exactly_those_naming_them_and_searches_use_them(
    engine: Engine,
) -> None:
    from sharewell.services.audit_search import AuditQuery, search_audit

    log = new_log(engine, TreeHeadSigner.generate())
    try:
        for n in range(40):
            log.append(decision(n))
        log.append(AuditEvent(AuditKind.SEARCH, START, "p1", "SCH1", outcome="0 results"))
    finally:
        log.close()
    reader = SqlAuditReader(engine)
    everything = list(reader.entries())
    about = list(reader.entries_about("s3"))
    expected = [e for e in everything if b'"subject_id":"s3"}' in e[1]]
    assert about == expected and len(about) == 4  # n = 3, 14, 25, 36
    assert list(reader.entries_about("nobody")) == []
    hits, more = search_audit(reader, AuditQuery(subject_id="s3"))
    assert [h.index for h in hits] == [e[0] for e in reversed(expected)] and not more


def test_proofs_from_the_stored_log_use_tile_roots_and_match_the_full_tree(
    engine: Engine, signer: TreeHeadSigner
) -> None:
    log = new_log(engine, signer)
    reader = SqlAuditReader(engine)
    try:
        log.append_many([decision(n) for n in range(600)])
        first = reader.tree(600)
        log.append_many([decision(n) for n in range(600, 800)])
        head = log.checkpoint()
    finally:
        log.close()
    leaves = [leaf for _, _, leaf in reader.entries()]
    assert first.root(0, 600) == tree_root(leaves[:600])
    tree = reader.tree(head.tree_size)
    assert tree.root(0, 800) == head.root_hash
    for index in (0, 255, 256, 599, 600, 767, 768, 799):
        proof = inclusion_proof(index, tree)
        assert proof == inclusion_proof(index, leaves)
        assert verify_inclusion(index, 800, leaves[index], proof, head.root_hash)
