"""Checking a mapping's ``target`` section against the target database, before any entry.

:func:`validate_target` reports every problem at once, each with its path in the document,
against the target's tables as they are now; nothing is written by validating. The section's
model and its reading live in :mod:`ledgerbridge.mapping.target`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from jmespath.exceptions import JMESPathError
from sqlalchemy import Connection, inspect

from ledgerbridge.mapping.target import (
    ColumnMap,
    Problem,
    TableMap,
    TargetSection,
    TargetUnreachable,
    one_line,
    read_section,
    target_connection,
    target_engine,
)
from ledgerbridge.mapping.target_columns import (
    Kind,
    ReflectedTable,
    TargetColumn,
    reflect,
    table_names,
    type_problem,
)
from ledgerbridge.mapping.target_context import (
    ENTRY_FIELDS,
    FREE_FORM,
    LINE_FIELDS,
    Expression,
    probe_documents,
    root_paths,
)


def validate_target(section: Any) -> list[Problem]:
    """Every problem with the section as (path, message); an empty list means it will work.

    Checked: the shape (JSON Schema); every expression compiles and reads only names that
    exist; the target is reachable; both tables exist; every mapped column exists; every
    NOT NULL column without a default or generated value is mapped; the type each
    expression yields fits its column (a decimal into an INTEGER, text into NUMERIC or DATE,
    a timestamp into DATE, an amount into a binary FLOAT); text literals fit VARCHAR(n); the
    key is a mapped column the target keeps unique; the parent column exists and is filled
    from a header column. What cannot be known before an entry exists — how long a
    description is, whether an amount fits NUMERIC(p, s), what a dimension holds — is
    checked per row at delivery, and a row that does not fit fails visibly.
    """
    model, problems = read_section(section)
    if model is None:
        return problems
    problems.extend(_name_problems(model))
    try:
        engine = target_engine(model.url)
    except TargetUnreachable as exc:
        return [*problems, ("target.url", str(exc))]
    try:
        with target_connection(engine, model.url) as conn:
            problems.extend(_table_problems(conn, model))
    except TargetUnreachable as exc:
        problems.append(("target.url", str(exc)))
    finally:
        engine.dispose()
    return problems


def _name_problems(model: TargetSection) -> list[Problem]:
    problems = []
    for column in model.header.columns:
        problems.extend(
            _path_problems(column.expression, f"target.header.columns.{column.column}", {"entry"})
        )
    for column in model.lines.columns:
        problems.extend(
            _path_problems(
                column.expression,
                f"target.lines.columns.{column.column}",
                {"entry", "line", "header"},
            )
        )
    problems.extend(
        _path_problems(model.parent_from, "target.lines.parent.from", {"entry", "header"})
    )
    return problems


_FIELDS = {"entry": ENTRY_FIELDS, "line": LINE_FIELDS}


def _path_problems(expression: Expression | None, path: str, roots: set[str]) -> list[Problem]:
    if expression is None:
        return []
    problems = []
    for names in root_paths(expression.ast):
        root = names[0]
        if root not in roots:
            quoted = f"; quote text as '{root}'" if len(names) == 1 else ""
            problems.append(
                (path, f"{root!r} is not available here (use {', '.join(sorted(roots))}){quoted}")
            )
            continue
        fields = _FIELDS.get(root)
        if fields is None or len(names) < 2:
            continue
        if names[1] not in fields:
            problems.append(
                (path, f"{root} has no field {names[1]!r} (it has: {', '.join(fields)})")
            )
        elif len(names) > 2 and names[1] != FREE_FORM:
            problems.append((path, f"{root}.{names[1]} has no fields of its own"))
    return problems


def _table_problems(conn: Connection, model: TargetSection) -> list[Problem]:
    problems: list[Problem] = []
    inspector = inspect(conn)
    header = reflect(conn, model.header.table, model.header.schema)
    lines = reflect(conn, model.lines.table, model.lines.schema)
    for name, mapped, found in (("header", model.header, header), ("lines", model.lines, lines)):
        if found is None:
            known = ", ".join(table_names(inspector, mapped.schema)) or "no tables"
            problems.append(
                (f"target.{name}.table", f"the target has no table {mapped.table} ({known})")
            )
    if header is not None:
        problems.extend(_columns_problems(model.header, header, "target.header", set()))
        problems.extend(_key_problems(model, header))
        probe_header = _probe_row(header)
    else:
        probe_header = {}
    if lines is not None:
        problems.extend(
            _columns_problems(model.lines, lines, "target.lines", {model.parent_column.lower()})
        )
        problems.extend(_parent_problems(model, lines))
    if header is not None:
        for column in model.lines.columns:
            problems.extend(
                _header_name_problems(
                    column.expression, f"target.lines.columns.{column.column}", header
                )
            )
        problems.extend(
            _header_name_problems(model.parent_from, "target.lines.parent.from", header)
        )
    documents = probe_documents(probe_header)
    for name, mapped, found in (("header", model.header, header), ("lines", model.lines, lines)):
        if found is not None:
            problems.extend(_type_problems(mapped, found, f"target.{name}.columns", documents))
    return problems


def _columns_problems(
    mapped: TableMap, found: ReflectedTable, path: str, filled_by_us: set[str]
) -> list[Problem]:
    problems = []
    mapped_names = set()
    for column in mapped.columns:
        target = found.column(column.column)
        if target is None:
            problems.append(
                (
                    f"{path}.columns.{column.column}",
                    f"{found.name} has no column {column.column} "
                    f"(it has: {', '.join(found.columns)})",
                )
            )
            continue
        mapped_names.add(target.name.lower())
        if target.name.lower() in filled_by_us:
            problems.append(
                (f"{path}.columns.{column.column}", "this column is filled by lines.parent")
            )
    for target in found.columns.values():
        name = target.name.lower()
        if target.required and name not in mapped_names and name not in filled_by_us:
            problems.append(
                (
                    f"{path}.columns.{target.name.lower()}",
                    f"{found.name}.{target.name} is NOT NULL without a default, so it must "
                    "be mapped (missing required field)",
                )
            )
    return problems


def _key_problems(model: TargetSection, header: ReflectedTable) -> list[Problem]:
    if model.key is None:
        if not header.primary_key:
            return [
                (
                    "target.header.key",
                    f"{header.name} has no primary key, so name a unique column as key: "
                    "without either a delivered batch cannot be found again",
                )
            ]
        return []
    target = header.column(model.key)
    if target is None:
        return [("target.header.key", f"{header.name} has no column {model.key}")]
    if not any(header.column(c.column) is target for c in model.header.columns):
        return [("target.header.key", f"the key {model.key} must be one of the mapped columns")]
    if not header.is_unique(target.name):
        return [
            (
                "target.header.key",
                f"{header.name}.{target.name} is not unique in the target (no primary key, "
                "unique constraint or unique index on it alone), so it cannot make a "
                "redelivery harmless",
            )
        ]
    return []


def _parent_problems(model: TargetSection, lines: ReflectedTable) -> list[Problem]:
    problems = []
    if lines.column(model.parent_column) is None:
        problems.append(
            (
                "target.lines.parent.column",
                f"{lines.name} has no column {model.parent_column} "
                f"(it has: {', '.join(lines.columns)})",
            )
        )
    return problems


def _header_name_problems(
    expression: Expression | None, path: str, header: ReflectedTable
) -> list[Problem]:
    if expression is None:
        return []
    return [
        (path, f"{header.name} has no column {names[1]} (it has: {', '.join(header.columns)})")
        for names in root_paths(expression.ast)
        if names[0] == "header" and len(names) > 1 and header.column(names[1]) is None
    ]


def _type_problems(
    mapped: TableMap, found: ReflectedTable, path: str, documents: list[dict[str, Any]]
) -> list[Problem]:
    problems = []
    for column in mapped.columns:
        target = found.column(column.column)
        if target is None:
            continue
        problem = _first_type_problem(column, target, documents)
        if problem is not None:
            problems.append((f"{path}.{column.column}", problem))
    return problems


def _first_type_problem(
    column: ColumnMap, target: TargetColumn, documents: list[dict[str, Any]]
) -> str | None:
    if not column.compiled:
        return None
    for document in documents:
        try:
            value = column.value(document)
        except JMESPathError as exc:
            return f"the expression fails on a typical entry: {one_line(exc)}"
        problem = type_problem(target, value)
        if problem is not None:
            return problem
        literal = column.expression.literal() if column.expression else None
        if isinstance(literal, str) and target.length is not None and len(literal) > target.length:
            return (
                f"column {target.name} is {target.type_text} but the text {literal!r} has "
                f"{len(literal)} characters"
            )
    return None


_PROBE_VALUES: dict[Kind, Any] = {
    Kind.INTEGER: 1,
    Kind.DECIMAL: Decimal("1.00"),
    Kind.FLOAT: 1,
    Kind.TEXT: "x",
    Kind.DATE: dt.date(2024, 1, 2),
    Kind.TIMESTAMP: dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
    Kind.BOOLEAN: True,
}


def _probe_row(header: ReflectedTable) -> dict[str, Any]:
    row = {c.name: _PROBE_VALUES.get(c.kind) for c in header.columns.values()}
    return {**row, **{name.lower(): value for name, value in row.items()}}
