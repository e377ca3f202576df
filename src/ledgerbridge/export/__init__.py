"""Exports of the journal to the formats accountants already check books with.

Each export is a pure function from accounts and entries to text, so the CLI, the API and the
tests call the same code, and the text can be checked by the tools it is meant for:

* :func:`to_beancount` writes a Beancount ledger that ``bean-check`` accepts;
* :func:`to_ledger` writes a ledger-cli / hledger journal;
* :func:`to_csv` writes one row per journal line, amounts as exact decimal strings.

In every format a debit is positive and a credit negative, and a line outside the book's base
currency carries its base amount, so the export balances in the base currency exactly as the
book does.
"""

from ledgerbridge.export.beancount import to_beancount
from ledgerbridge.export.csv import CSV_COLUMNS, to_csv
from ledgerbridge.export.ledger_cli import to_ledger

__all__ = ["CSV_COLUMNS", "to_beancount", "to_csv", "to_ledger"]
