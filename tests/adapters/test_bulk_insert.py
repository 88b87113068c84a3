"""bulk_insert stores dates, times, JSON, booleans and text so that the ORM reads them back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from sharewell.adapters.db.bulk import bulk_insert
from sharewell.adapters.db.tables import (
    Base,
    FactRow,
    OrganisationRow,
    SourceRecordRow,
    TruthPersonRow,
)


def test_values_round_trip_through_the_orm(engine: Engine) -> None:
    tables = Base.metadata.tables
    at = datetime(2026, 3, 1, 10, 30, 15, tzinfo=UTC)
    with engine.begin() as conn:
        bulk_insert(
            conn, tables["organisations"], ("code", "name", "kind"), [("POL", "P", "police")]
        )
        bulk_insert(
            conn,
            tables["truth_people"],
            ("person_key", "household_id", "given_name", "family_name", "birth_family_name",
             "date_of_birth", "sex", "nhs_number"),
            [("P1", "H1", "Zoë", "O'Neill", "Smith", date(1987, 3, 14), "female", "9434765919")],
        )  # fmt: skip
        bulk_insert(
            conn,
            tables["facts"],
            ("id", "org_code", "local_id", "category", "code", "occurred_at", "summary", "detail",
             "sensitivity", "latitude", "longitude"),
            [("F1", "POL", "N1", "criminal_offence", "arrest", at, "Arrested",
              {"incident_type": "arrest", "note": "tab\there, quote \" and back\\slash"},
              "normal", 54.75, None)],
        )  # fmt: skip
        count = bulk_insert(
            conn,
            tables["source_records"],
            ("org_code", "local_id", "given_name", "family_name", "sex", "nhs_number_valid"),
            ((("POL", f"N{i}", "A", "B", "male", i % 2 == 0)) for i in range(3)),
        )
    assert count == 3
    with engine.connect() as conn:
        person = conn.execute(select(TruthPersonRow)).one()
        fact = conn.execute(select(FactRow)).one()
        valid = conn.execute(
            select(SourceRecordRow.nhs_number_valid).order_by(SourceRecordRow.local_id)
        ).scalars()
        assert conn.execute(select(OrganisationRow.name)).scalar_one() == "P"
        assert list(valid) == [True, False, True]
    assert person.date_of_birth == date(1987, 3, 14)
    assert person.given_name == "Zoë" and person.family_name == "O'Neill"
    occurred = fact.occurred_at  # SQLite keeps no zone; PostgreSQL returns an aware time
    occurred = occurred.astimezone(UTC) if occurred.tzinfo else occurred.replace(tzinfo=UTC)
    assert occurred == at
    assert fact.detail == {"incident_type": "arrest", "note": 'tab\there, quote " and back\\slash'}
    assert fact.latitude == 54.75 and fact.longitude is None
