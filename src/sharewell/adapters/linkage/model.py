"""The partnership's Splink model: comparisons, blocking, training, saving and loading."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import ColumnExpression, SettingsCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

from sharewell.adapters.linkage.features import MATCH_COLUMNS, PREDICTION_BLOCKS, blocking_rule_sql

MODEL_PATTERN = re.compile(r"linkage-v(\d+)\.json$")

_DOB_SWAPPED = (
    "length(dob_l) = 10 AND length(dob_r) = 10 AND substr(dob_l, 1, 4) = substr(dob_r, 1, 4) "
    "AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
)
_DOB_YEAR_OFF = (
    "length(dob_l) = 10 AND length(dob_r) = 10 AND substr(dob_l, 6, 5) = substr(dob_r, 6, 5) "
    "AND abs(CAST(substr(dob_l, 1, 4) AS INT) - CAST(substr(dob_r, 1, 4) AS INT)) = 1"
)
_DOB_PARTIAL = (
    "(length(dob_l) < 10 OR length(dob_r) < 10) AND "
    "(substr(dob_l, 1, length(dob_r)) = dob_r OR substr(dob_r, 1, length(dob_l)) = dob_l)"
)


class CrossJaroWinklerLevel(ComparisonLevelCreator):
    """One column of the left record against another of the right by Jaro-Winkler similarity
    (Splink's own `ColumnsReversedLevel` is exact only), in each backend's function."""

    def __init__(self, col_l: str, col_r: str, threshold: float) -> None:
        self.col_l = ColumnExpression.instantiate_if_str(col_l)
        self.col_r = ColumnExpression.instantiate_if_str(col_r)
        self.threshold = threshold

    def create_sql(self, sql_dialect: Any) -> str:
        self.col_l.sql_dialect = sql_dialect
        self.col_r.sql_dialect = sql_dialect
        function = sql_dialect.jaro_winkler_function_name
        return f"{function}({self.col_l.name_l}, {self.col_r.name_r}) >= {self.threshold}"

    def create_label_for_charts(self) -> str:
        return f"Jaro-Winkler of {self.col_l.label} and {self.col_r.label} >= {self.threshold}"


def _names_swapped(threshold: float | None, *, both: bool) -> Any:
    """Given name of one record against family name of the other, in both directions: both
    agree (the names swapped) or either does (one name written in the other field). Exact, or
    with Jaro-Winkler >= threshold."""
    one: ComparisonLevelCreator
    other: ComparisonLevelCreator
    if threshold is None:
        one = cll.ColumnsReversedLevel("given_name", "family_name")
        other = cll.ColumnsReversedLevel("family_name", "given_name")
    else:
        one = CrossJaroWinklerLevel("given_name", "family_name", threshold)
        other = CrossJaroWinklerLevel("family_name", "given_name", threshold)
    return cll.And(one, other) if both else cll.Or(one, other)


def comparisons() -> list[Any]:
    """How two records are compared, field by field, most specific level first."""
    forename = cl.CustomComparison(
        output_column_name="given_name",
        comparison_levels=[
            cll.NullLevel("given_name"),
            cll.ExactMatchLevel("given_name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("given_canonical").configure(
                label_for_charts="Same name via nickname or alias"
            ),
            cll.JaroWinklerLevel("given_name", 0.92),
            # One letter wrong, missing, added or two transposed, where Jaro-Winkler, which
            # weighs the first letters most, scores short names and early typos low.
            cll.DamerauLevenshteinLevel("given_name", 1),
            cll.JaroWinklerLevel("given_name", 0.8),
            cll.ElseLevel(),
        ],
    )
    # Names in the wrong fields are compared here only, so one swap is counted once.
    surname = cl.CustomComparison(
        output_column_name="family_name",
        comparison_levels=[
            cll.NullLevel("family_name"),
            cll.ExactMatchLevel("family_name", term_frequency_adjustments=True),
            _names_swapped(None, both=True).configure(
                label_for_charts="Given and family names swapped"
            ),
            _names_swapped(0.9, both=True).configure(
                label_for_charts="Given and family names swapped, with a typo"
            ),
            cll.JaroWinklerLevel("family_name", 0.92),
            cll.DamerauLevenshteinLevel("family_name", 1),
            cll.ArrayIntersectLevel("family_parts", 1).configure(
                label_for_charts="Shares part of a hyphenated or double family name"
            ),
            # One record's family name in the other's given name field, its own family name
            # something else (a second family name; the given name lost), a typo allowed.
            _names_swapped(0.9, both=False).configure(
                label_for_charts="Family name in the other given name field"
            ),
            cll.JaroWinklerLevel("family_name", 0.8),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(_DOB_SWAPPED, "Day and month swapped", base_dialect_str="duckdb"),
            cll.CustomLevel(
                "length(dob_l) = 10 AND length(dob_r) = 10 AND "
                + cll.DamerauLevenshteinLevel("dob", 1).create_sql(_duckdb_dialect()),
                "One digit different",
                base_dialect_str="duckdb",
            ),
            cll.CustomLevel(_DOB_YEAR_OFF, "Year off by one", base_dialect_str="duckdb"),
            cll.CustomLevel(_DOB_PARTIAL, "Partial date agrees", base_dialect_str="duckdb"),
            # Records of one person almost never put births a decade apart; a parent and a child
            # who share a name and a home do. Fixed, as EM cannot tell these apart on its own.
            cll.CustomLevel(
                "length(dob_l) >= 4 AND length(dob_r) >= 4 AND "
                "abs(CAST(substr(dob_l, 1, 4) AS INT) - CAST(substr(dob_r, 1, 4) AS INT)) >= 10",
                "Born a decade or more apart",
                base_dialect_str="duckdb",
            ).configure(m_probability=0.0005, fix_m_probability=True),
            # Fixed for the same reason as NHS numbers: a parent and child who share a name and
            # a home would otherwise teach EM that dates of birth often disagree completely.
            cll.ElseLevel().configure(m_probability=0.01, fix_m_probability=True),
        ],
    )
    # Postcode and address are one comparison: people in a household share both, and counting
    # them as independent evidence links family members to each other.
    location = cl.CustomComparison(
        output_column_name="location",
        comparison_levels=[
            cll.CustomLevel(
                "(postcode_l IS NULL OR postcode_r IS NULL) "
                "AND (address_tokens_l IS NULL OR address_tokens_r IS NULL)",
                "Postcode and address missing",
            ).configure(is_null_level=True),
            cll.And(
                cll.ExactMatchLevel("postcode"), cll.ArrayIntersectLevel("address_tokens", 2)
            ).configure(label_for_charts="Same postcode and address"),
            cll.ExactMatchLevel("postcode", term_frequency_adjustments=True).configure(
                label_for_charts="Same postcode"
            ),
            # A postcode typed with one character wrong or two transposed, at the same address.
            cll.And(
                cll.DamerauLevenshteinLevel("postcode", 1),
                cll.ArrayIntersectLevel("address_tokens", 3),
            ).configure(label_for_charts="Same address words, postcode one character different"),
            cll.ArrayIntersectLevel("address_tokens", 3).configure(
                label_for_charts="Same address words, postcode differs or missing"
            ),
            cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="Same sector"),
            cll.ExactMatchLevel("postcode_district").configure(label_for_charts="Same district"),
            cll.ElseLevel(),
        ],
    )
    # Valid NHS numbers are checked by Modulus 11, so one person's records almost never carry two
    # different valid numbers: fixed m probabilities keep EM from learning household members as
    # matches (it otherwise treats a differing number as weak evidence).
    nhs = cl.CustomComparison(
        output_column_name="nhs_number",
        comparison_levels=[
            cll.NullLevel("nhs_number"),
            cll.ExactMatchLevel("nhs_number").configure(
                m_probability=0.995, fix_m_probability=True
            ),
            cll.ElseLevel().configure(m_probability=0.005, fix_m_probability=True),
        ],
    )
    return [
        forename,
        surname,
        dob,
        nhs,
        cl.CustomComparison(
            output_column_name="shared_id",
            comparison_levels=[
                cll.NullLevel("shared_id"),
                cll.ExactMatchLevel("shared_id"),
                # Shared identifiers are typed by hand: one character wrong or two transposed.
                cll.DamerauLevenshteinLevel("shared_id", 1).configure(
                    label_for_charts="One character different"
                ),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("sex"),
        location,
    ]


def _duckdb_dialect() -> Any:
    from splink.internals.dialects import SplinkDialect

    return SplinkDialect.from_string("duckdb")


def settings() -> SettingsCreator:
    """The untrained model: comparisons and the blocking rules used for prediction."""
    rules: list[Any] = [blocking_rule_sql(r) for r in PREDICTION_BLOCKS]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        additional_columns_to_retain=["org_code"],
    )


# Pairs that are almost surely matches, for the prior: each rule is columns that all agree.
DETERMINISTIC_RULES: tuple[tuple[str, ...], ...] = (
    ("nhs_number",),
    ("shared_id",),
    ("given_name", "family_name", "dob"),
)
# Before the model is trained, the share of matches the rules are taken to find.
INITIAL_RECALL = 0.7


def deterministic_rules_sql() -> list[str | Any]:
    return [" AND ".join(f"l.{c} = r.{c}" for c in rule) for rule in DETERMINISTIC_RULES]


def deterministic_recall(model_json: dict[str, Any], present: dict[str, float]) -> float:
    """The share of matches the deterministic rules find, by the trained model.

    A rule finds a match when each of its columns is present on both records (`present`: the
    share of records with a value, squared) and agrees exactly (the exact level's m probability);
    the rules are taken as independent. Kept between 0.05 and 1.
    """
    exact_m: dict[str, float] = {}
    for comparison in model_json["comparisons"]:
        column = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            if level["sql_condition"] == f'"{column}_l" = "{column}_r"':
                exact_m[column] = float(level.get("m_probability") or 0.0)
    missed = 1.0
    for rule in DETERMINISTIC_RULES:
        found = 1.0
        for column in rule:
            found *= present.get(column, 0.0) ** 2 * exact_m.get(column, 0.0)
        missed *= 1.0 - found
    return min(1.0, max(0.05, 1.0 - missed))


# Never block EM on address or postcode alone: people in one household share them, and EM
# then learns "same household" instead of "same person".
EM_BLOCKS = (
    ("dob",),
    ("family_phonetic", "given_canonical"),
)


_NAME_PARTS = re.compile(r"[- ]")


def _split(text: str | None, pattern: re.Pattern[str]) -> list[str] | None:
    if not text:
        return None
    parts = [p for p in pattern.split(text) if p]
    return parts or None


def _words(text: str | None) -> list[str] | None:
    if not text:
        return None
    parts = [p for p in text.split(" ") if p]
    return parts or None


def to_input_rows(rows: Iterable[Sequence[Any]]) -> pa.Table:
    """Match records (tuples in MATCH_COLUMNS order) as the table Splink reads."""
    values = list(zip(*rows, strict=True)) or [() for _ in MATCH_COLUMNS]
    return input_table({name: list(v) for name, v in zip(MATCH_COLUMNS, values, strict=True)})


def input_table(columns: dict[str, list[Any]]) -> pa.Table:
    """Column lists (MATCH_COLUMNS names) as Splink's input table, with derived columns."""
    data: dict[str, Any] = {"unique_id": pa.array(columns["record_id"], pa.int64())}
    for name in MATCH_COLUMNS:
        if name in ("record_id", "content_hash", "address_tokens"):
            continue
        if name == "dob_year":
            data[name] = pa.array(columns[name], pa.int64())
        else:
            data[name] = pa.array(columns[name], pa.string())
    data["family_parts"] = pa.array(
        [_split(v, _NAME_PARTS) for v in columns["family_name"]], pa.list_(pa.string())
    )
    data["address_tokens"] = pa.array(
        [_words(v) for v in columns["address_tokens"]], pa.list_(pa.string())
    )
    return pa.table(data)


def input_rows_from_dicts(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Match records as dicts (from SQL) as Splink's input table."""
    return input_table({name: [r.get(name) for r in rows] for name in MATCH_COLUMNS})


def load_model(path: Path) -> dict[str, Any]:
    """A saved model, with today's blocking rules: they decide which pairs are scored, are not
    trained, and must match the columns and SQL indexes this version of Sharewell has."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": blocking_rule_sql(rule), "sql_dialect": "duckdb"}
        for rule in PREDICTION_BLOCKS
    ]
    return data


def latest_model(model_dir: Path) -> tuple[int, Path] | None:
    """The newest saved model (version, path), or None."""
    found = []
    for path in model_dir.glob("linkage-v*.json"):
        match = MODEL_PATTERN.search(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return max(found) if found else None


def next_model_path(model_dir: Path) -> Path:
    """Where the next version of the model is saved (./var/models/linkage-v{n}.json)."""
    latest = latest_model(model_dir)
    return model_dir / f"linkage-v{(latest[0] if latest else 0) + 1}.json"


def save_term_frequencies(path: Path, tables: dict[str, dict[str, float]]) -> None:
    """Term frequencies beside the model, so real-time scoring needs no full scan."""
    path.write_text(json.dumps(tables, sort_keys=True), encoding="utf-8")


def discount_matches_from_u(model_json: dict[str, Any], sampled_pairs: float) -> dict[str, Any]:
    """u probabilities with the record pairs that were matches taken out.

    Splink estimates u from randomly sampled pairs as if none were matches. A share of them
    (the prior, about) are, and at the levels non-matches rarely reach (same date of birth, same
    address) they are most of what was counted, so those levels' weights came out too low. Each
    level's expected count of matches (prior x m) is taken off: u = (u - prior m) / (1 - prior),
    at least one pair in the sample.

    A level the training data never reached at all - no matches by EM, no sampled pairs (a
    postcode typo in a partnership whose records have none) - would otherwise weigh about -58
    against a match the first time a real record reaches it. It is given m = u instead: no
    evidence either way, until a retrain sees it.
    """
    prior = float(model_json["probability_two_random_records_match"])
    floor = 1.0 / max(sampled_pairs, 1.0)
    out: dict[str, Any] = json.loads(json.dumps(model_json))
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or m is None or u is None:
                continue
            level["u_probability"] = max((u - prior * m) / (1 - prior), min(u, floor))
            unseen = m < UNSEEN_M and u <= floor and not level.get("fix_m_probability")
            if unseen:
                level["m_probability"] = level["u_probability"]
    return out


# Below this, EM found no matches at a level.
UNSEEN_M = 1e-9
