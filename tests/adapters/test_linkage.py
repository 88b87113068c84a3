"""Splink linkage on a tiny generated partnership: obvious pairs link, stable IDs, real time."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.db.repositories import SqlOrganisations
from sharewell.adapters.db.tables import SourceRecordRow
from sharewell.adapters.ingest.files import FileRows
from sharewell.adapters.linkage import fast_scoring
from sharewell.bootstrap import Identity, build_identity
from sharewell.config import Settings
from sharewell.domain import nhs_numbers
from sharewell.domain.organisations import Organisation
from sharewell.domain.vocabulary import OrganisationKind
from sharewell.services.identity import (
    decide_review,
    explain_person,
    link_batch,
    match_on_arrival,
    pending_reviews,
    resolve_person_id,
)
from sharewell.services.identity_ports import ScoredPair
from sharewell.services.ingest import ColumnMapping, ingest_people

GIVEN = [
    "William",
    "Elizabeth",
    "Margaret",
    "Thomas",
    "Robert",
    "Catherine",
    "James",
    "Sarah",
    "Oliver",
    "Amelia",
    "Harry",
    "Isla",
    "Jack",
    "Ava",
    "George",
    "Mia",
    "Noah",
    "Grace",
    "Leo",
    "Freya",
    "Arthur",
    "Evie",
    "Oscar",
    "Ruby",
    "Henry",
    "Ivy",
    "Theo",
    "Daisy",
]
FAMILY = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Walker",
    "Thompson",
    "Robinson",
    "Khan",
    "Evans",
    "Hughes",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Ahmed",
    "Turner",
    "Hill",
    "Cooper",
    "Ward",
]
NICK = {
    "William": "Bill",
    "Elizabeth": "Liz",
    "Margaret": "Maggie",
    "Thomas": "Tom",
    "Robert": "Bob",
    "Catherine": "Kate",
    "James": "Jim",
}
STREETS = ["High Street", "Mill Lane", "Church Road", "Station Road", "Park Avenue", "The Green"]
HEADER = ["id", "forename", "surname", "dob", "sex", "nhs", "address", "postcode"]
MAPPING = ColumnMapping.from_dict(
    {
        "columns": {
            "id": "local_id",
            "forename": "given_name",
            "surname": "family_name",
            "dob": "date_of_birth",
            "sex": "sex",
            "nhs": "nhs_number",
            "address": "address",
            "postcode": "postcode",
        },
        "codes": {"sex": {"F": "female", "M": "male"}},
    }
)
PEOPLE = 160


@dataclass
class World:
    """The tiny partnership, its ground truth and the wired identity adapters."""

    engine: Engine
    identity: Identity
    truth: dict[tuple[str, str], int]  # (org, local id) -> person number
    tmp: Path

    def record_ids(self) -> dict[tuple[str, str], int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(SourceRecordRow.org_code, SourceRecordRow.local_id, SourceRecordRow.id)
            ).all()
        return {(org, local): rid for org, local, rid in rows}


def _people(rng: random.Random) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    people = []
    while len(people) < PEOPLE:
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        if (given, family) in seen:
            continue
        seen.add((given, family))
        sector = rng.randrange(1, 9)
        people.append(
            {
                "given": given,
                "family": family,
                "dob": f"{rng.randrange(1940, 2015)}-{rng.randrange(1, 13):02d}-"
                f"{rng.randrange(1, 29):02d}",
                "sex": rng.choice("FM"),
                "nhs": nhs_numbers.generate(rng),
                "address": f"{rng.randrange(1, 120)} {rng.choice(STREETS)}",
                "postcode": f"AY{sector} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJ')}"
                f"{rng.choice('LNPQRSTU')}",
            }
        )
    return people


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("linkage")
    url = f"sqlite:///{tmp / 'link.db'}"
    engine = make_engine(url)
    upgrade(engine)
    orgs = SqlOrganisations(engine)
    orgs.add(Organisation("GP1", "Riverside Surgery", OrganisationKind.GP_PRACTICE))
    orgs.add(Organisation("SCH1", "Anyshire Academy", OrganisationKind.SCHOOL))
    identity = build_identity(Settings(database_url=url, model_dir=tmp / "models"), engine)
    rng = random.Random(11)
    people = _people(rng)
    truth: dict[tuple[str, str], int] = {}
    gp_rows, school_rows = [], []
    for n, p in enumerate(people):
        gp_rows.append(
            [
                f"g{n}",
                p["given"].upper(),
                p["family"],
                p["dob"],
                p["sex"],
                p["nhs"],
                p["address"],
                p["postcode"].replace(" ", "").lower(),
            ]
        )
        truth[("GP1", f"g{n}")] = n
        if n % 4 != 3:  # three in four people are known to the school too
            given = NICK.get(p["given"], p["given"]) if n % 2 else p["given"]
            school_rows.append(
                [f"s{n}", given, p["family"], p["dob"], p["sex"], "", p["address"], p["postcode"]]
            )
            truth[("SCH1", f"s{n}")] = n
    held_back = school_rows.pop()  # arrives later, for real-time matching
    ingest_people(
        identity.records, FileRows(_write(tmp / "gp.csv", gp_rows)), MAPPING, org_code="GP1"
    )
    ingest_people(
        identity.records,
        FileRows(_write(tmp / "school.csv", school_rows)),
        MAPPING,
        org_code="SCH1",
    )
    (tmp / "late.csv").write_text("")
    _write(tmp / "late.csv", [held_back])
    yield World(engine, identity, truth, tmp)
    engine.dispose()


def _clusters(world: World) -> dict[str, set[int]]:
    ids = world.record_ids()
    links = world.identity.people.links()
    by_person: dict[str, set[int]] = defaultdict(set)
    for key, rid in ids.items():
        if rid in links:
            by_person[links[rid]].add(world.truth[key])
    return by_person


def test_links_obvious_pairs_and_keeps_people_apart_then_stays_stable(world: World) -> None:
    identity = world.identity
    report = link_batch(identity.linkage, identity.people, identity.review, train=True)
    assert Path(report.model_path).name == "linkage-v1.json"
    clusters = _clusters(world)
    # Obvious non-pairs: no person mixes two truth people.
    assert all(len(truth_people) == 1 for truth_people in clusters.values())
    # Obvious pairs: every truth person is one person.
    assert len(clusters) == PEOPLE
    before = identity.people.links()
    again = link_batch(identity.linkage, identity.people, identity.review)
    assert again.kept_ids == len(before) and again.created == 0
    assert identity.people.links() == before
    assert "linkage-v1.json" in again.model_path  # reloaded, not retrained


def test_realtime_scoring_matches_splink_score_pairs(world: World) -> None:
    scorer = world.identity.linkage.scorer()
    records = world.identity.records
    ids = world.record_ids()
    probe = records.match_row(ids[("GP1", "g0")])
    assert probe is not None
    candidates = records.candidates(probe)
    assert candidates
    fast = {p.record_r: round(p.match_weight, 6) for p in scorer.score(probe, candidates)}
    slow = {
        int(r["unique_id_r"]): round(float(r["match_weight"]), 6)
        for r in scorer.score_with_splink(probe, candidates)
    }
    assert fast == slow


def _variants(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Copies of a match record with each kind of difference the comparison levels tell apart."""
    dob = str(row["dob"])
    out = []

    def change(n: int, **values: Any) -> None:
        out.append({**row, **values, "record_id": 900_000 + n})

    change(1, dob=f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}")  # day and month swapped
    change(2, dob=f"{int(dob[:4]) + 1}{dob[4:]}")  # year off by one
    change(3, dob=dob[:8] + ("1" if dob[8] != "1" else "2") + dob[9])  # one digit
    change(4, dob=dob[:7])  # partial date
    change(5, dob=f"{int(dob[:4]) - 30}{dob[4:]}")  # a generation apart
    change(6, dob=None, sex=None, given_name=None)
    change(  # swapped names
        7,
        given_name=row["family_name"],
        given_canonical=row["family_name"],
        family_name=row["given_name"],
    )
    change(8, family_name=f"{row['family_name']}-smythe", given_name="zzyzx")  # hyphenated
    change(9, family_name=str(row["family_name"])[:-1] + "q")  # Jaro-Winkler
    change(10, postcode=None, postcode_sector=None, postcode_district=None)
    change(11, address_tokens=None)
    change(12, postcode="ZZ9 9ZZ", postcode_sector="ZZ9 9", postcode_district="ZZ9")
    change(13, address_tokens="1 nowhere street", postcode=None)
    change(14, nhs_number="9434765919", shared_id="x1")
    change(15, given_name="bill", given_canonical="william")
    typo = str(row["given_name"])[:-1] + "q"
    change(16, given_name=typo, given_canonical=typo)
    change(17, postcode=None, postcode_sector=None, postcode_district=None, address_tokens=None)
    family, given = str(row["family_name"]), str(row["given_name"])
    change(  # swapped, each with a typo
        18,
        given_name=family[:-1] + "q",
        given_canonical=family[:-1] + "q",
        family_name=given[:-1] + "q",
    )
    change(19, given_name=family, given_canonical=family, family_name="zzyzx")  # one name moved
    postcode = str(row["postcode"])
    typo = postcode[:-2] + postcode[-1] + postcode[-2]  # two characters transposed
    change(20, postcode=typo, postcode_sector=None, postcode_district=None)
    change(21, address_tokens=" ".join(str(row["address_tokens"]).split(" ")[:2]))
    # The first letter wrong: Damerau-Levenshtein 1 where Jaro-Winkler is below 0.92.
    change(22, given_name="q" + given[1:], given_canonical="q" + given[1:])
    change(23, family_name="q" + family[1:])
    change(24, given_name=given[:-2] + "qq", given_canonical=given[:-2] + "qq")  # two letters
    change(25, family_name=family[:-2] + "qq")
    return out


def test_fast_scoring_equals_splink_score_pairs_level_by_level(world: World) -> None:
    """The real-time scorer's levels and weights are Splink's, on every pair from a few probes
    to every record and on crafted pairs that reach each comparison level."""
    scorer = world.identity.linkage.scorer()
    records = world.identity.records
    ids = sorted(world.record_ids().values())
    rows = [r for r in (records.match_row(i) for i in ids) if r is not None]
    checked = 0
    levels_seen: set[tuple[str, int]] = set()
    # Years a digit apart are "one digit different"; 1989 and 1990 are only a year apart.
    decade = {
        **rows[0],
        "record_id": 800_000,
        "dob": "1989-05-06",
        "dob_year": 1989,
        "shared_id": "ab123456c",
    }
    probes = [
        (p, [r for r in rows if r["record_id"] != p["record_id"]] + _variants(p))
        for p in rows[:: max(1, len(rows) // 6)]
    ]
    probes.append(
        (
            decade,
            [
                {**decade, "record_id": 800_001, "dob": "1990-05-06"},
                {**decade, "record_id": 800_002, "shared_id": "ab123465c"},  # transposed
                {**decade, "record_id": 800_003, "shared_id": "zz999999z"},
            ],
        )
    )
    for probe, candidates in probes:
        slow = {int(r["unique_id_r"]): r for r in scorer.score_with_splink(probe, candidates)}
        for c in candidates:
            fast = scorer._weights.score(probe, c)
            reference = slow[int(c["record_id"])]
            for name in fast_scoring.LEVELS:
                assert fast[f"gamma_{name}"] == reference[f"gamma_{name}"], (name, c)
                levels_seen.add((name, int(reference[f"gamma_{name}"])))
                tf = float(reference.get(f"mw_tf_adj_{name}") or 0.0)
                assert fast[f"mw_tf_adj_{name}"] == pytest.approx(tf, abs=1e-9), name
            assert fast["match_weight"] == pytest.approx(reference["match_weight"], abs=1e-9)
            assert fast["match_probability"] == pytest.approx(
                reference["match_probability"], abs=1e-12
            )
            checked += 1
    assert checked > 500
    # The levels of each comparison that the pairs reached (Jaro-Winkler 0.8-0.92 may not be).
    for name, wanted in (
        ("dob", range(-1, 7)),
        ("given_name", range(-1, 6)),
        ("family_name", range(0, 9)),
        ("shared_id", (-1, 0, 1, 2)),
        ("location", range(-1, 7)),
    ):
        assert {(name, v) for v in wanted} <= levels_seen, name


def test_new_record_is_matched_on_arrival(world: World) -> None:
    identity = world.identity
    report = ingest_people(
        identity.records, FileRows(world.tmp / "late.csv"), MAPPING, org_code="SCH1"
    )
    (record_id,) = report.changed_record_ids
    outcome = match_on_arrival(identity.linkage, identity.people, identity.review, record_id)
    assert outcome.outcome == "linked"
    ids = world.record_ids()
    local = next(k for k, v in ids.items() if v == record_id)
    gp_record = ids[("GP1", f"g{world.truth[local]}")]
    assert outcome.person_id == identity.people.links()[gp_record]


def test_review_decisions_split_and_merge_with_id_history(world: World) -> None:
    identity = world.identity
    ids = world.record_ids()
    links = identity.people.links()
    gp, school = ids[("GP1", "g0")], ids[("SCH1", "s0")]
    person = links[gp]
    assert links[school] == person
    identity.review.add_pending([ScoredPair(gp, school, 0.9, 3.0)])
    pair = next(
        p
        for p in pending_reviews(identity.review, limit=500)
        if {p["record_l"], p["record_r"]} == {gp, school}
    )
    decide_review(identity.review, pair["id"], is_match=False, actor="reviewer-1")
    split = link_batch(identity.linkage, identity.people, identity.review)
    assert split.split == 1
    links = identity.people.links()
    assert links[gp] != links[school]
    assert person in (links[gp], links[school])
    other = links[school] if links[gp] == person else links[gp]
    # Now say the two halves are one person after all: they merge, the absorbed ID resolves.
    decide_review(identity.review, pair["id"], is_match=True, actor="reviewer-1")
    merged = link_batch(identity.linkage, identity.people, identity.review)
    assert merged.merged == 1
    links = identity.people.links()
    assert links[gp] == links[school]
    survivor = links[gp]
    assert resolve_person_id(identity.people, person) == survivor
    assert resolve_person_id(identity.people, other) == survivor
    kinds = [e["kind"] for e in identity.people.events_of(person)]
    assert "split" in kinds


def test_explain_shows_the_waterfall(world: World) -> None:
    identity = world.identity
    ids = world.record_ids()
    person = identity.people.links()[ids[("GP1", "g1")]]
    found = explain_person(identity.linkage, identity.people, person)
    assert len(found.records) >= 2
    steps = {s["comparison"]: s for s in found.pairs[0].waterfall}
    assert {"prior", "given_name", "family_name", "dob", "location"} <= set(steps), found.pairs[0]
    assert steps["dob"]["level"] == "Exact match on dob"
    total = sum(s["match_weight"] for s in found.pairs[0].waterfall)
    assert total == pytest.approx(found.pairs[0].match_weight, abs=0.01)


@pytest.mark.slow
def test_the_same_batch_link_runs_on_local_spark(world: World, tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from sharewell.adapters.linkage.engine import SplinkLinkage

    spark = SplinkLinkage(world.identity.records, tmp_path / "spark-models", backend="spark")
    result = spark.link_all(
        threshold=0.95, review_lower=0.5, forced_matches=[], forced_non_matches=[], train=True
    )
    assert Path(result.model_path).name == "linkage-v1.json"
    ids = world.record_ids()
    truth_of = {rid: world.truth[key] for key, rid in ids.items()}
    truth_people = [{truth_of[r] for r in cluster} for cluster in result.clusters]
    assert all(len(people) == 1 for people in truth_people)
    assert len(result.clusters) == PEOPLE
