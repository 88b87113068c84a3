"""Access decision speed, and a differential test against an independent Cedar reference.

Builds a synthetic partnership (12 organisations, 50 agreement versions, 240 practitioners,
100,000 consent records over 20,000 people), then:

1. times `sharewell.domain.access.decide_one` for every request (time.perf_counter_ns around each
   call, in-process) and reports p50/p99;
2. decides the same requests with a reference evaluator written independently: the access rules
   as Cedar policies, evaluated by the Cedar engine through `cedarpy`, with its own Python glue
   that reads the raw agreement documents (it never calls Sharewell's evaluator);
3. compares every decision field by field (outcome, reasons, agreement, legal basis, fields,
   obligations, override availability, expiry) and reports disagreements (must be 0) and the
   speed ratio reference/ours.

Prints one JSON line. Run: PYTHONPATH=src python benchmarks/decisions.py [--requests 100000]
"""

from __future__ import annotations

import argparse
import calendar
import copy
import gc
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from typing import Any
from zoneinfo import ZoneInfo

import cedarpy

from sharewell.domain.access import (
    AgreementIndex,
    Decision,
    Override,
    OverrideBasis,
    OverrideTier,
    Subject,
    decide_one,
)
from sharewell.domain.agreements import parse_agreement
from sharewell.domain.consent import ConsentHistory, ConsentRecord, ConsentState
from sharewell.domain.organisations import Practitioner
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.domain.vocabulary import DataCategory, Purpose, Role

ORGS = ["POL", "SCH1", "SCH2", "GP1", "GP2", "ACU", "MHT", "CSCN", "CSCS", "EHS", "HOU", "PRB"]
PURPOSES = [p.value for p in Purpose]
CATEGORIES = [c.value for c in DataCategory]
ROLES = [
    "designated_safeguarding_lead",
    "teacher",
    "gp",
    "hospital_clinician",
    "social_worker",
    "early_help_practitioner",
    "police_officer",
    "analyst",
    "mental_health_practitioner",
    "care_coordinator",
]
FIELDS = ["occurred_at", "code", "summary", "outcome", "risk_level", "plan_status", "address"]
MODULES = ["golden-rules", "induction"]
SPECIAL = {"health", "mental_health"}
CRIMINAL = {"criminal_offence", "police_intelligence"}


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rand_instant(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(seconds))


def _rand_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days))


# --- The synthetic partnership (raw documents, as files and forms would give them) ---


def _flow(rng: random.Random, parties: list[str]) -> dict[str, Any]:
    senders = rng.sample(parties, k=min(len(parties), rng.choice([1, 1, 2])))
    receivers = rng.sample(parties, k=min(len(parties), rng.choice([1, 2, 3])))
    categories = rng.sample(CATEGORIES, k=rng.choice([1, 2, 3, 4]))
    consent = rng.choice(["explicit", "implied", "not_required"])
    basis: dict[str, str] = {"article6": rng.choice(["6(1)(e)", "6(1)(c)", "6(1)(a)"])}
    if SPECIAL & set(categories):
        basis["article9"] = "9(2)(h)"
    if CRIMINAL & set(categories) or rng.random() < 0.3:
        basis["condition"] = "DPA2018 Sch1 para 18"
    if consent == "not_required" or rng.random() < 0.2:
        basis["gateway"] = rng.choice(
            ["Children Act 2004 s.11", "Children Act 1989 s.47", "Care Act 2014 s.42"]
        )
    return {
        "from": senders,
        "to": receivers,
        "purposes": rng.sample(PURPOSES, k=rng.choice([1, 2, 3])),
        "categories": {
            c: {"fields": rng.sample(FIELDS, k=rng.choice([1, 2, 3, 4]))} for c in categories
        },
        "recipient_roles": rng.sample(ROLES, k=rng.choice([2, 3, 4])),
        "legal_basis": basis,
        "consent": consent,
        "requires_relationship": rng.random() < 0.6,
        "national_opt_out_applies": rng.random() < 0.3,
    }


def _agreement(rng: random.Random, agreement_id: str, version: int) -> dict[str, Any]:
    parties = rng.sample(ORGS, k=rng.randint(3, 7))
    starts = _rand_day(rng, date(2025, 9, 1), date(2027, 1, 1))
    ends = starts + timedelta(days=rng.randint(365, 5 * 365))
    docs_parties = []
    for org in parties:
        signed = None
        if rng.random() > 0.04:
            signed = {
                "name": f"Signatory {org}",
                "role": "Director",
                "signed_at": _iso(
                    _rand_instant(
                        rng, datetime(2025, 6, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC)
                    )
                ),
            }
        docs_parties.append({"org": org, "signed_by": signed})
    terminated = None
    if rng.random() < 0.1:
        terminated = _iso(
            _rand_instant(rng, datetime(2026, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC))
        )
    training = None
    if rng.random() < 0.7:
        training = {"module": rng.choice(MODULES), "valid_months": rng.choice([12, 24, 36])}
    return {
        "id": agreement_id,
        "version": version,
        "title": f"Protocol {agreement_id}",
        "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat(),
        "review_on": None,
        "parties": docs_parties,
        "terminated_at": terminated,
        "training": training,
        "flows": [_flow(rng, parties) for _ in range(rng.randint(2, 6))],
    }


def generate(seed: int, *, consents: int, subjects: int) -> dict[str, Any]:
    """Raw documents for the whole partnership, reproducible from `seed`."""
    rng = random.Random(seed)
    agreements = []
    for i in range(35):
        agreements.append(_agreement(rng, f"protocol-{i:02d}", 1))
    for i in rng.sample(range(35), k=15):
        amended = _agreement(rng, f"protocol-{i:02d}", 2)
        if rng.random() < 0.5:
            # Often an amendment keeps the parties and changes a flow or two.
            amended["parties"] = copy.deepcopy(agreements[i]["parties"])
            amended["flows"] = copy.deepcopy(agreements[i]["flows"])
            parties = [p["org"] for p in amended["parties"]]
            amended["flows"][0] = _flow(rng, parties)
        agreements.append(amended)
    practitioners = []
    for i in range(240):
        org = ORGS[i % len(ORGS)]
        training = {
            m: _rand_day(rng, date(2023, 1, 1), date(2028, 1, 1)).isoformat()
            for m in MODULES
            if rng.random() < 0.8
        }
        practitioners.append(
            {
                "id": f"p{i:03d}",
                "org": org,
                "role": rng.choice(ROLES),
                "active": rng.random() < 0.95,
                "team": f"{org}-team{rng.randint(1, 2)}",
                "training": training,
            }
        )
    people = []
    for i in range(subjects):
        relationships = []
        for _ in range(rng.randint(0, 3)):
            worker = rng.choice(practitioners)
            start = _rand_day(rng, date(2024, 1, 1), date(2028, 1, 1))
            end = None if rng.random() < 0.5 else start + timedelta(days=rng.randint(30, 900))
            who = {"team": worker["team"]} if rng.random() < 0.3 else {"practitioner": worker["id"]}
            relationships.append(
                {**who, "from": start.isoformat(), "to": None if end is None else end.isoformat()}
            )
        people.append(
            {
                "id": f"s{i:05d}",
                "national_opt_out": rng.random() < 0.05,
                "consents": [],
                "relationships": relationships,
            }
        )
    for _ in range(consents):
        person = rng.choice(people)
        state = rng.choices(["given", "refused", "withdrawn"], weights=[6, 2, 2])[0]
        recorded = _rand_instant(
            rng, datetime(2025, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)
        )
        valid_until = None
        if state == "given" and rng.random() < 0.3:
            valid_until = _iso(recorded + timedelta(days=rng.randint(30, 720)))
        person["consents"].append(
            {
                "purpose": rng.choice(PURPOSES),
                "state": state,
                "scope": "all" if rng.random() < 0.6 else rng.choice(ORGS),
                "recorded_at": _iso(recorded),
                "valid_until": valid_until,
            }
        )
    return {"agreements": agreements, "practitioners": practitioners, "subjects": people}


def requests_for(world: dict[str, Any], n: int, seed: int) -> list[dict[str, Any]]:
    """Random requests, biased towards flows that exist so that every rule is reached."""
    rng = random.Random(seed)
    related: dict[str, list[str]] = defaultdict(list)
    by_team: dict[str, list[str]] = defaultdict(list)
    for p in world["practitioners"]:
        by_team[p["team"]].append(p["id"])
    for s in world["subjects"]:
        for r in s["relationships"]:
            for pid in [r["practitioner"]] if "practitioner" in r else by_team[r["team"]]:
                related[pid].append(s["id"])
    subjects = [s["id"] for s in world["subjects"]]
    by_org: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in world["practitioners"]:
        by_org[p["org"]].append(p)
    out = []
    for _ in range(n):
        if rng.random() < 0.75:
            # Someone a flow is meant for, asking about it, around the agreement's term.
            doc = rng.choice(world["agreements"])
            flow = rng.choice(doc["flows"])
            holder = rng.choice(flow["from"])
            org = rng.choice([o for o in flow["to"] if o != holder] or flow["to"])
            staff = by_org[org]
            fitting = [q for q in staff if q["role"] in flow["recipient_roles"]]
            p = rng.choice(fitting if fitting and rng.random() < 0.7 else staff)
            purpose = rng.choice(flow["purposes"])
            category = rng.choice(list(flow["categories"]))
            start = datetime.fromisoformat(doc["starts_on"]).replace(tzinfo=UTC)
            end = datetime.fromisoformat(doc["ends_on"]).replace(tzinfo=UTC)
            at = _rand_instant(rng, start - timedelta(days=60), end + timedelta(days=60))
        else:
            p = rng.choice(world["practitioners"])
            holder = rng.choice(ORGS)
            purpose = rng.choice(PURPOSES)
            category = rng.choice(CATEGORIES)
            at = _rand_instant(
                rng, datetime(2025, 6, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)
            )
        mine = related.get(p["id"])
        subject = rng.choice(mine) if mine and rng.random() < 0.6 else rng.choice(subjects)
        override = None
        roll = rng.random()
        if roll < 0.18:
            override = {
                "tier": "emergency",
                "basis": "safeguarding",
                "justification": "Immediate risk of serious harm to a child",
            }
        elif roll < 0.25:
            override = {
                "tier": "approved",
                "basis": "vital_interests",
                "justification": "Approved by the holder's IG lead after a call",
                "approver_org": holder if rng.random() < 0.7 else rng.choice(ORGS),
            }
        out.append(
            {
                "practitioner": p["id"],
                "subject": subject,
                "purpose": purpose,
                "holder": holder,
                "category": category,
                "at": at,
                "sealed": rng.random() < 0.05,
                "override": override,
            }
        )
    return out


# --- Sharewell's evaluator ---


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def build_ours(world: dict[str, Any]) -> tuple[AgreementIndex, dict[str, Any], dict[str, Any]]:
    index = AgreementIndex(parse_agreement(doc, known_orgs=ORGS) for doc in world["agreements"])
    practitioners = {
        p["id"]: Practitioner(
            p["id"],
            p["org"],
            p["id"],
            "",
            Role(p["role"]),
            active=p["active"],
            team=p["team"],
            training={m: date.fromisoformat(d) for m, d in p["training"].items()},
        )
        for p in world["practitioners"]
    }
    subjects = {}
    for s in world["subjects"]:
        history = ConsentHistory(
            [
                ConsentRecord(
                    s["id"],
                    Purpose(c["purpose"]),
                    c["scope"],
                    ConsentState(c["state"]),
                    _when(c["recorded_at"]),
                    valid_until=None if c["valid_until"] is None else _when(c["valid_until"]),
                )
                for c in s["consents"]
            ]
        )
        relationships = tuple(
            Relationship(
                s["id"],
                RelationshipKind.OPEN_CASE,
                date.fromisoformat(r["from"]),
                None if r["to"] is None else date.fromisoformat(r["to"]),
                practitioner_id=r.get("practitioner"),
                team=r.get("team"),
            )
            for r in s["relationships"]
        )
        subjects[s["id"]] = Subject(s["id"], s["national_opt_out"], history, relationships)
    return index, practitioners, subjects


def _override(raw: dict[str, Any] | None) -> Override | None:
    if raw is None:
        return None
    return Override(
        OverrideTier(raw["tier"]),
        OverrideBasis(raw["basis"]),
        raw["justification"],
        approved_by="I. G. Lead" if raw["tier"] == "approved" else None,
        approved_by_org=raw.get("approver_org"),
    )


# --- The independent reference: the same rules as Cedar policies ---
#
# Cedar cannot express a few things; the reference glue below precomputes them from the raw
# documents, honestly and without Sharewell's code:
#  - UK calendar days: Cedar has no time zones, so instants become epoch seconds and dates become
#    day numbers of the Europe/London calendar day (agreement dates are UK dates).
#  - Month arithmetic for training validity (Cedar has no calendar months): the first day the
#    training no longer counts is passed as a day number.
#  - "Latest consent record whose scope covers the recipient" and "has a relationship in force"
#    need a max or an exists over a list of records, which Cedar lacks: the glue selects the record
#    and passes its state, and whether a relationship is in force.
#  - "Every party has signed by t" needs the latest signature time (a max over a set): precomputed.
#  - Supersession: Cedar decides, per newer version, whether it is in force (action in_force); the
#    glue only combines those answers with `any`.
#  - Finding the candidate flows for (holder, recipient) and choosing among several flows (ADR
#    0003: a permit first, then an override permit, then the denial an emergency override could
#    overcome, then the furthest-reaching, then the fewest reasons; ties by agreement id, newest
#    version, flow order) is written again here in plain Python.

LONDON = ZoneInfo("Europe/London")
RULE_ORDER = [
    "ROLE_NOT_PERMITTED",
    "TRAINING_MISSING",
    "TRAINING_EXPIRED",
    "NO_LEGITIMATE_RELATIONSHIP",
    "CONSENT_REQUIRED",
    "CONSENT_REFUSED",
    "CONSENT_WITHDRAWN",
    "CONSENT_EXPIRED",
    "NATIONAL_OPT_OUT",
    "SEALED",
]
STAGE = {
    "AGREEMENT_NOT_IN_FORCE": 1,
    "PURPOSE_NOT_COVERED": 2,
    "CATEGORY_NOT_COVERED": 3,
    "ROLE_NOT_PERMITTED": 4,
    "TRAINING_MISSING": 5,
    "TRAINING_EXPIRED": 5,
    "NO_LEGITIMATE_RELATIONSHIP": 6,
    "CONSENT_REQUIRED": 7,
    "CONSENT_REFUSED": 7,
    "CONSENT_WITHDRAWN": 7,
    "CONSENT_EXPIRED": 7,
    "NATIONAL_OPT_OUT": 8,
    "SEALED": 9,
}

IN_FORCE = (
    "(resource.agreement.signed_all && resource.agreement.fully_signed_at <= context.at"
    " && (!resource.agreement.terminated || context.at < resource.agreement.terminated_at)"
    " && resource.agreement.starts_day <= context.day && context.day < resource.agreement.ends_day"
    " && !context.newer_in_force)"
)
COVERED = (
    f"({IN_FORCE} && resource.purposes.contains(context.purpose)"
    " && resource.categories.contains(context.category))"
)
TRAINING_MISSING = (
    "(resource.agreement.training_required && (context.training_done == -1"
    " || context.training_done > context.day))"
)
TRAINING_EXPIRED = (
    "(resource.agreement.training_required && context.training_done != -1"
    " && context.training_done <= context.day && context.day >= context.training_until)"
)
APPROVED_HERE = '(context.tier == "approved" && context.approver_org == context.holder)'

# (name, policy text). Cedar names policies policy0, policy1, ... in order.
POLICIES: list[tuple[str, str]] = [
    (
        "OWN_RECORD",
        'permit(principal, action == Action::"gate", resource)'
        " when { context.holder == principal.org };",
    ),
    (
        "PRACTITIONER_INACTIVE",
        'forbid(principal, action == Action::"gate", resource)'
        " when { context.holder != principal.org && !principal.active };",
    ),
    (
        "IN_FORCE",
        'permit(principal, action == Action::"in_force", resource) when {'
        " resource.signed_all && resource.fully_signed_at <= context.at"
        " && (!resource.terminated || context.at < resource.terminated_at)"
        " && resource.starts_day <= context.day && context.day < resource.ends_day };",
    ),
    ("AGREEMENT", 'permit(principal, action == Action::"read", resource);'),
    (
        "CONSENT_REFUSAL_OVERRIDDEN_BY_GATEWAY",
        'permit(principal, action == Action::"read", resource) when { resource.consent =='
        ' "not_required" && (context.consent == "refused" || context.consent == "withdrawn") };',
    ),
    (
        "AGREEMENT_NOT_IN_FORCE",
        f'forbid(principal, action == Action::"read", resource) when {{ !{IN_FORCE} }};',
    ),
    (
        "PURPOSE_NOT_COVERED",
        'forbid(principal, action == Action::"read", resource)'
        f" when {{ {IN_FORCE} && !resource.purposes.contains(context.purpose) }};",
    ),
    (
        "CATEGORY_NOT_COVERED",
        'forbid(principal, action == Action::"read", resource)'
        f" when {{ {IN_FORCE} && resource.purposes.contains(context.purpose)"
        " && !resource.categories.contains(context.category) };",
    ),
    (
        "ROLE_NOT_PERMITTED",
        'forbid(principal, action == Action::"read", resource)'
        f" when {{ {COVERED} && !resource.roles.contains(principal.role) }};",
    ),
    (
        "TRAINING_MISSING",
        'forbid(principal, action == Action::"read", resource)'
        f" when {{ {COVERED} && {TRAINING_MISSING} }};",
    ),
    (
        "TRAINING_EXPIRED",
        'forbid(principal, action == Action::"read", resource)'
        f" when {{ {COVERED} && {TRAINING_EXPIRED} }};",
    ),
    (
        "NO_LEGITIMATE_RELATIONSHIP",
        'forbid(principal, action == Action::"read", resource)'
        f" when {{ {COVERED} && resource.requires_relationship"
        " && !context.has_relationship };",
    ),
    (
        "CONSENT_REQUIRED",
        'forbid(principal, action == Action::"read", resource)'
        f' when {{ {COVERED} && resource.consent == "explicit"'
        ' && context.consent == "none" };',
    ),
    (
        "CONSENT_REFUSED",
        'forbid(principal, action == Action::"read", resource)'
        f' when {{ {COVERED} && resource.consent != "not_required"'
        ' && context.consent == "refused" };',
    ),
    (
        "CONSENT_WITHDRAWN",
        'forbid(principal, action == Action::"read", resource)'
        f' when {{ {COVERED} && resource.consent != "not_required"'
        ' && context.consent == "withdrawn" };',
    ),
    (
        "CONSENT_EXPIRED",
        'forbid(principal, action == Action::"read", resource)'
        f' when {{ {COVERED} && resource.consent == "explicit"'
        ' && context.consent == "given" && context.consent_expires'
        " && context.at >= context.consent_until };",
    ),
    (
        "NATIONAL_OPT_OUT",
        'forbid(principal, action == Action::"read", resource)'
        f" when {{ {COVERED} && resource.opt_out_applies"
        " && context.national_opt_out };",
    ),
    (
        "SEALED",
        'forbid(principal, action == Action::"read", resource)'
        f" when {{ {COVERED} && context.sealed }};",
    ),
    # Overrides: asked only about a flow whose read was denied.
    (
        "OVERRIDE",
        'permit(principal, action == Action::"override", resource)'
        f' when {{ context.tier == "emergency" || {APPROVED_HERE} }};',
    ),
    (
        "NO_OVERRIDE_OUTSIDE_AGREEMENT",
        f'forbid(principal, action == Action::"override", resource) when {{ !{COVERED} }};',
    ),
    (
        "NO_OVERRIDE_ROLE",
        'forbid(principal, action == Action::"override", resource)'
        " when { !resource.roles.contains(principal.role) };",
    ),
    (
        "NO_OVERRIDE_TRAINING",
        'forbid(principal, action == Action::"override", resource)'
        f" when {{ {TRAINING_MISSING} || {TRAINING_EXPIRED} }};",
    ),
    (
        "NO_OVERRIDE_OPT_OUT",
        'forbid(principal, action == Action::"override", resource)'
        " when { resource.opt_out_applies && context.national_opt_out };",
    ),
    (
        "NO_OVERRIDE_SEAL",
        'forbid(principal, action == Action::"override", resource)'
        f" when {{ context.sealed && !{APPROVED_HERE} }};",
    ),
]


def _action(text: str) -> str:
    return text.split('action == Action::"', 1)[1].split('"', 1)[0]


# One policy set per action: Cedar then evaluates only the policies that can apply.
ACTIONS = sorted({_action(text) for _name, text in POLICIES})
POLICY_NAMES = {
    action: {
        f"policy{i}": name
        for i, (name, _t) in enumerate([(n, t) for n, t in POLICIES if _action(t) == action])
    }
    for action in ACTIONS
}


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _uk_day(at: datetime) -> int:
    return at.astimezone(LONDON).date().toordinal()


def _months_later(day: date, months: int) -> date:
    m = day.month - 1 + months
    y = day.year + m // 12
    m = m % 12 + 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


class CedarReference:
    """The access rules as Cedar policies, with independent glue over the raw documents."""

    def __init__(self, world: dict[str, Any]) -> None:
        self.policies = {
            action: cedarpy.PolicySet.from_str(
                "\n".join(text for _n, text in POLICIES if _action(text) == action)
            )
            for action in ACTIONS
        }
        entities: list[dict[str, Any]] = []
        self.practitioners = {p["id"]: p for p in world["practitioners"]}
        for p in world["practitioners"]:
            entities.append(
                {
                    "uid": {"type": "Practitioner", "id": p["id"]},
                    "attrs": {"org": p["org"], "role": p["role"], "active": p["active"]},
                    "parents": [],
                }
            )
        self.flows: dict[tuple[str, str], list[tuple[str, int, int, dict[str, Any]]]] = {}
        self.docs: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, list[int]] = defaultdict(list)
        for doc in world["agreements"]:
            ref = f"{doc['id']}@{doc['version']}"
            self.docs[ref] = doc
            self.versions[doc["id"]].append(doc["version"])
            signatures = [p["signed_by"] for p in doc["parties"]]
            signed_all = all(s is not None for s in signatures)
            entities.append(
                {
                    "uid": {"type": "Agreement", "id": ref},
                    "attrs": {
                        "signed_all": signed_all,
                        "fully_signed_at": max(_epoch(s["signed_at"]) for s in signatures)
                        if signed_all
                        else 0,
                        "terminated": doc["terminated_at"] is not None,
                        "terminated_at": 0
                        if doc["terminated_at"] is None
                        else _epoch(doc["terminated_at"]),
                        "starts_day": date.fromisoformat(doc["starts_on"]).toordinal(),
                        "ends_day": date.fromisoformat(doc["ends_on"]).toordinal(),
                        "training_required": doc["training"] is not None,
                    },
                    "parents": [],
                }
            )
            for i, flow in enumerate(doc["flows"]):
                entities.append(
                    {
                        "uid": {"type": "Flow", "id": f"{ref}#{i}"},
                        "attrs": {
                            "agreement": {"__entity": {"type": "Agreement", "id": ref}},
                            "purposes": flow["purposes"],
                            "categories": list(flow["categories"]),
                            "roles": flow["recipient_roles"],
                            "consent": flow["consent"],
                            "requires_relationship": flow.get("requires_relationship", True),
                            # Same documented default as the agreement file: planning/research only.
                            "opt_out_applies": flow.get(
                                "national_opt_out_applies", "planning_research" in flow["purposes"]
                            ),
                        },
                        "parents": [],
                    }
                )
                for holder in flow["from"]:
                    for recipient in flow["to"]:
                        if holder != recipient:
                            self.flows.setdefault((holder, recipient), []).append(
                                (doc["id"], doc["version"], i, flow)
                            )
        for key in self.flows:
            self.flows[key].sort(key=lambda c: (c[0], -c[1], c[2]))
        self.entities = cedarpy.Entities.from_json_str(json.dumps(entities))
        self.subjects = {s["id"]: s for s in world["subjects"]}
        for s in world["subjects"]:
            s["_consents"] = [
                (
                    c["purpose"],
                    c["scope"],
                    c["state"],
                    _epoch(c["recorded_at"]),
                    n,
                    None if c["valid_until"] is None else _epoch(c["valid_until"]),
                )
                for n, c in enumerate(s["consents"])
            ]

    def _authorize(self, requests: list[dict[str, Any]]) -> list[tuple[bool, list[str]]]:
        out: list[tuple[bool, list[str]]] = [(False, [])] * len(requests)
        for action in ACTIONS:
            positions = [i for i, r in enumerate(requests) if r["action"]["id"] == action]
            if not positions:
                continue
            names = POLICY_NAMES[action]
            results = cedarpy.is_authorized_batch(
                [requests[i] for i in positions], self.policies[action], self.entities
            )
            for i, r in zip(positions, results, strict=True):
                if r.diagnostics.errors:
                    raise RuntimeError(f"Cedar evaluation error: {r.diagnostics.errors}")
                out[i] = (r.allowed, [names[p] for p in r.diagnostics.reasons])
        return out

    def _context(
        self, req: dict[str, Any], doc: dict[str, Any], newer_in_force: bool
    ) -> dict[str, Any]:
        p = self.practitioners[req["practitioner"]]
        s = self.subjects[req["subject"]]
        at = int(req["at"].timestamp())
        day = _uk_day(req["at"])
        latest = None
        for purpose, scope, state, recorded, n, until in s["_consents"]:
            if purpose == req["purpose"] and scope in ("all", p["org"]) and recorded <= at:
                key = (recorded, scope != "all", n)
                if latest is None or key > latest[0]:
                    latest = (key, state, until)
        related = False
        for r in s["relationships"]:
            who = r.get("practitioner") == p["id"] or r.get("team") == p["team"]
            start = date.fromisoformat(r["from"]).toordinal()
            end = None if r["to"] is None else date.fromisoformat(r["to"]).toordinal()
            if who and start <= day and (end is None or day < end):
                related = True
        done, until_day = -1, 0
        training = doc["training"]
        if training is not None and training["module"] in p["training"]:
            completed = date.fromisoformat(p["training"][training["module"]])
            done = completed.toordinal()
            until_day = _months_later(completed, training["valid_months"]).toordinal()
        override = req["override"] or {}
        return {
            "holder": req["holder"],
            "purpose": req["purpose"],
            "category": req["category"],
            "at": at,
            "day": day,
            "newer_in_force": newer_in_force,
            "consent": "none" if latest is None else latest[1],
            "consent_expires": latest is not None and latest[2] is not None,
            "consent_until": 0 if latest is None or latest[2] is None else latest[2],
            "has_relationship": related,
            "training_done": done,
            "training_until": until_day,
            "national_opt_out": s["national_opt_out"],
            "sealed": req["sealed"],
            "tier": override.get("tier", "none"),
            "approver_org": override.get("approver_org", ""),
        }

    def decide_many(self, reqs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Decide a chunk of requests with three batched rounds of Cedar queries."""
        principal = lambda r: {"type": "Practitioner", "id": r["practitioner"]}  # noqa: E731
        # Round 1: own record / inactive, and whether each newer version is in force.
        gate = [
            {
                "principal": principal(r),
                "action": {"type": "Action", "id": "gate"},
                "resource": {"type": "Holder", "id": r["holder"]},
                "context": {"holder": r["holder"]},
            }
            for r in reqs
        ]
        newer_queries: list[dict[str, Any]] = []
        newer_keys: list[tuple[int, str]] = []
        for n, r in enumerate(reqs):
            org = self.practitioners[r["practitioner"]]["org"]
            oldest: dict[str, int] = {}
            for c in self.flows.get((r["holder"], org), ()):
                oldest[c[0]] = min(c[1], oldest.get(c[0], c[1]))
            ctx = {"at": int(r["at"].timestamp()), "day": _uk_day(r["at"])}
            for agreement_id, lowest in oldest.items():
                # Only versions newer than a candidate's can supersede it.
                for version in self.versions[agreement_id]:
                    if version <= lowest:
                        continue
                    newer_keys.append((n, f"{agreement_id}@{version}"))
                    newer_queries.append(
                        {
                            "principal": principal(r),
                            "action": {"type": "Action", "id": "in_force"},
                            "resource": {"type": "Agreement", "id": f"{agreement_id}@{version}"},
                            "context": ctx,
                        }
                    )
        first = self._authorize(gate + newer_queries)
        gates = first[: len(reqs)]
        in_force = {
            key: allowed for key, (allowed, _r) in zip(newer_keys, first[len(reqs) :], strict=True)
        }
        # Round 2: every candidate flow.
        reads: list[dict[str, Any]] = []
        read_keys: list[tuple[int, tuple[str, int, int, dict[str, Any]]]] = []
        contexts: list[dict[str, Any]] = []
        for n, r in enumerate(reqs):
            allowed, reasons = gates[n]
            if allowed or reasons:
                continue
            org = self.practitioners[r["practitioner"]]["org"]
            for cand in self.flows.get((r["holder"], org), ()):
                agreement_id, version, i, _flow = cand
                newer = any(
                    in_force[(n, f"{agreement_id}@{v}")]
                    for v in self.versions[agreement_id]
                    if v > version
                )
                ctx = self._context(r, self.docs[f"{agreement_id}@{version}"], newer)
                read_keys.append((n, cand))
                contexts.append(ctx)
                reads.append(
                    {
                        "principal": principal(r),
                        "action": {"type": "Action", "id": "read"},
                        "resource": {"type": "Flow", "id": f"{agreement_id}@{version}#{i}"},
                        "context": ctx,
                    }
                )
        read_results = self._authorize(reads)
        # Round 3: for each denied flow, could the requested override (and an emergency one)
        # overcome it?
        overrides: list[dict[str, Any]] = []
        override_keys: list[tuple[int, str]] = []
        for k, (allowed, _reasons) in enumerate(read_results):
            if allowed:
                continue
            n = read_keys[k][0]
            tiers = ["emergency"]
            if reqs[n]["override"] is not None and reqs[n]["override"]["tier"] != "emergency":
                tiers.append(reqs[n]["override"]["tier"])
            for tier in tiers:
                override_keys.append((k, tier))
                overrides.append(
                    {
                        **reads[k],
                        "action": {"type": "Action", "id": "override"},
                        "context": {**contexts[k], "tier": tier},
                    }
                )
        override_results = {
            key: allowed
            for key, (allowed, _r) in zip(override_keys, self._authorize(overrides), strict=True)
        }
        # Assemble, choosing among flows as ADR 0003 says.
        per_request: dict[int, list[int]] = defaultdict(list)
        for k, (n, _cand) in enumerate(read_keys):
            per_request[n].append(k)
        out = []
        for n, r in enumerate(reqs):
            allowed, reasons = gates[n]
            base = {
                "holder": r["holder"],
                "category": r["category"],
                "agreement": None,
                "legal_basis": None,
                "fields": [],
                "override_available": False,
                "obligations": [],
                "expires_at": None,
            }
            if allowed:
                out.append({**base, "outcome": "permit", "reasons": ["OWN_RECORD"], "fields": None})
                continue
            if reasons:
                out.append({**base, "outcome": "deny", "reasons": reasons})
                continue
            if not per_request[n]:
                out.append({**base, "outcome": "deny", "reasons": ["NO_AGREEMENT"]})
                continue
            permit = over = denial = None
            tier = None if r["override"] is None else r["override"]["tier"]
            for k in per_request[n]:
                cand = read_keys[k][1]
                flow = cand[3]
                ok, why = read_results[k]
                if ok:
                    size = len(flow["categories"][r["category"]]["fields"])
                    if permit is None or size > permit[0]:
                        permit = (size, cand, "CONSENT_REFUSAL_OVERRIDDEN_BY_GATEWAY" in why)
                    continue
                if tier is not None and override_results[(k, tier)]:
                    size = len(flow["categories"][r["category"]]["fields"])
                    if over is None or size > over[0]:
                        over = (size, cand)
                    continue
                if len(why) == 1 and STAGE[why[0]] <= 3:
                    ordered = why
                else:
                    ordered = [code for code in RULE_ORDER if code in why]
                emergency = override_results[(k, "emergency")]
                key = (emergency, STAGE[ordered[0]], -len(ordered))
                if denial is None or key > denial[0]:
                    denial = (key, cand, ordered)
            if permit is not None:
                _s, cand, refused = permit
                flow = cand[3]
                out.append(
                    {
                        **base,
                        "outcome": "permit",
                        "reasons": ["AGREEMENT", "CONSENT_REFUSAL_OVERRIDDEN_BY_GATEWAY"]
                        if refused
                        else ["AGREEMENT"],
                        "agreement": f"{cand[0]}@{cand[1]}",
                        "legal_basis": dict(flow["legal_basis"]),
                        "fields": list(flow["categories"][r["category"]]["fields"]),
                        "obligations": ["RECORD_DECISION"] if refused else [],
                    }
                )
            elif over is not None:
                _s, cand = over
                flow = cand[3]
                out.append(
                    {
                        **base,
                        "outcome": "permit",
                        "reasons": ["OVERRIDE"],
                        "agreement": f"{cand[0]}@{cand[1]}",
                        "legal_basis": {
                            **flow["legal_basis"],
                            "override_basis": r["override"]["basis"],
                        },
                        "fields": list(flow["categories"][r["category"]]["fields"]),
                        "obligations": ["IG_REVIEW"],
                        "expires_at": _iso(r["at"] + timedelta(hours=4)),
                    }
                )
            else:
                assert denial is not None
                key, cand, ordered = denial
                out.append(
                    {
                        **base,
                        "outcome": "deny",
                        "reasons": ordered,
                        "agreement": f"{cand[0]}@{cand[1]}",
                        "override_available": key[0],
                    }
                )
        return out


# --- The run ---


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--consents", type=int, default=100_000)
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    world = generate(args.seed, consents=args.consents, subjects=args.subjects)
    requests = requests_for(world, args.requests, args.seed + 1)
    index, practitioners, subjects = build_ours(world)
    calls = [
        (
            practitioners[r["practitioner"]],
            subjects[r["subject"]],
            Purpose(r["purpose"]),
            r["holder"],
            DataCategory(r["category"]),
            r["at"],
            r["sealed"],
            _override(r["override"]),
        )
        for r in requests
    ]

    # Ours: one call per decision, timed one by one. The collector is paused while timing so a
    # collection of the benchmark's own garbage does not land inside one decision.
    for p, s, u, h, c, at, sealed, o in calls[:2000]:  # warm up
        decide_one(index, p, s, u, h, c, at, sealed=sealed, override=o)
    latencies = []
    ours: list[Decision] = []
    clock = time.perf_counter_ns
    gc.disable()
    started = clock()
    for p, s, u, h, c, at, sealed, o in calls:
        t0 = clock()
        decision = decide_one(index, p, s, u, h, c, at, sealed=sealed, override=o)
        latencies.append(clock() - t0)
        ours.append(decision)
    ours_total = clock() - started
    gc.enable()
    latencies.sort()

    reference = CedarReference(world)
    theirs: list[dict[str, Any]] = []
    started = clock()
    for i in range(0, len(requests), 2000):
        theirs.extend(reference.decide_many(requests[i : i + 2000]))
    reference_total = clock() - started

    disagreements = 0
    examples = []
    outcomes: dict[str, int] = defaultdict(int)
    for request, mine, ref in zip(requests, ours, theirs, strict=True):
        got = mine.as_dict()
        for reason in got["reasons"]:
            outcomes[reason] += 1
        if got != ref:
            disagreements += 1
            if len(examples) < 3:
                examples.append(
                    {
                        "request": {**request, "at": _iso(request["at"])},
                        "ours": got,
                        "reference": ref,
                    }
                )

    n = len(latencies)
    result = {
        "benchmark": "decisions",
        "organisations": len(ORGS),
        "agreements": len(world["agreements"]),
        "consent_records": sum(len(s["consents"]) for s in world["subjects"]),
        "people": len(world["subjects"]),
        "decisions": n,
        "p50_us": round(latencies[n // 2] / 1000, 2),
        "p99_us": round(latencies[min(n - 1, int(n * 0.99))] / 1000, 2),
        "mean_us": round(statistics.fmean(latencies) / 1000, 2),
        "ours_total_s": round(ours_total / 1e9, 3),
        "reference": f"Cedar policies via cedarpy {metadata.version('cedarpy')}",
        "reference_total_s": round(reference_total / 1e9, 3),
        "reference_mean_us": round(reference_total / n / 1000, 1),
        "speed_ratio": round(reference_total / ours_total, 1),
        "differential_requests": n,
        "disagreements": disagreements,
        "permits": sum(1 for d in ours if d.permitted),
        "reason_counts": dict(sorted(outcomes.items())),
    }
    if examples:
        result["examples"] = examples
    print(json.dumps(result, default=str))
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
