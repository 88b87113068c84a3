"""Each kind of tampering by someone with database admin rights is detected and located.

The attacker drops the append-only triggers first, as a database administrator could; the log
was built with signed tree heads at sizes 10, 20, 30 and 40.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from sharewell.adapters.crypto.signing import TreeHeadSigner
from sharewell.adapters.db.audit_log import SqlAuditReader
from sharewell.domain.audit import AuditEvent
from sharewell.domain.merkle import canonical_entry, leaf_hash
from sharewell.services.audit import verify_audit_log
from sharewell.verify import tree_head_is_signed
from tests.adapters.audit_helpers import START, decision, drop_triggers, new_log


@pytest.fixture
def signer() -> TreeHeadSigner:
    return TreeHeadSigner.generate()


@pytest.fixture
def log_of_40(engine: Engine, signer: TreeHeadSigner) -> Iterator[Engine]:
    log = new_log(engine, signer, head_interval=3600.0)
    try:
        for n in range(40):
            log.append(decision(n))
            if (n + 1) % 10 == 0:
                log.checkpoint()
    finally:
        log.close()
    assert [h.tree_size for h in SqlAuditReader(engine).heads()] == [1, 10, 20, 30, 40]
    drop_triggers(engine)
    yield engine


def problem(engine: Engine, signer: TreeHeadSigner) -> tuple[int | None, str]:
    report = verify_audit_log(
        SqlAuditReader(engine), lambda h: tree_head_is_signed(h, signer.public_key)
    )
    assert report.problem is not None, "tampering went unnoticed"
    return report.problem.index, report.problem.message


def execute(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def put(engine: Engine, index: int, event: AuditEvent, *, claim: int | None = None) -> None:
    """Insert a well-formed entry with a correct leaf hash (the attacker knows the format)."""
    body = canonical_entry(index if claim is None else claim, event)
    execute(
        engine,
        "INSERT INTO audit_entries (idx, at, kind, body, leaf_hash) VALUES (:i, :at, :k, :b, :l)",
        i=index,
        at=START,
        k=event.kind.value,
        b=body.decode(),
        l=leaf_hash(body),
    )


def renumber(engine: Engine, indexes: list[int], delta: int) -> None:
    # One row at a time, in an order that never collides with the primary key.
    for index in indexes:
        execute(
            engine, "UPDATE audit_entries SET idx = :n WHERE idx = :i", n=index + delta, i=index
        )


def test_an_untouched_log_verifies(log_of_40: Engine, signer: TreeHeadSigner) -> None:
    report = verify_audit_log(
        SqlAuditReader(log_of_40), lambda h: tree_head_is_signed(h, signer.public_key)
    )
    assert report.intact
    assert report.summary() == (
        "Audit log intact: 40 entries and 5 signed tree heads verified; "
        "latest signed tree head of size 40."
    )


def test_detects_an_edited_entry(log_of_40: Engine, signer: TreeHeadSigner) -> None:
    execute(
        log_of_40, "UPDATE audit_entries SET body = replace(body, 'deny', 'permit') WHERE idx = 17"
    )
    assert problem(log_of_40, signer) == (
        17,
        "Entry 17 was altered: its stored hash does not match its content",
    )


def test_detects_an_edit_whose_hash_was_recomputed(
    log_of_40: Engine, signer: TreeHeadSigner
) -> None:
    put(log_of_40, 99, decision(99))  # park a forged entry, then move it over entry 17
    execute(log_of_40, "DELETE FROM audit_entries WHERE idx = 17")
    body = canonical_entry(17, decision(99))
    execute(
        log_of_40,
        "UPDATE audit_entries SET idx = 17, body = :b, leaf_hash = :l WHERE idx = 99",
        b=body.decode(),
        l=leaf_hash(body),
    )
    assert problem(log_of_40, signer) == (
        10,
        "The log was rewritten from entry 10: entries 10 to 19 no longer match the signed tree "
        "head of size 20",
    )


def test_detects_a_deleted_entry(log_of_40: Engine, signer: TreeHeadSigner) -> None:
    execute(log_of_40, "DELETE FROM audit_entries WHERE idx = 23")
    assert problem(log_of_40, signer) == (23, "Entry 23 is missing")


def test_detects_a_deletion_hidden_by_renumbering(
    log_of_40: Engine, signer: TreeHeadSigner
) -> None:
    execute(log_of_40, "DELETE FROM audit_entries WHERE idx = 23")
    renumber(log_of_40, list(range(24, 40)), -1)
    assert problem(log_of_40, signer) == (
        23,
        "Entry 23 is missing: the entries after it were renumbered to hide the gap",
    )


def test_detects_an_inserted_entry(log_of_40: Engine, signer: TreeHeadSigner) -> None:
    renumber(log_of_40, list(range(39, 11, -1)), +1)
    put(log_of_40, 12, decision(500))
    assert problem(log_of_40, signer) == (
        12,
        "An entry was inserted at 12 or 13: both claim to be entry 12",
    )


def test_detects_reordered_entries(log_of_40: Engine, signer: TreeHeadSigner) -> None:
    renumber(log_of_40, [5], 1000)
    renumber(log_of_40, [6], -1)
    renumber(log_of_40, [1005], -999)
    assert problem(log_of_40, signer) == (5, "Entries are out of order at 5: it holds entry 6")


def test_detects_a_truncated_log(log_of_40: Engine, signer: TreeHeadSigner) -> None:
    execute(log_of_40, "DELETE FROM audit_entries WHERE idx > 30")
    assert problem(log_of_40, signer) == (
        31,
        "The log was truncated after entry 30: the signed tree head of size 40 cannot be met",
    )


def test_detects_a_log_truncated_and_re_appended(log_of_40: Engine, signer: TreeHeadSigner) -> None:
    execute(log_of_40, "DELETE FROM audit_entries WHERE idx >= 30")
    for n in range(30, 45):
        put(log_of_40, n, decision(1000 + n))
    assert problem(log_of_40, signer) == (
        30,
        "The log was rewritten from entry 30: entries 30 to 39 no longer match the signed tree "
        "head of size 40",
    )


def test_detects_a_forged_tree_head(log_of_40: Engine, signer: TreeHeadSigner) -> None:
    execute(log_of_40, "UPDATE tree_heads SET timestamp_ms = timestamp_ms + 1 WHERE tree_size = 20")
    assert problem(log_of_40, signer) == (
        None,
        "The signed tree head of size 20 has an invalid signature: it was forged or altered, "
        "or signed by another key",
    )


def test_the_sequencer_refuses_to_resume_a_truncated_log(
    log_of_40: Engine, signer: TreeHeadSigner
) -> None:
    execute(log_of_40, "DELETE FROM audit_entries WHERE idx > 30")
    log = new_log(log_of_40, signer)
    try:
        with pytest.raises(Exception, match="shorter than its signed tree head"):
            log.append(decision(1))
    finally:
        log.close()
