"""SqlFactReader selects only the fields it is asked for, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from sharewell.adapters.db.fact_reads import SqlFactReader
from sharewell.adapters.db.tables import FactRow, OrganisationRow
from sharewell.domain.vocabulary import DataCategory
from sharewell.services.disclosure import SourceRef

AT = datetime(2026, 2, 3, 21, 15, tzinfo=UTC)


def _load(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(OrganisationRow),
            [
                {"code": "POL", "name": "Anyshire Police", "kind": "police"},
                {"code": "SCH1", "name": "School", "kind": "school"},
            ],
        )
        conn.execute(
            insert(FactRow),
            [
                {
                    "id": "f1",
                    "org_code": "POL",
                    "local_id": "n1",
                    "category": "criminal_offence",
                    "code": "DA",
                    "occurred_at": AT,
                    "summary": "Incident at home",
                    "detail": {"incident_type": "domestic_abuse", "officer_notes": "private"},
                },
                {
                    "id": "f2",
                    "org_code": "POL",
                    "local_id": "n1",
                    "category": "police_intelligence",
                    "code": "INT",
                    "occurred_at": AT,
                    "summary": "Intel",
                    "detail": {},
                },
                {
                    "id": "f3",
                    "org_code": "POL",
                    "local_id": "n1",
                    "category": "police_intelligence",
                    "code": "INT",
                    "occurred_at": AT,
                    "summary": "Intel 2",
                    "detail": {},
                },
                {
                    "id": "f4",
                    "org_code": "SCH1",
                    "local_id": "n1",
                    "category": "education",
                    "code": "ABS",
                    "occurred_at": AT,
                    "summary": "Absent",
                    "detail": {},
                },
            ],
        )


def test_reads_only_the_permitted_fields(engine: Engine) -> None:
    _load(engine)
    reader = SqlFactReader(engine)
    [view] = reader.read(
        "POL", ["n1"], DataCategory.CRIMINAL_OFFENCE, ["occurred_at", "incident_type"]
    )
    assert view.id == "f1"
    assert view.occurred_at == AT
    assert dict(view.fields) == {"incident_type": "domestic_abuse"}


def test_own_record_reads_every_field(engine: Engine) -> None:
    _load(engine)
    reader = SqlFactReader(engine)
    [view] = reader.read("POL", ["n1"], DataCategory.CRIMINAL_OFFENCE, reader.all_fields())
    assert dict(view.fields) == {
        "code": "DA",
        "summary": "Incident at home",
        "incident_type": "domestic_abuse",
        "officer_notes": "private",
    }


def test_holdings_count_by_holder_and_category_for_those_records_only(engine: Engine) -> None:
    _load(engine)
    held = SqlFactReader(engine).holdings([SourceRef("POL", "n1")])
    assert sorted((h.org_code, h.category.value, h.count) for h in held) == [
        ("POL", "criminal_offence", 1),
        ("POL", "police_intelligence", 2),
    ]
    assert SqlFactReader(engine).holdings([]) == []
