"""The synthetic Anyshire generator, without storage: determinism, realism, ground truth."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sharewell.adapters.synthetic.generator import COLUMNS, AnyshireGenerator, DemoConfig
from sharewell.adapters.synthetic.geography import KM_LAT, KM_LON, NORTH, SOUTH, council_area
from sharewell.adapters.synthetic.names import NICKNAMES
from sharewell.adapters.synthetic.partnership import HEALTH_ORGS
from sharewell.domain import nhs_numbers
from sharewell.domain.errors import ValidationError
from sharewell.domain.facts import Fact, Location, Sensitivity
from sharewell.domain.people import (
    HouseholdRelationship,
    PartialDate,
    Sex,
    SourceRecord,
    format_postcode,
)
from sharewell.domain.vocabulary import DataCategory, OrganisationKind

AS_OF = date(2026, 11, 1)
Rows = dict[str, list[tuple[Any, ...]]]


def generate(people: int, seed: int, *, chunk_people: int = 5_000) -> Rows:
    rows: Rows = defaultdict(list)
    config = DemoConfig(people=people, seed=seed, as_of=AS_OF)
    for batch in AnyshireGenerator(config, chunk_people=chunk_people).batches():
        for name, table_rows in batch.rows.items():
            rows[name].extend(table_rows)
    return dict(rows)


def as_dicts(rows: Rows, table: str) -> list[dict[str, Any]]:
    return [dict(zip(COLUMNS[table], row, strict=True)) for row in rows[table]]


@pytest.fixture(scope="module")
def anyshire() -> Rows:
    return generate(3_000, seed=42, chunk_people=1_000)


def test_same_seed_gives_identical_rows() -> None:
    assert generate(400, seed=9) == generate(400, seed=9)


def test_different_seeds_give_different_partnerships() -> None:
    first, second = generate(400, seed=1), generate(400, seed=2)
    assert first["truth_people"] != second["truth_people"]
    assert first["postcodes"] != second["postcodes"]


def test_makes_exactly_the_people_asked_for(anyshire: Rows) -> None:
    assert len(anyshire["truth_people"]) == 3_000
    assert len({p[0] for p in anyshire["truth_people"]}) == 3_000
    assert len(anyshire["household_members"]) == 3_000


@pytest.mark.parametrize("people", [0, -5])
def test_refuses_no_people(people: int) -> None:
    with pytest.raises(ValidationError) as caught:
        DemoConfig(people=people, seed=1, as_of=AS_OF)
    assert caught.value.field == "people"


def test_refuses_a_negative_seed() -> None:
    with pytest.raises(ValidationError):
        DemoConfig(people=10, seed=-1, as_of=AS_OF)


def test_has_at_least_twelve_organisations_across_both_council_areas(anyshire: Rows) -> None:
    orgs = as_dicts(anyshire, "organisations")
    assert len(orgs) >= 12
    kinds = {o["kind"] for o in orgs}
    for kind in (
        OrganisationKind.POLICE,
        OrganisationKind.ACUTE_TRUST,
        OrganisationKind.MENTAL_HEALTH_TRUST,
        OrganisationKind.AMBULANCE,
        OrganisationKind.GP_PRACTICE,
        OrganisationKind.SCHOOL,
        OrganisationKind.HOUSING,
        OrganisationKind.YOUTH_JUSTICE,
        OrganisationKind.VOLUNTARY_SECTOR,
        OrganisationKind.LOCAL_AUTHORITY_CHILDRENS,
        OrganisationKind.LOCAL_AUTHORITY_ADULTS,
        OrganisationKind.EARLY_HELP,
    ):
        assert kind.value in kinds
    assert {o["council_area"] for o in orgs} >= {NORTH, SOUTH}
    assert all(o["code"] == o["code"].upper() for o in orgs)
    police = [o for o in orgs if o["kind"] == "police"]
    assert [o["code"] for o in police] == ["POL"]  # one force shared by both councils


def test_households_and_postcodes_share_one_geography(anyshire: Rows) -> None:
    gazetteer = {p[0]: p for p in anyshire["postcodes"]}
    areas = Counter()
    for household in as_dicts(anyshire, "households"):
        unit = gazetteer[household["postcode"]]
        assert format_postcode(household["postcode"]) == household["postcode"]
        assert household["postcode"].startswith("AY")
        assert household["council_area"] == unit[3]
        # A home lies within a few hundred metres of its postcode's centre.
        d_km = math.hypot(
            (household["latitude"] - unit[4]) / KM_LAT, (household["longitude"] - unit[5]) / KM_LON
        )
        assert d_km < 0.5
        areas[household["council_area"]] += 1
    assert areas[NORTH] > 0.3 * sum(areas.values())
    assert areas[SOUTH] > 0.3 * sum(areas.values())
    for postcode, district, sector, area, lat, lon in anyshire["postcodes"]:
        assert postcode.startswith(sector) and sector.startswith(district)
        assert council_area(lat, lon) == area


def test_people_have_valid_unique_nhs_numbers(anyshire: Rows) -> None:
    numbers = [p[7] for p in anyshire["truth_people"]]
    assert all(nhs_numbers.is_valid(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_nhs_numbers_in_records_are_valid_unless_deliberately_mistyped(anyshire: Rows) -> None:
    truth = {(r[0], r[1]): r for r in anyshire["truth_records"]}
    mistyped = 0
    for record in as_dicts(anyshire, "source_records"):
        errors = truth[(record["org_code"], record["local_id"])][3].split(",")
        if record["nhs_number"] is None:
            assert "nhs_missing" in errors
            continue
        assert record["nhs_number_valid"] == nhs_numbers.is_valid(record["nhs_number"])
        if "nhs_invalid" in errors:
            mistyped += 1
            assert not record["nhs_number_valid"]
        else:
            assert record["nhs_number_valid"]
    assert mistyped > 0


def test_health_records_mostly_carry_nhs_numbers_and_others_mostly_do_not(anyshire: Rows) -> None:
    with_number: Counter[bool] = Counter()
    total: Counter[bool] = Counter()
    for record in as_dicts(anyshire, "source_records"):
        health = record["org_code"] in HEALTH_ORGS
        total[health] += 1
        with_number[health] += record["nhs_number"] is not None
    assert with_number[True] / total[True] > 0.9
    assert with_number[False] / total[False] < 0.5


def test_ground_truth_covers_every_source_record(anyshire: Rows) -> None:
    records = [(r[0], r[1]) for r in anyshire["source_records"]]
    truth = {(r[0], r[1]): r[2] for r in anyshire["truth_records"]}
    assert len(records) == len(set(records)) == len(truth)
    assert set(records) == set(truth)
    people = {p[0] for p in anyshire["truth_people"]}
    assert set(truth.values()) <= people
    # Agency records hold no ground-truth key.
    assert not any("P0" in str(value) for r in anyshire["source_records"] for value in r)


def test_recorded_errors_are_what_the_record_shows(anyshire: Rows) -> None:
    people = {
        p[0]: dict(zip(COLUMNS["truth_people"], p, strict=True)) for p in anyshire["truth_people"]
    }
    truth = {(r[0], r[1]): r for r in anyshire["truth_records"]}
    seen: Counter[str] = Counter()
    for record in as_dicts(anyshire, "source_records"):
        _, _, key, errors_text = truth[(record["org_code"], record["local_id"])]
        errors = [e for e in errors_text.split(",") if e]
        seen.update(errors)
        person = people[key]
        dob = person["date_of_birth"]
        if "dob_swapped" in errors:
            assert (record["dob_month"], record["dob_day"]) == (dob.day, dob.month)
        elif not {"dob_missing", "dob_partial"} & set(errors):
            assert (record["dob_year"], record["dob_month"], record["dob_day"]) == (
                dob.year,
                dob.month,
                dob.day,
            )
        if "nickname" in errors and "typo_given" not in errors:
            assert record["given_name"] in NICKNAMES[person["given_name"]]
        if not {"nickname", "typo_given"} & set(errors):
            assert record["given_name"] == person["given_name"]
        if "old_surname" in errors and "typo_family" not in errors:
            assert record["family_name"] == person["birth_family_name"] != person["family_name"]
        if not {"old_surname", "typo_family"} & set(errors):
            assert record["family_name"] == person["family_name"]
    for kind in ("nickname", "typo_given", "typo_family", "nhs_missing", "old_address"):
        assert seen[kind] > 0, kind


def test_pupils_are_on_the_roll_of_a_school_for_their_age(anyshire: Rows) -> None:
    people = {p[0]: p for p in anyshire["truth_people"]}
    phases = {kb[3]: kb for kb in anyshire["key_buildings"] if kb[2] == "school"}
    assert len(phases) >= 6
    primary = {"SCH1", "SCH2", "SCH3", "SCH4", "SCH5"}
    pupils = 0
    for org, _, key, _ in anyshire["truth_records"]:
        if not org.startswith("SCH"):
            continue
        pupils += 1
        dob = people[key][5]
        age = AS_OF.year - dob.year - ((AS_OF.month, AS_OF.day) < (dob.month, dob.day))
        assert (4 <= age <= 10) if org in primary else (11 <= age <= 17)
    assert pupils > 200


def test_facts_use_the_vocabulary_and_have_times_and_places(anyshire: Rows) -> None:
    categories = {c.value for c in DataCategory}
    facts = as_dicts(anyshire, "facts")
    assert len({f["id"] for f in facts}) == len(facts)
    codes = Counter(f["code"] for f in facts)
    for code in (
        "domestic_abuse_incident",
        "ae_attendance",
        "gp_consultation",
        "mental_health_contact",
        "attendance_summary",
        "exclusion",
        "referral",
        "child_in_need_plan",
        "child_protection_plan",
        "rent_arrears",
        "anti_social_behaviour_report",
        "youth_justice_disposal",
    ):
        assert codes[code] > 0, code
    for fact in facts:
        assert fact["category"] in categories
        assert fact["occurred_at"].tzinfo is not None
        assert fact["summary"]
        assert all(isinstance(v, str) for v in fact["detail"].values())
        if fact["org_code"] == "POL":
            assert fact["latitude"] is not None and "incident_type" in fact["detail"]
    da = next(f for f in facts if f["code"] == "domestic_abuse_incident")
    assert da["detail"]["incident_type"] == "domestic_abuse"
    assert {"officer_notes", "victim_role"} <= set(da["detail"])


def test_every_fact_belongs_to_a_record(anyshire: Rows) -> None:
    records = {(r[0], r[1]) for r in anyshire["source_records"]}
    assert all((f[1], f[2]) in records for f in anyshire["facts"])


def test_families_with_multiple_problems_are_planted_and_known_to_several_agencies(
    anyshire: Rows,
) -> None:
    families = anyshire["truth_families"]
    assert families
    members: dict[str, list[str]] = defaultdict(list)
    for household_id, person_key, *_ in anyshire["household_members"]:
        members[household_id].append(person_key)
    orgs_of: dict[str, set[str]] = defaultdict(set)
    for org, _, key, _ in anyshire["truth_records"]:
        orgs_of[key].add(org)
    for household_id, problems in families:
        assert len(problems.split(",")) >= 3
        agencies = set().union(*(orgs_of[k] for k in members[household_id]))
        non_gp = {a for a in agencies if not a.startswith("GP")}
        assert len(non_gp) >= 3, (household_id, problems, agencies)


def _gi_star(points: list[tuple[float, float]], cell_km: float) -> dict[tuple[int, int], float]:
    """Getis-Ord Gi* on a square grid with queen neighbours (self included)."""
    counts: Counter[tuple[int, int]] = Counter(
        (math.floor(lat / (cell_km * KM_LAT)), math.floor(lon / (cell_km * KM_LON)))
        for lat, lon in points
    )
    rows = [c[0] for c in counts]
    cols = [c[1] for c in counts]
    cells = [
        (r, c)
        for r in range(min(rows) - 1, max(rows) + 2)
        for c in range(min(cols) - 1, max(cols) + 2)
    ]
    n = len(cells)
    mean = sum(counts.values()) / n
    s = math.sqrt(sum(counts[c] ** 2 for c in cells) / n - mean**2)
    result = {}
    for r, c in cells:
        hood = [(r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
        w = len(hood)
        local = sum(counts[h] for h in hood)
        result[(r, c)] = (local - mean * w) / (s * math.sqrt((n * w - w * w) / (n - 1)))
    return result


def test_planted_clusters_stand_out_against_the_background(anyshire: Rows) -> None:
    clusters = as_dicts(anyshire, "truth_clusters")
    assert {c["kind"] for c in clusters} == {"boundary", "key_building", "area"}
    buildings = {kb[0]: kb for kb in anyshire["key_buildings"]}
    facts = as_dicts(anyshire, "facts")
    cell_km = 0.5
    for cluster in clusters:
        assert cluster["incidents"] >= 20
        if cluster["kind"] == "key_building":
            building = buildings[cluster["building_id"]]
            assert (building[5], building[6]) == (cluster["latitude"], cluster["longitude"])
        points = [
            (f["latitude"], f["longitude"])
            for f in facts
            if f["category"] == cluster["category"] and f["latitude"] is not None
        ]
        z = _gi_star(points, cell_km)
        r = math.floor(cluster["latitude"] / (cell_km * KM_LAT))
        c = math.floor(cluster["longitude"] / (cell_km * KM_LON))
        best = max(z.get((r + dr, c + dc), 0.0) for dr in (-1, 0, 1) for dc in (-1, 0, 1))
        assert best > 3.0, (cluster["id"], best)


def test_boundary_clusters_straddle_the_two_council_areas(anyshire: Rows) -> None:
    facts = as_dicts(anyshire, "facts")
    for cluster in as_dicts(anyshire, "truth_clusters"):
        if cluster["kind"] != "boundary":
            continue
        radius_km = cluster["radius_m"] / 1000
        sides = Counter(
            council_area(f["latitude"], f["longitude"])
            for f in facts
            if f["latitude"] is not None
            and math.hypot(
                (f["latitude"] - cluster["latitude"]) / KM_LAT,
                (f["longitude"] - cluster["longitude"]) / KM_LON,
            )
            <= radius_km
        )
        assert sides[NORTH] >= 3 and sides[SOUTH] >= 3, (cluster["id"], sides)


def test_rows_are_valid_domain_entities(anyshire: Rows) -> None:
    for r in as_dicts(anyshire, "source_records"):
        dob = (
            None
            if r["dob_year"] is None
            else PartialDate(r["dob_year"], r["dob_month"], r["dob_day"])
        )
        record = SourceRecord(
            org_code=r["org_code"],
            local_id=r["local_id"],
            given_name=r["given_name"],
            family_name=r["family_name"],
            date_of_birth=dob,
            sex=Sex(r["sex"]),
            nhs_number=r["nhs_number"],
            address=r["address"],
            postcode=r["postcode"],
            middle_names=r["middle_names"],
        )
        assert record.nhs_number_valid == r["nhs_number_valid"]
        if record.postcode is not None:
            assert format_postcode(record.postcode) == record.postcode
    for f in as_dicts(anyshire, "facts"):
        Fact(
            id=f["id"],
            org_code=f["org_code"],
            local_id=f["local_id"],
            category=DataCategory(f["category"]),
            code=f["code"],
            occurred_at=f["occurred_at"],
            summary=f["summary"],
            detail=f["detail"],
            sensitivity=Sensitivity(f["sensitivity"]),
            location=None if f["latitude"] is None else Location(f["latitude"], f["longitude"]),
        )
    for _, _, relationship, moved_in, _ in anyshire["household_members"]:
        HouseholdRelationship(relationship)
        assert moved_in <= AS_OF


_DIGEST = """
import hashlib
from datetime import date
from sharewell.adapters.synthetic.generator import AnyshireGenerator, DemoConfig
config = DemoConfig(people=200, seed=5, as_of=date(2026, 11, 1))
rows = [sorted(b.rows.items()) for b in AnyshireGenerator(config).batches()]
print(hashlib.sha256(repr(rows).encode()).hexdigest())
"""


def test_rows_do_not_depend_on_the_process_hash_seed() -> None:
    src = str(Path(__file__).resolve().parents[2] / "src")
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": src}
        result = subprocess.run(
            [sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, check=True
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1
    assert len(digests.pop()) == 64


def test_planted_clusters_are_found_by_gi_star_on_h3_hexagons(anyshire: Rows) -> None:
    h3 = pytest.importorskip("h3")
    resolution = 9  # hexagons of about 0.1 km², edge about 175 m
    lats = [p[4] for p in anyshire["postcodes"]]
    lons = [p[5] for p in anyshire["postcodes"]]
    area = h3.LatLngPoly(
        [
            (min(lats) - 0.02, min(lons) - 0.03),
            (min(lats) - 0.02, max(lons) + 0.03),
            (max(lats) + 0.02, max(lons) + 0.03),
            (max(lats) + 0.02, min(lons) - 0.03),
        ]
    )
    study = set(h3.polygon_to_cells(area, resolution))
    facts = as_dicts(anyshire, "facts")
    for cluster in as_dicts(anyshire, "truth_clusters"):
        counts: Counter[str] = Counter(
            h3.latlng_to_cell(f["latitude"], f["longitude"], resolution)
            for f in facts
            if f["category"] == cluster["category"] and f["latitude"] is not None
        )
        cells = study | set(counts)
        n = len(cells)
        mean = sum(counts.values()) / n
        s = math.sqrt(sum(counts[c] ** 2 for c in cells) / n - mean**2)

        def z(cell: str, n: int = n, mean: float = mean, s: float = s) -> float:
            hood = h3.grid_disk(cell, 1)
            w = len(hood)
            local = sum(counts[h] for h in hood)  # noqa: B023 - counts is this cluster's
            return (local - mean * w) / (s * math.sqrt((n * w - w * w) / (n - 1)))

        centre = h3.latlng_to_cell(cluster["latitude"], cluster["longitude"], resolution)
        best = max(z(c) for c in h3.grid_disk(centre, 1))
        assert best > 3.0, (cluster["id"], best)
