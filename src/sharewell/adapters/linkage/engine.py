"""Splink behind the LinkageEngine port: DuckDB batch linkage, real-time scoring."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
from splink import DuckDBAPI, Linker, block_on
from splink.clustering import cluster_pairwise_predictions_at_threshold

from sharewell.adapters.db.identity import SqlSourceRecords
from sharewell.adapters.linkage import model
from sharewell.adapters.linkage.fast_scoring import WeightTable
from sharewell.domain.errors import NotFound
from sharewell.services.identity_ports import BatchLinkResult, ScoredPair

TF_COLUMNS = ("given_name", "family_name", "postcode")
SEED = 20260101
U_SAMPLE_PAIRS = 2e6

# Splink logs every step at INFO; Sharewell shows its own progress instead.
logging.getLogger("splink").setLevel(logging.ERROR)


def _tf_path(model_path: Path) -> Path:
    return model_path.with_suffix(".tf.json")


def level_labels(model_json: Mapping[str, Any]) -> dict[str, dict[int, str]]:
    """comparison name -> comparison vector value -> level label, from a saved model."""
    out: dict[str, dict[int, str]] = {}
    for comparison in model_json["comparisons"]:
        levels = comparison["comparison_levels"]
        labels: dict[int, str] = {}
        value = sum(1 for lv in levels if not lv.get("is_null_level")) - 1
        for level in levels:
            if level.get("is_null_level"):
                labels[-1] = "one or both missing"
                continue
            labels[value] = str(level.get("label_for_charts") or level["sql_condition"])
            value -= 1
        out[comparison["output_column_name"]] = labels
    return out


def waterfall(
    row: Mapping[str, Any], labels: Mapping[str, Mapping[int, str]], prior: float
) -> list[dict[str, Any]]:
    """Each comparison's level and match-weight contribution for one scored pair."""
    steps: list[dict[str, Any]] = [
        {
            "comparison": "prior",
            "level": "two random records match",
            "match_weight": round(math.log2(prior / (1 - prior)), 3),
        }
    ]
    for name, levels in labels.items():
        gamma = row.get(f"gamma_{name}")
        weight = row.get(f"mw_{name}")
        if gamma is None or weight is None:
            continue
        tf_weight = row.get(f"mw_tf_adj_{name}") or 0.0
        left, right = row.get(f"{name}_l"), row.get(f"{name}_r")
        steps.append(
            {
                "comparison": name,
                "level": levels.get(int(gamma), str(gamma)),
                "match_weight": round(float(weight) + float(tf_weight), 3),
                "left": _plain(left),
                "right": _plain(right),
            }
        )
    return steps


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


class SplinkLinkage:
    """The partnership's linkage engine: Splink 5 on DuckDB (or Spark for batch runs)."""

    def __init__(
        self,
        records: SqlSourceRecords,
        model_dir: Path,
        *,
        backend: str = "duckdb",
        max_candidates: int = 50,
    ) -> None:
        self._records = records
        self._model_dir = model_dir
        self._backend = backend
        self._max_candidates = max_candidates
        self._realtime: _RealtimeScorer | None = None
        self.last_model_path: Path | None = None
        self.training_notes: list[str] = []

    # -- batch -------------------------------------------------------------------------------

    def _db_api(self) -> Any:
        if self._backend == "spark":
            from sharewell.adapters.linkage.spark import spark_api

            return spark_api(self._model_dir / "spark-checkpoints")
        return DuckDBAPI()

    def train(self, table: pa.Table, db_api: Any) -> tuple[Linker, Path]:
        """Estimate the model on `table` and save it as the next version."""
        sdf = db_api.register(_for_backend(table, db_api), table_name="records")
        linker = Linker(sdf, model.settings(), log_level=None)
        rules = model.deterministic_rules_sql()
        linker.training.estimate_probability_two_random_records_match(
            rules, recall=model.INITIAL_RECALL
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
        self.training_notes = []
        for columns in model.EM_BLOCKS:
            snapshot = linker.misc.save_model_to_json()
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*columns), estimate_without_term_frequencies=True
                )
            except ValueError as exc:
                # On small or very clean data EM can drive an m probability to zero, which
                # Splink refuses. Go back to the model as it was before this session; the other
                # sessions still train those levels.
                linker = Linker(sdf, snapshot, log_level=None)
                self.training_notes.append(f"EM blocked on {', '.join(columns)} skipped: {exc}")
        # The prior again, now that the model says how many matches the rules find.
        rows = table.num_rows
        present = {
            column: 1 - table.column(column).null_count / rows
            for rule in model.DETERMINISTIC_RULES
            for column in rule
        }
        recall = model.deterministic_recall(linker.misc.save_model_to_json(), present)
        linker.training.estimate_probability_two_random_records_match(rules, recall=recall)
        self.training_notes.append(f"deterministic rules' recall {recall:.3f}")
        sampled = min(U_SAMPLE_PAIRS, rows * (rows - 1) / 2)
        trained = model.discount_matches_from_u(linker.misc.save_model_to_json(), sampled)
        linker = Linker(sdf, trained, log_level=None)
        self._model_dir.mkdir(parents=True, exist_ok=True)
        path = model.next_model_path(self._model_dir)
        linker.misc.save_model_to_json(str(path), overwrite=True)
        tf: dict[str, dict[str, float]] = {}
        for column in TF_COLUMNS:
            frame = linker.table_management.compute_tf_table(column).as_pandas_dataframe()  # type: ignore[no-untyped-call]
            tf[column] = {
                str(v): float(t) for v, t in zip(frame[column], frame[f"tf_{column}"], strict=True)
            }
        model.save_term_frequencies(_tf_path(path), tf)
        return linker, path

    def link_all(
        self,
        *,
        threshold: float,
        review_lower: float,
        forced_matches: Sequence[tuple[int, int]],
        forced_non_matches: Sequence[tuple[int, int]],
        train: bool,
    ) -> BatchLinkResult:
        seconds: dict[str, float] = {}
        start = time.perf_counter()
        backfilled = self._records.backfill_match_records()
        if backfilled:
            seconds["backfill"] = time.perf_counter() - start
        start = time.perf_counter()
        table = model.to_input_rows(self._records.match_rows())
        seconds["load"] = time.perf_counter() - start
        ids = table.column("unique_id").to_pylist()
        if table.num_rows < 2:
            return BatchLinkResult([], [[i] for i in ids], "", seconds)
        db_api = self._db_api()
        latest = model.latest_model(self._model_dir)
        start = time.perf_counter()
        if train or latest is None:
            linker, path = self.train(table, db_api)
        else:
            path = latest[1]
            sdf = db_api.register(_for_backend(table, db_api), table_name="records")
            linker = Linker(sdf, model.load_model(path), log_level=None)
        seconds["train"] = time.perf_counter() - start
        self.last_model_path = path
        start = time.perf_counter()
        floor = min(threshold, review_lower)
        predictions = linker.inference.predict(threshold_match_probability=floor)
        frame = predictions.as_pyarrow_table()  # type: ignore[no-untyped-call]
        seconds["predict"] = time.perf_counter() - start
        start = time.perf_counter()
        model_json = json.loads(path.read_text(encoding="utf-8"))
        labels = level_labels(model_json)
        prior = float(model_json["probability_two_random_records_match"])
        non_matches = {(min(a, b), max(a, b)) for a, b in forced_non_matches}
        left = frame.column("unique_id_l").to_pylist()
        right = frame.column("unique_id_r").to_pylist()
        probs = frame.column("match_probability").to_pylist()
        weights = frame.column("match_weight").to_pylist()
        edges_l: list[int] = []
        edges_r: list[int] = []
        edges_p: list[float] = []
        review: list[ScoredPair] = []
        review_rows: list[int] = []
        for index, (a, b, p, w) in enumerate(zip(left, right, probs, weights, strict=True)):
            key = (min(a, b), max(a, b))
            if key in non_matches:
                continue
            edges_l.append(key[0])
            edges_r.append(key[1])
            edges_p.append(float(p))
            if review_lower <= p < threshold:
                review_rows.append(index)
                review.append(ScoredPair(key[0], key[1], float(p), float(w)))
        for a, b in forced_matches:
            edges_l.append(min(a, b))
            edges_r.append(max(a, b))
            edges_p.append(1.0)
        if review_rows:
            subset = frame.take(pa.array(review_rows)).to_pylist()
            review = [
                ScoredPair(
                    pair.record_l,
                    pair.record_r,
                    pair.match_probability,
                    pair.match_weight,
                    tuple(waterfall(row, labels, prior)),
                )
                for pair, row in zip(review, subset, strict=True)
            ]
        predictions.drop_table_from_database_and_remove_from_cache()
        clusters = self._cluster(db_api, ids, edges_l, edges_r, edges_p, threshold)
        seconds["cluster"] = time.perf_counter() - start
        self._realtime = None  # a new model may have been trained
        return BatchLinkResult(review, clusters, str(path), seconds)

    def _cluster(
        self,
        db_api: Any,
        ids: list[int],
        edges_l: list[int],
        edges_r: list[int],
        edges_p: list[float],
        threshold: float,
    ) -> list[list[int]]:
        if not edges_l:
            return [[i] for i in ids]
        if self._backend == "spark":
            db_api = DuckDBAPI()  # clustering the edges is small enough for one machine
        nodes = pa.table({"unique_id": pa.array(ids, pa.int64())})
        edges = pa.table(
            {
                "unique_id_l": pa.array(edges_l, pa.int64()),
                "unique_id_r": pa.array(edges_r, pa.int64()),
                "match_probability": pa.array(edges_p, pa.float64()),
            }
        )
        result = cluster_pairwise_predictions_at_threshold(
            nodes,
            edges,
            db_api=db_api,
            node_id_column_name="unique_id",
            edge_id_column_name_left="unique_id_l",
            edge_id_column_name_right="unique_id_r",
            threshold_match_probability=threshold,
        ).as_pyarrow_table()  # type: ignore[no-untyped-call]
        groups: dict[Any, list[int]] = {}
        for cluster, node in zip(
            result.column("cluster_id").to_pylist(),
            result.column("unique_id").to_pylist(),
            strict=True,
        ):
            groups.setdefault(cluster, []).append(int(node))
        return list(groups.values())

    # -- real time ---------------------------------------------------------------------------

    def scorer(self) -> _RealtimeScorer:
        """The loaded model for real-time scoring (loaded once, kept)."""
        if self._realtime is None:
            latest = model.latest_model(self._model_dir)
            if latest is None:
                raise NotFound("No linkage model yet: run `sharewell link` first", field="model")
            self._realtime = _RealtimeScorer(latest[1])
        return self._realtime

    def score_new(self, record_id: int) -> list[ScoredPair]:
        probe = self._records.match_row(record_id)
        if probe is None:
            raise NotFound(f"Record {record_id} has no match record", field="record")
        candidates = self._records.candidates(probe, limit=self._max_candidates)
        return self.scorer().score(probe, candidates)

    def explain(self, record_l: int, record_r: int) -> ScoredPair:
        left = self._records.match_row(record_l)
        right = self._records.match_row(record_r)
        if left is None or right is None:
            raise NotFound("Both records must exist", field="record")
        pairs = self.scorer().score(left, [right], with_waterfall=True)
        return pairs[0]


def _for_backend(table: pa.Table, db_api: Any) -> Any:
    spark = getattr(db_api, "spark", None)
    if spark is not None:
        # Spark 4 reads an Arrow table directly, keeping its types (list columns, all-null columns).
        return spark.createDataFrame(table)
    return table


class _RealtimeScorer:
    """A trained model kept loaded, scoring a new record against its candidates with Splink."""

    def __init__(self, model_path: Path) -> None:
        self.model_path = model_path
        self._json = model.load_model(model_path)
        self._labels = level_labels(self._json)
        self._prior = float(self._json["probability_two_random_records_match"])
        tf_file = _tf_path(model_path)
        self._tf: dict[str, dict[str, float]] = (
            json.loads(tf_file.read_text(encoding="utf-8")) if tf_file.exists() else {}
        )
        self._db_api = DuckDBAPI()
        seed = model.input_rows_from_dicts([{"record_id": 0}])
        sdf = self._db_api.register(seed, table_name="realtime_seed")
        self._linker = Linker(sdf, self._json, log_level=None)
        for column in TF_COLUMNS:
            values = self._tf.get(column, {})
            tf_table = pa.table(
                {
                    column: pa.array(list(values), pa.string()),
                    f"tf_{column}": pa.array(list(values.values()), pa.float64()),
                }
            )
            registered = self._db_api.register(tf_table, table_name=f"tf_lookup_{column}")
            self._linker.table_management.register_term_frequency_lookup(registered, column)
        # The loaded model's own level weights, for scoring without a SQL round trip.
        self._weights = WeightTable(self._linker, self._tf)

    def _with_tf(self, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
        table = model.input_rows_from_dicts([dict(r) for r in rows])
        for column in TF_COLUMNS:
            lookup = self._tf.get(column, {})
            values = table.column(column).to_pylist()
            table = table.append_column(
                f"tf_{column}",
                pa.array([lookup.get(v) if v is not None else None for v in values], pa.float64()),
            )
        return table

    def score_with_splink(
        self, probe: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Score through Splink's own score_pairs (slower; the reference for the fast path)."""
        left = self._db_api.register(self._with_tf([probe]))
        right = self._db_api.register(self._with_tf(candidates))
        result = self._linker.inference.score_pairs(left, right)
        rows: list[dict[str, Any]] = result.as_record_list()
        result.drop_table_from_database_and_remove_from_cache()
        left.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        right.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        return rows

    def score(
        self,
        probe: Mapping[str, Any],
        candidates: Sequence[Mapping[str, Any]],
        *,
        with_waterfall: bool = False,
    ) -> list[ScoredPair]:
        """Candidates scored against the probe with the loaded model's weights, best first
        (`fast_scoring`; equal to Splink's `score_pairs`, which `score_with_splink` runs)."""
        if not candidates:
            return []
        rows = self._weights.score_all(probe, candidates)
        pairs = [
            ScoredPair(
                int(row["unique_id_l"]),
                int(row["unique_id_r"]),
                float(row["match_probability"]),
                float(row["match_weight"]),
                tuple(waterfall(row, self._labels, self._prior)) if with_waterfall else (),
            )
            for row in rows
        ]
        pairs.sort(key=lambda p: (-p.match_weight, p.record_r))
        return pairs
