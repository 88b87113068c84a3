"""The Ed25519 key that signs audit-log tree heads: loaded from settings, or made for demos."""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from sharewell.config import Settings
from sharewell.domain.errors import ConfigurationError
from sharewell.domain.merkle import TreeHead
from sharewell.verify import key_id

DEMO_KEY_NAME = "audit-signing-key.pem"


class TreeHeadSigner:
    """Signs tree heads with one Ed25519 private key; publishes the matching public key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> TreeHeadSigner:
        """A fresh random key (tests and first demo start)."""
        return cls(Ed25519PrivateKey.generate())

    def sign(self, head: TreeHead) -> TreeHead:
        """`head` with its signature and key id filled in."""
        return TreeHead(
            head.tree_size,
            head.root_hash,
            head.timestamp_ms,
            self._key.sign(head.message()),
            self.key_id,
        )

    def public_key_pem(self) -> bytes:
        """The public key to publish (SubjectPublicKeyInfo PEM)."""
        return self.public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    def private_key_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (to persist the demo key)."""
        return self._key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _parse_private_key(raw: bytes, where: str) -> Ed25519PrivateKey:
    text = raw.strip()
    if b"-----BEGIN" in text:
        try:
            key = load_pem_private_key(text, password=None)
        except (ValueError, TypeError):
            raise ConfigurationError(f"{where} is not an unencrypted PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"{where} is not an Ed25519 key")
        return key
    try:
        seed = base64.b64decode(text, validate=True)
        return Ed25519PrivateKey.from_private_bytes(seed)
    except (binascii.Error, ValueError):
        raise ConfigurationError(
            f"{where} must be a PEM Ed25519 private key or base64 of its 32 raw bytes"
        ) from None


def demo_key_path(settings: Settings) -> Path:
    """Where demo mode keeps its generated key: next to a SQLite database, else ./var/."""
    if settings.is_sqlite:
        database = settings.database_url.split(":///", 1)[-1]
        if database and database != ":memory:":
            return Path(database).expanduser().parent / DEMO_KEY_NAME
    return Path("var") / DEMO_KEY_NAME


def load_signer(settings: Settings) -> TreeHeadSigner:
    """The signer the settings name; in demo mode a key is generated and kept if none is set.

    Outside demo mode a missing key is a ConfigurationError: an audit log whose tree heads nobody
    can trust is worse than no start at all.
    """
    secret = settings.audit_signing_key
    if secret is not None and secret.get_secret_value().strip():
        value = secret.get_secret_value().encode()
        return TreeHeadSigner(_parse_private_key(value, "SHAREWELL_AUDIT_SIGNING_KEY"))
    if settings.audit_signing_key_file is not None:
        path = settings.audit_signing_key_file
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot read the audit signing key file {path}: {exc.strerror}"
            ) from None
        return TreeHeadSigner(_parse_private_key(raw, f"The audit signing key file {path}"))
    if not settings.demo_mode:
        raise ConfigurationError(
            "No audit signing key: set SHAREWELL_AUDIT_SIGNING_KEY_FILE to an Ed25519 private key "
            "(make one with `sharewell audit new-key KEY.pem`) or run in demo mode."
        )
    path = demo_key_path(settings)
    if path.exists():
        return TreeHeadSigner(_parse_private_key(path.read_bytes(), f"The demo key file {path}"))
    signer = TreeHeadSigner.generate()
    write_private_key(signer, path)
    return signer


def write_private_key(signer: TreeHeadSigner, path: Path) -> None:
    """Write the private key readable by its owner only; refuses to overwrite a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigurationError(f"{path} already exists: refusing to overwrite a key") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(signer.private_key_pem())
