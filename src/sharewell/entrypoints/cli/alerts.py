"""`sharewell alerts`: the dispatcher process, rule templates, rules, webhooks and the
dead-letter list."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from sharewell.domain.alerts import TEMPLATES

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Early alerts between agencies")
console = Console()
OPERATOR = "cli:operator"


@app.command()
def dispatch(
    once: Annotated[bool, typer.Option(help="One pass, then stop")] = False,
    max_seconds: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: run until stopped)")
    ] = None,
) -> None:
    """Run the alert dispatcher: decide each alert through the disclosure gate, deliver it
    (inbox, signed webhooks, email), retry with backoff, dead-letter, escalate late alerts.

    Several may be started (beside `sharewell serve`, whose processes run one too): only the one
    that leads the dispatch sends; the others wait to take over (docs/decisions/0014)."""
    from sharewell.bootstrap import build
    from sharewell.config import Settings

    settings = Settings()
    container = build(settings)
    dispatcher = container.alert_dispatcher()
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = time.monotonic()

    def wait(seconds: float) -> None:
        # Until the next try, a signal, or the time limit, whichever comes first.
        if max_seconds is not None:
            seconds = min(seconds, max(0.0, started + max_seconds - time.monotonic()))
        stopping.wait(seconds)

    def should_stop() -> bool:
        return stopping.is_set() or (
            max_seconds is not None and time.monotonic() - started > max_seconds
        )

    try:
        if once:
            report = dispatcher.run_once()
            console.print(
                f"delivered {report.delivered}, withheld {report.withheld}, "
                f"sent {report.sent}, retrying {report.retried}, dead {report.dead}, "
                f"escalated {report.escalated}"
            )
        else:
            leading = dispatcher.serve_while_leading(
                container.alert_dispatch_leadership(),
                should_stop=should_stop,
                wait=wait,
                poll_seconds=settings.alerts_poll_seconds,
            )
            if not leading:
                console.print("Another process was dispatching alerts; this one stood by.")
    finally:
        dispatcher.close()
        container.close()


@app.command()
def templates() -> None:
    """The built-in rule templates."""
    for t in TEMPLATES:
        typer.echo(
            f"{t.key}: {t.name}. {t.deadline.label}; minimum data set: {', '.join(t.fields)}"
        )


@app.command("add-rule")
def add_rule(
    template: Annotated[str, typer.Argument(help="A template key (see `alerts templates`)")],
    agreement: Annotated[str, typer.Option(help="The agreement id the rule relies on")],
) -> None:
    """Tie a rule template to an agreement."""
    from sharewell.bootstrap import build
    from sharewell.config import Settings
    from sharewell.services import alerts
    from sharewell.services.governance import Actor

    container = build(Settings())
    try:
        rule = alerts.add_rule_from_template(
            container.alerts,
            container.audit,
            template_key=template,
            agreement_id=agreement,
            actor=Actor(OPERATOR),
        )
    finally:
        container.close()
    console.print(f"Rule {rule.id} added: {rule.name}")


@app.command("add-webhook")
def add_webhook(
    org: Annotated[str, typer.Argument(help="Organisation code")],
    url: Annotated[str, typer.Argument(help="The endpoint's https address")],
    secret: Annotated[
        str, typer.Option(help="Shared secret for the HMAC signature", prompt=True, hide_input=True)
    ],
) -> None:
    """Register an organisation's webhook endpoint for alerts."""
    from sharewell.bootstrap import build
    from sharewell.config import Settings
    from sharewell.domain.errors import ValidationError
    from sharewell.services.alerts import Webhook

    if len(secret) < 16:
        raise ValidationError("The webhook secret must be at least 16 characters", field="secret")
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValidationError("Webhook endpoints must use https", field="url")
    container = build(Settings())
    try:
        hook = Webhook(uuid.uuid4().hex, org, url, secret)
        container.alerts.add_webhook(hook)
    finally:
        container.close()
    console.print(f"Webhook {hook.id} added for {org}")


@app.command("dead-letters")
def dead_letters() -> None:
    """Deliveries that gave up (references and the last error only)."""
    from sharewell.bootstrap import build
    from sharewell.config import Settings
    from sharewell.services import alerts

    container = build(Settings())
    try:
        found = alerts.dead_letters(container.alerts)
    finally:
        container.close()
    if not found:
        typer.echo("No deliveries are on the dead-letter list.")
    for d in found:
        typer.echo(
            f"{d.id} alert {d.alert_id} {d.channel.value}, {d.attempts} tries: {d.last_error}"
        )


@app.command()
def replay(delivery: Annotated[str, typer.Argument(help="A dead-lettered delivery id")]) -> None:
    """Put a dead-lettered delivery back in the outbox (same idempotency key)."""
    from sharewell.bootstrap import build
    from sharewell.config import Settings
    from sharewell.services import alerts
    from sharewell.services.governance import Actor

    container = build(Settings())
    try:
        alerts.replay(container.alerts, container.audit, delivery, actor=Actor(OPERATOR))
    finally:
        container.close()
    console.print(f"Delivery {delivery} will be tried again")
