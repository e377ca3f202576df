"""Journal entries and their lines: append-only, idempotent on the source key.

``add`` inserts inside a savepoint; when the source key is already taken (a redelivery, or a
second process that lost a race) it raises :class:`AlreadyPosted` carrying the winner's id, and
the caller's transaction is still usable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, Row, and_, case, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from ledgerbridge.errors import LedgerBridgeError, NotFound
from ledgerbridge.ledger.accounts import AccountType
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.ledger.serialize import entry_dict
from ledgerbridge.money import Money
from ledgerbridge.store.accounts import AccountRepository
from ledgerbridge.store.errors import constraint_name
from ledgerbridge.store.tables import accounts, journal_entries, journal_lines


class AlreadyPosted(LedgerBridgeError):
    """The source was posted before; ``entry_id`` is the entry that stands."""

    code = "already_posted"
    http_status = 409

    def __init__(self, source: SourceKey, entry_id: int) -> None:
        super().__init__(f"{source} is already posted as entry {entry_id}")
        self.entry_id = entry_id


class AlreadyReversed(LedgerBridgeError):
    code = "already_reversed"
    http_status = 409


class CurrencyNotAllowed(LedgerBridgeError):
    code = "currency_not_allowed"


@dataclass(frozen=True, slots=True)
class PostedEntry:
    id: int
    entry: JournalEntry
    created_at: dt.datetime
    reversed_by: int | None = None


@dataclass(frozen=True, slots=True)
class BalanceRow:
    code: str
    name: str
    type: AccountType
    debit: Money
    credit: Money

    @property
    def balance(self) -> Money:
        return self.debit - self.credit


def _has_dimension(name: str, value: str) -> Any:
    """The entry, or one of its lines, records dimension ``name`` with text ``value``.

    JSON paths are bound parameters on both databases (SQLite ``JSON_EXTRACT``, PostgreSQL
    ``->>``), so a name needs no quoting; only text values match (a dimension holding a list,
    such as ``reverses``, never equals a filter value).
    """
    on_line = exists(
        select(journal_lines.c.id).where(
            journal_lines.c.entry_id == journal_entries.c.id,
            journal_lines.c.dimensions[name].as_string() == value,
        )
    )
    return or_(journal_entries.c.dimensions[name].as_string() == value, on_line)


class EntryRepository:
    def __init__(self, conn: Connection, accounts_repo: AccountRepository) -> None:
        self.conn = conn
        self.accounts = accounts_repo

    def find_by_source(self, source: SourceKey) -> int | None:
        return self.conn.execute(
            select(journal_entries.c.id).where(
                journal_entries.c.source_connection == source.connection,
                journal_entries.c.source_external_id == source.external_id,
                journal_entries.c.source_kind == source.kind,
            )
        ).scalar_one_or_none()

    def add(
        self,
        entry: JournalEntry,
        *,
        now: dt.datetime,
        event_id: int | None = None,
        subject: str | None = None,
    ) -> int:
        """Insert ``entry``; raises AlreadyPosted if its source key is taken."""
        line_rows = [self._line_row(i, line) for i, line in enumerate(entry.lines)]
        reverses_id = self._reversed_id(entry)
        try:
            with self._guard():
                result = self.conn.execute(
                    insert(journal_entries).values(
                        date=entry.date,
                        description=entry.description,
                        base_currency=entry.base_currency,
                        source_connection=entry.source.connection,
                        source_external_id=entry.source.external_id,
                        source_kind=entry.source.kind,
                        reverses_entry_id=reverses_id,
                        mapping_version=entry.mapping_version,
                        dimensions=dict(entry.dimensions),
                        created_at=now,
                        event_id=event_id,
                        subject=subject,
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                entry_id = int(key[0])
                self.conn.execute(
                    insert(journal_lines), [{**row, "entry_id": entry_id} for row in line_rows]
                )
        except IntegrityError as exc:
            name = constraint_name(exc)
            if name == "uq_journal_entries_source_key":
                existing = self.find_by_source(entry.source)
                if existing is not None:
                    raise AlreadyPosted(entry.source, existing) from None
            if name == "uq_journal_entries_reverses_entry_id":
                raise AlreadyReversed(f"{entry.reverses} has already been reversed") from None
            raise
        return entry_id

    def _guard(self) -> Any:
        """A savepoint where a concurrent writer could insert the same source key first
        (PostgreSQL), so losing the race leaves the caller's transaction usable. SQLite runs
        one writer at a time (``BEGIN IMMEDIATE``) after ``find_by_source``, so no race exists
        there and the savepoint would only cost two statements."""
        if self.conn.dialect.name == "sqlite":
            return contextlib.nullcontext()
        return self.conn.begin_nested()

    def _reversed_id(self, entry: JournalEntry) -> int | None:
        if entry.reverses is None:
            return None
        found = self.find_by_source(entry.reverses)
        if found is None:
            raise NotFound(f"the entry {entry.reverses} to reverse does not exist")
        return found

    def _line_row(self, index: int, line: JournalLine) -> dict[str, Any]:
        account_id, currency = self.accounts.id_and_currency(line.account)
        if currency and currency != line.amount.currency:
            raise CurrencyNotAllowed(
                f"account {line.account} holds only {currency}, not {line.amount.currency}",
                field=f"lines[{index}].currency",
            )
        return {
            "line_no": index,
            "account_id": account_id,
            "side": line.side.value,
            "amount_minor": line.amount.minor,
            "currency": line.amount.currency,
            "base_amount_minor": line.base_amount.minor,
            "rate": f"{line.rate:f}",
            "rate_date": line.rate_date,
            "rate_source": line.rate_source,
            "memo": line.memo,
            "dimensions": dict(line.dimensions),
        }

    def get(self, entry_id: int) -> PostedEntry:
        found = self._load(journal_entries.c.id == entry_id)
        if not found:
            raise NotFound(f"there is no entry {entry_id}", field="id")
        return found[0]

    def find(
        self,
        *,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        source_connection: str | None = None,
        source_external_ids: Iterable[str] | None = None,
        subject: str | None = None,
        event_id: int | None = None,
        dimensions: Mapping[str, str] | None = None,
    ) -> list[PostedEntry]:
        """Entries matching every given criterion, oldest first. ``dimensions`` (name → value,
        all must hold) match the entry's own dimensions or any of its lines'."""
        conditions = [_has_dimension(name, value) for name, value in (dimensions or {}).items()]
        if subject is not None:
            conditions.append(journal_entries.c.subject == subject)
        if event_id is not None:
            conditions.append(journal_entries.c.event_id == event_id)
        if date_from is not None:
            conditions.append(journal_entries.c.date >= date_from)
        if date_to is not None:
            conditions.append(journal_entries.c.date <= date_to)
        if source_connection is not None:
            conditions.append(journal_entries.c.source_connection == source_connection)
        if source_external_ids is not None:
            conditions.append(journal_entries.c.source_external_id.in_(list(source_external_ids)))
        return self._load(and_(True, *conditions))

    def _load(self, condition: Any) -> list[PostedEntry]:
        rows = self._entry_rows(condition)
        lines = self._lines([row.id for row in rows])
        return [self._to_posted(row, lines[row.id]) for row in rows]

    def _entry_rows(self, condition: Any) -> Sequence[Row[Any]]:
        original = journal_entries.alias("original")
        reversal = journal_entries.alias("reversal")
        rows = self.conn.execute(
            select(
                journal_entries,
                original.c.source_connection.label("rev_connection"),
                original.c.source_external_id.label("rev_external_id"),
                original.c.source_kind.label("rev_kind"),
                reversal.c.id.label("reversed_by"),
            )
            .outerjoin(original, original.c.id == journal_entries.c.reverses_entry_id)
            .outerjoin(reversal, reversal.c.reverses_entry_id == journal_entries.c.id)
            .where(condition)
            .order_by(journal_entries.c.date, journal_entries.c.id)
        ).all()
        return rows

    def _lines(self, entry_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
        found: dict[int, list[Row[Any]]] = defaultdict(list)
        for chunk_start in range(0, len(entry_ids), 500):
            chunk = entry_ids[chunk_start : chunk_start + 500]
            rows = self.conn.execute(
                select(journal_lines, accounts.c.code)
                .join(accounts, accounts.c.id == journal_lines.c.account_id)
                .where(journal_lines.c.entry_id.in_(chunk))
                .order_by(journal_lines.c.entry_id, journal_lines.c.line_no)
            )
            for row in rows:
                found[row.entry_id].append(row)
        return found

    @staticmethod
    def _fields(
        row: Row[Any], line_rows: list[Row[Any]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The stored values of an entry and its lines, exactly as stored, not yet validated."""
        base = row.base_currency
        lines = [
            {
                "account": lr.code,
                "side": Side(lr.side),
                "amount": Money.from_minor(lr.amount_minor, lr.currency),
                "base_amount": Money.from_minor(lr.base_amount_minor, base),
                "rate": Decimal(lr.rate),
                "rate_date": lr.rate_date,
                "rate_source": lr.rate_source,
                "memo": lr.memo,
                "dimensions": lr.dimensions or {},
            }
            for lr in line_rows
        ]
        reverses = (
            SourceKey(row.rev_connection, row.rev_external_id, row.rev_kind)
            if row.rev_connection is not None
            else None
        )
        entry = {
            "date": row.date,
            "description": row.description,
            "base_currency": base,
            "source": SourceKey(row.source_connection, row.source_external_id, row.source_kind),
            "reverses": reverses,
            "dimensions": row.dimensions or {},
            "mapping_version": row.mapping_version,
        }
        return entry, lines

    def _to_posted(self, row: Row[Any], line_rows: list[Row[Any]]) -> PostedEntry:
        entry, lines = self._fields(row, line_rows)
        journal_entry = JournalEntry(**entry, lines=tuple(JournalLine(**line) for line in lines))
        return PostedEntry(row.id, journal_entry, row.created_at, row.reversed_by)

    def stored_dicts(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Every entry as plain data straight from its rows, without the balance checks, so
        that an audit can describe an entry someone has edited into an invalid state."""
        rows = self._entry_rows(and_(True))
        lines = self._lines([row.id for row in rows])
        for row in rows:
            entry, line_fields = self._fields(row, lines[row.id])
            shaped = SimpleNamespace(**entry, lines=[SimpleNamespace(**f) for f in line_fields])
            data = entry_dict(cast(JournalEntry, shaped), row.id)
            if row.event_id is not None:
                data["event_id"] = row.event_id
            yield row.id, data

    def trial_balance(self, base_currency: str, as_of: dt.date | None = None) -> list[BalanceRow]:
        """Debit and credit totals per account in the base currency, as a SQL aggregate."""
        debit = func.coalesce(
            func.sum(
                case((journal_lines.c.side == "debit", journal_lines.c.base_amount_minor), else_=0)
            ),
            0,
        )
        credit = func.coalesce(
            func.sum(
                case((journal_lines.c.side == "credit", journal_lines.c.base_amount_minor), else_=0)
            ),
            0,
        )
        joined = journal_lines.join(
            journal_entries, journal_entries.c.id == journal_lines.c.entry_id
        )
        if as_of is not None:
            totals = (
                select(journal_lines.c.account_id, debit.label("d"), credit.label("c"))
                .select_from(joined)
                .where(journal_entries.c.date <= as_of)
                .group_by(journal_lines.c.account_id)
                .subquery()
            )
        else:
            totals = (
                select(journal_lines.c.account_id, debit.label("d"), credit.label("c"))
                .select_from(journal_lines)
                .group_by(journal_lines.c.account_id)
                .subquery()
            )
        rows = self.conn.execute(
            select(accounts.c.code, accounts.c.name, accounts.c.type, totals.c.d, totals.c.c)
            .join(totals, totals.c.account_id == accounts.c.id)
            .order_by(accounts.c.code)
        )
        return [
            BalanceRow(
                row.code,
                row.name,
                AccountType(row.type),
                Money.from_minor(int(row.d), base_currency),
                Money.from_minor(int(row.c), base_currency),
            )
            for row in rows
        ]

    def has_subject(self, connection: str, subject: str) -> bool:
        """Whether anything was posted yet about this platform object (a cheap first look)."""
        found = self.conn.execute(
            select(journal_entries.c.id)
            .where(
                journal_entries.c.source_connection == connection,
                journal_entries.c.subject == subject,
            )
            .limit(1)
        ).first()
        return found is not None

    def foreign_balances(
        self, account_ids: Sequence[int], base_currency: str, as_of: dt.date
    ) -> list[tuple[int, str, int, int]]:
        """(account id, currency, Σ signed minor units, Σ signed base minor units) of every
        non-base currency held on ``account_ids`` up to ``as_of``, debit positive."""
        sign = case((journal_lines.c.side == "debit", 1), else_=-1)
        rows = self.conn.execute(
            select(
                journal_lines.c.account_id,
                journal_lines.c.currency,
                func.sum(sign * journal_lines.c.amount_minor),
                func.sum(sign * journal_lines.c.base_amount_minor),
            )
            .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
            .where(
                journal_lines.c.account_id.in_(list(account_ids)),
                journal_lines.c.currency != base_currency,
                journal_entries.c.date <= as_of,
            )
            .group_by(journal_lines.c.account_id, journal_lines.c.currency)
            .order_by(journal_lines.c.account_id, journal_lines.c.currency)
        )
        return [(int(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]

    def event_id_of(self, entry_id: int) -> int | None:
        """The inbox event an entry was posted from, if any."""
        return self.conn.execute(
            select(journal_entries.c.event_id).where(journal_entries.c.id == entry_id)
        ).scalar_one_or_none()

    def count(self) -> int:
        return int(
            self.conn.execute(select(func.count()).select_from(journal_entries)).scalar_one()
        )
