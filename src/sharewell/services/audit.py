"""Use cases of the audit log's read side: verify the whole log, prove one entry is in it."""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import closing
from typing import Any, Protocol

from sharewell.domain.errors import NotFound
from sharewell.domain.log_verification import LogReport, StoredEntry, verify_log
from sharewell.domain.merkle import (
    CONSISTENCY_FORMAT,
    PROOF_FORMAT,
    TiledTree,
    TreeHead,
    consistency_proof,
    inclusion_proof,
)


class AuditLogReader(Protocol):
    """What verification and proofs need to read from the stored log."""

    def heads(self) -> list[TreeHead]: ...

    def latest_head(self) -> TreeHead | None: ...

    def entries(self) -> Generator[StoredEntry, None, None]: ...

    def entries_about(self, subject_id: str) -> Generator[StoredEntry, None, None]:
        """Only the entries about one person (what `entries` would give, filtered)."""
        ...

    def tree(self, size: int) -> TiledTree:
        """The first `size` leaves, for proofs (tile roots cached, leaves read on demand)."""
        ...

    def entry(self, index: int) -> tuple[str, bytes] | None: ...


def verify_audit_log(
    reader: AuditLogReader, head_is_signed: Callable[[TreeHead], bool]
) -> LogReport:
    """Recompute every leaf and the tree, check every signed head; report the first problem."""
    heads = reader.heads()
    with closing(reader.entries()) as entries:
        return verify_log(entries, heads, head_is_signed)


def prove_inclusion(reader: AuditLogReader, index: int) -> dict[str, Any]:
    """An inclusion proof (JSON-ready) for entry `index` against the newest signed tree head."""
    found = reader.entry(index)
    if found is None:
        raise NotFound(f"Entry {index:,} is not in the audit log")
    head = reader.latest_head()
    if head is None or not 0 <= index < head.tree_size:
        size = head.tree_size if head else 0
        raise NotFound(
            f"Entry {index:,} is not under a signed tree head yet (the newest covers {size:,} "
            "entries); try again in a second"
        )
    body, leaf = found
    leaves = reader.tree(head.tree_size)
    return {
        "format": PROOF_FORMAT,
        "index": index,
        "leaf_hash": leaf.hex(),
        "entry": body,
        "audit_path": [node.hex() for node in inclusion_proof(index, leaves)],
        "tree_head": head.to_json(),
    }


def prove_consistency(
    reader: AuditLogReader, old_size: int, new_size: int | None = None
) -> dict[str, Any]:
    """A consistency proof (JSON-ready) that the signed head of `new_size` (default: the newest)
    only appended to the signed head of `old_size` (RFC 9162 section 2.1.4)."""
    heads = {head.tree_size: head for head in reader.heads()}
    if not heads:
        raise NotFound("The audit log has no signed tree head yet")
    new = heads[max(heads)] if new_size is None else heads.get(new_size)
    old = heads.get(old_size)
    if old is None or new is None:
        missing = old_size if old is None else new_size
        raise NotFound(f"There is no signed tree head of size {missing:,}")
    if old.tree_size > new.tree_size:
        raise NotFound("The older tree head must not be larger than the newer one")
    leaves = reader.tree(new.tree_size)
    return {
        "format": CONSISTENCY_FORMAT,
        "old_head": old.to_json(),
        "new_head": new.to_json(),
        "consistency_path": [node.hex() for node in consistency_proof(old.tree_size, leaves)],
    }
