"""Real-time scoring with the loaded Splink model's own parameters, without a SQL round trip.

Splink 5 scores pairs by generating and running SQL (`score_pairs`), which costs tens of
milliseconds per call even when prepared. For one new record against a few dozen candidates,
Sharewell instead reads each comparison level's match weight (log2 m/u, Splink's
`ComparisonLevel._match_weight`) and term-frequency settings from the loaded Splink settings
once, and assigns each pair its comparison levels in Python with conditions that mirror the
model's level SQL in `model.comparisons()` (Jaro-Winkler and Damerau-Levenshtein from jellyfish,
which agree with DuckDB's functions). The Splink model stays the source of truth: nothing is
trained or tuned here, and a test checks the weights equal `score_pairs` on many pairs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jellyfish

Row = Mapping[str, Any]


def _eq(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a == b


def _jw(a: str, b: str) -> float:
    return float(jellyfish.jaro_winkler_similarity(a, b))


def _parts(text: str | None, pattern: str) -> frozenset[str] | None:
    if not text:
        return None
    parts = frozenset(p for p in re.split(pattern, text) if p)
    return parts or None


def _shared(a: frozenset[str] | None, b: frozenset[str] | None) -> int:
    # SQL: array_length(list_intersect(l, r)) is NULL when either list is NULL.
    if a is None or b is None:
        return -1
    return len(a & b)


def given_name(left: Row, right: Row) -> int:
    gl, gr = left.get("given_name"), right.get("given_name")
    if gl is None or gr is None:
        return -1
    if gl == gr:
        return 5
    if _eq(left.get("given_canonical"), right.get("given_canonical")):
        return 4
    jw = _jw(gl, gr)
    if jw >= 0.92:
        return 3
    if jellyfish.damerau_levenshtein_distance(gl, gr) <= 1:
        return 2
    if jw >= 0.8:
        return 1
    return 0


def _cross(a: str | None, b: str | None) -> float:
    # SQL: the similarity is NULL (never at a level) when either name is missing.
    return -1.0 if a is None or b is None else _jw(a, b)


def family_name(left: Row, right: Row) -> int:
    fl, fr = left.get("family_name"), right.get("family_name")
    if fl is None or fr is None:
        return -1
    if fl == fr:
        return 8
    gl, gr = left.get("given_name"), right.get("given_name")
    if _eq(gl, fr) and _eq(fl, gr):
        return 7
    given_as_family, family_as_given = _cross(gl, fr), _cross(fl, gr)
    if given_as_family >= 0.9 and family_as_given >= 0.9:
        return 6
    jw = _jw(fl, fr)
    if jw >= 0.92:
        return 5
    if jellyfish.damerau_levenshtein_distance(fl, fr) <= 1:
        return 4
    if _shared(_parts(fl, r"[- ]"), _parts(fr, r"[- ]")) >= 1:
        return 3
    if given_as_family >= 0.9 or family_as_given >= 0.9:
        return 2
    if jw >= 0.8:
        return 1
    return 0


def dob(left: Row, right: Row) -> int:
    a, b = left.get("dob"), right.get("dob")
    if a is None or b is None:
        return -1
    if a == b:
        return 6
    full = len(a) == 10 and len(b) == 10
    if full and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return 5
    if full and jellyfish.damerau_levenshtein_distance(a, b) <= 1:
        return 4
    if full and a[5:10] == b[5:10] and abs(int(a[:4]) - int(b[:4])) == 1:
        return 3
    if (len(a) < 10 or len(b) < 10) and (a[: len(b)] == b or b[: len(a)] == a):
        return 2
    if len(a) >= 4 and len(b) >= 4 and abs(int(a[:4]) - int(b[:4])) >= 10:
        return 1
    return 0


def _exact(column: str) -> Callable[[Row, Row], int]:
    def level(left: Row, right: Row) -> int:
        a, b = left.get(column), right.get(column)
        if a is None or b is None:
            return -1
        return 1 if a == b else 0

    return level


def shared_id(left: Row, right: Row) -> int:
    a, b = left.get("shared_id"), right.get("shared_id")
    if a is None or b is None:
        return -1
    if a == b:
        return 2
    if jellyfish.damerau_levenshtein_distance(a, b) <= 1:
        return 1
    return 0


def location(left: Row, right: Row) -> int:
    pl, pr = left.get("postcode"), right.get("postcode")
    tl = _parts(left.get("address_tokens"), " ")
    tr = _parts(right.get("address_tokens"), " ")
    if (pl is None or pr is None) and (tl is None or tr is None):
        return -1
    same_postcode = _eq(pl, pr)
    shared = _shared(tl, tr)
    if same_postcode and shared >= 2:
        return 6
    if same_postcode:
        return 5
    if (
        pl is not None
        and pr is not None
        and shared >= 3
        and jellyfish.damerau_levenshtein_distance(pl, pr) <= 1
    ):
        return 4
    if shared >= 3:
        return 3
    if _eq(left.get("postcode_sector"), right.get("postcode_sector")):
        return 2
    if _eq(left.get("postcode_district"), right.get("postcode_district")):
        return 1
    return 0


# Comparison output column -> the level a pair is at (Splink's comparison vector value).
LEVELS: dict[str, Callable[[Row, Row], int]] = {
    "given_name": given_name,
    "family_name": family_name,
    "dob": dob,
    "nhs_number": _exact("nhs_number"),
    "shared_id": shared_id,
    "sex": _exact("sex"),
    "location": location,
}


class WeightTable:
    """The loaded Splink model's match weight for every comparison level, and its term
    frequency adjustments, read once from Splink's settings object."""

    def __init__(self, linker: Any, tf: Mapping[str, Mapping[str, float]]) -> None:
        settings = linker._settings_obj
        prior = settings._probability_two_random_records_match
        self.prior_weight = math.log2(prior / (1 - prior))
        self.weights: dict[str, dict[int, float]] = {}
        # comparison -> (level value, tf column, tf weight, log2 u of the exact level, min u)
        self.tf_levels: dict[str, tuple[int, str, float, float, float]] = {}
        self.tf = tf
        names = []
        for comparison in settings.comparisons:
            name = comparison.output_column_name
            names.append(name)
            levels: dict[int, float] = {}
            for level in comparison.comparison_levels:
                value = int(level.comparison_vector_value)
                weight = level._match_weight  # log2(m / u), clamped as Splink does
                levels[value] = 0.0 if weight is None else float(weight)
                if (
                    value != -1
                    and level._has_tf_adjustments
                    and level._tf_adjustment_weight != 0
                    and not level._is_else_level
                ):
                    u_exact = level._u_probability_corresponding_to_exact_match(
                        comparison.comparison_levels
                    )
                    self.tf_levels[name] = (
                        value,
                        level._tf_adjustment_input_column.input_name,
                        float(level._tf_adjustment_weight),
                        math.log2(u_exact),
                        float(level._tf_minimum_u_value),
                    )
            self.weights[name] = levels
        missing = set(names) ^ set(LEVELS)
        if missing:
            raise ValueError(f"The model's comparisons differ from the fast scorer's: {missing}")

    def _tf_adjustment(self, name: str, gamma: int, left: Row, right: Row) -> float:
        found = self.tf_levels.get(name)
        if found is None or gamma != found[0]:
            return 0.0
        _value, column, weight, log2_u, minimum = found
        table = self.tf.get(column, {})
        value_l, value_r = left.get(column), right.get(column)
        tf_l = table.get(str(value_l)) if value_l is not None else None
        tf_r = table.get(str(value_r)) if value_r is not None else None
        if tf_l is None and tf_r is None:
            return 0.0
        present = [v for v in (tf_l, tf_r) if v is not None]
        return weight * (log2_u - math.log2(max(*present, minimum)))

    def score(self, left: Row, right: Row) -> dict[str, Any]:
        """One pair as Splink's prediction row: gamma_, mw_, mw_tf_adj_ per comparison, the
        match weight and the match probability."""
        row: dict[str, Any] = {"unique_id_l": left["record_id"], "unique_id_r": right["record_id"]}
        total = self.prior_weight
        for name, level_of in LEVELS.items():
            gamma = level_of(left, right)
            weight = self.weights[name].get(gamma, 0.0)
            tf_weight = self._tf_adjustment(name, gamma, left, right)
            row[f"gamma_{name}"] = gamma
            row[f"mw_{name}"] = weight
            row[f"mw_tf_adj_{name}"] = tf_weight
            row[f"{name}_l"] = left.get(name)
            row[f"{name}_r"] = right.get(name)
            total += weight + tf_weight
        row["match_weight"] = total
        row["match_probability"] = _probability(total)
        return row

    def score_all(self, probe: Row, candidates: Sequence[Row]) -> list[dict[str, Any]]:
        return [self.score(probe, c) for c in candidates]


def _probability(weight: float) -> float:
    if weight > 1000:
        return 1.0
    odds = float(2.0**weight)
    return odds / (1.0 + odds)
