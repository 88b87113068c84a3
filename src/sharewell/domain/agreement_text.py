"""An agreement in plain English, for IG leads, practitioners and citizens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sharewell.domain.agreements import Agreement, Flow
from sharewell.domain.times import london
from sharewell.domain.vocabulary import LEGAL_BASES, ConsentModel, Role


def _list(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _day(value: object) -> str:
    return f"{value:%-d %B %Y}"


def _role(role: Role) -> str:
    label = role.label
    return label[0].lower() + label[1:] + "s" if not label.startswith("GP") else label + "s"


_CONSENT = {
    ConsentModel.EXPLICIT: "only with the person's explicit consent for this purpose and recipient",
    ConsentModel.IMPLIED: "under implied consent: not if the person has refused or withdrawn it",
    ConsentModel.NOT_REQUIRED: (
        "without needing consent, because a statutory gateway applies; if the person has "
        "refused, the refusal is recorded and shown with what is shared"
    ),
}


def describe_flow(flow: Flow, names: Mapping[str, str]) -> str:
    """One flow as a sentence: who shares what with whom, why, under which law, and consent."""
    holders = _list(names.get(o, o) for o in flow.from_orgs)
    recipients = _list(names.get(o, o) for o in flow.to_orgs)
    roles = _list(_role(r) for r in sorted(flow.recipient_roles))
    what = _list(
        f"the {_list(f.replace('_', ' ') for f in fields)} of {category.label} records"
        for category, fields in flow.categories.items()
    )
    purposes = _list(p.label for p in sorted(flow.purposes))
    basis = flow.legal_basis
    law = [LEGAL_BASES[basis.article6].citation]
    for code in (basis.article9, basis.condition):
        if code:
            law.append(LEGAL_BASES[code].citation)
    under = f"under the {basis.gateway}, " if basis.gateway else ""
    text = (
        f"{holders} share with the {roles} of {recipients} {what}, for {purposes}, "
        f"{under}{_CONSENT[flow.consent]}."
    )
    text += " Lawful basis: " + "; ".join(law) + "."
    if flow.requires_relationship:
        text += (
            " Only practitioners with a working relationship with the person (open case, "
            "registered patient, pupil on roll or allocated worker) may see it."
        )
    if flow.national_opt_out_applies:
        text += " People who have registered a national data opt-out are left out."
    return text


def render(
    agreement: Agreement, names: Mapping[str, str] | None = None, *, at: datetime | None = None
) -> str:
    """The whole agreement as plain-English paragraphs."""
    names = names or {}
    last_day = agreement.ends_on - timedelta(days=1)
    lines = [
        f"{agreement.title} ({agreement.id}, version {agreement.version})",
        "",
        f"It runs from {_day(agreement.starts_on)} to the end of {_day(last_day)}"
        + (f", with a review due by {_day(agreement.review_on)}" if agreement.review_on else "")
        + ". It is in force only once every party has signed.",
    ]
    if at is not None:
        lines.append(f"Status on {london(at)}: {agreement.status(at).label}.")
    if agreement.terminated_at is not None:
        lines.append(
            f"It was terminated on {london(agreement.terminated_at)}"
            + (f": {agreement.termination_reason}" if agreement.termination_reason else "")
            + "."
        )
    lines += ["", "Parties:"]
    for party in agreement.parties:
        who = names.get(party.org, party.org)
        if party.signed_by is None:
            lines.append(f"- {who}: not signed yet")
        else:
            s = party.signed_by
            lines.append(f"- {who}: signed by {s.name}, {s.role}, on {london(s.signed_at)}")
    if agreement.training is not None:
        t = agreement.training
        lines += [
            "",
            f"Everyone who receives information under it must have completed the {t.module} "
            f"training in the last {t.valid_months} months.",
        ]
    lines += ["", "What is shared:"]
    for i, flow in enumerate(agreement.flows, start=1):
        lines.append(f"{i}. {describe_flow(flow, names)}")
    return "\n".join(lines) + "\n"
