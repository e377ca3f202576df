"""The journal as a Beancount ledger that ``bean-check`` accepts.

Why Beancount: it is the plain-text double-entry checker accountants and auditors already trust.
Exporting to it lets anyone re-check our balances with a tool we did not write.

How the book maps onto Beancount:

* each account becomes one account under the root for its type (asset → ``Assets``, liability
  → ``Liabilities``, equity → ``Equity``, revenue → ``Income``, expense → ``Expenses``), named
  ``A`` + code + the words of the name, e.g. 1200 "Stripe clearing" →
  ``Assets:A1200-Stripe-Clearing``. The ``A`` makes every name start with an upper-case
  letter, as Beancount's grammar requires even of codes such as ``x-12``; accents are dropped
  and other characters become dashes. Names are derived in code order and made unique with a
  ``-2`` suffix, so the same chart always gives the same names;
* every account is opened on ``open_date``, restricted to its currency when it has one;
* each entry becomes a transaction carrying ``source`` (and ``reverses``) metadata; each line
  becomes a posting, debit positive and credit negative. A line outside the base currency gets
  its base amount as a total price, ``100.00 EUR @@ 108.57 USD``, so the transaction's weights
  balance in the base currency exactly as our entry does.

Worked example, a EUR sale on a USD book::

    2026-10-04 * "Order #1001"
      source: "shopify-eu/order_paid/1001"
      Assets:A1210-EUR-Clearing           100.00 EUR @@ 108.57 USD
        rate: 1.0857
      Assets:A1900-Currency-Conversion   -100.00 EUR @@ 108.57 USD
        rate: 1.0857
      Assets:A1900-Currency-Conversion    108.57 USD
      Income:A4000-Sales                 -108.57 USD

Beancount turns a total price into a price per unit, so its weights can differ from ours in
the 28th significant digit. It infers a tolerance for that from the base-currency postings of a
transaction, but a transaction with none (two EUR lines, each carrying its USD price) would get
no tolerance at all and fail on noise of 1e-28. So the file sets the base currency's default
tolerance to half its minor unit (``USD:0.005``): below what any of our amounts can express,
above the noise, and a real imbalance of one cent still fails.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

from ledgerbridge.errors import InvalidInput
from ledgerbridge.export._common import (
    ROOTS,
    accounts_by_code,
    by_code,
    check_book,
    in_date_order,
    posting_lines,
    unique,
)
from ledgerbridge.ledger.accounts import Account
from ledgerbridge.ledger.entries import JournalEntry, JournalLine
from ledgerbridge.money import quantum

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_APOSTROPHES = re.compile(r"['\u2019]")
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def quote(text: str) -> str:
    """``text`` as a Beancount string literal; the lexer undoes exactly these escapes."""
    return f'"{text.translate(_ESCAPES)}"'


def _component(account: Account) -> str:
    # "Owner's" reads better as "Owners" than as "Owner-S"; accents go, letters stay.
    name = _APOSTROPHES.sub("", account.name)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = [word[0].upper() + word[1:] for word in _NOT_ALNUM.split(ascii_name) if word]
    return "-".join([f"A{_NOT_ALNUM.sub('-', account.code)}", *words])


def account_names(accounts: Sequence[Account]) -> dict[str, str]:
    """Account code → Beancount account name, unique and the same for the same chart."""
    taken: set[str] = set()
    return {
        account.code: unique(f"{ROOTS[account.type]}:{_component(account)}", taken)
        for account in by_code(accounts)
    }


def _meta(key: str, value: str, text: bool) -> str:
    return f"    {key}: {quote(value) if text else value}"


def _posting(line: JournalLine, name: str, base_currency: str) -> list[str]:
    return posting_lines(line, name, base_currency, indent="  ", meta=_meta)


def _transaction(entry: JournalEntry, names: dict[str, str]) -> list[str]:
    lines = [
        f"{entry.date.isoformat()} * {quote(entry.description)}",
        f"  source: {quote(str(entry.source))}",
    ]
    if entry.reverses is not None:
        lines.append(f"  reverses: {quote(str(entry.reverses))}")
    for line in entry.lines:
        lines += _posting(line, names[line.account], entry.base_currency)
    return lines


def to_beancount(
    accounts: Sequence[Account],
    entries: Sequence[JournalEntry],
    *,
    base_currency: str,
    open_date: dt.date,
) -> str:
    """The accounts and entries as a Beancount ledger, entries in date order.

    Raises :class:`~ledgerbridge.errors.InvalidInput` for duplicate account codes, an entry in
    another base currency or dated before ``open_date``;
    :class:`~ledgerbridge.ledger.accounts.UnknownAccount` for a line on an account not given;
    :class:`~ledgerbridge.money.UnknownCurrency` for a bad ``base_currency``.
    """
    known = accounts_by_code(accounts)
    check_book(entries, known, base_currency)
    for entry in entries:
        if entry.date < open_date:
            raise InvalidInput(
                f"entry {entry.source} is dated {entry.date}, before the accounts open "
                f"on {open_date}",
                field="open_date",
            )
    names = account_names(list(known.values()))
    out = [
        "; Exported by ledgerbridge: debits positive, credits negative; lines outside the",
        f"; base currency carry their {base_currency} amount as a total price (@@).",
        f'option "operating_currency" {quote(base_currency)}',
        f'option "inferred_tolerance_default" "{base_currency}:{quantum(base_currency) / 2:f}"',
        "",
    ]
    for account in by_code(list(known.values())):
        constraint = f" {account.currency}" if account.currency else ""
        out.append(f"{open_date.isoformat()} open {names[account.code]}{constraint}")
    for entry in in_date_order(entries):
        out += ["", *_transaction(entry, names)]
    return "\n".join(out) + "\n"
