"""Check an audit-log inclusion proof against a published signed tree head, with only a public key.

This module is deliberately small and standalone: it needs the Sharewell Merkle functions (standard
library only) and `cryptography` for Ed25519, no database and no settings. A citizen, an auditor or
a partner can run it on a proof they were given:

    from sharewell.verify import verify_proof
    verify_proof(json.load(open("proof.json")), open("audit-public-key.pem", "rb").read())

or from the shell: `sharewell audit verify-proof proof.json --public-key audit-public-key.pem`.
`verify_consistency_proof` likewise checks that a newer signed tree head only appended to an older
one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from sharewell.domain.merkle import (
    CONSISTENCY_FORMAT,
    PROOF_FORMAT,
    TreeHead,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)


class ProofInvalid(Exception):
    """The proof does not show what it claims; the message says why in plain English."""


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """What a valid proof established: this entry is at this index of this signed log."""

    index: int
    leaf_hash: str
    tree_head: TreeHead


def load_public_key(data: bytes | str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text (or base64 of the 32 raw bytes)."""
    raw = data.encode() if isinstance(data, str) else data
    if b"-----BEGIN" in raw:
        try:
            key = load_pem_public_key(raw)
        except ValueError:
            raise ProofInvalid("The public key file is not a valid PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ProofInvalid("The public key is not an Ed25519 key")
        return key
    try:
        decoded = base64.b64decode(raw.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(decoded)
    except (binascii.Error, ValueError):
        raise ProofInvalid("The public key is neither PEM nor base64 of 32 bytes") from None


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: the first 8 bytes of SHA-256 of its raw form, hex."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def tree_head_is_signed(head: TreeHead, public_key: Ed25519PublicKey) -> bool:
    """True when `head.signature` is the key's Ed25519 signature of the head's message."""
    try:
        public_key.verify(head.signature, head.message())
    except InvalidSignature:
        return False
    return True


def _hex32(value: Any, field: str) -> bytes:
    try:
        raw = bytes.fromhex(str(value))
    except ValueError:
        raise ProofInvalid(f"{field} is not hexadecimal") from None
    if len(raw) != 32:
        raise ProofInvalid(f"{field} must be a 32-byte SHA-256 hash")
    return raw


def verify_proof(
    proof: dict[str, Any], public_key: bytes | str | Ed25519PublicKey
) -> VerifiedProof:
    """Check an inclusion proof end to end; ProofInvalid says what failed.

    1. If the proof carries the entry itself, its leaf hash must be SHA-256(0x00 || entry).
    2. The audit path must lead from that leaf at `index` to the tree head's root (RFC 9162).
    3. The tree head must carry a valid Ed25519 signature by the published key.
    """
    key = public_key if isinstance(public_key, Ed25519PublicKey) else load_public_key(public_key)
    if not isinstance(proof, dict):
        raise ProofInvalid("The proof must be a JSON object")
    if proof.get("format") != PROOF_FORMAT:
        raise ProofInvalid(f"The proof's format must be {PROOF_FORMAT!r}")
    index = proof.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ProofInvalid("index must be a whole number of 0 or more")
    leaf = _hex32(proof.get("leaf_hash"), "leaf_hash")
    entry = proof.get("entry")
    if entry is not None and (not isinstance(entry, str) or leaf_hash(entry.encode()) != leaf):
        raise ProofInvalid("The entry does not match its leaf hash: it has been altered")
    path_values = proof.get("audit_path")
    if not isinstance(path_values, list):
        raise ProofInvalid("audit_path must be a list of hashes")
    path = [_hex32(value, f"audit_path[{i}]") for i, value in enumerate(path_values)]
    try:
        head = TreeHead.from_json(proof.get("tree_head"))
    except ValueError as exc:
        raise ProofInvalid(str(exc)) from None
    if not tree_head_is_signed(head, key):
        raise ProofInvalid(
            "The tree head's signature does not verify with this public key: "
            "it was not signed by this log"
        )
    if not verify_inclusion(index, head.tree_size, leaf, path, head.root_hash):
        raise ProofInvalid(
            f"The audit path does not lead from entry {index:,} to the signed tree head of size "
            f"{head.tree_size:,}: the entry is not in that log"
        )
    return VerifiedProof(index=index, leaf_hash=leaf.hex(), tree_head=head)


def _signed_head(value: Any, field: str, key: Ed25519PublicKey) -> TreeHead:
    try:
        head = TreeHead.from_json(value)
    except ValueError as exc:
        raise ProofInvalid(f"{field}: {exc}") from None
    if not tree_head_is_signed(head, key):
        raise ProofInvalid(
            f"The {field.replace('_', ' ')}'s signature does not verify with this key"
        )
    return head


def verify_consistency_proof(
    proof: dict[str, Any], public_key: bytes | str | Ed25519PublicKey
) -> tuple[TreeHead, TreeHead]:
    """Check that a newer signed tree head only appended to an older one; ProofInvalid if not.

    Both heads must be signed by the key, and the consistency path must verify (RFC 9162
    section 2.1.4.2): nothing in the older log was changed, removed or reordered since.
    """
    key = public_key if isinstance(public_key, Ed25519PublicKey) else load_public_key(public_key)
    if not isinstance(proof, dict) or proof.get("format") != CONSISTENCY_FORMAT:
        raise ProofInvalid(f"The proof's format must be {CONSISTENCY_FORMAT!r}")
    old = _signed_head(proof.get("old_head"), "old_head", key)
    new = _signed_head(proof.get("new_head"), "new_head", key)
    values = proof.get("consistency_path")
    if not isinstance(values, list):
        raise ProofInvalid("consistency_path must be a list of hashes")
    path = [_hex32(value, f"consistency_path[{i}]") for i, value in enumerate(values)]
    if not verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, path):
        raise ProofInvalid(
            f"The signed tree head of size {new.tree_size:,} is not an extension of the one of "
            f"size {old.tree_size:,}: the log was rewritten in between"
        )
    return old, new
