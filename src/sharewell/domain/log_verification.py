"""Checking a whole audit log: every leaf from its content, the tree against every signed head.

The checks run in one pass, in index order, and stop at the first problem so that the report can
name the first entry that was altered, removed, inserted or reordered:

1. indexes run 0, 1, 2, ... without gaps or repeats (a deleted row leaves a gap);
2. each entry's leaf hash is SHA-256(0x00 || stored body) (an edited body no longer matches);
3. each entry's body names its own index (a moved, inserted or renumbered row does not);
4. the Merkle root over the leaves so far equals every signed tree head's root at its size (an
   attacker who recomputes hashes after editing cannot re-sign the heads); since every head is
   checked against the one sequence of leaves, consecutive heads are consistent by construction;
5. the log reaches the size of the newest signed head (a truncated log cannot).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sharewell.domain.merkle import (
    EMPTY_ROOT,
    INDEX_KEY,
    LEAF_PREFIX,
    NODE_PREFIX,
    CompactRange,
    TreeHead,
    entry_index,
)

StoredEntry = tuple[int, bytes, bytes]
"""(index as stored, body as stored, leaf hash as stored)."""


@dataclass(frozen=True, slots=True)
class LogProblem:
    """The first thing found wrong with the log, and the entry it concerns (if any)."""

    index: int | None
    message: str


@dataclass(frozen=True, slots=True)
class LogReport:
    """The outcome of verifying a log: intact, or the first problem."""

    entries: int
    heads: int
    latest_head: TreeHead | None
    problem: LogProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        """One line for people."""
        if self.problem is not None:
            return self.problem.message
        if self.latest_head is None:
            tail = "no signed tree head yet"
        else:
            unsigned = self.entries - self.latest_head.tree_size
            tail = f"latest signed tree head of size {self.latest_head.tree_size:,}"
            if unsigned:
                tail += f" ({unsigned:,} newer entries not yet signed)"
        return (
            f"Audit log intact: {self.entries:,} entries and {self.heads:,} signed tree heads "
            f"verified; {tail}."
        )


def _out_of_place(index: int, claimed: int | None, following: int | None) -> LogProblem:
    """Explain an entry whose body names a different index from the position it sits at."""
    if claimed is None:
        return LogProblem(index, f"Entry {index:,} was altered: it is not a well-formed entry")
    if claimed == index - 1:
        return LogProblem(
            index - 1,
            f"An entry was inserted at {index - 1:,} or {index:,}: both claim to be entry "
            f"{index - 1:,}",
        )
    if claimed > index and following in (None, claimed + 1):
        if claimed == index + 1:
            what = f"Entry {index:,} is missing"
        else:
            what = f"Entries {index:,} to {claimed - 1:,} are missing"
        return LogProblem(index, f"{what}: the entries after it were renumbered to hide the gap")
    return LogProblem(index, f"Entries are out of order at {index:,}: it holds entry {claimed:,}")


def verify_log(
    entries: Iterable[StoredEntry],
    heads: Sequence[TreeHead],
    head_is_signed: Callable[[TreeHead], bool],
) -> LogReport:
    """Verify a whole log (entries in stored index order, heads in size order)."""
    heads = sorted(heads, key=lambda h: h.tree_size)
    latest = heads[-1] if heads else None

    def report(count: int, problem: LogProblem | None) -> LogReport:
        return LogReport(count, len(heads), latest, problem)

    previous: TreeHead | None = None
    for head in heads:
        if not head_is_signed(head):
            return report(
                0,
                LogProblem(
                    None,
                    f"The signed tree head of size {head.tree_size:,} has an invalid signature: "
                    "it was forged or altered, or signed by another key",
                ),
            )
        if previous is not None and head.timestamp_ms < previous.timestamp_ms:
            return report(
                0,
                LogProblem(
                    None,
                    f"Signed tree heads are out of order: size {head.tree_size:,} was signed "
                    f"before size {previous.tree_size:,}",
                ),
            )
        previous = head

    next_head = 0
    while next_head < len(heads) and heads[next_head].tree_size == 0:
        if heads[next_head].root_hash != EMPTY_ROOT:
            return report(0, LogProblem(None, "The signed tree head of size 0 has a wrong root"))
        next_head += 1
    signed_up_to = 0
    expected = 0
    # The next head's size, or -1 when none is left: checked once per entry, so kept in a local.
    due = heads[next_head].tree_size if next_head < len(heads) else -1
    # The compact range, inlined: this loop runs once per entry and a million entries must
    # verify in seconds, so it avoids a method call per leaf (see CompactRange.append).
    hashes: list[bytes] = []
    sha256 = hashlib.sha256
    pop, push = hashes.pop, hashes.append
    rows: Iterator[StoredEntry] = iter(entries)
    for index, body, stored_leaf in rows:
        if index != expected:
            if index > expected:
                what = (
                    f"Entry {expected:,} is missing"
                    if index == expected + 1
                    else f"Entries {expected:,} to {index - 1:,} are missing"
                )
                return report(expected, LogProblem(expected, what))
            return report(expected, LogProblem(index, f"Entry {index:,} appears more than once"))
        leaf = sha256(LEAF_PREFIX + body).digest()
        if leaf != stored_leaf:
            return report(
                expected,
                LogProblem(
                    index,
                    f"Entry {index:,} was altered: its stored hash does not match its content",
                ),
            )
        # Fast form of `entry_index(body) == index`: the first "index": key is the entry's own.
        if not body.startswith(b"%d," % index, body.find(INDEX_KEY) + len(INDEX_KEY)):
            claimed = entry_index(body)
            if claimed != index:
                following = next(rows, None)
                return report(
                    expected,
                    _out_of_place(index, claimed, entry_index(following[1]) if following else None),
                )
        h = leaf
        size = expected
        while size & 1:
            h = sha256(NODE_PREFIX + pop() + h).digest()
            size >>= 1
        push(h)
        expected += 1
        while expected == due:
            head = heads[next_head]
            if CompactRange(expected, hashes).root() != head.root_hash:
                return report(
                    expected,
                    LogProblem(
                        signed_up_to,
                        f"The log was rewritten from entry {signed_up_to:,}: entries "
                        f"{signed_up_to:,} to {expected - 1:,} no longer match the signed tree "
                        f"head of size {expected:,}",
                    ),
                )
            signed_up_to = expected
            next_head += 1
            due = heads[next_head].tree_size if next_head < len(heads) else -1
    if next_head < len(heads):
        size = heads[-1].tree_size
        if expected == 0:
            message = f"The log is empty, but a signed tree head of size {size:,} exists"
        else:
            message = (
                f"The log was truncated after entry {expected - 1:,}: the signed tree head of "
                f"size {size:,} cannot be met"
            )
        return report(expected, LogProblem(expected, message))
    return report(expected, None)
