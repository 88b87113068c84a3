"""Merkle tree hashing, inclusion and consistency proofs exactly as RFC 9162 section 2.1 defines.

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as SHA-256(0x01 || left || right),
so a leaf can never be passed off as a node (second-preimage resistance). The tree over n leaves is
the RFC's MTH: split at the largest power of two smaller than n. `CompactRange` keeps only the roots
of the perfect subtrees the binary form of n describes, so appending is O(log n) and folding them
right to left gives the same root as the recursive definition.

Also here: the canonical serialisation of an audit entry, which is what the leaves hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _escape

from sharewell.domain.audit import AuditEvent

_sha256 = hashlib.sha256
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one leaf."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node."""
    return _sha256(NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (n >= 2), the RFC's split point."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The roots of the perfect subtrees covering leaves [0, size): enough to append and get roots.

    `hashes[i]` is the root of a perfect subtree; their sizes are the set bits of `size`, largest
    first. This is what the sequencer keeps in memory and stores with each signed tree head.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError("a compact range needs one hash per set bit of its size")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash (already leaf-hashed)."""
        hashes = self.hashes
        h = leaf
        s = self.size
        # Each trailing 1 bit of the old size is a subtree of equal size to merge with.
        while s & 1:
            h = _sha256(NODE_PREFIX + hashes.pop() + h).digest()
            s >>= 1
        hashes.append(h)
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add many leaf hashes."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH of the leaves so far (SHA-256 of nothing for an empty tree)."""
        if not self.hashes:
            return EMPTY_ROOT
        hashes = self.hashes
        h = hashes[-1]
        for left in reversed(hashes[:-1]):
            h = node_hash(left, h)
        return h

    def copy(self) -> CompactRange:
        """An independent copy (the sequencer rolls back to it if a batch fails)."""
        return CompactRange(self.size, self.hashes)

    def to_bytes(self) -> bytes:
        """The subtree roots concatenated, for storage next to a tree head."""
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> CompactRange:
        """Rebuild from `to_bytes` output; ValueError if the length does not fit `size`."""
        count = size.bit_count()
        if len(data) != 32 * count:
            raise ValueError("stored compact range has the wrong length for its tree size")
        return cls(size, [data[i * 32 : (i + 1) * 32] for i in range(count)])


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes."""
    compact = CompactRange()
    compact.extend(leaves)
    return compact.root()


TILE = 256  # leaves per tile: the subtree roots a `TiledTree` keeps (level 8 of the tree)


class TiledTree:
    """The first `size` leaves of a log, seen through the roots of its complete tiles.

    `tiles[t]` is the root of the perfect subtree over leaves [t*TILE, (t+1)*TILE); `leaves(lo,
    hi)` fetches leaf hashes on demand (at most one tile's worth at a time). Any subtree root an
    RFC 9162 proof needs then costs at most size/TILE node hashes instead of `size`, so proofs
    stay quick however long the log grows.
    """

    def __init__(
        self,
        size: int,
        tiles: Sequence[bytes],
        leaves: Callable[[int, int], Sequence[bytes]],
    ) -> None:
        if len(tiles) < size // TILE:
            raise ValueError("a tiled tree needs the root of every complete tile")
        self.size = size
        self._tiles = tiles
        self._leaves = leaves
        self._fetched: dict[tuple[int, int], Sequence[bytes]] = {}

    def root(self, lo: int, hi: int) -> bytes:
        """MTH of leaves [lo, hi) where lo is aligned as RFC 9162's recursion leaves it."""
        n = hi - lo
        if n >= TILE and n & (n - 1) == 0 and lo % TILE == 0:
            return tree_root(self._tiles[lo // TILE : hi // TILE])
        if n <= TILE and lo // TILE == (hi - 1) // TILE:
            return tree_root(self._leaf_hashes(lo, hi))
        k = _largest_power_of_two_below(n)
        return node_hash(self.root(lo, lo + k), self.root(lo + k, hi))

    def _leaf_hashes(self, lo: int, hi: int) -> Sequence[bytes]:
        # One fetch per tile touched, whatever the proof asks of it.
        tile = lo // TILE
        start, end = tile * TILE, min((tile + 1) * TILE, self.size)
        if (start, end) not in self._fetched:
            fetched = self._leaves(start, end)
            if len(fetched) != end - start:
                raise ValueError(f"leaves {start:,} to {end - 1:,} are not all stored")
            self._fetched[(start, end)] = fetched
        return self._fetched[(start, end)][lo - start : hi - start]


def _roots_of(leaves: Sequence[bytes] | TiledTree) -> tuple[int, Callable[[int, int], bytes]]:
    if isinstance(leaves, TiledTree):
        return leaves.size, leaves.root
    return len(leaves), lambda lo, hi: tree_root(leaves[lo:hi])


def inclusion_proof(index: int, leaves: Sequence[bytes] | TiledTree) -> list[bytes]:
    """The audit path PATH(index, D[n]) of RFC 9162 section 2.1.3.1 over leaf hashes (a list, or
    a `TiledTree` for a long log)."""
    n, root = _roots_of(leaves)
    if not 0 <= index < n:
        raise ValueError(f"index {index} is outside a tree of size {n}")
    return _path(index, root, 0, n)


def _path(m: int, root: Callable[[int, int], bytes], lo: int, hi: int) -> list[bytes]:
    n = hi - lo
    if n == 1:
        return []
    k = _largest_power_of_two_below(n)
    if m < k:
        return [*_path(m, root, lo, lo + k), root(lo + k, hi)]
    return [*_path(m - k, root, lo + k, hi), root(lo, lo + k)]


def consistency_proof(old_size: int, leaves: Sequence[bytes] | TiledTree) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1; empty when m is 0 or n."""
    n, root = _roots_of(leaves)
    if not 0 <= old_size <= n:
        raise ValueError(f"old size {old_size} is outside 0..{n}")
    if old_size in (0, n):
        return []
    return _subproof(old_size, root, 0, n, True)


def _subproof(
    m: int, root: Callable[[int, int], bytes], lo: int, hi: int, whole: bool
) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [root(lo, hi)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, root, lo, lo + k, whole), root(lo + k, hi)]
    return [*_subproof(m - k, root, lo + k, hi, False), root(lo, lo + k)]


def verify_inclusion(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: does `leaf` (a leaf hash) sit at `index` of the tree `root`?"""
    if not 0 <= index < tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree `new_root` an append-only extension of `old_root`?"""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        # Every tree extends the empty tree; the RFC leaves this case to the caller.
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


def _instant(event: AuditEvent) -> str:
    at = event.at
    if at.tzinfo is None:
        raise ValueError("audit events need a timezone-aware time")
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    # isoformat is quicker than strftime; with timespec fixed the shape never varies.
    return at.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_entry(index: int, event: AuditEvent) -> bytes:
    """The exact bytes a log entry hashes: deterministic JSON (sorted keys, no spaces, ASCII).

    The entry's own index is inside, so a row moved to another position no longer matches where it
    sits. Keys `actor_id`, `actor_org`, `agreement` and `at` always precede `index` and hold only
    strings or null, so `entry_index` can find the index without parsing the whole entry.
    """
    document = {
        "actor_id": event.actor_id,
        "actor_org": event.actor_org,
        "agreement": event.agreement,
        "at": _instant(event),
        "index": index,
        "kind": event.kind.value,
        "outcome": event.outcome,
        "purpose": event.purpose,
        "reasons": list(event.reasons),
        "refs": dict(event.refs),
        "subject_id": event.subject_id,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


INDEX_KEY = b'"index":'
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_parts(event: AuditEvent) -> tuple[bytes, bytes]:
    """`canonical_entry` split around the index: entry = head + str(index) + tail.

    Lets callers serialise their event before the sequencer knows its index, so the one writer
    thread only joins bytes and hashes. Built from the json module's own string escaping, which is
    several times faster than encoding dictionaries; anything unusual (a non-string value) takes
    the plain json route. Tests hold the two to byte-for-byte equality.
    """
    try:
        return _fast_parts(event)
    except (TypeError, AttributeError):
        dump = _ENCODER.encode
        head = {
            "actor_id": event.actor_id,
            "actor_org": event.actor_org,
            "agreement": event.agreement,
            "at": _instant(event),
        }
        tail = {
            "kind": event.kind.value,
            "outcome": event.outcome,
            "purpose": event.purpose,
            "reasons": list(event.reasons),
            "refs": dict(event.refs),
            "subject_id": event.subject_id,
        }
        return (dump(head)[:-1] + ',"index":').encode(), ("," + dump(tail)[1:]).encode()


def _json_string(value: str | None) -> str:
    if value is None:
        return "null"
    if type(value) is not str:
        raise TypeError("not a string")
    return _escape(value)


def _fast_parts(event: AuditEvent) -> tuple[bytes, bytes]:
    s = _json_string
    refs = event.refs
    ref_text = ",".join([f"{s(key)}:{s(refs[key])}" for key in sorted(refs)])
    reasons = ",".join([s(reason) for reason in event.reasons])
    head = (
        f'{{"actor_id":{s(event.actor_id)},"actor_org":{s(event.actor_org)},'
        f'"agreement":{s(event.agreement)},"at":"{_instant(event)}","index":'
    )
    tail = (
        f',"kind":{s(event.kind.value)},"outcome":{s(event.outcome)},'
        f'"purpose":{s(event.purpose)},"reasons":[{reasons}],"refs":{{{ref_text}}},'
        f'"subject_id":{s(event.subject_id)}}}'
    )
    return head.encode(), tail.encode()


def entry_index(body: bytes) -> int | None:
    """The index an entry claims for itself (None if the entry is not in canonical form)."""
    start = body.find(INDEX_KEY)
    if start < 0:
        return None
    start += len(INDEX_KEY)
    end = body.find(b",", start)
    try:
        return int(body[start:end])
    except ValueError:
        return None


TREE_HEAD_LABEL = "sharewell-audit-tree-head/v1"
PROOF_FORMAT = "sharewell-inclusion-proof/v1"
CONSISTENCY_FORMAT = "sharewell-consistency-proof/v1"


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A tree size and root at a moment, signed so that nobody can later claim a different log."""

    tree_size: int
    root_hash: bytes
    timestamp_ms: int
    signature: bytes = b""
    key_id: str = ""

    def message(self) -> bytes:
        """The exact bytes that are signed: four lines, easy to rebuild in any language."""
        return (
            f"{TREE_HEAD_LABEL}\n{self.tree_size}\n{self.root_hash.hex()}\n{self.timestamp_ms}\n"
        ).encode()

    @property
    def signed_at(self) -> datetime:
        """The signing time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

    def to_json(self) -> dict[str, object]:
        """The published form (hex hashes, base64 signature)."""
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "timestamp_ms": self.timestamp_ms,
            "timestamp": self.signed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
            "signature": base64.b64encode(self.signature).decode(),
            "key_id": self.key_id,
        }

    @classmethod
    def from_json(cls, data: object) -> TreeHead:
        """Parse the published form; ValueError naming the field that is wrong."""
        if not isinstance(data, dict):
            raise ValueError("tree_head must be an object")
        try:
            size = data["tree_size"]
            stamp = data["timestamp_ms"]
            if not isinstance(size, int) or not isinstance(stamp, int) or size < 0:
                raise ValueError("tree_head.tree_size and timestamp_ms must be whole numbers")
            root = bytes.fromhex(str(data["root_hash"]))
            signature = base64.b64decode(str(data["signature"]), validate=True)
        except KeyError as exc:
            raise ValueError(f"tree_head.{exc.args[0]} is missing") from None
        except binascii.Error:
            raise ValueError("tree_head.signature is not base64") from None
        if len(root) != 32:
            raise ValueError("tree_head.root_hash must be 32 bytes of hex")
        return cls(size, root, stamp, signature, str(data.get("key_id", "")))
