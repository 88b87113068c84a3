"""A readable base scenario (the Anyshire charter) and small helpers to vary it in tests."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from sharewell.domain.access import AccessRequest, AgreementIndex
from sharewell.domain.agreements import parse_agreement
from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import DataCategory, Purpose, Role

SIGNED = "2025-12-01T10:00:00Z"


def party(org: str, signed_at: str | None = SIGNED) -> dict[str, Any]:
    if signed_at is None:
        return {"org": org, "signed_by": None}
    return {
        "org": org,
        "signed_by": {"name": f"Signatory {org}", "role": "Director", "signed_at": signed_at},
    }


POLICE_TO_SCHOOLS = {
    "from": ["POL"],
    "to": ["SCH1", "SCH2"],
    "purposes": ["safeguarding_children"],
    "categories": {"criminal_offence": {"fields": ["occurred_at", "incident_type"]}},
    "recipient_roles": ["designated_safeguarding_lead"],
    "legal_basis": {
        "article6": "6(1)(e)",
        "condition": "DPA2018 Sch1 para 18",
        "gateway": "Children Act 2004 s.11",
    },
    "consent": "not_required",
    "requires_relationship": True,
    "national_opt_out_applies": False,
}
SCHOOL_TO_EARLY_HELP = {
    "from": ["SCH1"],
    "to": ["EHS"],
    "purposes": ["early_help"],
    "categories": {"education": {"fields": ["attendance", "exclusions"]}},
    "recipient_roles": ["early_help_practitioner"],
    "legal_basis": {"article6": "6(1)(e)"},
    "consent": "explicit",
    "requires_relationship": True,
}
HEALTH_DIRECT_CARE = {
    "from": ["GP1", "ACU"],
    "to": ["GP1", "ACU"],
    "purposes": ["direct_care"],
    "categories": {"health": {"fields": ["diagnoses", "medications", "allergies"]}},
    "recipient_roles": ["gp", "hospital_clinician"],
    "legal_basis": {
        "article6": "6(1)(e)",
        "article9": "9(2)(h)",
        "gateway": "Health and Social Care Act 2012 s.251B",
    },
    "consent": "implied",
    "requires_relationship": True,
}
HEALTH_RESEARCH = {
    "from": ["GP1"],
    "to": ["CSCN"],
    "purposes": ["planning_research"],
    "categories": {"health": {"fields": ["diagnoses"]}},
    "recipient_roles": ["analyst"],
    "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"},
    "consent": "implied",
    "requires_relationship": False,
    "national_opt_out_applies": True,
}


def charter(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "anyshire-charter",
        "version": 1,
        "title": "Anyshire Information Sharing Charter",
        "starts_on": "2026-01-01",
        "ends_on": "2031-01-01",
        "review_on": "2027-01-01",
        "parties": [party(o) for o in ("POL", "SCH1", "SCH2", "EHS", "GP1", "ACU", "CSCN")],
        "terminated_at": None,
        "training": {"module": "golden-rules", "valid_months": 12},
        "flows": copy.deepcopy(
            [POLICE_TO_SCHOOLS, SCHOOL_TO_EARLY_HELP, HEALTH_DIRECT_CARE, HEALTH_RESEARCH]
        ),
    }
    doc.update(changes)
    return doc


def base() -> dict[str, Any]:
    """A school DSL asks the police about a pupil's domestic abuse incident, all in order."""
    return {
        "at": "2026-03-01T10:00:00Z",
        "agreements": [charter()],
        "practitioner": {
            "id": "p1",
            "org": "SCH1",
            "role": "designated_safeguarding_lead",
            "active": True,
            "training": {"golden-rules": "2026-01-10"},
        },
        "subject": {
            "id": "s1",
            "national_opt_out": False,
            "consents": [],
            "relationships": [{"practitioner": "p1", "from": "2025-09-01", "to": None}],
        },
        "request": {
            "purpose": "safeguarding_children",
            "holders": ["POL"],
            "categories": ["criminal_offence"],
            "sealed": [],
        },
    }


def consent(
    state: str,
    *,
    purpose: str = "early_help",
    scope: str = "all",
    at: str = "2026-02-01T09:00:00Z",
    valid_until: str | None = None,
) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "state": state,
        "scope": scope,
        "recorded_at": at,
        "valid_until": valid_until,
    }


EMERGENCY = {
    "tier": "emergency",
    "basis": "safeguarding",
    "justification": "Child disclosed injuries at school this morning",
}


def approved(org: str = "POL") -> dict[str, Any]:
    return {
        "tier": "approved",
        "basis": "safeguarding",
        "justification": "Strategy discussion needs the sealed record today",
        "approved_by": {"name": "I. G. Lead", "org": org},
    }


# The same scenario as domain objects, for tests that call `decide` directly: a school's
# designated safeguarding lead (trained, no relationship recorded) asking the police for
# criminal offence data to safeguard a child.
def school_lead() -> Practitioner:
    return Practitioner(
        "p1",
        "SCH1",
        "Dee Lead",
        "dee@example.org",
        Role.DESIGNATED_SAFEGUARDING_LEAD,
        training={"golden-rules": date(2026, 1, 10)},
    )


def charter_index() -> AgreementIndex:
    return AgreementIndex([parse_agreement(charter())])


POLICE_OFFENCES_REQUEST = AccessRequest(
    Purpose.SAFEGUARDING_CHILDREN, ("POL",), (DataCategory.CRIMINAL_OFFENCE,)
)
