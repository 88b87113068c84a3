"""`sharewell audit verify|head|proof|verify-proof|public-key|new-key`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from sharewell.adapters.crypto.signing import TreeHeadSigner, load_signer, write_private_key
from sharewell.config import Settings
from sharewell.domain.merkle import canonical_entry, leaf_hash
from sharewell.entrypoints.cli.main import main
from tests.adapters.audit_helpers import START, decision, drop_triggers, new_log


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    signer = TreeHeadSigner.generate()
    path = tmp_path / "audit-key.pem"
    write_private_key(signer, path)
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    monkeypatch.setenv("SHAREWELL_AUDIT_SIGNING_KEY_FILE", str(path))
    monkeypatch.delenv("SHAREWELL_DEMO_MODE", raising=False)
    return path


@pytest.fixture
def filled(engine: Engine, key_file: Path) -> Engine:
    log = new_log(engine, load_signer(Settings()))
    try:
        for n in range(12):
            log.append(decision(n))
        log.checkpoint()
    finally:
        log.close()
    return engine


def test_verify_prints_one_line_and_exits_zero_when_intact(
    filled: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Audit log intact: 12 entries and ")
    assert out.count("\n") == 1


def test_verify_names_the_altered_entry_and_exits_one(
    filled: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    drop_triggers(filled)
    with filled.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET body = body || ' ' WHERE idx = 4"))
    assert main(["audit", "verify"]) == 1
    assert capsys.readouterr().err == (
        "Entry 4 was altered: its stored hash does not match its content\n"
    )


def test_verify_with_another_public_key_rejects_the_heads(
    filled: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.pem"
    other.write_bytes(TreeHeadSigner.generate().public_key_pem())
    assert main(["audit", "verify", "--public-key", str(other)]) == 1
    assert "invalid signature" in capsys.readouterr().err


def test_proof_verifies_with_only_the_public_key(
    filled: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "public-key"]) == 0
    public = tmp_path / "public.pem"
    public.write_text(capsys.readouterr().out)
    proof = tmp_path / "proof.json"
    assert main(["audit", "proof", "5", "--output", str(proof)]) == 0
    capsys.readouterr()
    assert main(["audit", "verify-proof", str(proof), "--public-key", str(public)]) == 0
    assert capsys.readouterr().out.startswith("Proof valid: entry 5 is in the audit log signed at")

    document = json.loads(proof.read_text())
    document["index"] = 6
    proof.write_text(json.dumps(document))
    assert main(["audit", "verify-proof", str(proof), "--public-key", str(public)]) == 1
    assert capsys.readouterr().err.startswith("Proof NOT valid: The audit path does not lead")


def test_head_prints_the_newest_signed_tree_head(
    filled: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "head"]) == 0
    head = json.loads(capsys.readouterr().out)
    assert head["tree_size"] == 12
    assert set(head) == {
        "tree_size",
        "root_hash",
        "timestamp_ms",
        "timestamp",
        "signature",
        "key_id",
    }


def test_proof_of_an_entry_not_yet_signed_is_refused(
    filled: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    # Committed a moment ago, before the next tree head.
    body = canonical_entry(12, decision(12))
    with filled.begin() as conn:
        conn.execute(
            text("INSERT INTO audit_entries VALUES (12, :at, 'decision', :b, :l)"),
            {"at": START, "b": body.decode(), "l": leaf_hash(body)},
        )
    assert main(["audit", "proof", "12"]) == 1
    assert "not under a signed tree head yet" in capsys.readouterr().err


def test_verify_proof_refuses_a_file_that_is_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "proof.json"
    bad.write_text("{not json")
    key = tmp_path / "k.pem"
    key.write_bytes(TreeHeadSigner.generate().public_key_pem())
    assert main(["audit", "verify-proof", str(bad), "--public-key", str(key)]) == 2
    assert capsys.readouterr().err.startswith("Error (proof_file, line 1):")


def test_new_key_writes_a_private_key_only_its_owner_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.pem"
    assert main(["audit", "new-key", str(path)]) == 0
    assert path.stat().st_mode & 0o777 == 0o600
    assert "BEGIN PUBLIC KEY" in capsys.readouterr().out
    assert main(["audit", "new-key", str(path)]) == 1


def test_consistency_proof_between_signed_heads_verifies_with_the_public_key(
    engine: Engine, key_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = new_log(engine, load_signer(Settings()))
    try:
        for n in range(5):
            log.append(decision(n))
        log.checkpoint()
        for n in range(5, 9):
            log.append(decision(n))
        log.checkpoint()
    finally:
        log.close()
    public = tmp_path / "public.pem"
    public.write_bytes(load_signer(Settings()).public_key_pem())
    proof = tmp_path / "consistency.json"
    assert main(["audit", "consistency", "5", "--output", str(proof)]) == 0
    capsys.readouterr()
    assert main(["audit", "verify-proof", str(proof), "--public-key", str(public)]) == 0
    assert capsys.readouterr().out == (
        "Proof valid: the signed tree head of size 9 extends the one of size 5 without "
        "changing it.\n"
    )
    assert main(["audit", "consistency", "4"]) == 1
    assert "no signed tree head of size 4" in capsys.readouterr().err


def test_verify_without_any_key_asks_for_the_public_key(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    monkeypatch.delenv("SHAREWELL_AUDIT_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("SHAREWELL_DEMO_MODE", raising=False)
    assert main(["audit", "verify"]) == 2
    assert "pass --public-key" in capsys.readouterr().err


def test_proof_of_an_entry_that_does_not_exist_says_so(
    filled: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "proof", "99"]) == 1
    assert "Entry 99 is not in the audit log" in capsys.readouterr().err
