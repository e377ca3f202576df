"""A mapping's ``target``: the user's own accounting tables, and how each entry fills them.

```yaml
target:
  url: "postgresql://erp@db/erp"          # any SQLAlchemy URL; the tables are never altered
  header:                                  # one row per entry
    table: gl_batch
    key: batch_ref                         # optional: a column unique in the target
    columns: {batch_ref: "entry.id_text", posted_on: "entry.date", source: "'ledgerbridge'"}
  lines:                                   # one row per journal line
    table: gl_detail
    parent: {column: batch_id, from: "header.batch_id"}
    columns: {account_no: "line.account", dr_amount: "line.debit", cr_amount: "line.credit"}
```

Each column value is a JMESPath expression over the document described in
:mod:`ledgerbridge.mapping.target_context` (a whole number or true/false is taken literally).
This module holds the section's JSON Schema, its model, reading it (shape and expression
syntax, no database needed) and connecting to the target database.
:func:`ledgerbridge.mapping.target_validate.validate_target` checks a section against the
target's tables as they are now.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jsonschema
from jmespath.exceptions import JMESPathError
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from ledgerbridge.errors import InvalidInput
from ledgerbridge.mapping.target_context import Expression

_COLUMN_VALUE = {
    "description": "a JMESPath expression (text), or a whole number / true / false literal",
    "type": ["string", "integer", "boolean"],
    "minLength": 1,
}
_NAME = {"type": "string", "minLength": 1, "maxLength": 128}
_COLUMNS = {"type": "object", "minProperties": 1, "additionalProperties": _COLUMN_VALUE}

TARGET_SCHEMA: dict[str, Any] = {
    "title": "ledgerbridge mapping target",
    "description": "Write every posted entry into existing header and line tables.",
    "type": "object",
    "required": ["url", "header", "lines"],
    "additionalProperties": False,
    "properties": {
        "url": {
            "type": "string",
            "minLength": 1,
            "description": "SQLAlchemy URL of the target database (postgresql://…, sqlite:///…)",
        },
        "header": {
            "type": "object",
            "required": ["table", "columns"],
            "additionalProperties": False,
            "properties": {
                "table": _NAME,
                "schema": _NAME,
                "key": {
                    **_NAME,
                    "description": "a mapped column the target keeps unique: redelivery-proof",
                },
                "columns": _COLUMNS,
            },
        },
        "lines": {
            "type": "object",
            "required": ["table", "columns", "parent"],
            "additionalProperties": False,
            "properties": {
                "table": _NAME,
                "schema": _NAME,
                "parent": {
                    "type": "object",
                    "required": ["column", "from"],
                    "additionalProperties": False,
                    "properties": {
                        "column": _NAME,
                        "from": {"type": "string", "minLength": 1},
                    },
                },
                "columns": _COLUMNS,
            },
        },
    },
}

Problem = tuple[str, str]


class TargetUnreachable(Exception):
    """The target database cannot be reached (or its SQLite file does not exist)."""


@dataclass(frozen=True, slots=True)
class ColumnMap:
    column: str
    expression: Expression | None
    literal: Any = None
    """A whole number or true/false written as such; used when ``expression`` is None."""
    compiled: bool = True
    """False when the expression has a syntax error (reported; the column is not checked)."""

    def value(self, document: Mapping[str, Any]) -> Any:
        return self.expression.search(document) if self.expression is not None else self.literal


@dataclass(frozen=True, slots=True)
class TableMap:
    table: str
    schema: str | None
    columns: tuple[ColumnMap, ...]


@dataclass(frozen=True, slots=True)
class TargetSection:
    url: str
    header: TableMap
    key: str | None
    lines: TableMap
    parent_column: str
    parent_from: Expression

    @property
    def label(self) -> str:
        """Where entries land, without the password: ``url#table``."""
        return f"{safe_url(self.url)}#{qualified(self.header)}"


def qualified(table: TableMap) -> str:
    return f"{table.schema}.{table.table}" if table.schema else table.table


def safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<not a database URL>"


# --- reading the section --------------------------------------------------------------


def schema_problems(section: Any) -> list[Problem]:
    validator = jsonschema.Draft202012Validator(TARGET_SCHEMA)
    problems = []
    for error in sorted(validator.iter_errors(section), key=lambda e: list(e.absolute_path)):
        path = ".".join(["target", *(str(p) for p in error.absolute_path)])
        missing = re.match(r"'(.+)' is a required property", error.message)
        if error.validator == "required" and missing:
            problems.append((f"{path}.{missing.group(1)}", "required, but missing"))
        else:
            problems.append((path, error.message))
    return problems


def _column_maps(columns: Mapping[str, Any], path: str, problems: list[Problem]) -> list[ColumnMap]:
    found = []
    for name, value in columns.items():
        if not isinstance(value, str):
            found.append(ColumnMap(name, None, value))
            continue
        try:
            found.append(ColumnMap(name, Expression(value)))
        except JMESPathError as exc:
            problems.append((f"{path}.{name}", f"not a valid expression: {one_line(exc)}"))
            found.append(ColumnMap(name, None, compiled=False))
    return found


def one_line(exc: Exception) -> str:
    """An error's message on one line: problems and connection errors are shown one a line."""
    return " ".join(str(exc).split())


def read_section(section: Any) -> tuple[TargetSection | None, list[Problem]]:
    """The section as a model (None if its shape is wrong), and the problems found without
    the target: shape and expression syntax. A column whose expression does not compile stays
    in the model, marked, so the other checks still run and still see it as mapped."""
    problems = schema_problems(section)
    if problems:
        return None, problems
    header, lines = section["header"], section["lines"]
    header_columns = _column_maps(header["columns"], "target.header.columns", problems)
    line_columns = _column_maps(lines["columns"], "target.lines.columns", problems)
    try:
        parent_from = Expression(lines["parent"]["from"])
    except JMESPathError as exc:
        problems.append(("target.lines.parent.from", f"not a valid expression: {one_line(exc)}"))
        parent_from = Expression("`null`")
    model = TargetSection(
        url=section["url"],
        header=TableMap(header["table"], header.get("schema"), tuple(header_columns)),
        key=header.get("key"),
        lines=TableMap(lines["table"], lines.get("schema"), tuple(line_columns)),
        parent_column=lines["parent"]["column"],
        parent_from=parent_from,
    )
    return model, problems


def parse_target(section: Any) -> TargetSection:
    """The section as a model; raises InvalidInput naming the first problem's path."""
    model, problems = read_section(section)
    if model is None or problems:
        path, message = problems[0]
        raise InvalidInput(f"{path}: {message}", field=path)
    return model


# --- the target database --------------------------------------------------------------


def target_url(url: str) -> URL:
    """The URL we connect with: psycopg 3 for PostgreSQL; a SQLite file opened read-write
    only if it exists (connecting must never create the user's database)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        database = str(parsed.database)
        if not database.startswith("file:"):
            parsed = parsed.set(
                database=f"file:{quote(database)}",
                query={**parsed.query, "mode": "rw", "uri": "true"},
            )
    return parsed


def target_engine(url: str) -> Engine:
    """An engine for the target; raises TargetUnreachable for a URL we cannot use."""
    try:
        parsed = target_url(url)
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            connect_args["connect_timeout"] = 10
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise TargetUnreachable(f"{safe_url(url)} is not a database URL we can use: {exc}") from exc


@contextmanager
def target_connection(engine: Engine, url: str) -> Iterator[Connection]:
    """A connection to the target; raises TargetUnreachable naming ``url`` (as the user
    wrote it, without its password)."""
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        hint = " (the target database is never created for you)" if "sqlite" in url else ""
        raise TargetUnreachable(
            f"cannot reach the target database at {safe_url(url)}: "
            f"{one_line(getattr(exc, 'orig', None) or exc)}{hint}"
        ) from exc
    with conn:
        yield conn
