"""The partners of Anyshire and the buildings risk is looked at around.

Codes are stable: agreements, demo accounts, tests and documentation name them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sharewell.adapters.synthetic.geography import (
    NORTH,
    SOUTH,
    Gazetteer,
    Unit,
    boundary_latitude,
    jitter,
)
from sharewell.domain.organisations import Organisation
from sharewell.domain.vocabulary import OrganisationKind as Kind


@dataclass(frozen=True, slots=True)
class Site:
    """Where a partner works from or a key building stands (placed on the map per seed)."""

    id: str
    name: str
    kind: str
    org_code: str | None
    district: str
    near_boundary: bool = False
    phase: str | None = None  # schools: "primary" or "secondary"


# Organisations whose council area comes from the map (their site), not from a fixed value.
_SITED = {Kind.GP_PRACTICE, Kind.SCHOOL}

_ORGANISATIONS: tuple[tuple[str, str, Kind, str | None], ...] = (
    ("POL", "Anyshire Police", Kind.POLICE, None),
    ("ACU", "Anyshire Hospitals NHS Foundation Trust", Kind.ACUTE_TRUST, None),
    ("MHT", "Anyshire and Dales Mental Health NHS Trust", Kind.MENTAL_HEALTH_TRUST, None),
    ("AMB", "North Sea Ambulance Service NHS Trust", Kind.AMBULANCE, None),
    ("GP1", "Anyford Market Surgery", Kind.GP_PRACTICE, None),
    ("GP2", "Riverside Medical Centre", Kind.GP_PRACTICE, None),
    ("GP3", "Northby Health Centre", Kind.GP_PRACTICE, None),
    ("GP4", "Kettlewick Surgery", Kind.GP_PRACTICE, None),
    ("GP5", "Southmere Medical Practice", Kind.GP_PRACTICE, None),
    ("GP6", "Brackenfield and Eastwold Surgery", Kind.GP_PRACTICE, None),
    ("SCH1", "Anyford North Primary School", Kind.SCHOOL, None),
    ("SCH2", "St Mary's Church of England Primary School", Kind.SCHOOL, None),
    ("SCH3", "Northby Primary School", Kind.SCHOOL, None),
    ("SCH4", "Southmere Primary Academy", Kind.SCHOOL, None),
    ("SCH5", "Brackenfield Primary School", Kind.SCHOOL, None),
    ("SCH6", "Anyford Academy", Kind.SCHOOL, None),
    ("SCH7", "Northby High School", Kind.SCHOOL, None),
    ("SCH8", "Southmere School", Kind.SCHOOL, None),
    ("HSG1", "North Anyshire Homes", Kind.HOUSING, NORTH),
    ("HSG2", "Southmere and Dales Housing Association", Kind.HOUSING, SOUTH),
    ("YJS", "Anyshire Youth Justice Service", Kind.YOUTH_JUSTICE, None),
    ("VOL", "Anyshire Family Support", Kind.VOLUNTARY_SECTOR, None),
    (
        "CSCN",
        "North Anyshire Council Children's Social Care",
        Kind.LOCAL_AUTHORITY_CHILDRENS,
        NORTH,
    ),
    (
        "CSCS",
        "South Anyshire Council Children's Social Care",
        Kind.LOCAL_AUTHORITY_CHILDRENS,
        SOUTH,
    ),
    ("ASCN", "North Anyshire Council Adult Social Care", Kind.LOCAL_AUTHORITY_ADULTS, NORTH),
    ("ASCS", "South Anyshire Council Adult Social Care", Kind.LOCAL_AUTHORITY_ADULTS, SOUTH),
    ("EHN", "North Anyshire Early Help", Kind.EARLY_HELP, NORTH),
    ("EHS", "South Anyshire Early Help", Kind.EARLY_HELP, SOUTH),
)

ORG_CODES: tuple[str, ...] = tuple(code for code, *_ in _ORGANISATIONS)
HEALTH_ORGS = frozenset({"ACU", "MHT", "AMB", "GP1", "GP2", "GP3", "GP4", "GP5", "GP6"})
GP_CODES = ("GP1", "GP2", "GP3", "GP4", "GP5", "GP6")

# Per council area: children's social care, adult social care, early help, housing.
COUNCIL_SERVICES: dict[str, dict[str, str]] = {
    NORTH: {"csc": "CSCN", "asc": "ASCN", "eh": "EHN", "housing": "HSG1"},
    SOUTH: {"csc": "CSCS", "asc": "ASCS", "eh": "EHS", "housing": "HSG2"},
}

SITES: tuple[Site, ...] = (
    Site("KB-GP1", "Anyford Market Surgery", "gp_surgery", "GP1", "AY1"),
    Site("KB-GP2", "Riverside Medical Centre", "gp_surgery", "GP2", "AY3"),
    Site("KB-GP3", "Northby Health Centre", "gp_surgery", "GP3", "AY4"),
    Site("KB-GP4", "Kettlewick Surgery", "gp_surgery", "GP4", "AY5"),
    Site("KB-GP5", "Southmere Medical Practice", "gp_surgery", "GP5", "AY7"),
    Site("KB-GP6", "Brackenfield and Eastwold Surgery", "gp_surgery", "GP6", "AY8"),
    Site("KB-SCH1", "Anyford North Primary School", "school", "SCH1", "AY2", phase="primary"),
    Site("KB-SCH2", "St Mary's CE Primary School", "school", "SCH2", "AY3", phase="primary"),
    Site("KB-SCH3", "Northby Primary School", "school", "SCH3", "AY4", phase="primary"),
    Site("KB-SCH4", "Southmere Primary Academy", "school", "SCH4", "AY7", phase="primary"),
    Site("KB-SCH5", "Brackenfield Primary School", "school", "SCH5", "AY8", phase="primary"),
    Site("KB-SCH6", "Anyford Academy", "school", "SCH6", "AY1", True, phase="secondary"),
    Site("KB-SCH7", "Northby High School", "school", "SCH7", "AY4", phase="secondary"),
    Site("KB-SCH8", "Southmere School", "school", "SCH8", "AY7", phase="secondary"),
    Site("KB-HOSP", "Anyshire General Hospital", "hospital", "ACU", "AY2"),
    Site("KB-MHU", "Dales House Mental Health Unit", "mental_health_unit", "MHT", "AY10"),
    Site("KB-POL", "Anyford Police Station", "police_station", "POL", "AY1"),
    Site("KB-CH1", "Oakleigh House Care Home", "care_home", None, "AY3"),
    Site("KB-CH2", "Heatherbank Care Home", "care_home", None, "AY4"),
    Site("KB-CH3", "The Willows Nursing Home", "care_home", None, "AY8"),
    Site("KB-HST", "Station Road Hostel", "hostel", None, "AY1"),
    Site("KB-YTH", "Saltbridge Youth Centre", "youth_centre", None, "AY10"),
)


@dataclass(frozen=True, slots=True)
class PlacedSite:
    """A site with its place on the map."""

    site: Site
    unit: Unit
    latitude: float
    longitude: float

    @property
    def council_area(self) -> str:
        return self.unit.council_area


def place_sites(rng: random.Random, gazetteer: Gazetteer) -> dict[str, PlacedSite]:
    """Put every site in a unit of its district (by the boundary when the site asks)."""
    placed: dict[str, PlacedSite] = {}
    for site in SITES:
        candidates = gazetteer.in_district(site.district)
        if site.near_boundary:
            candidates.sort(key=lambda u: abs(u.latitude - boundary_latitude(u.longitude)))
            unit = candidates[rng.randrange(min(3, len(candidates)))]
        else:
            unit = candidates[rng.randrange(len(candidates))]
        lat, lon = jitter(rng, unit.latitude, unit.longitude, 0.02)
        placed[site.id] = PlacedSite(site, unit, lat, lon)
    return placed


def organisations(sites: dict[str, PlacedSite]) -> list[Organisation]:
    """The partnership's organisations; GP practices and schools take their site's area."""
    by_org = {p.site.org_code: p for p in sites.values() if p.site.org_code}
    result = []
    for code, name, kind, area in _ORGANISATIONS:
        if kind in _SITED:
            area = by_org[code].council_area
        result.append(
            Organisation(
                code=code,
                name=name,
                kind=kind,
                council_area=area,
                contact_email=f"information-sharing@{code.lower()}.anyshire.example",
            )
        )
    return result
