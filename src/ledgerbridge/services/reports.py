"""Read models: trial balance and journal, in the JSON shapes of the published interface."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.errors import InvalidInput
from ledgerbridge.export import to_beancount, to_csv, to_ledger
from ledgerbridge.ledger.serialize import entry_dict
from ledgerbridge.money import Money
from ledgerbridge.store.database import Database
from ledgerbridge.store.entries import BalanceRow, PostedEntry
from ledgerbridge.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class TrialBalance:
    base_currency: str
    as_of: dt.date | None
    rows: tuple[BalanceRow, ...]

    @property
    def total_debit(self) -> Money:
        return sum((r.debit for r in self.rows), Money.zero(self.base_currency))

    @property
    def total_credit(self) -> Money:
        return sum((r.credit for r in self.rows), Money.zero(self.base_currency))

    def balance_of(self, code: str) -> Money:
        for row in self.rows:
            if row.code == code:
                return row.balance
        return Money.zero(self.base_currency)

    def as_json(self) -> dict[str, Any]:
        return {
            "base_currency": self.base_currency,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "accounts": [
                {
                    "code": r.code,
                    "name": r.name,
                    "type": r.type.value,
                    "debit": r.debit.format(),
                    "credit": r.credit.format(),
                    "balance": r.balance.format(),
                }
                for r in self.rows
            ],
            "total_debit": self.total_debit.format(),
            "total_credit": self.total_credit.format(),
        }


def trial_balance(db: Database, *, as_of: dt.date | None = None) -> TrialBalance:
    with UnitOfWork(db) as uow:
        base = uow.book.require().base_currency
        rows = uow.entries.trial_balance(base, as_of)
    return TrialBalance(base, as_of, tuple(rows))


DIMENSION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def dimension_filter(pairs: Iterable[str], *, separator: str, option: str) -> dict[str, str]:
    """``["store=eu", "channel=pos"]`` → ``{"store": "eu", "channel": "pos"}``.

    Raises InvalidInput naming ``option`` for a pair without a name, or a name given twice.
    """
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition(separator)
        if not sep or not DIMENSION_NAME.match(name):
            raise InvalidInput(
                f"{option} {pair!r}: write NAME{separator}VALUE, the name in letters, digits and _",
                field=option,
            )
        if name in found:
            raise InvalidInput(f"{option}: {name!r} is given twice", field=option)
        found[name] = value
    return found


def journal(
    db: Database,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    dimensions: Mapping[str, str] | None = None,
) -> list[PostedEntry]:
    """Entries in the period; with ``dimensions``, only those whose entry or any line records
    every one of them (e.g. ``{"store": "eu-main"}``)."""
    with UnitOfWork(db) as uow:
        uow.book.require()
        return uow.entries.find(date_from=date_from, date_to=date_to, dimensions=dimensions)


def journal_json(
    entries: list[PostedEntry],
    date_from: dt.date | None,
    date_to: dt.date | None,
    dimensions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
    }
    if dimensions:
        shown["dimensions"] = dict(dimensions)
    shown["entries"] = [
        {**entry_dict(p.entry, p.id), "reversed_by": p.reversed_by} for p in entries
    ]
    return shown


EXPORT_FORMATS = ("csv", "beancount", "ledger")


def export(
    db: Database,
    fmt: str,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> str:
    """The journal (or a period of it) as CSV, Beancount or ledger-cli text.

    Raises InvalidInput for an unknown format, BookNotInitialised.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}",
            field="format",
        )
    with UnitOfWork(db) as uow:
        book = uow.book.require()
        accounts = [stored.account for stored in uow.accounts.all()]
        entries = [p.entry for p in uow.entries.find(date_from=date_from, date_to=date_to)]
    if fmt == "csv":
        return to_csv(entries)
    if fmt == "ledger":
        return to_ledger(accounts, entries, base_currency=book.base_currency)
    first = min([e.date for e in entries], default=book.created_at.date())
    opened = min(first, book.created_at.date())
    return to_beancount(accounts, entries, base_currency=book.base_currency, open_date=opened)
