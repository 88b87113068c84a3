"""`sharewell agreements ...`: import, export, show, propose, sign and terminate agreements."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sharewell.domain.errors import ValidationError
from sharewell.services.governance import Actor
from sharewell.services.governance_ports import StoredAgreement

if TYPE_CHECKING:
    from sharewell.bootstrap import Container

app = typer.Typer(help="Information sharing agreements.", no_args_is_help=True)


@contextmanager
def _container() -> Iterator[Container]:
    from sharewell.bootstrap import build
    from sharewell.config import Settings

    container = build(Settings())
    try:
        yield container
    finally:
        container.close()


def _actor() -> Actor:
    # The command line has no sign-in: changes are attributed to the operating-system user.
    return Actor(f"cli:{getpass.getuser()}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Agreement YAML file")],
) -> None:
    """Check an agreement file and store it as a draft (a new agreement or the next version)."""
    from sharewell.adapters.agreement_files import load_agreement
    from sharewell.domain.agreements import AgreementInvalid
    from sharewell.services.governance import import_agreement

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"Cannot read {file}: {exc.strerror}", field=str(file)) from None
    with _container() as c:
        known = {o.code for o in c.organisations.list()}
        if not known:
            raise ValidationError(
                "No partner organisations are set up yet, so the file's organisations cannot "
                "be checked: add the partners first (for example `sharewell demo`)",
                field="parties",
            )
        try:
            agreement = load_agreement(text, known_orgs=known, source=str(file))
        except AgreementInvalid as exc:
            # Every problem on its own line, then the usual one-line error and exit code 2.
            for problem in exc.problems[1:]:
                typer.echo(f"{file}: {problem}", err=True)
            raise
        actor = _actor()
        import_agreement(c.governance, c.audit, agreement, actor=actor)
    typer.echo(
        f"Imported {agreement.ref} ({agreement.title}) as a draft: "
        f"{len(agreement.flows)} flows, {len(agreement.parties)} parties."
    )


@app.command("export")
def export(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id, e.g. anyshire-charter")],
    version: Annotated[int | None, typer.Option(help="Version (default: the latest)")] = None,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of printing")] = None,
) -> None:
    """Write an agreement out as its YAML file (with signatures and termination)."""
    from sharewell.adapters.agreement_files import dump_agreement

    stored = _load(agreement_id, version)
    text = dump_agreement(stored.agreement)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {stored.agreement.ref} to {out}.")


def _load(agreement_id: str, version: int | None) -> StoredAgreement:
    from sharewell.services.governance import stored_version

    with _container() as c:
        return stored_version(c.governance, agreement_id, version)


@app.command("show")
def show(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id")],
    version: Annotated[int | None, typer.Option(help="Version (default: the latest)")] = None,
) -> None:
    """Show an agreement in plain English, with its status."""
    from sharewell.domain.agreement_text import render
    from sharewell.domain.times import utcnow
    from sharewell.services.governance import stored_version

    with _container() as c:
        stored = stored_version(c.governance, agreement_id, version)
        names = {o.code: o.name for o in c.organisations.list()}
    typer.echo(render(stored.agreement, names, at=utcnow()), nl=False)


@app.command("propose")
def propose(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id")],
    version: Annotated[int | None, typer.Option(help="Version (default: the latest)")] = None,
) -> None:
    """Send a draft to the partners for signature."""
    from sharewell.services.governance import propose as propose_service

    with _container() as c:
        actor = _actor()
        agreement = propose_service(
            c.governance, c.audit, agreement_id, version=version, actor=actor
        )
    typer.echo(f"Proposed {agreement.ref} to its parties for signature.")


@app.command("sign")
def sign(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id")],
    org: Annotated[str, typer.Option("--org", help="The signing party's organisation code")],
    name: Annotated[str, typer.Option("--name", help="Signatory's name")],
    role: Annotated[str, typer.Option("--role", help="Signatory's role")],
    version: Annotated[int | None, typer.Option(help="Version (default: the latest)")] = None,
) -> None:
    """Record a party's signature; the agreement is in force once all have signed and it starts."""
    from sharewell.services.governance import sign_agreement

    with _container() as c:
        actor = _actor()
        signed = sign_agreement(
            c.governance,
            c.audit,
            agreement_id,
            org=org,
            name=name,
            role=role,
            version=version,
            actor=actor,
        )
    waiting = signed.unsigned()
    status = "every party has signed" if not waiting else f"waiting for {', '.join(waiting)}"
    typer.echo(f"{org} signed {signed.ref}: {status}.")


@app.command("terminate")
def terminate(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id")],
    reason: Annotated[str, typer.Option("--reason", help="Why the agreement ends")],
) -> None:
    """End an agreement now; decisions stop relying on it from the very next request."""
    from sharewell.services.governance import terminate_agreement

    with _container() as c:
        actor = _actor()
        ended = terminate_agreement(c.governance, c.audit, agreement_id, reason=reason, actor=actor)
    typer.echo(f"Terminated {', '.join(a.ref for a in ended)}.")
