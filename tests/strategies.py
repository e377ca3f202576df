"""Hypothesis strategies for money and journal entries, shared by every test package.

Why a shared module: the balance invariant is checked at several layers (the entry constructor,
the store, the exports), and each layer should be fed the same kind of random but valid books,
built the same way, so that a property that holds in one place is tested on the same inputs in
the next.

How a random balanced entry is built, per transaction currency:

1. draw one to four debit lines with random positive amounts (and, off the base currency, a
   random rate and the base amount it gives);
2. draw one to four credit lines and split the debit total across them with
   :func:`ledgerbridge.money.allocate`: each credit gets one minor unit up front, so none is
   zero, and the rest is allocated by random weights; the base-currency totals are split by the
   same weights, so each currency balances and the base balances too.

Amounts stay below :data:`MAX_MINOR` minor units (ten trillion dollars), far above any real book
but well inside the 28 significant digits of the default ``decimal`` context. The behaviour at
the very edge of that context is pinned by explicit tests in ``tests/test_money.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ledgerbridge.ledger.accounts import Account
from ledgerbridge.ledger.chart import RETAIL
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.money import Money, active_currencies, allocate

slow_inputs = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""For tests that draw whole entries or books: building one takes milliseconds, more under
``pytest -n``, so neither the per-example deadline nor the slow-input check is a fair signal."""

MAX_MINOR = 10**15
"""Largest count of minor units the strategies draw for one line."""

CHART: tuple[Account, ...] = tuple(c.account for c in RETAIL)
"""The built-in retail chart: accounts of every type, for entries to post to."""

ACCOUNT_CODES: tuple[str, ...] = tuple(a.code for a in CHART)

BASES: tuple[str, ...] = ("USD", "EUR", "JPY", "KWD", "CLF")
"""Base currencies worth varying over: exponents 2, 2, 0, 3 and 4."""

currencies = st.sampled_from(sorted(active_currencies()))
"""Any active ISO 4217 currency with a minor unit."""

base_currencies = st.sampled_from(BASES)

rates = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("10000"), places=6, allow_nan=False
)
"""Exchange rates as exact decimals, the way a rate table stores them."""

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))

weights = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10**6),
        st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False),
    ),
    min_size=1,
    max_size=8,
).filter(lambda ws: any(w > 0 for w in ws))
"""Non-negative weights, ints and decimals mixed, at least one of them positive."""

sources = st.builds(
    SourceKey,
    connection=st.sampled_from(["stripe-us", "shopify-eu", "manual"]),
    external_id=st.text("abcdefXYZ0123456789_", min_size=1, max_size=12).map("ev_".__add__),
    kind=st.sampled_from(["order_paid", "refund", "payout", "fee"]),
)


def money(
    currency: str | st.SearchStrategy[str] = currencies,
    *,
    min_minor: int = -MAX_MINOR,
    max_minor: int = MAX_MINOR,
) -> st.SearchStrategy[Money]:
    """Money in ``currency`` (a code or a strategy of codes) within a range of minor units."""
    codes = st.just(currency) if isinstance(currency, str) else currency
    return st.builds(Money.from_minor, st.integers(min_value=min_minor, max_value=max_minor), codes)


@st.composite
def _debit_line(draw: st.DrawFn, currency: str, base: str) -> JournalLine:
    account = draw(st.sampled_from(ACCOUNT_CODES))
    amount = draw(money(currency, min_minor=1))
    if currency == base:
        return JournalLine.in_base(account, Side.DEBIT, amount)
    rate = draw(rates)
    base_amount = amount.convert(rate, base, rounding=ROUND_HALF_EVEN)
    return JournalLine(account, Side.DEBIT, amount, base_amount, rate=rate, rate_source="test")


@st.composite
def _currency_block(draw: st.DrawFn, currency: str, base: str) -> list[JournalLine]:
    """Debit lines in one currency and the credit lines that balance them exactly."""
    debits = draw(st.lists(_debit_line(currency, base), min_size=1, max_size=4))
    total = sum((d.amount.minor for d in debits), 0)
    base_total = sum((d.base_amount.minor for d in debits), 0)
    count = draw(st.integers(min_value=1, max_value=min(4, total)))
    split = draw(st.lists(st.integers(0, 100), min_size=count, max_size=count))
    if not any(split):
        split = [1] * count
    rest = allocate(Money.from_minor(total - count, currency), split)
    amounts = [Money.from_minor(1, currency) + part for part in rest]
    same = currency == base
    bases = amounts if same else allocate(Money.from_minor(base_total, base), split)
    credits = [
        JournalLine(
            draw(st.sampled_from(ACCOUNT_CODES)),
            Side.CREDIT,
            amount,
            base_amount,
            rate=debits[0].rate,
            rate_source=debits[0].rate_source,
        )
        for amount, base_amount in zip(amounts, bases, strict=True)
    ]
    return debits + credits


@st.composite
def balanced_lines(draw: st.DrawFn, base: str) -> list[JournalLine]:
    """Lines in one to three currencies (the base among them or not) that balance exactly."""
    codes = draw(
        st.lists(st.one_of(st.just(base), currencies), min_size=1, max_size=3, unique=True)
    )
    lines: list[JournalLine] = []
    for code in codes:
        lines += draw(_currency_block(code, base))
    return draw(st.permutations(lines))


@st.composite
def journal_entries(
    draw: st.DrawFn, base: str | st.SearchStrategy[str] = base_currencies
) -> JournalEntry:
    """A valid, balanced entry on the retail chart."""
    book = base if isinstance(base, str) else draw(base)
    return JournalEntry(
        date=draw(dates),
        description=draw(st.text(max_size=40)),
        base_currency=book,
        source=draw(sources),
        lines=tuple(draw(balanced_lines(book))),
    )


def trial_balance(entries: Iterable[JournalEntry]) -> dict[str, Decimal]:
    """Per account, the sum of base amounts with debits positive and credits negative.

    Written out here rather than taken from the core, so it can serve as the oracle the core
    and the exports are checked against.
    """
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        for line in entry.lines:
            value = line.base_amount.amount
            balances[line.account] += value if line.side == "debit" else -value
    return dict(balances)


def nonzero(balances: dict[str, Decimal]) -> dict[str, Decimal]:
    """The accounts whose balance is not zero."""
    return {code: value for code, value in balances.items() if value != 0}


def accounts_used(entries: Sequence[JournalEntry]) -> set[str]:
    return {line.account for entry in entries for line in entry.lines}
