"""Fast loading of many rows: COPY on PostgreSQL, one prepared executemany on SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Float, Integer, Numeric, String, Table

# Values of these column types go to the driver as they are; only the others (dates, times,
# JSON, anything unknown) pass through a converter. Converting only where needed keeps large
# loads fast: a per-value function call costs more than the insert itself on SQLite.
_PLAIN_TYPES = (String, Integer, Float, Numeric, Boolean)


def _converted_positions(table: Table, columns: Sequence[str]) -> list[int]:
    return [
        i
        for i, name in enumerate(columns)
        if name not in table.c or not isinstance(table.c[name].type, _PLAIN_TYPES)
    ]


def _pg_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, datetime):
        # SQLAlchemy's SQLite DateTime storage format, so ORM reads round-trip.
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert `rows` (tuples in `columns` order) inside the caller's transaction; returns count."""
    dialect = conn.dialect.name
    raw = conn.connection.driver_connection
    assert raw is not None
    count = 0
    convert = _converted_positions(table, columns)
    if dialect == "postgresql":
        cols = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                if convert:
                    values = list(row)
                    for i in convert:
                        values[i] = _pg_value(values[i])
                    copy.write_row(values)
                else:
                    copy.write_row(row)
                count += 1
        return count
    placeholders = ", ".join("?" for _ in columns)
    cols = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({placeholders})'
    cursor = raw.cursor()
    batch: list[Sequence[Any]] = []
    # A load often stamps every row with one time: format each distinct time once.
    # (Keyed with the offset too: equal instants in two zones are written differently.)
    times: dict[tuple[datetime, Any], str] = {}
    for row in rows:
        if convert:
            values = list(row)
            for i in convert:
                value = values[i]
                if type(value) is datetime:
                    key = (value, value.utcoffset())
                    text = times.get(key)
                    if text is None:
                        text = times[key] = _sqlite_value(value)
                    values[i] = text
                else:
                    values[i] = _sqlite_value(value)
            batch.append(values)
        else:
            batch.append(row)
        if len(batch) >= 20_000:
            cursor.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    if batch:
        cursor.executemany(sql, batch)
        count += len(batch)
    cursor.close()
    return count
