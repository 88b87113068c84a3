"""Plain-English labels for the outcome codes the audit log records, for the people who read it
(information governance leads); the codes themselves never change once used."""

from __future__ import annotations

OUTCOME_LABELS: dict[str, str] = {
    # Access decisions and what the disclosure gate showed
    "permit": "Permitted",
    "deny": "Refused",
    "disclosed": "Record shown",
    "identity_only": "Only identity details shown",
    "identity": "Identity details shown",
    "not_found": "Nothing shown (not found or not visible)",
    "risk_disclosed": "Joint risk profile shown",
    "risk_none": "No joint risk profile to show",
    "identity_matched": "Identity check matched",
    "identity_not_matched": "Identity check did not match",
    "holdings": "List of who holds information shown",
    "copy": "Copy of the record given",
    # Consent, relationships and opt-out
    # (the entry's kind says what was given, refused or withdrawn)
    "given": "Given",
    "refused": "Refused",
    "withdrawn": "Withdrawn",
    "opted_out": "National data opt-out recorded",
    "opt_out_withdrawn": "National data opt-out withdrawn",
    "started": "Started",
    "ended": "Ended",
    # Agreements
    "imported": "Agreement imported",
    "proposed": "Agreement proposed",
    "signed": "Agreement signed",
    "terminated": "Agreement terminated",
    # Requests to share and decision records
    "requested": "Request to share sent",
    "share": "Decided to share",
    "not_share": "Decided not to share",
    "shared": "Shared",
    "declined": "Declined",
    "answered": "Request answered",
    # Alerts and MASH
    "alert_rule_added": "Alert rule added",
    "alert_disclosed": "Alert content shown",
    "alert_read": "Alert read",
    "alert_escalated": "Alert escalated to a manager",
    "delivery_replayed": "Failed delivery sent again",
    "mash_referred": "Referred to the safeguarding hub",
    "mash_research_asked": "Hub asked a partner to research",
    "mash_contributed": "Partner contributed to a referral",
    "mash_joint_view": "Hub opened the joint view",
    "mash_triaged": "Referral rated",
    "mash_decided": "Hub decided",
    # Override reviews, situations, identity review
    "reviewed": "Override reviewed",
    "situation": "Situation recorded",
    "match": "Records confirmed as the same person",
    "non_match": "Records confirmed as different people",
    # Sign-in and API tokens
    "succeeded": "Signed in",
    "wrong_password": "Wrong password",
    "unknown_account": "Unknown account",
    "locked": "Account locked",
    "inactive": "Account inactive",
    "created": "API token created",
    "revoked": "API token revoked",
}


def readable(code: str) -> str:
    """A code as words: "risk_disclosed" -> "Risk disclosed"."""
    return code.replace("_", " ").strip().capitalize()


def outcome_label(outcome: str) -> str:
    """The plain-English label of an audit outcome; "kind:detail" codes (such as
    "reviewed:justified") read "Override reviewed: justified"; unknown codes read as words."""
    if not outcome:
        return ""
    head, sep, detail = outcome.partition(":")
    label = OUTCOME_LABELS.get(head) or readable(head)
    return f"{label}: {detail.replace('_', ' ')}" if sep else label
