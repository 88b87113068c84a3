"""Splink's Spark backend, for partnerships too large for one machine (extra: sharewell[spark])."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sharewell.domain.errors import ConfigurationError


def spark_api(checkpoint_dir: Path | None = None) -> Any:
    """A SparkAPI on the active Spark session, or a local one (Java 17 must be installed)."""
    try:
        from pyspark.sql import SparkSession
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location
    except ImportError:
        raise ConfigurationError(
            "The Spark engine needs the spark extra: pip install 'sharewell[spark]'"
        ) from None
    session = SparkSession.getActiveSession()
    if session is None:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("sharewell-link")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
    folder = checkpoint_dir or Path("./var/spark-checkpoints")
    folder.mkdir(parents=True, exist_ok=True)
    session.sparkContext.setCheckpointDir(str(folder))
    return SparkAPI(spark_session=session)  # type: ignore[no-untyped-call]
