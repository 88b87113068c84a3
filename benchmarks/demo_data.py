"""Benchmark: generate and store the Anyshire partnership for 100,000 people on SQLite.

Timed end to end in a fresh temporary database: migrations, generation, bulk load and commit.
Prints one JSON line with the seconds, the row count of every table and whether the run met the
60-second target. Usage: PYTHONPATH=src python benchmarks/demo_data.py [--people N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path

from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.db.migrate import upgrade
from sharewell.adapters.synthetic.generator import DemoConfig
from sharewell.adapters.synthetic.loader import load_demo_data, table_counts

TARGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    config = DemoConfig(people=args.people, seed=args.seed, as_of=date(2026, 11, 1))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        cpu_started = time.process_time()
        engine = make_engine(url)
        upgrade(engine)
        load_demo_data(engine, config)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        counts = table_counts(engine)
        engine.dispose()
    print(
        json.dumps(
            {
                "benchmark": "demo_data",
                "database": "sqlite",
                "seconds": round(seconds, 2),
                # CPU time of this process: shows how much of the wall time was waiting for a
                # busy machine's cores.
                "cpu_seconds": round(cpu_seconds, 2),
                "people": counts["truth_people"],
                "source_records": counts["source_records"],
                "facts": counts["facts"],
                "rows": counts,
                "target_seconds": TARGET_SECONDS,
                "passed": seconds <= TARGET_SECONDS and counts["truth_people"] == args.people,
            }
        )
    )


if __name__ == "__main__":
    main()
