"""Splink's Spark backend, for partnerships too large for one machine (extra: sharewell[spark])."""

from __future__ import annotations

from typing import Any

from sharewell.domain.errors import ConfigurationError


def spark_api() -> Any:
    """A SparkAPI on the active Spark session, or a local one (Java 17 must be installed)."""
    try:
        from pyspark.sql import SparkSession
        from splink import SparkAPI
    except ImportError:
        raise ConfigurationError(
            "The Spark engine needs the spark extra: pip install 'sharewell[spark]'"
        ) from None
    session = SparkSession.getActiveSession()
    if session is None:
        session = (
            SparkSession.builder.master("local[2]")
            .appName("sharewell-link")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.enabled", "false")
            .getOrCreate()
        )
    session.sparkContext.setCheckpointDir("./var/spark-checkpoints")
    return SparkAPI(spark_session=session)  # type: ignore[no-untyped-call]
