"""The journal as a ledger-cli / hledger journal.

Why a second plain-text format: many bookkeepers run ``ledger`` or ``hledger`` rather than
Beancount, and both read this one file. They are looser about names than Beancount, so accounts
keep a readable form, root + code + name: 1200 "Stripe clearing" → ``Assets:1200 Stripe
clearing``.

Traps this module steps around, because neither tool has an escape character:

* two spaces or a tab end an account name, and ``:`` starts a sub-account, so runs of white
  space in a name become one space and ``:`` becomes ``-``;
* ``;`` starts a comment (hledger even inside a description), and a newline ends the line, so
  in descriptions, names and comment values ``;`` becomes ``,`` and control characters become
  spaces. The exact text stays in the CSV and Beancount exports;
* after the date, a leading ``(`` would be read as a transaction code, so such a description
  is written after an empty code ``()``.

The file declares its accounts, commodities and tags, so ``ledger --pedantic`` and
``hledger check --strict`` accept it. Example::

    2026-10-04 * Order #1001
        ; source: shopify-eu/order_paid/1001
        Assets:1210 EUR clearing  100.00 EUR @@ 108.57 USD
        ; rate: 1.0857
        Assets:1900 Currency conversion  -100.00 EUR @@ 108.57 USD
        ; rate: 1.0857
        Assets:1900 Currency conversion  108.57 USD
        Income:4000 Sales  -108.57 USD
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ledgerbridge.export._common import (
    ROOTS,
    accounts_by_code,
    by_code,
    check_book,
    in_date_order,
    posting_lines,
)
from ledgerbridge.ledger.accounts import Account
from ledgerbridge.ledger.entries import JournalEntry, JournalLine

TAGS = ("source", "reverses", "memo", "rate", "rate_date", "rate_source")
"""The metadata tags the journal uses; declared up front for ``ledger --pedantic``."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s{2,}")


def plain(text: str) -> str:
    """``text`` on one line with no comment marker: control characters → space, ``;`` → ``,``."""
    return _CONTROL.sub(" ", text).replace(";", ",")


def account_names(accounts: Sequence[Account]) -> dict[str, str]:
    """Account code → ledger account name; unique because codes are and contain no space."""
    names = {}
    for account in by_code(accounts):
        name = _SPACES.sub(" ", plain(account.name).replace(":", "-")).strip()
        names[account.code] = f"{ROOTS[account.type]}:{account.code} {name}"
    return names


def _description(text: str) -> str:
    line = plain(text).strip()
    return f"() {line}" if line.startswith("(") else line


def _meta(key: str, value: str, text: bool) -> str:
    return f"    ; {key}: {plain(value) if text else value}"


def _posting(line: JournalLine, name: str, base_currency: str) -> list[str]:
    return posting_lines(line, name, base_currency, indent="    ", meta=_meta)


def _transaction(entry: JournalEntry, names: dict[str, str]) -> list[str]:
    lines = [
        f"{entry.date.isoformat()} * {_description(entry.description)}".rstrip(),
        f"    ; source: {plain(str(entry.source))}",
    ]
    if entry.reverses is not None:
        lines.append(f"    ; reverses: {plain(str(entry.reverses))}")
    for line in entry.lines:
        lines += _posting(line, names[line.account], entry.base_currency)
    return lines


def to_ledger(
    accounts: Sequence[Account], entries: Sequence[JournalEntry], *, base_currency: str
) -> str:
    """The accounts and entries as a ledger-cli / hledger journal, entries in date order.

    Raises :class:`~ledgerbridge.errors.InvalidInput` for duplicate account codes or an entry
    in another base currency; :class:`~ledgerbridge.ledger.accounts.UnknownAccount` for a line
    on an account not given; :class:`~ledgerbridge.money.UnknownCurrency` for a bad
    ``base_currency``.
    """
    known = accounts_by_code(accounts)
    check_book(entries, known, base_currency)
    names = account_names(list(known.values()))
    currencies = {base_currency} | {
        line.amount.currency for entry in entries for line in entry.lines
    }
    out = [
        "; Exported by ledgerbridge: debits positive, credits negative; lines outside the",
        f"; base currency carry their {base_currency} amount as a total price (@@).",
        "",
        *(f"commodity {code}" for code in sorted(currencies)),
        *(f"tag {tag}" for tag in TAGS),
        *(f"account {names[account.code]}" for account in by_code(list(known.values()))),
    ]
    for entry in in_date_order(entries):
        out += ["", *_transaction(entry, names)]
    return "\n".join(out) + "\n"
