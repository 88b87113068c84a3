"""The linkage model's parts that need no partnership: keys, name levels, training corrections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from alembic import command
from sqlalchemy import create_engine, text

from sharewell.adapters.db.migrate import _config, head_revision
from sharewell.adapters.linkage import fast_scoring, model
from sharewell.adapters.linkage.features import PREDICTION_BLOCKS, address_key


def test_address_key_is_postcode_and_house_numbers() -> None:
    assert address_key("AY1 2AB", "14 2 flat high street") == "AY1 2AB 14 2"
    assert address_key("AY1 2AB", "high street") is None  # a street alone is too broad
    assert address_key(None, "14 high street") is None
    assert address_key("AY1 2AB", None) is None
    assert (("address_key", "address_key"),) in PREDICTION_BLOCKS


def _names(*names: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    given_l, family_l, given_r, family_r = names
    left = {"given_name": given_l, "family_name": family_l, "given_canonical": given_l}
    right = {"given_name": given_r, "family_name": family_r, "given_canonical": given_r}
    return left, right


@pytest.mark.parametrize(
    ("names", "family_level", "given_level"),
    [
        (("john", "smith", "smith", "john"), 7, 0),  # swapped
        (("john", "smith", "smitth", "jonh"), 6, 0),  # swapped, each mistyped
        (("john", "smith", "smith", "ahmed"), 2, 0),  # family name moved, the other lost
        (("john", "smith", "jonh", "ahmed"), 0, 3),  # no name in the wrong field
        (("john", "smith", None, "john"), 2, -1),  # the given name missing on one side
    ],
)
def test_names_in_the_wrong_field_count_once(
    names: tuple[Any, ...], family_level: int, given_level: int
) -> None:
    left, right = _names(*names)
    assert fast_scoring.family_name(left, right) == family_level
    assert fast_scoring.family_name(right, left) == family_level  # either record first
    assert fast_scoring.given_name(left, right) == given_level


def test_cross_jaro_winkler_level_is_written_in_each_backend() -> None:
    level = model.CrossJaroWinklerLevel("given_name", "family_name", 0.9)
    duck = level.get_comparison_level("duckdb").sql_condition
    spark = level.get_comparison_level("spark").sql_condition
    assert duck == 'jaro_winkler_similarity("given_name_l", "family_name_r") >= 0.9'
    assert spark.startswith("jaro_winkler(") and "family_name_r" in spark
    found = duckdb.sql(
        f"SELECT {duck.replace(chr(34), '')} FROM "
        "(SELECT 'smith' AS given_name_l, 'smitth' AS family_name_r)"
    ).fetchall()
    assert found == [(True,)]


def _model(prior: float, levels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "probability_two_random_records_match": prior,
        "comparisons": [{"output_column_name": "dob", "comparison_levels": levels}],
    }


def test_u_discounts_the_matches_among_the_sampled_pairs() -> None:
    prior = 1e-4
    trained = _model(
        prior,
        [
            {"sql_condition": "null", "is_null_level": True},
            # 230 of 2,000,000 sampled pairs agreed; about 180 of them (prior x m) were matches.
            {"sql_condition": '"dob_l" = "dob_r"', "m_probability": 0.9, "u_probability": 1.15e-4},
            # Fewer agreed than the matches alone explain: at least one pair in the sample.
            {"sql_condition": "swapped", "m_probability": 0.05, "u_probability": 2e-6},
            {"sql_condition": "ELSE", "m_probability": 0.05, "u_probability": 0.9998},
        ],
    )
    out = model.discount_matches_from_u(trained, 2e6)
    exact, swapped, other = out["comparisons"][0]["comparison_levels"][1:]
    assert exact["u_probability"] == pytest.approx((1.15e-4 - prior * 0.9) / (1 - prior))
    assert swapped["u_probability"] == pytest.approx(5e-7)
    assert other["u_probability"] == pytest.approx((0.9998 - prior * 0.05) / (1 - prior))
    assert trained["comparisons"][0]["comparison_levels"][1]["u_probability"] == 1.15e-4


def test_a_level_training_never_reached_counts_for_nothing() -> None:
    trained = _model(
        1e-4,
        [
            # No matches by EM and no sampled pair: the records trained on never had it.
            {"sql_condition": "typo", "m_probability": 1e-20, "u_probability": 1e-7},
            # No matches, but seen among the sampled pairs: real evidence against a match.
            {"sql_condition": "seen", "m_probability": 1e-20, "u_probability": 0.01},
            # Fixed by hand: left alone.
            {
                "sql_condition": "fixed",
                "m_probability": 1e-20,
                "u_probability": 1e-7,
                "fix_m_probability": True,
            },
        ],
    )
    typo, seen, fixed = model.discount_matches_from_u(trained, 2e6)["comparisons"][0][
        "comparison_levels"
    ]
    assert typo["m_probability"] == typo["u_probability"] == pytest.approx(1e-7, rel=1e-3)
    assert seen["m_probability"] == 1e-20
    assert fixed["m_probability"] == 1e-20


def test_deterministic_recall_from_the_trained_model() -> None:
    def exact(column: str, m: float) -> dict[str, Any]:
        return {
            "output_column_name": column,
            "comparison_levels": [
                {"sql_condition": "null", "is_null_level": True},
                {"sql_condition": f'"{column}_l" = "{column}_r"', "m_probability": m},
                {"sql_condition": "ELSE", "m_probability": 1 - m},
            ],
        }

    trained = {
        "comparisons": [
            exact("given_name", 0.7),
            exact("family_name", 0.8),
            exact("dob", 0.9),
            exact("nhs_number", 0.995),
            exact("shared_id", 0.9),
        ]
    }
    present = {"given_name": 1.0, "family_name": 1.0, "dob": 1.0, "nhs_number": 0.0}
    # No identifiers: only names and date of birth, all three agreeing.
    assert model.deterministic_recall(trained, present) == pytest.approx(0.7 * 0.8 * 0.9)
    # NHS numbers on half the records: both present on a quarter of the pairs.
    with_nhs = {**present, "nhs_number": 0.5}
    expected = 1 - (1 - 0.25 * 0.995) * (1 - 0.504)
    assert model.deterministic_recall(trained, with_nhs) == pytest.approx(expected)
    assert model.deterministic_recall(trained, {}) == 0.05  # never below


def test_migration_gives_stored_match_records_their_address_key(tmp_path: Path) -> None:
    # A plain engine: the rows below stand alone (SQLite leaves foreign keys unchecked).
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0009_audit_subject_index")
        conn.execute(
            text(
                "INSERT INTO match_records (record_id, org_code, content_hash, postcode, "
                "address_tokens) VALUES (1, 'GP1', 'x', 'AY1 2AB', '14 high street'), "
                "(2, 'GP1', 'y', 'AY1 2AB', 'high street'), (3, 'GP1', 'z', NULL, '3 mill lane')"
            )
        )
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT record_id, address_key FROM match_records")).all())
    assert keys == {1: "AY1 2AB 14", 2: None, 3: None}
    assert head_revision() == "0014_grant_changes"
    engine.dispose()
