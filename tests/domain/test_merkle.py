"""RFC 9162 Merkle tree: roots, inclusion and consistency proofs, and the canonical entry form."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.merkle import (
    EMPTY_ROOT,
    TILE,
    CompactRange,
    TiledTree,
    canonical_entry,
    canonical_parts,
    consistency_proof,
    entry_index,
    inclusion_proof,
    leaf_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)


def reference_root(data: list[bytes]) -> bytes:
    """MTH written straight from the RFC's recursive definition, as an independent check."""
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(data[:k]) + reference_root(data[k:])).digest()


# The inputs of the certificate-transparency reference tests and their published roots.
RFC_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
RFC_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def leaves_of(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def test_roots_match_the_published_reference_vectors() -> None:
    leaves = [leaf_hash(d) for d in RFC_LEAVES]
    for size, expected in enumerate(RFC_ROOTS, start=1):
        assert tree_root(leaves[:size]).hex() == expected


def test_empty_tree_root_is_hash_of_nothing() -> None:
    assert tree_root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), max_size=70))
def test_incremental_root_equals_recursive_definition_at_every_size(data: list[bytes]) -> None:
    compact = CompactRange()
    assert compact.root() == reference_root([])
    for i, item in enumerate(data):
        compact.append(leaf_hash(item))
        assert compact.root() == reference_root(data[: i + 1])


def test_compact_range_survives_a_round_trip_through_storage() -> None:
    compact = CompactRange()
    compact.extend(leaves_of(1234))
    stored = compact.to_bytes()
    again = CompactRange.from_bytes(1234, stored)
    again.append(leaf_hash(b"more"))
    compact.append(leaf_hash(b"more"))
    assert again.root() == compact.root()
    with pytest.raises(ValueError):
        CompactRange.from_bytes(1235, stored)


def test_inclusion_proofs_verify_for_every_index_of_every_size_up_to_64() -> None:
    for n in range(1, 65):
        leaves = leaves_of(n)
        root = tree_root(leaves)
        for m in range(n):
            proof = inclusion_proof(m, leaves)
            assert verify_inclusion(m, n, leaves[m], proof, root), (m, n)


def test_consistency_proofs_verify_for_every_pair_of_sizes_up_to_64() -> None:
    full = leaves_of(64)
    roots = [tree_root(full[:n]) for n in range(65)]
    for n in range(1, 65):
        for m in range(n + 1):
            proof = consistency_proof(m, full[:n])
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)


def tiled(leaves: list[bytes], fetches: list[tuple[int, int]] | None = None) -> TiledTree:
    tiles = [tree_root(leaves[t * TILE : (t + 1) * TILE]) for t in range(len(leaves) // TILE)]

    def fetch(lo: int, hi: int) -> list[bytes]:
        if fetches is not None:
            fetches.append((lo, hi))
        return leaves[lo:hi]

    return TiledTree(len(leaves), tiles, fetch)


@pytest.mark.parametrize("n", [1, 2, 255, 256, 257, 511, 512, 513, 1000, 2048, 2305])
def test_proofs_through_tiles_are_the_same_proofs(n: int) -> None:
    leaves = leaves_of(n)
    root = tree_root(leaves)
    for m in sorted({0, 1, n // 3, n // 2, n - 257, n - 256, n - 2, n - 1} & set(range(n))):
        fetches: list[tuple[int, int]] = []
        proof = inclusion_proof(m, tiled(leaves, fetches))
        assert proof == inclusion_proof(m, leaves), (m, n)
        assert verify_inclusion(m, n, leaves[m], proof, root)
        # Only the proven leaf's tile and the last, incomplete one are ever read.
        assert len(fetches) <= 2 and all(hi - lo <= TILE for lo, hi in fetches)
    for old in sorted({0, 1, 255, 256, 300, n // 2, n - 1, n} & set(range(n + 1))):
        assert consistency_proof(old, tiled(leaves)) == consistency_proof(old, leaves)


def test_a_tiled_tree_needs_every_complete_tile_and_every_leaf_it_asks_for() -> None:
    leaves = leaves_of(600)
    with pytest.raises(ValueError, match="every complete tile"):
        TiledTree(600, [tree_root(leaves[:TILE])], lambda lo, hi: leaves[lo:hi])
    short = TiledTree(600, tiled(leaves)._tiles, lambda lo, hi: leaves[lo : hi - 1])
    with pytest.raises(ValueError, match="not all stored"):
        inclusion_proof(5, short)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 300).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))), st.data()
)
def test_tampered_inclusion_proofs_fail(size_index: tuple[int, int], data: st.DataObject) -> None:
    n, m = size_index
    leaves = leaves_of(n)
    root = tree_root(leaves)
    proof = inclusion_proof(m, leaves)
    assert verify_inclusion(m, n, leaves[m], proof, root)
    assert not verify_inclusion(m, n, leaf_hash(b"forged"), proof, root)
    assert not verify_inclusion(m, n, leaves[m], proof, leaf_hash(b"other root"))
    if n > 1:
        other = data.draw(st.integers(0, n - 1).filter(lambda i: i != m))
        assert not verify_inclusion(other, n, leaves[m], proof, root)
        at = data.draw(st.integers(0, len(proof) - 1))
        bad = bytearray(proof[at])
        bad[data.draw(st.integers(0, 31))] ^= 1 << data.draw(st.integers(0, 7))
        assert not verify_inclusion(
            m, n, leaves[m], [*proof[:at], bytes(bad), *proof[at + 1 :]], root
        )
        assert not verify_inclusion(m, n, leaves[m], proof[:-1], root)
    assert not verify_inclusion(m, n, leaves[m], [*proof, root], root)
    assert not verify_inclusion(n, n, leaves[m], proof, root)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 300).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))), st.data()
)
def test_tampered_consistency_proofs_fail(sizes: tuple[int, int], data: st.DataObject) -> None:
    m, n = sizes
    leaves = leaves_of(n)
    old, new = tree_root(leaves[:m]), tree_root(leaves)
    proof = consistency_proof(m, leaves)
    assert verify_consistency(m, n, old, new, proof)
    assert not verify_consistency(m, n, leaf_hash(b"x"), new, proof)
    assert not verify_consistency(m, n, old, leaf_hash(b"x"), proof)
    # A rewritten history: the same new size but a different first m leaves.
    changed = list(leaves)
    changed[data.draw(st.integers(0, m - 1))] = leaf_hash(b"rewritten")
    assert not verify_consistency(m, n, old, tree_root(changed), consistency_proof(m, changed))
    at = data.draw(st.integers(0, len(proof) - 1))
    bad = bytearray(proof[at])
    bad[0] ^= 0xFF
    assert not verify_consistency(m, n, old, new, [*proof[:at], bytes(bad), *proof[at + 1 :]])
    assert not verify_consistency(m, n, old, new, [])
    assert not verify_consistency(n, m, new, old, proof)


def test_equal_sizes_are_consistent_only_with_equal_roots_and_no_proof() -> None:
    root = tree_root(leaves_of(5))
    assert verify_consistency(5, 5, root, root, [])
    assert not verify_consistency(5, 5, root, leaf_hash(b"x"), [])
    assert not verify_consistency(5, 5, root, root, [root])


def event(**changes: object) -> AuditEvent:
    values: dict[str, object] = {
        "kind": AuditKind.DECISION,
        "at": datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        "actor_id": "p1",
        "actor_org": "SCH1",
        "purpose": "safeguarding_children",
        "subject_id": "s1",
        "outcome": "deny",
        "reasons": ("NO_AGREEMENT",),
        "agreement": None,
        "refs": {"request": "r1", "holder": "POL"},
    }
    values.update(changes)
    return AuditEvent(**values)  # type: ignore[arg-type]


def test_canonical_entry_is_sorted_compact_utc_json() -> None:
    body = canonical_entry(7, event())
    assert body == (
        b'{"actor_id":"p1","actor_org":"SCH1","agreement":null,"at":"2026-03-01T10:00:00.000000Z",'
        b'"index":7,"kind":"decision","outcome":"deny","purpose":"safeguarding_children",'
        b'"reasons":["NO_AGREEMENT"],"refs":{"holder":"POL","request":"r1"},"subject_id":"s1"}'
    )
    assert list(json.loads(body)) == sorted(json.loads(body))


def test_canonical_entry_is_the_same_for_the_same_instant_in_any_zone() -> None:
    london_summer = timezone(timedelta(hours=1))
    a = event(at=datetime(2026, 6, 1, 11, 0, tzinfo=london_summer))
    b = event(at=datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    assert canonical_entry(1, a) == canonical_entry(1, b)


def test_canonical_entry_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        canonical_entry(0, event(at=datetime(2026, 1, 1)))  # noqa: DTZ001


@given(
    st.one_of(st.none(), st.text(max_size=20)),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4),
    st.lists(st.text(max_size=10), max_size=3),
    st.integers(0, 10**12),
)
def test_canonical_parts_join_to_the_canonical_entry(
    actor: str | None, refs: dict[str, str], reasons: list[str], index: int
) -> None:
    e = event(actor_id=actor, refs=refs, reasons=tuple(reasons), outcome=None)
    head, tail = canonical_parts(e)
    assert head + str(index).encode() + tail == canonical_entry(index, e)


@given(st.text(max_size=30), st.text(max_size=30), st.integers(0, 10**12))
def test_entry_index_finds_the_entrys_own_index_whatever_the_strings(
    actor: str, agreement: str, index: int
) -> None:
    body = canonical_entry(
        index, event(actor_id=actor, agreement=agreement, refs={"index": '"index":5,'})
    )
    assert entry_index(body) == index
    assert entry_index(b"not an entry") is None


def test_canonical_parts_fall_back_to_plain_json_for_unusual_values() -> None:
    e = event(refs={"count": 5}, reasons=("A", "B"))
    head, tail = canonical_parts(e)
    assert head + b"3" + tail == canonical_entry(3, e)
    assert b'"refs":{"count":5}' in tail
