"""Relational storage: SQLite by default, PostgreSQL for production."""
