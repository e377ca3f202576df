"""Writing one entry into the target's header and line tables, in one target transaction.

Exactly once, in two ways:

* **with a key** (a header column the target keeps unique): before inserting, look the key up;
  if the row is there, this entry was delivered before (by an attempt whose mark we lost) and
  nothing is written. The other mapped header columns must match too, otherwise the key does
  not identify entries and the delivery is refused rather than skipped. Two writers racing
  meet the unique constraint: the loser rolls back and finds the key on its next attempt.
* **without a key**: our outbox row records the header's primary key once delivered. Just
  before the target commit we note on our side that an attempt is committing (``sent_at``). A
  later attempt of a row so marked first looks for a header row with every mapped value equal,
  whose primary key no other delivery claims, and whose lines are exactly the lines we would
  write; finding one, it adopts it instead of writing again. What remains: if someone edits or
  deletes those rows in the target between the crash and the retry, the retry cannot recognise
  them and writes the entry again.

Either way only the writer that still holds the outbox row's lease commits: ``before_commit``
checks the lease and aborts otherwise, so a delivery that outlived its lease while another
writer delivered the row does not write the entry a second time.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RootTransaction, Table, and_, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.mapping.target import ColumnMap, TableMap, TargetSection
from ledgerbridge.mapping.target_columns import ReflectedTable, ValueRefused, convert
from ledgerbridge.mapping.target_context import header_document


class DeliveryRefused(LedgerBridgeError):
    """The target will not take this entry as mapped (a value that does not fit, a
    constraint, a key held by another entry); retrying cannot help until someone changes the
    mapping or the target."""

    code = "target_refused"
    exit_code = 1


class DeliveryRaced(LedgerBridgeError):
    """Another writer inserted the same key first; the next attempt will find it."""

    code = "target_raced"
    retryable = True


@dataclass(frozen=True, slots=True)
class Written:
    ref: str
    """The header row's primary key (or key) as JSON text, recorded on the outbox row."""
    inserted: bool
    """False when the rows were already there (a redelivery) and nothing was written."""
    lines: int


@dataclass(frozen=True, slots=True)
class EntryRows:
    """An entry as the expressions see it: the entry document and one document per line."""

    entry: Mapping[str, Any]
    lines: Sequence[Mapping[str, Any]]


def deliver(
    conn: Connection,
    section: TargetSection,
    header: ReflectedTable,
    lines: ReflectedTable,
    rows: EntryRows,
    *,
    recheck: bool,
    taken: set[str],
    before_commit: Callable[[], None],
) -> Written:
    """Write ``rows`` into the target unless they are there already; raises DeliveryRefused,
    DeliveryRaced, or SQLAlchemy's errors for an unreachable target.

    ``before_commit`` runs after the rows are written and before the target commit; whatever
    it raises rolls the target transaction back and propagates, which is how a writer that
    lost its lease on the outbox row writes nothing."""
    dialect = conn.dialect.name
    transaction = conn.begin()
    try:
        values = _values(section.header, header, {"entry": rows.entry}, dialect)
        found = _existing(conn, section, header, lines, rows, values, recheck, taken)
        if found is not None:
            transaction.rollback()
            return Written(found, inserted=False, lines=len(rows.lines))
        stored = _insert_header(conn, section, header, values)
        parent = _parent_value(section, rows, stored)
        line_values = [
            _line_values(section, lines, rows.entry, line, stored, parent, dialect)
            for line in rows.lines
        ]
        conn.execute(insert(lines.table), line_values)
        before_commit()
        transaction.commit()
    except IntegrityError as exc:
        _rollback(transaction)
        if section.key is not None and _key_taken(conn, header, section, values):
            raise DeliveryRaced("another writer inserted this batch first") from exc
        raise DeliveryRefused(f"the target refused the rows: {_orig(exc)}") from exc
    except ValueRefused as exc:
        _rollback(transaction)
        raise DeliveryRefused(str(exc)) from exc
    except BaseException:
        _rollback(transaction)
        raise
    return Written(_ref(header, stored, section), inserted=True, lines=len(rows.lines))


def _rollback(transaction: RootTransaction) -> None:
    """Roll back; a connection that died mid-write has nothing left to roll back."""
    with contextlib.suppress(SQLAlchemyError):
        transaction.rollback()


def _orig(exc: SQLAlchemyError) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())


def _values(
    mapped: TableMap, table: ReflectedTable, document: Mapping[str, Any], dialect: str
) -> dict[str, Any]:
    """Column → value for one row; a null for a column with a default is left to the table."""
    values: dict[str, Any] = {}
    for column_map in mapped.columns:
        column = table.column(column_map.column)
        if column is None:
            raise DeliveryRefused(
                f"{table.name} has no column {column_map.column} any more; "
                "fix the mapping or the target and requeue"
            )
        value = convert(column, _evaluate(column_map, document), dialect=dialect)
        if value is None and (column.has_default or column.generated):
            continue
        if value is None and not column.nullable:
            raise DeliveryRefused(
                f"{table.name}.{column.name} is NOT NULL but {column_map.column} is null "
                f"for entry {document['entry']['id']}"
            )
        values[column.name] = value
    return values


def _evaluate(column_map: ColumnMap, document: Mapping[str, Any]) -> Any:
    try:
        return column_map.value(document)
    except Exception as exc:  # a JMESPath type error on this entry's values
        raise DeliveryRefused(f"{column_map.column}: the expression fails: {exc}") from exc


def _matching(table: Table, values: Mapping[str, Any]) -> Any:
    return and_(
        True,
        *(
            table.c[name].is_(None) if value is None else table.c[name] == value
            for name, value in values.items()
        ),
    )


def _existing(
    conn: Connection,
    section: TargetSection,
    header: ReflectedTable,
    lines: ReflectedTable,
    rows: EntryRows,
    values: Mapping[str, Any],
    recheck: bool,
    taken: set[str],
) -> str | None:
    """The ref of the header row that already holds this entry, if any."""
    table = header.table
    if section.key is not None:
        key = header.column(section.key)
        assert key is not None
        found = conn.execute(select(table).where(table.c[key.name] == values.get(key.name))).first()
        if found is None:
            return None
        if conn.execute(select(func.count()).where(_matching(table, values))).scalar_one() == 0:
            raise DeliveryRefused(
                f"{table.name} already has {key.name} = {values.get(key.name)!r} with other "
                "values: the key expression does not identify entries"
            )
        return _ref(header, dict(found._mapping), section)
    if not recheck:
        return None
    for candidate in conn.execute(select(table).where(_matching(table, values))).all():
        stored = dict(candidate._mapping)
        ref = _ref(header, stored, section)
        if ref not in taken and _lines_match(conn, section, lines, rows, stored):
            return ref
    return None


def _key_taken(
    conn: Connection, header: ReflectedTable, section: TargetSection, values: Mapping[str, Any]
) -> bool:
    key = header.column(section.key or "")
    if key is None or key.name not in values:
        return False
    table = header.table
    try:
        with conn.begin():
            found = conn.execute(
                select(func.count()).where(table.c[key.name] == values[key.name])
            ).scalar_one()
    except SQLAlchemyError:
        return False
    return bool(found)


def _lines_match(
    conn: Connection,
    section: TargetSection,
    lines: ReflectedTable,
    rows: EntryRows,
    stored: Mapping[str, Any],
) -> bool:
    """Whether the lines under ``stored`` are exactly the lines this entry would write."""
    parent = _parent_value(section, rows, stored)
    dialect = conn.dialect.name
    wanted = [
        _line_values(section, lines, rows.entry, line, stored, parent, dialect)
        for line in rows.lines
    ]
    table = lines.table
    parent_column = _parent_column(section, lines)
    present = conn.execute(
        select(func.count()).where(table.c[parent_column] == parent)
    ).scalar_one()
    if present != len(wanted):
        return False
    counts = Counter(json.dumps(v, sort_keys=True, default=str) for v in wanted)
    for line in wanted:
        expected = counts[json.dumps(line, sort_keys=True, default=str)]
        if conn.execute(select(func.count()).where(_matching(table, line))).scalar_one() != (
            expected
        ):
            return False
    return True


def _insert_header(
    conn: Connection, section: TargetSection, header: ReflectedTable, values: dict[str, Any]
) -> dict[str, Any]:
    """Insert the header row and read it back whole (generated id and defaults included)."""
    table = header.table
    result = conn.execute(insert(table).values(values))
    if header.primary_key:
        key = result.inserted_primary_key
        assert key is not None
        where = and_(
            *(table.c[name] == value for name, value in zip(header.primary_key, key, strict=True))
        )
    else:
        column = header.column(section.key or "")
        assert column is not None
        where = table.c[column.name] == values[column.name]
    return dict(conn.execute(select(table).where(where)).one()._mapping)


def _parent_value(section: TargetSection, rows: EntryRows, stored: Mapping[str, Any]) -> Any:
    value = section.parent_from.search({"entry": rows.entry, "header": header_document(stored)})
    if value is None:
        raise DeliveryRefused(
            f"lines.parent.from ({section.parent_from.text}) is null for the header row, "
            "so the lines would not point at it"
        )
    return value


def _parent_column(section: TargetSection, lines: ReflectedTable) -> str:
    column = lines.column(section.parent_column)
    if column is None:
        raise DeliveryRefused(f"{lines.name} has no column {section.parent_column} any more")
    return column.name


def _line_values(
    section: TargetSection,
    lines: ReflectedTable,
    entry: Mapping[str, Any],
    line: Mapping[str, Any],
    stored: Mapping[str, Any],
    parent: Any,
    dialect: str,
) -> dict[str, Any]:
    document = {"entry": entry, "line": line, "header": header_document(stored)}
    values = _values(section.lines, lines, document, dialect)
    values[_parent_column(section, lines)] = parent
    return values


def _ref(header: ReflectedTable, stored: Mapping[str, Any], section: TargetSection) -> str:
    names = list(header.primary_key)
    if not names:
        column = header.column(section.key or "")
        assert column is not None
        names = [column.name]
    return json.dumps([_text(stored[name]) for name in names])


def _text(value: Any) -> str:
    return str(value).rstrip() if value is not None else ""
