"""The user's tables as reflected at run time, and what each of their columns will accept.

The target schema belongs to the user: it is read with SQLAlchemy's inspector and never
created or altered. Each column is reduced to a :class:`Kind`, which decides both the static
check (:func:`type_problem`, against the type an expression yields) and the conversion of a
value just before it is written (:func:`convert`), so both databases refuse the same values:
SQLite would otherwise store a 50-character text in a ``VARCHAR(30)`` without complaint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, MetaData, Table, inspect, types
from sqlalchemy.engine import Inspector

SQLITE_REAL_DIGITS = 15
"""SQLite keeps a NUMERIC value as a REAL: 15 significant digits survive the round trip."""


class Kind(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    TEXT = "text"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"
    OTHER = "other"


class ValueRefused(ValueError):
    """A value the column cannot hold exactly; the message says which and why."""


@dataclass(frozen=True, slots=True)
class TargetColumn:
    name: str
    kind: Kind
    type_text: str
    nullable: bool
    has_default: bool
    generated: bool
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    timezone: bool = False

    @property
    def required(self) -> bool:
        """NOT NULL with nothing to fill it but us."""
        return not self.nullable and not self.has_default and not self.generated


def kind_of(sql_type: types.TypeEngine[Any]) -> Kind:
    if isinstance(sql_type, types.Boolean):
        return Kind.BOOLEAN
    if isinstance(sql_type, types.Integer):
        return Kind.INTEGER
    if isinstance(sql_type, types.Float):
        return Kind.FLOAT
    if isinstance(sql_type, types.Numeric):
        return Kind.DECIMAL
    if isinstance(sql_type, types.String):
        return Kind.TEXT
    if isinstance(sql_type, types.DateTime):
        return Kind.TIMESTAMP
    if isinstance(sql_type, types.Date):
        return Kind.DATE
    return Kind.OTHER


@dataclass(frozen=True, slots=True)
class ReflectedTable:
    """A target table: the SQLAlchemy ``Table`` to write with, and its columns described."""

    table: Table
    columns: Mapping[str, TargetColumn]
    primary_key: tuple[str, ...]
    unique_sets: tuple[frozenset[str], ...]
    """Column sets the target enforces as unique (primary key, constraints, unique indexes)."""

    @property
    def name(self) -> str:
        return self.table.name

    def column(self, name: str) -> TargetColumn | None:
        """Exact name first, else the one column whose name matches ignoring case (unquoted
        SQL names are case-insensitive; SQLite keeps them as written, PostgreSQL folds)."""
        if name in self.columns:
            return self.columns[name]
        matches = [c for n, c in self.columns.items() if n.lower() == name.lower()]
        return matches[0] if len(matches) == 1 else None

    def is_unique(self, name: str) -> bool:
        return frozenset({name}) in self.unique_sets


def find_table(inspector: Inspector, name: str, schema: str | None) -> str | None:
    names = inspector.get_table_names(schema=schema)
    if name in names:
        return name
    matches = [n for n in names if n.lower() == name.lower()]
    return matches[0] if len(matches) == 1 else None


def table_names(inspector: Inspector, schema: str | None) -> list[str]:
    return sorted(inspector.get_table_names(schema=schema))


def reflect(conn: Connection, name: str, schema: str | None) -> ReflectedTable | None:
    """Reflect ``name`` (matched ignoring case), or None when the target has no such table."""
    inspector = inspect(conn)
    found = find_table(inspector, name, schema)
    if found is None:
        return None
    table = Table(found, MetaData(), schema=schema, autoload_with=conn)
    primary_key = tuple(c.name for c in table.primary_key.columns)
    columns = {c.name: _describe(c, primary_key) for c in table.columns}
    return ReflectedTable(
        table, columns, primary_key, _unique_sets(conn, inspector, found, schema, table)
    )


def _describe(column: Any, primary_key: Sequence[str]) -> TargetColumn:
    sql_type = column.type
    kind = kind_of(sql_type)
    sole_integer_key = list(primary_key) == [column.name] and kind is Kind.INTEGER
    return TargetColumn(
        name=column.name,
        kind=kind,
        type_text=str(sql_type.compile()) if _compilable(sql_type) else type(sql_type).__name__,
        nullable=bool(column.nullable),
        has_default=column.server_default is not None,
        generated=sole_integer_key or column.identity is not None or column.computed is not None,
        length=getattr(sql_type, "length", None) if kind is Kind.TEXT else None,
        precision=getattr(sql_type, "precision", None) if kind is Kind.DECIMAL else None,
        scale=getattr(sql_type, "scale", None) if kind is Kind.DECIMAL else None,
        timezone=bool(getattr(sql_type, "timezone", False)),
    )


def _compilable(sql_type: types.TypeEngine[Any]) -> bool:
    try:
        sql_type.compile()
    except Exception:
        return False
    return True


def _unique_sets(
    conn: Connection, inspector: Inspector, name: str, schema: str | None, table: Table
) -> tuple[frozenset[str], ...]:
    sets = [frozenset(c.name for c in table.primary_key.columns)]
    for constraint in inspector.get_unique_constraints(name, schema=schema):
        sets.append(frozenset(str(c) for c in constraint["column_names"]))
    for index in inspector.get_indexes(name, schema=schema):
        if index.get("unique"):
            sets.append(frozenset(str(c) for c in index["column_names"] if c is not None))
    if conn.dialect.name == "sqlite":
        sets.extend(_sqlite_auto_unique(conn, name))
    return tuple(s for s in sets if s)


def _sqlite_auto_unique(conn: Connection, name: str) -> list[frozenset[str]]:
    """Inline ``UNIQUE`` column constraints, which SQLite keeps as automatic indexes that
    the inspector leaves out."""
    quoted = name.replace('"', '""')
    found = []
    for row in conn.exec_driver_sql(f'PRAGMA index_list("{quoted}")').all():
        index_name, unique = str(row[1]), bool(row[2])
        if unique and index_name.startswith("sqlite_autoindex"):
            cols = conn.exec_driver_sql(f'PRAGMA index_info("{index_name}")').all()
            found.append(frozenset(str(c[2]) for c in cols))
    return found


# --- what fits where --------------------------------------------------------------------


def type_name(value: Any) -> str:
    """The kind of a value, in the words the messages use."""
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, Decimal):
        return "a decimal amount"
    if isinstance(value, float):
        return "a binary float"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dt.datetime):
        return "a timestamp"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, list | dict):
        return "a list or object"
    return type(value).__name__


_ACCEPTS: dict[Kind, tuple[type, ...]] = {
    Kind.INTEGER: (int,),
    Kind.DECIMAL: (Decimal, int),
    Kind.FLOAT: (int,),
    Kind.TEXT: (str,),
    Kind.DATE: (dt.date,),
    Kind.TIMESTAMP: (dt.datetime,),
    Kind.BOOLEAN: (bool,),
}
_HINTS: dict[tuple[Kind, str], str] = {
    (Kind.INTEGER, "a decimal amount"): "; map the *_minor field for integer minor units",
    (Kind.FLOAT, "a decimal amount"): (
        "; a binary float cannot hold an amount exactly, so we will not write one"
    ),
    (Kind.TEXT, "a decimal amount"): "; wrap it in to_string(...) to write it as text",
    (Kind.TEXT, "a whole number"): "; wrap it in to_string(...) to write it as text",
    (Kind.TEXT, "a date"): "; wrap it in to_string(...) to write it as text",
    (Kind.DATE, "a timestamp"): "; use entry.date",
}


def accepts(column: TargetColumn, value: Any) -> bool:
    if column.kind is Kind.OTHER:
        return True
    if isinstance(value, bool) and column.kind is not Kind.BOOLEAN:
        return False
    if column.kind is Kind.DATE and isinstance(value, dt.datetime):
        return False
    return isinstance(value, _ACCEPTS[column.kind])


def type_problem(column: TargetColumn, value: Any) -> str | None:
    """Why ``value`` (a typical result of the expression) does not fit, or None."""
    if value is None or accepts(column, value):
        return None
    given = type_name(value)
    hint = _HINTS.get((column.kind, given), "")
    return f"column {column.name} is {column.type_text} but the expression gives {given}{hint}"


def convert(column: TargetColumn, value: Any, *, dialect: str) -> Any:
    """``value`` as the column will store it exactly; raises ValueRefused otherwise."""
    problem = type_problem(column, value)
    if problem is not None:
        raise ValueRefused(problem)
    if isinstance(value, str) and column.length is not None and len(value) > column.length:
        shown = value if len(value) <= 40 else f"{value[:40]}…"
        raise ValueRefused(
            f"column {column.name} is {column.type_text} but the value {shown!r} has "
            f"{len(value)} characters"
        )
    if column.kind is Kind.DECIMAL and value is not None:
        return _fit_decimal(column, Decimal(value), dialect=dialect)
    if column.kind is Kind.TIMESTAMP and isinstance(value, dt.datetime) and not column.timezone:
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    return value


def _fit_decimal(column: TargetColumn, value: Decimal, *, dialect: str) -> Decimal:
    if column.scale is not None:
        quantum = Decimal(1).scaleb(-column.scale)
        if value.quantize(quantum) != value:
            raise ValueRefused(
                f"column {column.name} is {column.type_text} and cannot hold {value} "
                f"without rounding"
            )
        value = value.quantize(quantum)
    digits = len(value.as_tuple().digits)
    if column.precision is not None and digits > column.precision:
        raise ValueRefused(f"column {column.name} is {column.type_text}: {value} is too large")
    if dialect == "sqlite" and digits > SQLITE_REAL_DIGITS:
        raise ValueRefused(
            f"column {column.name} is NUMERIC on SQLite, which keeps {SQLITE_REAL_DIGITS} "
            f"significant digits; {value} has {digits}"
        )
    return value
