from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from sharewell.adapters.db.bulk import bulk_insert
from sharewell.adapters.db.tables import FactRow, OrganisationRow


def test_bulk_insert_loads_many_rows_that_read_back_intact(engine: Engine) -> None:
    at = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    with engine.begin() as conn:
        bulk_insert(
            conn,
            OrganisationRow.__table__,
            ["code", "name", "kind"],
            [("POL", "Anyshire Police", "police")],
        )
        count = bulk_insert(
            conn,
            FactRow.__table__,
            [
                "id",
                "org_code",
                "local_id",
                "category",
                "code",
                "occurred_at",
                "summary",
                "detail",
                "sensitivity",
            ],
            (
                (
                    f"POL:{i}",
                    "POL",
                    f"P{i % 50}",
                    "criminal_offence",
                    "domestic_abuse",
                    at,
                    "Incident",
                    {"incident_type": "domestic_abuse", "n": str(i)},
                    "normal",
                )
                for i in range(25_000)
            ),
        )
    assert count == 25_000
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(FactRow)).scalar_one() == 25_000
        row = conn.execute(select(FactRow).where(FactRow.id == "POL:7")).one()
    assert row.detail == {"incident_type": "domestic_abuse", "n": "7"}
    assert row.occurred_at.replace(tzinfo=UTC) == at


def test_bulk_insert_is_undone_with_its_transaction(engine: Engine) -> None:
    try:
        with engine.begin() as conn:
            bulk_insert(
                conn,
                OrganisationRow.__table__,
                ["code", "name", "kind"],
                [("POL", "Anyshire Police", "police"), ("SCH1", "School", "school")],
            )
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OrganisationRow)).scalar_one() == 0


def test_organisations_are_read_back_one_by_one_and_as_a_list(engine: Engine) -> None:
    from sharewell.adapters.db.repositories import SqlOrganisations
    from sharewell.domain.organisations import Organisation
    from sharewell.domain.vocabulary import OrganisationKind

    organisations = SqlOrganisations(engine)
    police = Organisation("POL", "Anyshire Police", OrganisationKind.POLICE, "North Anyshire")
    organisations.add(police)
    assert organisations.get("POL") == police
    assert organisations.get("NOPE") is None
    assert list(organisations.list()) == [police]
