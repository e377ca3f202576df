"""Insert-or-ignore on a named unique key, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_ignoring(
    conn: Connection, table: Table, keys: Sequence[Column[Any]], values: dict[str, Any]
) -> int | None:
    """Insert ``values`` unless a row with the same ``keys`` exists; the new id, or None."""
    maker = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = maker(table).values(values).on_conflict_do_nothing(index_elements=list(keys))
    inserted = conn.execute(statement.returning(table.c.id)).scalar_one_or_none()
    return int(inserted) if inserted is not None else None
