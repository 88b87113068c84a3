"""Ingest through the SQL store, on SQLite and PostgreSQL: bad rows, idempotence, history."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from sharewell.adapters.db.identity import SqlPeople, SqlSourceRecords
from sharewell.adapters.db.repositories import SqlOrganisations
from sharewell.adapters.db.tables import FactRow, SourceRecordRow
from sharewell.adapters.db.tables_identity import (
    MatchRecordRow,
    QuarantinedRowRow,
    SourceRecordVersionRow,
)
from sharewell.adapters.ingest.files import FileRows
from sharewell.domain.errors import NotFound, ValidationError
from sharewell.domain.identity import PersonEvent, PersonEventKind
from sharewell.domain.organisations import Organisation
from sharewell.domain.vocabulary import OrganisationKind
from sharewell.services.ingest import ColumnMapping, FactMapping, ingest_facts, ingest_people

MAPPING = ColumnMapping.from_dict(
    {
        "columns": {
            "ID": "local_id",
            "Forename": "given_name",
            "Surname": "family_name",
            "DOB": "date_of_birth",
            "Gender": "sex",
            "NHS": "nhs_number",
            "Address": "address",
            "Postcode": "postcode",
        },
        "date_formats": ["%d/%m/%Y", "%Y-%m-%d", "%Y"],
        "codes": {"sex": {"F": "female", "M": "male"}},
        "required": ["local_id", "family_name"],
    }
)
HEADER = "ID,Forename,Surname,DOB,Gender,NHS,Address,Postcode\n"
GOOD = (
    "p1,JANE,SMITH,14/03/1987,F,943 476 5919,1 High Street,ay12ab\n"
    "p2,tom,o'neill,1990,M,,2 Low Road,AY1 3CD\n"
)


@pytest.fixture
def store(engine: Engine) -> SqlSourceRecords:
    SqlOrganisations(engine).add(Organisation("POL", "Anyshire Police", OrganisationKind.POLICE))
    return SqlSourceRecords(engine)


def _write(tmp_path: Path, text: str, name: str = "people.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _count(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_good_rows_land_normalised(engine: Engine, store: SqlSourceRecords, tmp_path: Path) -> None:
    report = ingest_people(
        store, FileRows(_write(tmp_path, HEADER + GOOD)), MAPPING, org_code="POL"
    )
    assert (report.added, report.quarantined) == (2, 0)
    with engine.connect() as conn:
        rows = {
            r["local_id"]: r for r in conn.execute(select(SourceRecordRow.__table__)).mappings()
        }
    p1, p2 = rows["p1"], rows["p2"]
    assert p1["given_name"] == "Jane" and p1["postcode"] == "AY1 2AB"
    assert (p1["dob_year"], p1["dob_month"], p1["dob_day"]) == (1987, 3, 14)
    assert p1["nhs_number"] == "9434765919" and p1["nhs_number_valid"]
    assert p2["family_name"] == "O'Neill" and p2["sex"] == "male"
    assert (p2["dob_year"], p2["dob_month"]) == (1990, None)


def test_bad_rows_are_quarantined_with_row_number_and_reason(
    engine: Engine, store: SqlSourceRecords, tmp_path: Path
) -> None:
    text = HEADER + GOOD + "p3,Ann,Lee,31/02/1980,F,,,\n" + "p4,Bob,,1980,M,,,\n"
    report = ingest_people(store, FileRows(_write(tmp_path, text)), MAPPING, org_code="POL")
    assert (report.added, report.quarantined) == (2, 2)
    problems = {p.row_number: p for p in report.problems}
    assert problems[4].field == "date_of_birth" and "31/02/1980" in problems[4].reason
    assert problems[5].field == "family_name"
    assert _count(engine, QuarantinedRowRow) == 2
    assert {q["row_number"] for q in store.quarantined("POL")} == {4, 5}


def test_invalid_nhs_number_is_kept_flagged_and_out_of_matching(
    engine: Engine, store: SqlSourceRecords, tmp_path: Path
) -> None:
    text = HEADER + "p9,Amy,Cole,1970-01-02,F,943 476 5918,,\n"
    report = ingest_people(store, FileRows(_write(tmp_path, text)), MAPPING, org_code="POL")
    assert (report.added, report.invalid_nhs_numbers) == (1, 1)
    with engine.connect() as conn:
        row = conn.execute(select(SourceRecordRow.__table__)).mappings().one()
        match = conn.execute(select(MatchRecordRow.__table__)).mappings().one()
    assert row["nhs_number"] == "9434765918" and not row["nhs_number_valid"]
    assert match["nhs_number"] is None


def test_missing_required_column_stores_nothing(
    engine: Engine, store: SqlSourceRecords, tmp_path: Path
) -> None:
    text = "ID,Forename,DOB\np1,Jane,1987\n"
    with pytest.raises(ValidationError, match="Surname"):
        ingest_people(store, FileRows(_write(tmp_path, text)), MAPPING, org_code="POL")
    assert _count(engine, SourceRecordRow) == 0


def test_wrong_encoding_stores_nothing(
    engine: Engine, store: SqlSourceRecords, tmp_path: Path
) -> None:
    text = HEADER + GOOD + "p5,Zoë,Brontë,1980,F,,,\n"
    path = _write(tmp_path, text, encoding="latin-1")
    with pytest.raises(ValidationError, match="not valid utf-8") as caught:
        ingest_people(store, FileRows(path), MAPPING, org_code="POL")
    assert caught.value.field == "encoding"
    assert _count(engine, SourceRecordRow) == 0


def test_unknown_organisation_is_refused(store: SqlSourceRecords, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        ingest_people(store, FileRows(_write(tmp_path, HEADER + GOOD)), MAPPING, org_code="XXX")


def test_reingesting_the_same_file_changes_nothing(
    engine: Engine, store: SqlSourceRecords, tmp_path: Path
) -> None:
    path = _write(tmp_path, HEADER + GOOD + "p3,Ann,Lee,31/02/1980,F,,,\n")
    ingest_people(store, FileRows(path), MAPPING, org_code="POL")
    before = [
        _count(engine, t) for t in (SourceRecordRow, SourceRecordVersionRow, QuarantinedRowRow)
    ]
    again = ingest_people(store, FileRows(path), MAPPING, org_code="POL")
    after = [
        _count(engine, t) for t in (SourceRecordRow, SourceRecordVersionRow, QuarantinedRowRow)
    ]
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert before == after == [2, 2, 1]


def test_changed_row_updates_the_record_and_keeps_history(
    engine: Engine, store: SqlSourceRecords, tmp_path: Path
) -> None:
    ingest_people(store, FileRows(_write(tmp_path, HEADER + GOOD)), MAPPING, org_code="POL")
    moved = GOOD.replace("1 High Street,ay12ab", "9 New Close,AY9 9ZZ")
    report = ingest_people(
        store, FileRows(_write(tmp_path, HEADER + moved)), MAPPING, org_code="POL"
    )
    assert (report.updated, report.unchanged) == (1, 1)
    versions = store.versions("POL", "p1")
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["data"]["postcode"] == "AY1 2AB"
    assert versions[1]["data"]["postcode"] == "AY9 9ZZ"
    with engine.connect() as conn:
        postcode = conn.execute(
            select(SourceRecordRow.postcode).where(SourceRecordRow.local_id == "p1")
        ).scalar_one()
    assert postcode == "AY9 9ZZ"


def test_json_lines_rows_are_numbered_by_line(store: SqlSourceRecords, tmp_path: Path) -> None:
    text = (
        '{"ID": "j1", "Surname": "Khan", "DOB": "2001-05-06"}\n'
        '{"ID": "j2", "Surname": "Khan", "DOB": "not a date"}\n'
        "[1, 2]\n"
    )
    path = _write(tmp_path, text, name="people.jsonl")
    report = ingest_people(store, FileRows(path), MAPPING, org_code="POL")
    assert report.added == 1
    assert [(p.row_number, p.field) for p in report.problems] == [(2, "date_of_birth"), (3, "row")]


FACTS = FactMapping.from_dict(
    {
        "kind": "facts",
        "columns": {
            "IncidentRef": "fact_id",
            "PersonRef": "local_id",
            "Cat": "category",
            "Type": "code",
            "When": "occurred_at",
            "Summary": "summary",
        },
        "detail": ["Officer"],
        "datetime_formats": ["%d/%m/%Y %H:%M"],
        "codes": {"category": {"CRIME": "criminal_offence"}},
    }
)
FACT_HEADER = "IncidentRef,PersonRef,Cat,Type,When,Summary,Officer\n"


def test_facts_land_once_in_utc_and_bad_rows_are_quarantined(
    engine: Engine, store: SqlSourceRecords, tmp_path: Path
) -> None:
    text = (
        FACT_HEADER
        + "i1,p1,CRIME,theft,01/07/2026 10:30,Shop theft,PC 12\n"
        + "i2,p1,weather,rain,01/07/2026 11:00,Wet,\n"
        + "i3,p2,CRIME,assault,31/13/2026 09:00,Bad date,\n"
    )
    path = _write(tmp_path, text, name="incidents.csv")
    report = ingest_facts(store, FileRows(path), FACTS, org_code="POL")
    assert (report.added, report.quarantined) == (1, 2)
    assert {(p.row_number, p.field) for p in report.problems} == {
        (3, "category"),
        (4, "occurred_at"),
    }
    again = ingest_facts(store, FileRows(path), FACTS, org_code="POL")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    with engine.connect() as conn:
        row = conn.execute(select(FactRow.__table__)).mappings().one()
    # 10:30 in London in July is 09:30 UTC.
    assert row["occurred_at"].replace(tzinfo=None).isoformat() == "2026-07-01T09:30:00"
    assert row["detail"] == {"Officer": "PC 12"} and row["category"] == "criminal_offence"


def test_bulk_loaded_records_get_match_records_once(
    engine: Engine, store: SqlSourceRecords
) -> None:
    with engine.begin() as conn:
        conn.execute(
            SourceRecordRow.__table__.insert(),
            [
                {
                    "org_code": "POL",
                    "local_id": "b1",
                    "given_name": "Bill",
                    "family_name": "Khan",
                    "dob_year": 1980,
                    "dob_month": 2,
                    "dob_day": 30,
                    "sex": "male",
                    "nhs_number": "9434765919",
                    "nhs_number_valid": True,
                    "address": "1 High St",
                    "postcode": "AY1 2AB",
                },
                {
                    "org_code": "POL",
                    "local_id": "b2",
                    "given_name": "Ann",
                    "family_name": "Lee",
                    "dob_year": None,
                    "dob_month": None,
                    "dob_day": None,
                    "sex": "unknown",
                    "nhs_number": None,
                    "nhs_number_valid": False,
                    "address": None,
                    "postcode": None,
                },
            ],
        )
    assert store.backfill_match_records() == 2
    assert store.backfill_match_records() == 0
    with engine.connect() as conn:
        rows = {
            r["given_name"]: r for r in conn.execute(select(MatchRecordRow.__table__)).mappings()
        }
    assert rows["bill"]["given_canonical"] == "william"
    assert rows["bill"]["dob"] is None  # 30 February cannot be a date of birth
    assert rows["bill"]["postcode_sector"] == "AY1 2"
    assert rows["ann"]["sex"] is None
    assert [v["version"] for v in store.versions("POL", "b1")] == [1]


def test_candidates_share_a_blocking_key_best_first_on_both_databases(
    store: SqlSourceRecords, tmp_path: Path
) -> None:
    people = HEADER + (
        "c1,Jane,Smith,14/03/1987,F,,1 High Street,AY1 2AB\n"  # same person, other record
        "c2,Janet,Smith,02/02/1950,F,,9 Far Lane,AY9 9ZZ\n"  # same surname sound only
        "c3,Bob,Jones,14/03/1987,M,,5 Hill Road,AY5 5AA\n"  # same date of birth only
        "c4,Zed,Quill,01/01/2001,M,,7 Nowhere,AY7 7ZZ\n"  # nothing shared
    )
    ingest_people(store, FileRows(_write(tmp_path, people + GOOD)), MAPPING, org_code="POL")
    with store._engine.connect() as conn:
        ids = dict(conn.execute(select(SourceRecordRow.local_id, SourceRecordRow.id)).all())
    probe = store.match_row(ids["p1"])
    assert probe is not None and probe["family_name"] == "smith"
    found = [c["record_id"] for c in store.candidates(probe)]
    assert found[0] == ids["c1"]  # shares the most keys
    assert set(found) == {ids["c1"], ids["c3"]}  # c2: sound alone blocks nothing; c4: nothing
    assert ids["p1"] not in found
    assert [c["record_id"] for c in store.candidates(probe, limit=1)] == [ids["c1"]]
    assert store.candidates({"record_id": None, "dob": None}) == []
    assert store.match_row(999_999) is None


def test_people_register_bulk_writes_links_people_and_events_on_both_databases(
    store: SqlSourceRecords, engine: Engine, tmp_path: Path
) -> None:
    ingest_people(store, FileRows(_write(tmp_path, HEADER + GOOD)), MAPPING, org_code="POL")
    with engine.connect() as conn:
        ids = dict(conn.execute(select(SourceRecordRow.local_id, SourceRecordRow.id)).all())
    people = SqlPeople(engine)
    people.apply(
        links={ids["p1"]: "P-a", ids["p2"]: "P-b"},
        created=["P-a", "P-b"],
        merged_into={},
        events=[
            PersonEvent(PersonEventKind.CREATED, "P-a"),
            PersonEvent(PersonEventKind.CREATED, "P-b"),
        ],
        method="batch",
        probabilities={ids["p2"]: 0.97},
    )
    assert people.links() == {ids["p1"]: "P-a", ids["p2"]: "P-b"}
    assert people.records_of("P-b")[0]["match_probability"] == pytest.approx(0.97)
    # A later run merges P-b into P-a: the changed link is replaced, the history kept.
    people.apply(
        links={ids["p1"]: "P-a", ids["p2"]: "P-a"},
        created=[],
        merged_into={"P-b": "P-a"},
        events=[PersonEvent(PersonEventKind.MERGED, "P-a", ("P-b",), "merged")],
        method="batch",
        probabilities={},
    )
    assert people.links() == {ids["p1"]: "P-a", ids["p2"]: "P-a"}
    assert people.merged_into() == {"P-b": "P-a"}
    assert [e["kind"] for e in people.events_of("P-b")] == ["created", "merged"]
    assert people.events_of("P-a")[-1]["other_ids"] == ["P-b"]
