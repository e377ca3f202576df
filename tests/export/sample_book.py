"""A small USD book for the export tests, built in memory, with the awkward cases on purpose.

Accounts of every type, one restricted to EUR, a name with an accent, one with a colon and a
semicolon, and two codes (``7900.1`` and ``7900_1``) that only differ in a character Beancount
cannot spell. Entries: an opening balance, a card sale with tax and fee, a EUR sale through the
currency-conversion account, a JPY sale, the EUR payout at a different rate with its realised
FX loss, and the reversal of the card sale. Descriptions and memos carry quotes, backslashes,
a newline, a semicolon and non-ASCII text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.money import Money

BASE = "USD"
OPEN = dt.date(2026, 10, 1)
D, C = Side.DEBIT, Side.CREDIT
A, L, E, R, X = (
    AccountType.ASSET,
    AccountType.LIABILITY,
    AccountType.EQUITY,
    AccountType.REVENUE,
    AccountType.EXPENSE,
)

ACCOUNTS: tuple[Account, ...] = (
    Account("1000", "Bank", A),
    Account("1200", "Stripe clearing", A),
    Account("1210", "PayPal EUR clearing", A, "EUR"),
    Account("1220", "Rakuten clearing", A),
    Account("1900", "Currency conversion", A),
    Account("2100", "Sales tax payable", L),
    Account("2200", "Gift card liability", L),
    Account("3000", "Opening balance equity", E),
    Account("3100", "Owner's drawings", E),
    Account("4000", "Sales", R),
    Account("4100", "Shipping income", R),
    Account("6100", "Payment processing fees", X),
    Account("6300", "Bank fees: wires;  intl", X),
    Account("7100", "Réalisé FX gain/loss", R),
    Account("7900.1", "Rounding", X),
    Account("7900_1", "Rounding", X),
)

CARD_SALE_DESCRIPTION = 'Order #1001 — "Deluxe" mug ☕; back\\slash'


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def _fx(account: str, side: Side, amount: Money, base: str, rate: str) -> JournalLine:
    return JournalLine(
        account,
        side,
        amount,
        usd(base),
        rate=Decimal(rate),
        rate_date=dt.date(2026, 10, 2),
        rate_source="ecb",
    )


def _entry(day: int, description: str, key: str, *lines: JournalLine) -> JournalEntry:
    connection, kind, external_id = key.split("/")
    return JournalEntry(
        dt.date(2026, 10, day),
        description,
        BASE,
        SourceKey(connection, external_id, kind),
        lines,
    )


def entries() -> list[JournalEntry]:
    opening = _entry(
        1,
        "Opening balance",
        "manual/opening/2026",
        JournalLine.in_base("1000", D, usd("5000.00")),
        JournalLine.in_base("3000", C, usd("5000.00")),
    )
    card_sale = _entry(
        4,
        CARD_SALE_DESCRIPTION,
        "stripe-us/order_paid/ch_3Nx",
        JournalLine.in_base("1200", D, usd("116.22"), memo='net of "fee"\nsecond line'),
        JournalLine.in_base("6100", D, usd("3.78"), memo="stripe fee"),
        JournalLine.in_base("4000", C, usd("90.00")),
        JournalLine.in_base("4100", C, usd("10.00")),
        JournalLine.in_base("2100", C, usd("20.00")),
    )
    eur = Money.of("100.00", "EUR")
    eur_sale = _entry(
        5,
        "Commande n° 1002 (Zürich)",
        "shopify-eu/order_paid/1002",
        _fx("1210", D, eur, "108.57", "1.0857"),
        _fx("1900", C, eur, "108.57", "1.0857"),
        JournalLine.in_base("1900", D, usd("108.57")),
        JournalLine.in_base("4000", C, usd("108.57")),
    )
    yen = Money.of(1500, "JPY")
    jpy_sale = _entry(
        5,
        "(gift) 注文 1003",
        "rakuten-jp/order_paid/1003",
        _fx("1220", D, yen, "10.05", "0.0067"),
        _fx("1900", C, yen, "10.05", "0.0067"),
        JournalLine.in_base("1900", D, usd("10.05")),
        JournalLine.in_base("2200", C, usd("10.05")),
    )
    payout = _entry(
        8,
        "PayPal payout; EUR → USD",
        "paypal-eu/payout/PO-77",
        JournalLine.in_base("1000", D, usd("107.90")),
        JournalLine.in_base("1900", C, usd("107.90")),
        _fx("1900", D, eur, "108.57", "1.0857"),
        _fx("1210", C, eur, "108.57", "1.0857"),
        JournalLine.in_base("7100", D, usd("0.67"), memo="realised FX loss"),
        JournalLine.in_base("1900", C, usd("0.67")),
    )
    rounding = _entry(
        9,
        "",
        "manual/adjustment/r1",
        JournalLine.in_base("7900.1", D, usd("0.01")),
        JournalLine.in_base("7900_1", C, usd("0.01")),
    )
    cancelled = card_sale.reversal(reason="order cancelled", date=dt.date(2026, 10, 10))
    return [opening, card_sale, eur_sale, jpy_sale, payout, rounding, cancelled]
