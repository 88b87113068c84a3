"""The Anyshire generator: people in households, each agency's records of them, their facts.

The generator yields `Batch`es of plain row tuples (in `COLUMNS` order) so the loader can stream
them into storage without holding the whole partnership in memory. Everything comes from
`random.Random` streams seeded from the configuration, never from the clock or from hash order:
the same `DemoConfig` always yields the same rows.

Ground truth (truth_people, truth_records, truth_clusters, truth_families) is emitted alongside
but kept in its own tables: agencies' records carry no hint of who is who.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sharewell.adapters.synthetic import vocabulary as words
from sharewell.adapters.synthetic.facts import WRITERS, Context
from sharewell.adapters.synthetic.geography import (
    Gazetteer,
    Unit,
    boundary_latitude,
    build_gazetteer,
    distance_km,
    jitter,
    point_within,
)
from sharewell.adapters.synthetic.names import NamePools, name_pools, nickname, typo
from sharewell.adapters.synthetic.partnership import (
    COUNCIL_SERVICES,
    GP_CODES,
    PlacedSite,
    organisations,
    place_sites,
)
from sharewell.domain import nhs_numbers
from sharewell.domain.errors import ValidationError

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "organisations": ("code", "name", "kind", "council_area", "contact_email"),
    "postcodes": ("postcode", "district", "sector", "council_area", "latitude", "longitude"),
    "key_buildings": ("id", "name", "kind", "org_code", "postcode", "latitude", "longitude"),
    "households": ("id", "address", "postcode", "latitude", "longitude", "council_area"),
    "household_members": ("household_id", "person_key", "relationship", "moved_in", "moved_out"),
    "truth_people": (
        "person_key",
        "household_id",
        "given_name",
        "family_name",
        "birth_family_name",
        "date_of_birth",
        "sex",
        "nhs_number",
    ),
    "source_records": (
        "org_code",
        "local_id",
        "given_name",
        "middle_names",
        "family_name",
        "dob_year",
        "dob_month",
        "dob_day",
        "sex",
        "nhs_number",
        "nhs_number_valid",
        "address",
        "postcode",
    ),
    "truth_records": ("org_code", "local_id", "person_key", "errors"),
    "facts": (
        "id",
        "org_code",
        "local_id",
        "category",
        "code",
        "occurred_at",
        "summary",
        "detail",
        "sensitivity",
        "latitude",
        "longitude",
    ),
    "truth_families": ("household_id", "problems"),
    "truth_clusters": (
        "id",
        "kind",
        "category",
        "latitude",
        "longitude",
        "radius_m",
        "incidents",
        "building_id",
    ),
}
# Load order: parents before the rows that refer to them.
TABLES: tuple[str, ...] = tuple(COLUMNS)

MAX_PEOPLE = 2_000_000
FACT_WINDOW_DAYS = 3 * 365


@dataclass(frozen=True, slots=True)
class DemoConfig:
    """What to generate: how many people, from which seed, as at which date."""

    people: int
    seed: int
    as_of: date

    def __post_init__(self) -> None:
        if not 1 <= self.people <= MAX_PEOPLE:
            raise ValidationError(
                f"The number of people must be between 1 and {MAX_PEOPLE:,}, not {self.people}",
                field="people",
            )
        if self.seed < 0:
            raise ValidationError(f"The seed must be 0 or more, not {self.seed}", field="seed")


@dataclass
class Batch:
    """Rows for some tables, and how many more people they complete."""

    rows: dict[str, list[Row]]
    people: int = 0


# Per agency group: chance a record carries the NHS number; chance of each slip.
@dataclass(frozen=True, slots=True)
class _ErrorRates:
    nhs_present: float
    nhs_invalid: float
    nickname: float
    typo: float
    dob_swap: float
    dob_partial: float
    dob_missing: float
    old_address: float
    old_surname: float
    keeps_middle: float
    duplicate: float = 0.0


_RATES: dict[str, _ErrorRates] = {
    "gp": _ErrorRates(0.995, 0.003, 0.01, 0.01, 0.005, 0, 0, 0.08, 0.08, 0.95),
    "acute": _ErrorRates(0.97, 0.005, 0.02, 0.02, 0.01, 0, 0, 0.3, 0.35, 0.8, 0.012),
    "mental_health": _ErrorRates(0.97, 0.005, 0.03, 0.02, 0.01, 0, 0, 0.25, 0.3, 0.8),
    "ambulance": _ErrorRates(0.8, 0.01, 0.05, 0.04, 0.02, 0.02, 0.03, 0.3, 0.4, 0.2),
    "school": _ErrorRates(0.15, 0.01, 0.06, 0.02, 0.015, 0, 0, 0.3, 0.2, 0.7),
    "police": _ErrorRates(0.05, 0.02, 0.12, 0.04, 0.025, 0.02, 0.01, 0.45, 0.5, 0.4, 0.015),
    "social_care": _ErrorRates(0.6, 0.01, 0.05, 0.03, 0.015, 0, 0, 0.35, 0.45, 0.7),
    "early_help": _ErrorRates(0.4, 0.01, 0.07, 0.03, 0.02, 0, 0, 0.35, 0.45, 0.5),
    "housing": _ErrorRates(0.03, 0.02, 0.08, 0.03, 0.02, 0, 0, 0.4, 0.5, 0.3),
    "youth_justice": _ErrorRates(0.35, 0.01, 0.1, 0.03, 0.02, 0, 0, 0.35, 0.3, 0.5),
    "voluntary": _ErrorRates(0.02, 0.02, 0.2, 0.05, 0.02, 0.05, 0.08, 0.4, 0.5, 0.1),
}

# Local identifiers look different in every agency, as they do in life.
_PREFIX = {
    "gp": "G",
    "acute": "M",
    "mental_health": "R",
    "ambulance": "C",
    "school": "U",
    "police": "N",
    "social_care": "L",
    "early_help": "E",
    "housing": "T",
    "youth_justice": "Y",
    "voluntary": "V",
}


def _weighted(rng: random.Random, options: tuple[Any, ...], cum: tuple[float, ...]) -> Any:
    """One of `options` by cumulative weights (what rng.choices does, without its overhead)."""
    return options[bisect(cum, rng.random() * cum[-1])]


def _cum(*weights: float) -> tuple[float, ...]:
    return tuple(itertools.accumulate(weights))


_HOUSEHOLD_KINDS = ("single", "couple", "family", "lone_parent", "three_gen", "shared", "grown_up")
_HOUSEHOLD_CUM = _cum(27, 26, 21, 9, 3, 5, 9)
_CHILDREN_CUM = _cum(38, 40, 16, 6)
_GP_VISITS_CUM = _cum(45, 25, 15, 10, 5)
_AE_VISITS_CUM = _cum(70, 22, 8)
_POLICE_COUNT_CUM = _cum(60, 28, 12)


@cache
def _group(org_code: str) -> str:
    if org_code.startswith("GP"):
        return "gp"
    if org_code.startswith("SCH"):
        return "school"
    if org_code.startswith("HSG"):
        return "housing"
    if org_code.startswith(("CSC", "ASC")):
        return "social_care"
    if org_code.startswith("EH"):
        return "early_help"
    return {
        "ACU": "acute",
        "MHT": "mental_health",
        "AMB": "ambulance",
        "POL": "police",
        "YJS": "youth_justice",
        "VOL": "voluntary",
    }[org_code]


@dataclass(slots=True)
class _Household:
    id: str
    unit: Unit
    address: str
    latitude: float
    longitude: float
    moved_in: date
    previous: tuple[str, str] | None  # (address, postcode) before a recent move
    social_housing: bool
    members: list[_Person] = field(default_factory=list)

    moved_in_timestamp: float = 0.0

    def __post_init__(self) -> None:
        day = self.moved_in
        self.moved_in_timestamp = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


@dataclass(slots=True)
class _Person:
    key: str
    household: _Household
    relationship: str
    given: str
    middle: str | None
    family: str
    birth_family: str
    dob: date
    age: int
    sex: str
    nhs: str
    surname_changed_recently: bool
    # org code -> planned facts: (code, extra) pairs on top of each agency's background facts.
    plans: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    def plan(self, org: str, code: str | None = None, **extra: Any) -> None:
        planned = self.plans.setdefault(org, [])
        if code is not None:
            planned.append((code, extra))


@dataclass(frozen=True, slots=True)
class _Cluster:
    id: str
    kind: str
    category: str
    org: str
    code: str
    latitude: float
    longitude: float
    radius_m: float
    per_person: float
    min_age: int
    max_age: int
    building_id: str | None


class AnyshireGenerator:
    """Generates the whole synthetic partnership for one `DemoConfig`, batch by batch."""

    def __init__(self, config: DemoConfig, *, chunk_people: int = 5_000) -> None:
        self.config = config
        self.chunk_people = chunk_people
        seed = config.seed
        self._geo_rng = random.Random(f"anyshire-geography-{seed}")
        self._rng = random.Random(f"anyshire-people-{seed}")
        self.gazetteer: Gazetteer = build_gazetteer(self._geo_rng)
        self.sites: dict[str, PlacedSite] = place_sites(self._geo_rng, self.gazetteer)
        self.organisations = organisations(self.sites)
        self.clusters = self._plan_clusters()
        self._pools: NamePools = name_pools()
        self._nhs_seen: set[str] = set()
        self._local_counters: dict[str, int] = {}
        self._fact_counter = 0
        self._household_counter = 0
        self._person_counter = 0
        self._unit_numbers: dict[str, int] = {}
        self._cluster_done: dict[str, int] = {c.id: 0 for c in self.clusters}
        as_of = config.as_of
        self._as_of = as_of
        end = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
        self._t_end = end.timestamp()
        self._t_start = (end - timedelta(days=FACT_WINDOW_DAYS)).timestamp()
        self._primaries = [p for p in self.sites.values() if p.site.phase == "primary"]
        self._secondaries = [p for p in self.sites.values() if p.site.phase == "secondary"]
        self._gps = [self.sites[f"KB-{code}"] for code in GP_CODES]
        self._academic_year_text = self._academic_year()

    # ---- the plan of the map ----------------------------------------------------------------

    def _plan_clusters(self) -> list[_Cluster]:
        rng = self._geo_rng
        school = self.sites["KB-SCH6"]
        care_home = self.sites["KB-CH1"]
        hostel = self.sites["KB-HST"]
        # A boundary estate in Anyford, kept clear of the hostel's and the school's clusters.
        options = [2.05, 2.065, 2.08, 2.095, 2.11]

        def clearance(lon: float) -> float:
            lat = boundary_latitude(lon)
            return min(distance_km(lat, lon, s.latitude, s.longitude) for s in (school, hostel))

        estate_lon = max(options, key=clearance)
        rural_lon = 2.40 + rng.uniform(-0.01, 0.01)
        # The poorest sector of Southmere hosts a neighbourhood cluster.
        southmere = max(
            (u for u in self.gazetteer.units if u.district == "AY7"),
            key=lambda u: (u.deprivation, u.postcode),
        )
        return [
            _Cluster(
                "CL1",
                "boundary",
                "criminal_offence",
                "POL",
                "domestic_abuse_incident",
                round(boundary_latitude(estate_lon), 6),
                estate_lon,
                350,
                0.007,
                18,
                60,
                None,
            ),
            _Cluster(
                "CL2",
                "boundary",
                "criminal_offence",
                "POL",
                "drug_offence",
                round(boundary_latitude(rural_lon), 6),
                round(rural_lon, 6),
                450,
                0.005,
                16,
                35,
                None,
            ),
            _Cluster(
                "CL3",
                "key_building",
                "police_intelligence",
                "POL",
                "anti_social_behaviour",
                school.latitude,
                school.longitude,
                300,
                0.004,
                12,
                19,
                school.site.id,
            ),
            _Cluster(
                "CL4",
                "key_building",
                "health",
                "AMB",
                "ambulance_callout",
                care_home.latitude,
                care_home.longitude,
                120,
                0.003,
                70,
                110,
                care_home.site.id,
            ),
            _Cluster(
                "CL5",
                "key_building",
                "criminal_offence",
                "POL",
                "arrest",
                hostel.latitude,
                hostel.longitude,
                250,
                0.005,
                18,
                60,
                hostel.site.id,
            ),
            _Cluster(
                "CL6",
                "area",
                "police_intelligence",
                "POL",
                "concern_for_welfare",
                southmere.latitude,
                southmere.longitude,
                400,
                0.004,
                18,
                90,
                None,
            ),
        ]

    def cluster_target(self, cluster: _Cluster) -> int:
        """How many incidents a cluster gets in total: scaled with the population."""
        return max(20, round(cluster.per_person * self.config.people))

    # ---- batches ---------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        """Everything, in load order: the partnership and map first, then people chunk by chunk."""
        yield Batch(
            rows={
                "organisations": [
                    (o.code, o.name, o.kind.value, o.council_area, o.contact_email)
                    for o in self.organisations
                ],
                "postcodes": [
                    (u.postcode, u.district, u.sector, u.council_area, u.latitude, u.longitude)
                    for u in self.gazetteer.units
                ],
                "key_buildings": [
                    (
                        p.site.id,
                        p.site.name,
                        p.site.kind,
                        p.site.org_code,
                        p.unit.postcode,
                        p.latitude,
                        p.longitude,
                    )
                    for p in self.sites.values()
                ],
            }
        )
        done = 0
        total = self.config.people
        while done < total:
            batch = self._chunk(done)
            yield batch
            done += batch.people
        yield Batch(
            rows={
                "truth_clusters": [
                    (
                        c.id,
                        c.kind,
                        c.category,
                        c.latitude,
                        c.longitude,
                        c.radius_m,
                        self._cluster_done[c.id],
                        c.building_id,
                    )
                    for c in self.clusters
                ]
            }
        )

    def _chunk(self, done: int) -> Batch:
        remaining = self.config.people - done
        rows: dict[str, list[Row]] = {
            name: []
            for name in (
                "households",
                "household_members",
                "truth_people",
                "source_records",
                "truth_records",
                "facts",
                "truth_families",
            )
        }
        households: list[_Household] = []
        people: list[_Person] = []
        # Whole households: only the very last one is cut short, to give exactly `people`.
        while len(people) < min(self.chunk_people, remaining):
            household = self._household(remaining - len(people))
            households.append(household)
            people.extend(household.members)
        for household in households:
            self._background_services(household)
            problems = self._multiple_problems(household)
            if problems:
                rows["truth_families"].append((household.id, ",".join(problems)))
        self._plant_clusters(people, done, len(people))
        self._emit(households, rows)
        return Batch(rows=rows, people=len(people))

    # ---- people and households -------------------------------------------------------------

    def _household(self, room: int) -> _Household:
        rng = self._rng
        unit = self.gazetteer.draw(rng)
        self._household_counter += 1
        hid = f"H{self._household_counter:07d}"
        number = self._unit_numbers.get(unit.postcode, 0) + 1 + rng.randrange(3)
        self._unit_numbers[unit.postcode] = number
        address = f"{number} {unit.street}, {unit.town}"
        if unit.deprivation > 0.55 and rng.random() < 0.4:
            address = f"Flat {rng.randint(1, 24)}, {address}"
        lat, lon = jitter(rng, unit.latitude, unit.longitude, 0.04)
        years_here = min(rng.expovariate(1 / 7.0), 40.0)
        moved_in = self._as_of - timedelta(days=int(years_here * 365.25))
        previous = None
        if years_here < 3:
            old = self.gazetteer.draw(rng)
            previous = (f"{rng.randint(1, 120)} {old.street}, {old.town}", old.postcode)
        social = rng.random() < 0.05 + 0.3 * unit.deprivation
        household = _Household(
            hid, unit, address, lat, lon, moved_in, previous, social_housing=social
        )
        self._members(household, room)
        return household

    def _members(self, household: _Household, room: int) -> None:
        rng = self._rng
        pools = self._pools
        surname = pools.family_name(rng)
        kind = _weighted(rng, _HOUSEHOLD_KINDS, _HOUSEHOLD_CUM)
        if kind == "single":
            self._adult(household, rng.randint(19, 92), surname, "adult")
        elif kind == "shared":
            for _ in range(rng.randint(2, 4)):
                self._adult(household, rng.randint(19, 35), pools.family_name(rng), "lodger")
        else:
            lone = kind == "lone_parent"
            base = rng.randint(20, 85) if kind == "couple" else rng.randint(20, 52)
            first = self._adult(household, base, surname, "parent")
            if not lone:
                self._partner(household, first, surname)
            if kind in ("family", "lone_parent", "three_gen"):
                oldest = max(0, min(17, base - 18))
                for _ in range(_weighted(rng, (1, 2, 3, 4), _CHILDREN_CUM)):
                    age = rng.randint(0, oldest) if oldest > 0 else 0
                    kid_surname = surname
                    if lone and rng.random() < 0.3:
                        kid_surname = pools.family_name(rng)
                    self._child(household, age, kid_surname)
            if kind == "grown_up":
                for _ in range(rng.randint(1, 2)):
                    age = rng.randint(18, max(18, min(34, base - 18)))
                    self._child(household, age, surname)
            if kind == "three_gen":
                self._adult(household, min(99, base + rng.randint(22, 32)), surname, "grandparent")
        del household.members[room:]

    def _new_person(
        self,
        household: _Household,
        age: int,
        sex: str,
        given: str,
        family: str,
        birth_family: str,
        relationship: str,
        surname_changed_recently: bool = False,
    ) -> _Person:
        rng = self._rng
        self._person_counter += 1
        ordinal = self._as_of.toordinal() - int((age + rng.random()) * 365.2425) - 1
        dob = date.fromordinal(ordinal)
        exact_age = (
            self._as_of.year
            - dob.year
            - ((self._as_of.month, self._as_of.day) < (dob.month, dob.day))
        )
        middle = None
        if rng.random() < 0.55:
            middle = self._pools.given_name(rng, sex)
        while True:
            # The 9xx test range, as nhs_numbers.generate draws, in one call rather than eight.
            first_nine = f"9{rng.randrange(100_000_000):08d}"
            digit = nhs_numbers.check_digit(first_nine)
            if digit is None:
                continue
            nhs = f"{first_nine}{digit}"
            if nhs not in self._nhs_seen:
                self._nhs_seen.add(nhs)
                break
        person = _Person(
            key=f"P{self._person_counter:07d}",
            household=household,
            relationship=relationship,
            given=given,
            middle=middle if middle != given else None,
            family=family,
            birth_family=birth_family,
            dob=dob,
            age=exact_age,
            sex=sex,
            nhs=nhs,
            surname_changed_recently=surname_changed_recently,
        )
        household.members.append(person)
        return person

    def _adult(self, household: _Household, age: int, surname: str, relationship: str) -> _Person:
        rng = self._rng
        sex = "female" if rng.random() < 0.52 else "male"
        return self._new_person(
            household, age, sex, self._pools.given_name(rng, sex), surname, surname, relationship
        )

    def _partner(self, household: _Household, first: _Person, surname: str) -> _Person:
        rng = self._rng
        other = "male" if first.sex == "female" else "female"
        sex = other if rng.random() < 0.92 else first.sex
        age = max(18, min(99, first.age + rng.randint(-6, 6)))
        given = self._pools.given_name(rng, sex)
        if rng.random() < 0.65:
            # Married and sharing a surname: one partner changed theirs, some of them lately.
            birth = self._pools.family_name(rng)
            while birth == surname:
                birth = self._pools.family_name(rng)
            recent = rng.random() < 0.25
            return self._new_person(
                household,
                age,
                sex,
                given,
                surname,
                birth,
                "partner",
                surname_changed_recently=recent,
            )
        own = self._pools.family_name(rng)
        return self._new_person(household, age, sex, given, own, own, "partner")

    def _child(self, household: _Household, age: int, surname: str) -> _Person:
        rng = self._rng
        sex = "female" if rng.random() < 0.49 else "male"
        given = self._pools.given_name(rng, sex)
        return self._new_person(household, age, sex, given, surname, surname, "child")

    # ---- who knows whom ---------------------------------------------------------------------

    def _nearest(self, sites: list[PlacedSite], household: _Household) -> PlacedSite:
        return min(
            sites,
            key=lambda s: (
                (s.latitude - household.latitude) ** 2
                + ((s.longitude - household.longitude) * 0.577) ** 2
            ),
        )

    def _background_services(self, household: _Household) -> None:
        rng = self._rng
        area = household.unit.council_area
        council = COUNCIL_SERVICES[area]
        need = 0.6 + 1.4 * household.unit.deprivation  # poorer sectors see more of every service
        gp = self._nearest(self._gps, household).site.org_code
        primary = self._nearest(self._primaries, household).site.org_code
        secondary = self._nearest(self._secondaries, household).site.org_code
        assert gp and primary and secondary
        children = [p for p in household.members if p.age < 18]
        for person in household.members:
            age = person.age
            if rng.random() < 0.98:
                practice = gp if rng.random() < 0.88 else GP_CODES[rng.randrange(len(GP_CODES))]
                person.plan(practice)
            if 4 <= age <= 10:
                person.plan(primary)
            elif 11 <= age <= 15 or (16 <= age <= 17 and rng.random() < 0.75):
                person.plan(secondary)
            if rng.random() < 0.16 + age / 400:
                person.plan("ACU")
            if rng.random() < (0.03 + age / 1200) * need:
                person.plan("AMB")
            if 12 <= age <= 75 and rng.random() < 0.035 * need:
                person.plan("MHT")
            if age >= 12 and rng.random() < (0.06 if age >= 18 else 0.03) * need:
                person.plan("POL")
            if age < 18 and rng.random() < 0.012 * need:
                person.plan(council["csc"])
            if (age >= 65 and rng.random() < 0.06) or (18 <= age < 65 and rng.random() < 0.008):
                person.plan(council["asc"])
            if household.social_housing and age >= 18 and person.relationship != "child":
                person.plan(council["housing"])
            if 10 <= age <= 17 and rng.random() < 0.008 * need:
                person.plan("YJS")
                person.plan("POL", "arrest")
            if age >= 18 and rng.random() < 0.015 * need:
                person.plan("VOL")
        if children and rng.random() < 0.025 * need:
            for person in children:
                person.plan(council["eh"])
            parents = [p for p in household.members if p.relationship in ("parent", "partner")]
            if parents:
                parents[0].plan(council["eh"])

    def _multiple_problems(self, household: _Household) -> list[str]:
        """Plant a family with several problems known to different agencies (rarely)."""
        rng = self._rng
        members = household.members
        children = [p for p in members if p.age < 18]
        adults = [p for p in members if p.age >= 18]
        if not children or not adults:
            return []
        if rng.random() >= 0.03 * (0.5 + 1.5 * household.unit.deprivation):
            return []
        council = COUNCIL_SERVICES[household.unit.council_area]
        pupils = [p for p in children if 4 <= p.age <= 17]
        teens = [p for p in children if 11 <= p.age <= 17]
        offenders = [p for p in children if 10 <= p.age <= 17]
        options = ["domestic_abuse", "mental_health", "rent_arrears", "anti_social_behaviour"]
        if pupils:
            options.append("school_absence")
        if teens:
            options.append("exclusion")
        if offenders:
            options.append("youth_offending")
        chosen = rng.sample(options, k=min(len(options), rng.randint(3, 4)))
        chosen.append(rng.choice(("child_protection", "child_in_need", "early_help")))
        home = (household.latitude, household.longitude)
        for problem in chosen:
            if problem == "domestic_abuse":
                victim = adults[0] if adults[0].sex == "female" or len(adults) == 1 else adults[1]
                others = [a for a in adults[:2] if a is not victim]
                for _ in range(rng.randint(2, 4)):
                    # One incident, one crime reference, recorded against everyone involved.
                    incident = {
                        "when": self._when(),
                        "where": home,
                        "risk": rng.choice(("standard", "medium", "high")),
                        "children": True,
                        "reference": _crime_reference(rng),
                    }
                    victim.plan("POL", "domestic_abuse_incident", role="victim", **incident)
                    for other in others:
                        other.plan("POL", "domestic_abuse_incident", role="perpetrator", **incident)
                    for child in children:
                        child.plan(
                            "POL", "domestic_abuse_incident", role="child_present", **incident
                        )
                if rng.random() < 0.6:
                    victim.plan("VOL", "support_contact", service="domestic abuse outreach")
            elif problem == "mental_health":
                adult = adults[rng.randrange(len(adults))]
                for _ in range(rng.randint(2, 5)):
                    adult.plan("MHT", "mental_health_contact")
                if rng.random() < 0.4:
                    adult.plan("MHT", "mental_health_crisis_assessment")
            elif problem == "rent_arrears":
                for adult in adults[:2]:
                    adult.plan(council["housing"], "rent_arrears")
            elif problem == "anti_social_behaviour":
                actor = (teens or adults)[0]
                actor.plan(council["housing"], "anti_social_behaviour_report", role="perpetrator")
                actor.plan("POL", "anti_social_behaviour", where=home)
            elif problem == "school_absence":
                for pupil in pupils:
                    pupil.flags.append("low_attendance")
                for child in children:
                    if rng.random() < 0.5:
                        child.plan(self._gp_of(child), "was_not_brought")
            elif problem == "exclusion":
                for teen in teens:
                    teen.flags.append("excluded")
            elif problem == "youth_offending":
                offender = offenders[rng.randrange(len(offenders))]
                offender.plan("YJS", "youth_justice_disposal")
                offender.plan("POL", "arrest")
            elif problem in ("child_protection", "child_in_need"):
                for child in children:
                    child.plan(council["csc"], "referral", source="police")
                    child.plan(council["csc"], f"{problem}_plan")
            elif problem == "early_help":
                for child in children:
                    child.plan(council["eh"], "early_help_assessment")
        return chosen

    def _gp_of(self, person: _Person) -> str:
        for org in person.plans:
            if org.startswith("GP"):
                return org
        return GP_CODES[0]

    def _plant_clusters(self, people: list[_Person], done: int, size: int) -> None:
        rng = self._rng
        total = self.config.people
        for cluster in self.clusters:
            target = self.cluster_target(cluster)
            due = round(target * (done + size) / total) - round(target * done / total)
            eligible = [p for p in people if cluster.min_age <= p.age <= cluster.max_age] or people
            radius_km = cluster.radius_m / 1000
            for _ in range(due):
                person = eligible[rng.randrange(len(eligible))]
                where = point_within(rng, cluster.latitude, cluster.longitude, radius_km)
                extra: dict[str, Any] = {"where": where}
                if cluster.code == "domestic_abuse_incident":
                    extra.update(role="victim", risk=rng.choice(("medium", "high")), children=False)
                if cluster.code == "ambulance_callout":
                    extra.update(reason="fall")
                person.plan(cluster.org, cluster.code, **extra)
            self._cluster_done[cluster.id] += due

    # ---- rows -------------------------------------------------------------------------------

    def _emit(self, households: list[_Household], rows: dict[str, list[Row]]) -> None:
        house_rows = rows["households"]
        member_rows = rows["household_members"]
        truth_rows = rows["truth_people"]
        for household in households:
            unit = household.unit
            house_rows.append(
                (
                    household.id,
                    household.address,
                    unit.postcode,
                    household.latitude,
                    household.longitude,
                    unit.council_area,
                )
            )
            for person in household.members:
                member_rows.append(
                    (
                        household.id,
                        person.key,
                        person.relationship,
                        max(household.moved_in, person.dob),
                        None,
                    )
                )
                truth_rows.append(
                    (
                        person.key,
                        household.id,
                        person.given,
                        person.family,
                        person.birth_family,
                        person.dob,
                        person.sex,
                        person.nhs,
                    )
                )
                for org, planned in person.plans.items():
                    local_id = self._record(person, org, rows)
                    self._facts(person, org, local_id, planned, rows["facts"])
                    if org in ("ACU", "POL") and self._rng.random() < _RATES[_group(org)].duplicate:
                        self._record(person, org, rows, duplicate=True)

    def _local_id(self, org: str) -> str:
        n = self._local_counters.get(org, 0) + 1
        self._local_counters[org] = n
        return f"{_PREFIX[_group(org)]}{n:07d}"

    def _record(
        self, person: _Person, org: str, rows: dict[str, list[Row]], *, duplicate: bool = False
    ) -> str:
        rng = self._rng
        rates = _RATES[_group(org)]
        errors: list[str] = ["duplicate"] if duplicate else []
        given = person.given
        if rng.random() < rates.nickname:
            short = nickname(rng, given)
            if short:
                given = short
                errors.append("nickname")
        if rng.random() < rates.typo:
            given = typo(rng, given)
            errors.append("typo_given")
        family = person.family
        if person.surname_changed_recently and rng.random() < rates.old_surname:
            family = person.birth_family
            errors.append("old_surname")
        if rng.random() < rates.typo:
            family = typo(rng, family)
            errors.append("typo_family")
        middle = person.middle if rng.random() < rates.keeps_middle else None
        dob = person.dob
        year: int | None = dob.year
        month: int | None = dob.month
        day: int | None = dob.day
        roll = rng.random()
        if roll < rates.dob_missing:
            year = month = day = None
            errors.append("dob_missing")
        elif roll < rates.dob_missing + rates.dob_partial:
            day = None
            errors.append("dob_partial")
        elif (
            roll < rates.dob_missing + rates.dob_partial + rates.dob_swap
            and dob.day <= 12
            and dob.day != dob.month
        ):
            month, day = dob.day, dob.month
            errors.append("dob_swapped")
        sex = person.sex
        if rng.random() < 0.01:
            sex = "unknown"
            errors.append("sex_unknown")
        nhs: str | None = None
        valid = False
        if rng.random() < rates.nhs_present:
            if rng.random() < rates.nhs_invalid:
                nhs = _mistype(rng, person.nhs)
                errors.append("nhs_invalid")
            else:
                nhs = person.nhs
                valid = True
        else:
            errors.append("nhs_missing")
        household = person.household
        address: str | None = household.address
        postcode: str | None = household.unit.postcode
        if household.previous and rng.random() < rates.old_address:
            address, postcode = household.previous
            errors.append("old_address")
        if rng.random() < 0.01:
            postcode = None
            errors.append("postcode_missing")
        local_id = self._local_id(org)
        rows["source_records"].append(
            (
                org,
                local_id,
                given,
                middle,
                family,
                year,
                month,
                day,
                sex,
                nhs,
                valid,
                address,
                postcode,
            )
        )
        rows["truth_records"].append((org, local_id, person.key, ",".join(errors)))
        return local_id

    def _when(self) -> float:
        return self._t_start + self._rng.random() * (self._t_end - self._t_start)

    def _facts(
        self,
        person: _Person,
        org: str,
        local_id: str,
        planned: list[tuple[str, dict[str, Any]]],
        out: list[Row],
    ) -> None:
        household = person.household
        context = Context(
            rng=self._rng,
            home=(household.latitude, household.longitude),
            age=person.age,
            flags=person.flags,
            academic_year=self._academic_year_text,
            day_before_as_of=self._t_end - 86400,
            moved_in=household.moved_in_timestamp,
        )
        for code, extra in self._background_facts(person, org, planned) + planned:
            written = WRITERS[code](context, extra)
            category, summary = words.FACT_CODES[code]
            when = written.at if written.at is not None else extra.get("when") or self._when()
            self._fact_counter += 1
            where = written.where
            out.append(
                (
                    f"F{self._fact_counter:09d}",
                    org,
                    local_id,
                    category,
                    code,
                    datetime.fromtimestamp(int(when), UTC),
                    summary,
                    written.detail,
                    written.sensitivity,
                    where[0] if where else None,
                    where[1] if where else None,
                )
            )

    def _background_facts(
        self, person: _Person, org: str, planned: list[tuple[str, dict[str, Any]]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """What an agency records about anyone it serves, unless something was planned."""
        rng = self._rng
        group = _group(org)
        age = person.age
        background: list[tuple[str, dict[str, Any]]] = []
        if group == "gp":
            visits = _weighted(rng, (0, 1, 2, 3, 5), _GP_VISITS_CUM)
            background += [("gp_consultation", {})] * visits
        elif group == "school":
            background.append(("attendance_summary", {}))
            if "excluded" in person.flags:
                background += [("exclusion", {})] * rng.randint(1, 3)
            elif age >= 11 and rng.random() < 0.03:
                background.append(("exclusion", {}))
            if rng.random() < 0.01 + (0.2 if "low_attendance" in person.flags else 0):
                background.append(("safeguarding_concern", {}))
        elif group == "acute":
            background += [("ae_attendance", {})] * _weighted(rng, (1, 2, 3), _AE_VISITS_CUM)
            if rng.random() < 0.12 + age / 500:
                background.append(("inpatient_admission", {}))
        elif group == "ambulance" and not planned:
            background += [("ambulance_callout", {})] * rng.randint(1, 2)
        elif group == "mental_health" and not planned:
            background += [("mental_health_contact", {})] * rng.randint(1, 4)
        elif group == "police" and not planned:
            pick = rng.choices(
                (
                    "domestic_abuse_incident",
                    "anti_social_behaviour",
                    "concern_for_welfare",
                    "crime_report",
                    "arrest",
                    "missing_person",
                ),
                weights=(30, 20, 15, 20, 10, 5 if age < 18 else 1),
                k=_weighted(rng, (1, 2, 3), _POLICE_COUNT_CUM),
            )
            background += [(code, {}) for code in pick]
        elif group == "social_care" and not planned:
            if org.startswith("CSC"):
                background.append(("referral", {}))
                roll = rng.random()
                if roll < 0.15:
                    background.append(("child_protection_plan", {}))
                elif roll < 0.55:
                    background.append(("child_in_need_plan", {}))
            else:
                background.append(("care_assessment", {}))
                if rng.random() < 0.25:
                    background.append(("adult_safeguarding_concern", {}))
        elif group == "early_help" and not planned:
            background.append(("early_help_assessment", {}))
        elif group == "housing":
            background.append(("tenancy_start", {}))
            if rng.random() < 0.12:
                background.append(("rent_arrears", {}))
            if rng.random() < 0.04:
                background.append(("anti_social_behaviour_report", {}))
        elif group == "youth_justice" and not planned:
            background.append(("youth_justice_disposal", {}))
        elif group == "voluntary" and not planned:
            background += [("support_contact", {})] * rng.randint(1, 3)

        return background

    def _academic_year(self) -> str:
        start = self._as_of.year if self._as_of.month >= 9 else self._as_of.year - 1
        return f"{start}/{str(start + 1)[-2:]}"


def _crime_reference(rng: random.Random) -> str:
    return f"AY/{rng.randint(10000, 99999)}/{rng.randint(20, 26)}"


def _mistype(rng: random.Random, nhs: str) -> str:
    """A slip in one digit of a valid NHS number, made sure to fail the Modulus 11 check."""
    while True:
        i = rng.randrange(10)
        wrong = nhs[:i] + str((int(nhs[i]) + rng.randint(1, 9)) % 10) + nhs[i + 1 :]
        if not nhs_numbers.is_valid(wrong):
            return wrong
