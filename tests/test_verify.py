"""The standalone proof verifier: an inclusion proof checked with nothing but the public key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sharewell.adapters.crypto.signing import TreeHeadSigner
from sharewell.domain.merkle import (
    CONSISTENCY_FORMAT,
    PROOF_FORMAT,
    CompactRange,
    TreeHead,
    canonical_entry,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
)
from sharewell.verify import ProofInvalid, verify_consistency_proof, verify_proof
from tests.adapters.audit_helpers import decision

SIGNER = TreeHeadSigner.generate()


def make_proof(index: int, size: int) -> dict[str, Any]:
    bodies = [canonical_entry(n, decision(n)) for n in range(size)]
    leaves = [leaf_hash(b) for b in bodies]
    compact = CompactRange()
    compact.extend(leaves)
    head = SIGNER.sign(TreeHead(size, compact.root(), 1_764_000_000_000))
    return {
        "format": PROOF_FORMAT,
        "index": index,
        "leaf_hash": leaves[index].hex(),
        "entry": bodies[index].decode(),
        "audit_path": [h.hex() for h in inclusion_proof(index, leaves)],
        "tree_head": head.to_json(),
    }


@pytest.mark.parametrize(("index", "size"), [(0, 1), (3, 7), (6, 7), (12, 13), (31, 64)])
def test_a_genuine_proof_verifies(index: int, size: int) -> None:
    result = verify_proof(make_proof(index, size), SIGNER.public_key_pem())
    assert result.index == index
    assert result.tree_head.tree_size == size


def tampered(change: str) -> dict[str, Any]:
    proof = copy.deepcopy(make_proof(3, 7))
    if change == "entry":
        proof["entry"] = proof["entry"].replace("deny", "permit")
    elif change == "index":
        proof["index"] = 4
    elif change == "path":
        proof["audit_path"][1] = "00" * 32
    elif change == "root":
        proof["tree_head"]["root_hash"] = "11" * 32
    elif change == "size":
        proof["tree_head"]["tree_size"] = 8
    elif change == "signature":
        proof["tree_head"]["signature"] = proof["tree_head"]["signature"][::-1]
    return proof


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("entry", "does not match its leaf hash"),
        ("index", "does not lead from entry 4"),
        ("path", "does not lead from entry 3"),
        ("root", "signature does not verify"),
        ("size", "signature does not verify"),
        ("signature", "not base64|signature does not verify"),
    ],
)
def test_a_tampered_proof_is_refused(change: str, message: str) -> None:
    with pytest.raises(ProofInvalid, match=message):
        verify_proof(tampered(change), SIGNER.public_key_pem())


def test_a_proof_from_another_log_is_refused() -> None:
    other = TreeHeadSigner.generate()
    with pytest.raises(ProofInvalid, match="signature does not verify"):
        verify_proof(make_proof(3, 7), other.public_key_pem())


def test_a_malformed_proof_names_what_is_wrong() -> None:
    proof = make_proof(3, 7)
    del proof["tree_head"]["root_hash"]
    with pytest.raises(ProofInvalid, match=r"tree_head\.root_hash is missing"):
        verify_proof(proof, SIGNER.public_key_pem())
    with pytest.raises(ProofInvalid, match="format"):
        verify_proof({"format": "x"}, SIGNER.public_key_pem())


def consistency_document(old: int, new: int, *, rewrite: bool = False) -> dict[str, Any]:
    leaves = [leaf_hash(canonical_entry(n, decision(n))) for n in range(new)]
    old_root = CompactRange()
    old_root.extend(leaves[:old])
    if rewrite:
        leaves[old - 1] = leaf_hash(b"rewritten")
    new_root = CompactRange()
    new_root.extend(leaves)
    return {
        "format": CONSISTENCY_FORMAT,
        "old_head": SIGNER.sign(TreeHead(old, old_root.root(), 1_764_000_000_000)).to_json(),
        "new_head": SIGNER.sign(TreeHead(new, new_root.root(), 1_764_000_001_000)).to_json(),
        "consistency_path": [h.hex() for h in consistency_proof(old, leaves)],
    }


@pytest.mark.parametrize(("old", "new"), [(1, 2), (3, 7), (4, 8), (7, 7), (6, 13)])
def test_a_genuine_consistency_proof_verifies(old: int, new: int) -> None:
    first, second = verify_consistency_proof(
        consistency_document(old, new), SIGNER.public_key_pem()
    )
    assert (first.tree_size, second.tree_size) == (old, new)


def test_a_rewritten_history_fails_the_consistency_proof() -> None:
    with pytest.raises(ProofInvalid, match="not an extension"):
        verify_consistency_proof(consistency_document(3, 7, rewrite=True), SIGNER.public_key_pem())


def test_a_consistency_proof_with_a_forged_head_is_refused() -> None:
    document = consistency_document(3, 7)
    document["new_head"]["tree_size"] = 8
    with pytest.raises(ProofInvalid, match="new head's signature"):
        verify_consistency_proof(document, SIGNER.public_key_pem())
