"""Storing the synthetic partnership, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select, text

from sharewell.adapters.crypto.passwords import verify_password
from sharewell.adapters.db.repositories import SqlOrganisations, SqlPractitioners
from sharewell.adapters.db.tables import FactRow
from sharewell.adapters.synthetic.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, TRAINING_MODULE
from sharewell.adapters.synthetic.generator import COLUMNS, DemoConfig
from sharewell.adapters.synthetic.loader import (
    demo_data_present,
    load_demo_data,
    table_counts,
)
from sharewell.domain.errors import Conflict
from sharewell.domain.vocabulary import Role

AS_OF = date(2026, 11, 1)


def _rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every generated table's rows in a stable order (source_records without its serial id)."""
    result = {}
    with engine.connect() as conn:
        for table, columns in COLUMNS.items():
            cols = ", ".join(f'"{c}"' for c in columns)
            order = ", ".join(f'"{c}"' for c in columns[:2])
            result[table] = [
                tuple(r)
                for r in conn.execute(text(f'SELECT {cols} FROM "{table}" ORDER BY {order}'))
            ]
    return result


def test_stores_the_partnership_with_ground_truth_for_every_record(engine: Engine) -> None:
    report = load_demo_data(engine, DemoConfig(people=200, seed=3, as_of=AS_OF))
    counts = table_counts(engine)
    assert counts["truth_people"] == 200 == report.people
    assert counts["source_records"] == report.counts["source_records"] > 200
    assert counts["facts"] == report.counts["facts"] > 0
    assert counts["organisations"] >= 12
    assert counts["truth_clusters"] == 6
    with engine.connect() as conn:
        orphans = conn.execute(
            text(
                "SELECT COUNT(*) FROM source_records s LEFT JOIN truth_records t "
                "ON t.org_code = s.org_code AND t.local_id = s.local_id WHERE t.person_key IS NULL"
            )
        ).scalar_one()
        detail = conn.execute(
            select(FactRow.detail).where(FactRow.code == "domestic_abuse_incident").limit(1)
        ).scalar_one()
    assert orphans == 0
    assert detail["incident_type"] == "domestic_abuse"
    assert demo_data_present(engine) == 200


def test_demo_accounts_can_sign_in_and_are_trained(engine: Engine) -> None:
    load_demo_data(engine, DemoConfig(people=50, seed=1, as_of=AS_OF))
    practitioners = SqlPractitioners(engine)
    roles = set()
    for account in DEMO_ACCOUNTS:
        practitioner = practitioners.by_email(account.email)
        assert practitioner is not None
        roles.add(practitioner.role)
        assert practitioner.active == account.active
        if account.trained_days_ago is None:
            assert TRAINING_MODULE not in practitioner.training
        else:
            assert practitioner.training[TRAINING_MODULE] == AS_OF - timedelta(
                days=account.trained_days_ago
            )
    assert {
        Role.DESIGNATED_SAFEGUARDING_LEAD,
        Role.TEACHER,
        Role.SOCIAL_WORKER,
        Role.TEAM_MANAGER,
        Role.GP,
        Role.POLICE_OFFICER,
        Role.PUBLIC_PROTECTION_OFFICER,
        Role.HOSPITAL_CLINICIAN,
        Role.CARE_COORDINATOR,
        Role.MASH_OFFICER,
        Role.IG_LEAD,
        Role.ANALYST,
        Role.PARTNERSHIP_LEAD,
    } <= roles
    with engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT password_hash FROM practitioners WHERE email = 'dsl@sch1.anyshire.example'"
            )
        ).scalar_one()
    assert verify_password(stored, DEMO_PASSWORD)
    assert not verify_password(stored, "wrong-password")
    codes = {o.code for o in SqlOrganisations(engine).list()}
    assert {a.org_code for a in DEMO_ACCOUNTS} <= codes


def test_refuses_to_load_twice_without_replace(engine: Engine) -> None:
    load_demo_data(engine, DemoConfig(people=30, seed=1, as_of=AS_OF))
    before = table_counts(engine)
    with pytest.raises(Conflict) as caught:
        load_demo_data(engine, DemoConfig(people=30, seed=2, as_of=AS_OF))
    assert "--replace" in caught.value.message
    assert table_counts(engine) == before


def test_replace_swaps_the_old_partnership_for_a_new_one(engine: Engine) -> None:
    load_demo_data(engine, DemoConfig(people=120, seed=1, as_of=AS_OF))
    first = _rows(engine)
    load_demo_data(engine, DemoConfig(people=80, seed=2, as_of=AS_OF), replace=True)
    second = _rows(engine)
    assert len(second["truth_people"]) == 80
    assert second["truth_people"] != first["truth_people"]
    counts = table_counts(engine)
    assert counts["practitioners"] == len(DEMO_ACCOUNTS)
    assert counts["organisations"] == len(first["organisations"])


def test_same_seed_stores_identical_rows(engine: Engine) -> None:
    config = DemoConfig(people=150, seed=11, as_of=AS_OF)
    load_demo_data(engine, config)
    first = _rows(engine)
    load_demo_data(engine, config, replace=True)
    assert _rows(engine) == first


def test_progress_is_reported_for_every_person(engine: Engine) -> None:
    seen: list[int] = []
    load_demo_data(engine, DemoConfig(people=75, seed=5, as_of=AS_OF), progress=seen.append)
    assert sum(seen) == 75
