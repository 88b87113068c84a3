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


def test_read_many_gives_each_ask_only_its_own_fields(engine: Engine) -> None:
    from sharewell.services.disclosure import FactAsk

    _load(engine)
    reader = SqlFactReader(engine)
    views = reader.read_many(
        [
            FactAsk("POL", ("n1",), DataCategory.CRIMINAL_OFFENCE, ("incident_type",)),
            FactAsk("POL", ("n1",), DataCategory.POLICE_INTELLIGENCE, ("summary", "occurred_at")),
            FactAsk("SCH1", ("n1",), DataCategory.EDUCATION, ("code", "detail")),
        ]
    )
    assert [v.id for v in views[:1]] == ["f1"]
    assert sorted(v.id for v in views[1:3]) == ["f2", "f3"]
    assert views[3].id == "f4"
    # The crime's time was not asked for, though the intelligence's was.
    assert views[0].occurred_at is None
    assert dict(views[0].fields) == {"incident_type": "domestic_abuse"}
    assert {dict(v.fields)["summary"] for v in views[1:3]} == {"Intel", "Intel 2"}
    assert all(v.occurred_at == AT for v in views[1:3])
    assert all("incident_type" not in v.fields for v in views[1:])
    assert dict(views[3].fields) == {"code": "ABS"}
    assert (views[3].org_code, views[3].category) == ("SCH1", DataCategory.EDUCATION)
    assert reader.read_many([]) == []


def test_asks_of_one_shape_share_a_statement_and_bind_their_own_values(engine: Engine) -> None:
    from sharewell.adapters.db.fact_reads import _holdings, _read_many
    from sharewell.services.disclosure import FactAsk

    _load(engine)
    reader = SqlFactReader(engine)
    police = reader.read_many([FactAsk("POL", ("n1",), DataCategory.CRIMINAL_OFFENCE, ("detail",))])
    school = reader.read_many([FactAsk("SCH1", ("n1",), DataCategory.EDUCATION, ("detail",))])
    # One statement for the shape (one record, every detail key), each read its own rows.
    assert _read_many.cache_info().hits >= 1
    assert [(v.id, dict(v.fields)) for v in police] == [
        ("f1", {"incident_type": "domestic_abuse", "officer_notes": "private"})
    ]
    assert [v.id for v in school] == ["f4"]
    both = reader.holdings([SourceRef("SCH1", "n1"), SourceRef("POL", "n1")])
    assert sorted((h.org_code, h.category.value, h.count) for h in both) == [
        ("POL", "criminal_offence", 1),
        ("POL", "police_intelligence", 2),
        ("SCH1", "education", 1),
    ]
    assert _holdings(2) is _holdings(2)
