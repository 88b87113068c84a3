"""Probabilistic record linkage with Splink (DuckDB, or Spark for larger partnerships)."""
