"""`sharewell audit`: verify the tamper-evident log, show its head, prove and check entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sharewell.config import Settings
from sharewell.domain.errors import ConfigurationError, ValidationError

app = typer.Typer(help="Verify the tamper-evident audit log and prove entries are in it.")
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        help="The log's published public key (PEM); default: the key from the settings.",
    ),
]


def _settings() -> Settings:
    from sharewell.entrypoints.cli.main import settings

    return settings()


def _read_key(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"Cannot read the public key file {path}: {exc.strerror}", field="public_key"
        ) from None


@app.command()
def verify(public_key: PublicKeyOption = None) -> None:
    """Recompute every entry and the tree, check every signed head; exit 1 at the first problem."""
    from sharewell.bootstrap import build
    from sharewell.services.audit import verify_audit_log
    from sharewell.verify import load_public_key, tree_head_is_signed

    container = build(_settings())
    try:
        if public_key is not None:
            key = load_public_key(_read_key(public_key))
        else:
            try:
                key = container.audit.signer.public_key
            except ConfigurationError:
                raise ValidationError(
                    "No public key to check the signed tree heads with: pass --public-key "
                    "(the log's published key) or configure the audit signing key",
                    field="public_key",
                ) from None
        report = verify_audit_log(container.audit_reader, lambda h: tree_head_is_signed(h, key))
    finally:
        container.close()
    if not report.intact:
        errors.print(report.summary(), markup=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(report.summary(), markup=False, soft_wrap=True)


@app.command()
def head() -> None:
    """Print the newest signed tree head as JSON."""
    from sharewell.bootstrap import build

    container = build(_settings())
    try:
        latest = container.audit_reader.latest_head()
    finally:
        container.close()
    if latest is None:
        errors.print("The audit log has no signed tree head yet.")
        raise typer.Exit(1)
    console.print(json.dumps(latest.to_json(), indent=2), markup=False, soft_wrap=True)


@app.command()
def proof(
    index: Annotated[int, typer.Argument(help="The entry's index (from its receipt).", min=0)],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the proof to this file.")
    ] = None,
) -> None:
    """Print an inclusion proof (JSON) for one entry against the newest signed tree head."""
    from sharewell.bootstrap import build
    from sharewell.services.audit import prove_inclusion

    container = build(_settings())
    try:
        document = prove_inclusion(container.audit_reader, index)
    finally:
        container.close()
    text = json.dumps(document, indent=2)
    if output is None:
        console.print(text, markup=False, soft_wrap=True)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"Inclusion proof for entry {index:,} written to {output}.")


@app.command()
def consistency(
    old_size: Annotated[int, typer.Argument(help="Size of the older signed tree head.", min=0)],
    new_size: Annotated[
        int | None, typer.Argument(help="Size of the newer one (default: the newest).", min=0)
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the proof to this file.")
    ] = None,
) -> None:
    """Print a consistency proof (JSON) between two signed tree heads."""
    from sharewell.bootstrap import build
    from sharewell.services.audit import prove_consistency

    container = build(_settings())
    try:
        document = prove_consistency(container.audit_reader, old_size, new_size)
    finally:
        container.close()
    text = json.dumps(document, indent=2)
    if output is None:
        console.print(text, markup=False, soft_wrap=True)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        console.print(f"Consistency proof written to {output}.")


@app.command("verify-proof")
def verify_proof_command(
    proof_file: Annotated[Path, typer.Argument(help="The proof JSON (from `audit proof`).")],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="The log's published public key (PEM).")
    ],
) -> None:
    """Check an inclusion or consistency proof with only the public key (no database)."""
    from sharewell.domain.merkle import CONSISTENCY_FORMAT
    from sharewell.verify import (
        ProofInvalid,
        load_public_key,
        verify_consistency_proof,
        verify_proof,
    )

    try:
        document = json.loads(proof_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(
            f"Cannot read {proof_file}: {exc.strerror}", field="proof_file"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{proof_file} is not JSON: {exc.msg}", field="proof_file", line=exc.lineno
        ) from None
    try:
        key = load_public_key(_read_key(public_key))
        if isinstance(document, dict) and document.get("format") == CONSISTENCY_FORMAT:
            old, new = verify_consistency_proof(document, key)
            message = (
                f"Proof valid: the signed tree head of size {new.tree_size:,} extends the one of "
                f"size {old.tree_size:,} without changing it."
            )
        else:
            result = verify_proof(document, key)
            head = result.tree_head
            message = (
                f"Proof valid: entry {result.index:,} is in the audit log signed at size "
                f"{head.tree_size:,} on {head.to_json()['timestamp']} (key {head.key_id})."
            )
    except ProofInvalid as exc:
        errors.print(f"Proof NOT valid: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(message, markup=False, soft_wrap=True)


@app.command("public-key")
def public_key_command() -> None:
    """Print the public key that verifies this log's tree heads (PEM), to publish."""
    from sharewell.adapters.crypto.signing import load_signer

    console.print(load_signer(_settings()).public_key_pem().decode().strip(), markup=False)


@app.command("new-key")
def new_key(
    path: Annotated[Path, typer.Argument(help="Where to write the new private key (PEM).")],
) -> None:
    """Make a new Ed25519 signing key file (readable by its owner only)."""
    from sharewell.adapters.crypto.signing import TreeHeadSigner, write_private_key

    signer = TreeHeadSigner.generate()
    write_private_key(signer, path)
    console.print(
        f"New audit signing key written to {path} (key id {signer.key_id}). "
        f"Set SHAREWELL_AUDIT_SIGNING_KEY_FILE={path} and publish the public key:",
        markup=False,
        soft_wrap=True,
    )
    console.print(signer.public_key_pem().decode().strip(), markup=False)
