"""The example calibration and personas shared by the joint-risk tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import Role

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "risk-calibration.example.yaml"


def example_document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return copy.deepcopy(loaded)


def small_document(version: int = 1, police_high: int = 4) -> dict[str, Any]:
    """Two parties, two scales: police DASH and a school's concern level."""
    return {
        "id": "test-calibration",
        "version": version,
        "title": "Test calibration",
        "parties": ["POL", "SCH1"],
        "scales": {
            "police_dash": {
                "owner": "POL",
                "name": "Police DASH",
                "levels": ["standard", "medium", "high"],
                "indicator_threshold": 14,
                "threshold_level": "high",
            },
            "school_concern": {
                "owner": "SCH1",
                "name": "School concern",
                "levels": ["low", "medium", "high"],
            },
        },
        "mapping": {
            "police_dash": [
                {"level": "standard", "common": 1},
                {"level": "medium", "common": 2},
                {"level": "high", "common": police_high},
            ],
            "school_concern": [
                {"level": "low", "common": 1},
                {"level": "medium", "common": 2},
                {"level": "high", "common": 3},
            ],
        },
        "evidence": {
            "factual": {"weight": 1.0, "full_weight_days": 365, "counts_for_days": 1095},
            "anecdotal": {"weight": 0.4, "full_weight_days": 90, "counts_for_days": 365},
        },
        "combine": "highest",
        "assessment_valid_days": 365,
    }


def person(pid: str, org: str, role: Role) -> Practitioner:
    return Practitioner(id=pid, org_code=org, name=f"{pid} name", email=f"{pid}@x.org", role=role)


POLICE_IG = person("pol-ig", "POL", Role.IG_LEAD)
SCHOOL_IG = person("sch-ig", "SCH1", Role.IG_LEAD)
SOCIAL_WORKER = person("sw", "CSCN", Role.SOCIAL_WORKER)
