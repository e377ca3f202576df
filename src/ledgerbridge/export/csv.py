"""The journal as CSV: one row per line, for spreadsheets and for importing into other ledgers.

Why these columns: a row must stand on its own once sorted or filtered in a spreadsheet, so each
repeats its entry's source key, date and description. Amounts are exact decimal strings at the
currency's exponent (``"1234.50"``, ``"1000"`` for JPY), never floats, and are always positive;
the side says which of ``debit`` / ``credit`` is filled, and the other is empty. ``base_debit``
and ``base_credit`` are in the book's base currency, with the ``rate`` (base units per unit of
``currency``), its date and source as stored on the line.

Example::

    source,date,description,account,side,debit,credit,currency,base_debit,base_credit,rate,...
    shopify-eu/order_paid/1001,2026-10-04,Order #1001,1210,debit,100.00,,EUR,108.57,,1.0857,...
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from ledgerbridge.export._common import number
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side

CSV_COLUMNS = (
    "source",
    "date",
    "description",
    "account",
    "side",
    "debit",
    "credit",
    "currency",
    "base_debit",
    "base_credit",
    "rate",
    "rate_date",
    "rate_source",
    "memo",
)
"""The header row, in order; scripts read the file by these names."""


def _row(entry: JournalEntry, line: JournalLine) -> dict[str, str]:
    amount, base = number(line.amount), number(line.base_amount)
    debit = line.side is Side.DEBIT
    return {
        "source": str(entry.source),
        "date": entry.date.isoformat(),
        "description": entry.description,
        "account": line.account,
        "side": line.side.value,
        "debit": amount if debit else "",
        "credit": "" if debit else amount,
        "currency": line.amount.currency,
        "base_debit": base if debit else "",
        "base_credit": "" if debit else base,
        "rate": f"{line.rate:f}",
        "rate_date": line.rate_date.isoformat() if line.rate_date else "",
        "rate_source": line.rate_source or "",
        "memo": line.memo,
    }


def to_csv(entries: Iterable[JournalEntry]) -> str:
    """One CSV row per journal line, in the order given, under a :data:`CSV_COLUMNS` header."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for entry in entries:
        for line in entry.lines:
            writer.writerow(_row(entry, line))
    return buffer.getvalue()
