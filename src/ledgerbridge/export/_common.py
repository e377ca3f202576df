"""What the text exports share: account roots, the checks made before writing, number text.

An export refuses a book it cannot write faithfully before it writes anything: two accounts
with one code, an entry kept in another base currency, or a line on an account the chart does
not list. Otherwise a user would find out from ``bean-check`` or ``ledger``, far from the cause.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from ledgerbridge.errors import InvalidInput
from ledgerbridge.ledger.accounts import Account, AccountType, UnknownAccount
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side
from ledgerbridge.money import Money, exponent

ROOTS: Mapping[AccountType, str] = {
    AccountType.ASSET: "Assets",
    AccountType.LIABILITY: "Liabilities",
    AccountType.EQUITY: "Equity",
    AccountType.REVENUE: "Income",
    AccountType.EXPENSE: "Expenses",
}
"""The top-level account each type goes under; Beancount and hledger both know these five."""


def accounts_by_code(accounts: Iterable[Account]) -> dict[str, Account]:
    """The accounts keyed by code; two accounts with one code are refused."""
    found: dict[str, Account] = {}
    for account in accounts:
        if account.code in found:
            raise InvalidInput(f"two accounts have the code {account.code!r}", field="accounts")
        found[account.code] = account
    return found


def check_book(
    entries: Iterable[JournalEntry], known: Mapping[str, Account], base_currency: str
) -> None:
    """Refuse entries that are not in ``base_currency`` or post to an account not in ``known``."""
    exponent(base_currency)  # raises UnknownCurrency
    for entry in entries:
        if entry.base_currency != base_currency:
            raise InvalidInput(
                f"entry {entry.source} is kept in {entry.base_currency}, "
                f"the export is in {base_currency}",
                field="base_currency",
            )
        for line in entry.lines:
            if line.account not in known:
                raise UnknownAccount(
                    f"entry {entry.source} posts to account {line.account!r}, "
                    "which is not in the chart being exported",
                    field="accounts",
                )


def in_date_order(entries: Iterable[JournalEntry]) -> list[JournalEntry]:
    """Entries by date, keeping the given order within a day (journals are read by date)."""
    return sorted(entries, key=lambda entry: entry.date)


def number(money: Money) -> str:
    """The amount as plain decimal text, with a negative zero written as zero."""
    return abs(money).format() if money.is_zero() else money.format()


def signed_number(line: JournalLine) -> str:
    """The line's amount, positive for a debit and negative for a credit."""
    text = number(line.amount)
    return text if line.side is Side.DEBIT else f"-{text}"


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3`` … whichever is not yet in ``taken``; then taken."""
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def by_code(accounts: Sequence[Account]) -> list[Account]:
    """Accounts in code order, so derived names do not depend on the order they were given in."""
    return sorted(accounts, key=lambda account: account.code)


Meta = Callable[[str, str, bool], str]
"""Renders one metadata line: (key, value, value_is_free_text) → the line, in a format's syntax."""


def posting_lines(
    line: JournalLine, name: str, base_currency: str, *, indent: str, meta: Meta
) -> list[str]:
    """A posting and its metadata: debit positive; a foreign line carries its base amount as a
    total price (``@@``) so the transaction balances in the base currency, and its rate, rate
    date and rate source."""
    amount = f"{signed_number(line)} {line.amount.currency}"
    if line.amount.currency == base_currency:
        lines = [f"{indent}{name}  {amount}"]
    else:
        price = f"{number(line.base_amount)} {base_currency}"
        lines = [f"{indent}{name}  {amount} @@ {price}", meta("rate", f"{line.rate:f}", False)]
        if line.rate_date is not None:
            lines.append(meta("rate_date", line.rate_date.isoformat(), False))
        if line.rate_source:
            lines.append(meta("rate_source", line.rate_source, True))
    if line.memo:
        lines.append(meta("memo", line.memo, True))
    return lines
