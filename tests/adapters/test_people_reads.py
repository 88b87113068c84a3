"""SqlPersonDirectory: person ids to linked source records, search and household, both DBs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, Table, insert

from sharewell.adapters.db.people_reads import SqlPersonDirectory
from sharewell.adapters.db.tables import OrganisationRow, SourceRecordRow
from sharewell.adapters.db.tables_identity import PersonLinkRow
from sharewell.services.disclosure import PersonQuery

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _person_links(engine: Engine) -> Table:
    del engine  # made by the identity migration
    table: Table = PersonLinkRow.__table__  # type: ignore[assignment]
    return table


def _load(engine: Engine) -> None:
    links = _person_links(engine)
    people = [
        ("SCH1", "pupil-1", "William", "Carter", (2015, 4, 2), None, "AN1 2BC", "1 High St", "p1"),
        ("POL", "n-9", "Bill", "Carter", (2015, 4, 2), None, "AN1 2BC", "1 High St", "p1"),
        ("GP1", "pat-7", "Mia", "Carter", (2017, 1, 9), "9434765919", "AN1 2BC", "1 High St", "p2"),
        ("GP1", "pat-8", "Ann", "Jones", (1980, 5, 5), "9434765870", "AN9 9ZZ", "5 Low Rd", "p3"),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(OrganisationRow),
            [{"code": c, "name": c, "kind": "school"} for c in ("SCH1", "POL", "GP1")],
        )
        for i, (org, local, given, family, dob, nhs, pc, addr, pid) in enumerate(people, 1):
            conn.execute(
                insert(SourceRecordRow),
                {
                    "id": i,
                    "org_code": org,
                    "local_id": local,
                    "given_name": given,
                    "family_name": family,
                    "dob_year": dob[0],
                    "dob_month": dob[1],
                    "dob_day": dob[2],
                    "sex": "female",
                    "nhs_number": nhs,
                    "nhs_number_valid": nhs is not None,
                    "address": addr,
                    "postcode": pc,
                },
            )
            conn.execute(
                insert(links),
                {"record_id": i, "person_id": pid, "method": "model", "linked_at": NOW},
            )


def test_records_of_a_person_and_none_for_an_unknown_id(engine: Engine) -> None:
    _load(engine)
    directory = SqlPersonDirectory(engine)
    records = directory.records_of("p1")
    assert [(r.org_code, r.local_id) for r in records] == [("POL", "n-9"), ("SCH1", "pupil-1")]
    assert records[0].date_of_birth == date(2015, 4, 2)
    assert directory.records_of("nobody") == []


def test_search_by_each_criterion(engine: Engine) -> None:
    _load(engine)
    directory = SqlPersonDirectory(engine, forename_group=lambda n: {"will": "william"}.get(n, n))
    assert directory.search(PersonQuery(name="carter"), limit=10) == ["p1", "p2"]
    assert directory.search(PersonQuery(name="Mia Carter"), limit=10) == ["p2"]
    assert directory.search(PersonQuery(name="Will Carter"), limit=10) == ["p1"]
    assert directory.search(PersonQuery(date_of_birth=date(1980, 5, 5)), limit=10) == ["p3"]
    assert directory.search(PersonQuery(nhs_number="943 476 5919"), limit=10) == ["p2"]
    assert directory.search(PersonQuery(postcode="an99zz"), limit=10) == ["p3"]
    assert directory.search(PersonQuery(name="carter"), limit=1) == ["p1"]


def test_household_is_the_others_at_the_same_address(engine: Engine) -> None:
    _load(engine)
    directory = SqlPersonDirectory(engine)
    assert directory.household_of("p1") == ["p2"]
    assert directory.household_of("p3") == []


def test_search_on_the_identity_index_tolerates_typos_and_nicknames(engine: Engine) -> None:
    from sharewell.adapters.db.identity import SqlSourceRecords
    from sharewell.adapters.linkage.features import canonical_forename, phonetic
    from sharewell.domain.identity import match_key

    _load(engine)
    SqlSourceRecords(engine).backfill_match_records()
    directory = SqlPersonDirectory(
        engine,
        forename_group=lambda w: canonical_forename(match_key(w)),
        surname_key=lambda w: phonetic(match_key(w)),
    )
    # "Kartar" sounds like Carter; "Billy" is in William's nickname group.
    assert directory.search(PersonQuery(name="Mia Kartar"), limit=10) == ["p2"]
    assert directory.search(PersonQuery(name="Billy Carter"), limit=10) == ["p1"]
    assert directory.search(PersonQuery(name="Ann Jones"), limit=10) == ["p3"]


def test_a_merged_id_leads_to_the_person_who_replaced_it(engine: Engine) -> None:
    from sharewell.adapters.db.tables_identity import PersonRow

    _load(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(PersonRow),
            [
                {
                    "id": "p1",
                    "status": "active",
                    "merged_into": None,
                    "created_at": NOW,
                    "updated_at": NOW,
                },
                {
                    "id": "old",
                    "status": "merged",
                    "merged_into": "p1",
                    "created_at": NOW,
                    "updated_at": NOW,
                },
            ],
        )
    records = SqlPersonDirectory(engine).records_of("old")
    assert [(r.org_code, r.local_id) for r in records] == [("POL", "n-9"), ("SCH1", "pupil-1")]
