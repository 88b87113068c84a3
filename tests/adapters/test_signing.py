"""The tree-head signing key: from settings, from a file, generated in demo mode, else refused."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pydantic import SecretStr

from sharewell.adapters.crypto.signing import TreeHeadSigner, demo_key_path, load_signer
from sharewell.config import Settings
from sharewell.domain.errors import ConfigurationError
from sharewell.domain.merkle import EMPTY_ROOT, TreeHead
from sharewell.verify import tree_head_is_signed


def sqlite_settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", **values)  # type: ignore[arg-type]


def test_refuses_to_start_without_a_key_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="No audit signing key"):
        load_signer(sqlite_settings(tmp_path))


def test_demo_mode_makes_a_key_once_and_keeps_it(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, demo_mode=True)
    first = load_signer(settings)
    assert demo_key_path(settings) == tmp_path / "audit-signing-key.pem"
    assert demo_key_path(settings).stat().st_mode & 0o777 == 0o600
    assert load_signer(settings).key_id == first.key_id


def test_reads_a_base64_key_from_settings_and_a_pem_key_from_a_file(tmp_path: Path) -> None:
    signer = TreeHeadSigner.generate()
    private = signer._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    from_secret = load_signer(
        sqlite_settings(tmp_path, audit_signing_key=SecretStr(base64.b64encode(private).decode()))
    )
    path = tmp_path / "key.pem"
    path.write_bytes(signer.private_key_pem())
    from_file = load_signer(sqlite_settings(tmp_path, audit_signing_key_file=path))
    assert from_secret.key_id == from_file.key_id == signer.key_id


def test_a_bad_key_is_a_clear_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SHAREWELL_AUDIT_SIGNING_KEY must be"):
        load_signer(sqlite_settings(tmp_path, audit_signing_key=SecretStr("not a key")))
    with pytest.raises(ConfigurationError, match="Cannot read"):
        load_signer(sqlite_settings(tmp_path, audit_signing_key_file=tmp_path / "missing.pem"))


def test_signed_heads_verify_with_the_public_key_only() -> None:
    signer = TreeHeadSigner.generate()
    head = signer.sign(TreeHead(0, EMPTY_ROOT, 1_700_000_000_000))
    assert tree_head_is_signed(head, signer.public_key)
    moved = TreeHead(1, head.root_hash, head.timestamp_ms, head.signature, head.key_id)
    assert not tree_head_is_signed(moved, signer.public_key)
    assert not tree_head_is_signed(head, TreeHeadSigner.generate().public_key)
