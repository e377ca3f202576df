"""Drafts → journal lines: each line in its own currency, with its base-currency amount and rate.

Lines already in the base currency keep rate 1. For each foreign currency of an entry the rate
is looked up once, for the entry's date, and every line gets ``amount × rate`` rounded
ROUND_HALF_EVEN to the base currency's exponent. Rounding each line alone can leave the
entry a minor unit or two out of balance in base, so each *side* of the currency's lines is
brought to the same target — the exact total ``Σ amount × rate`` of that side, rounded once —
by moving the side's largest lines one minor unit each.

Worked example, USD book, EUR at 1.0837::

    Dr clearing  100.00 EUR   exact 108.370   → 108.37   (target 108.37, nothing to move)
    Cr sales      33.33 EUR   exact  36.1198… →  36.12
    Cr sales      33.33 EUR   exact  36.1198… →  36.12
    Cr tax        33.34 EUR   exact  36.1306… →  36.13   credits 108.37: balanced

    at 1.0845 instead: clearing 108.45; credits 36.15 + 36.15 + 36.16 = 108.46 > 108.45,
    so the largest credit (33.34 EUR) gives up a cent: 36.15 + 36.15 + 36.15 = 108.45.

Why this never needs a rounding line: a side of ``k`` lines rounded one by one differs from its
exact total by at most ``k/2`` minor units and the target by at most ``½``, so the gap is at
most ``(k+1)/2 ≤ k`` units and one unit per line always suffices; a line that gives up a unit
was necessarily rounded up, so no base amount turns negative. A side with one line is never
adjusted: a clearing debit is always exactly its amount at the rate.

Cross-currency flows (EUR clearing paid out into a USD bank) pass through the
``currency_conversion`` account, one pair of lines per currency so each currency balances on its
own. What that account is left holding in base is the realised FX result of the exchange, booked
to ``fx_realised`` against it: give 100.00 EUR (108.37 USD at the day's rate), get 107.50 USD →
conversion carries 0.87 USD → Dr fx_realised 0.87 / Cr currency_conversion 0.87 (a loss).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from ledgerbridge.ledger.chart import Role
from ledgerbridge.ledger.entries import JournalLine, Side
from ledgerbridge.money import Money, quantum
from ledgerbridge.posting.accounts import AccountMap
from ledgerbridge.posting.drafts import Draft
from ledgerbridge.posting.rates import RateTable


def to_lines(
    drafts: Sequence[Draft],
    *,
    base: str,
    on: dt.date,
    rates: RateTable,
    accounts: AccountMap,
) -> list[JournalLine]:
    """Journal lines for ``drafts`` (in their order), plus the realised FX lines if any."""
    lines: dict[int, JournalLine] = {}
    for currency in dict.fromkeys(d.amount.currency for d in drafts):
        indexed = [(i, d) for i, d in enumerate(drafts) if d.amount.currency == currency]
        converted = _convert([d for _, d in indexed], base=base, on=on, rates=rates)
        lines.update(zip((i for i, _ in indexed), converted, strict=True))
    ordered = [lines[i] for i in range(len(drafts))]
    return ordered + _realised_fx(ordered, base=base, accounts=accounts)


def _convert(
    drafts: Sequence[Draft], *, base: str, on: dt.date, rates: RateTable
) -> list[JournalLine]:
    """Lines of one currency; each side of them converts to the same base total."""
    currency = drafts[0].amount.currency
    if currency == base:
        return [
            JournalLine.in_base(d.account, _side(d), abs(d.amount), d.memo, **d.dimensions)
            for d in drafts
        ]
    rate = rates.rate(currency, base, on)
    amounts = [abs(d.amount.amount) for d in drafts]
    bases: list[Decimal] = [Decimal(0)] * len(drafts)
    for side in Side:
        members = [i for i, d in enumerate(drafts) if _side(d) is side]
        side_bases = side_to_base([amounts[i] for i in members], rate.value, base)
        for i, value in zip(members, side_bases, strict=True):
            bases[i] = value
    return [
        JournalLine(
            d.account,
            _side(d),
            abs(d.amount),
            Money(b, base),
            rate.value,
            rate.date,
            rate.source,
            d.memo,
            d.dimensions,
        )
        for d, b in zip(drafts, bases, strict=True)
    ]


def side_to_base(amounts: Sequence[Decimal], rate: Decimal, base: str) -> list[Decimal]:
    """Base amounts for one side's ``amounts``: each rounded half-even, then the largest moved
    by one minor unit each until the side sums to its exact total rounded once."""
    q = quantum(base)
    with localcontext() as ctx:
        ctx.prec = 60  # amount × rate must be exact before the one rounding that counts
        exact = [a * rate for a in amounts]
        rounded = [e.quantize(q, rounding=ROUND_HALF_EVEN) for e in exact]
        target = sum(exact, Decimal(0)).quantize(q, rounding=ROUND_HALF_EVEN)
        gap = int((target - sum(rounded, Decimal(0))) / q)
    step = q if gap > 0 else -q
    largest = sorted(range(len(amounts)), key=lambda i: (-amounts[i], i))
    for i in largest[: abs(gap)]:
        rounded[i] += step
    return rounded


def _realised_fx(
    lines: Sequence[JournalLine], *, base: str, accounts: AccountMap
) -> list[JournalLine]:
    """Close what the currency-conversion account holds in base into ``fx_realised``.

    Only an entry that mixes currencies can hold an exchange, so a book without the conversion
    role can still post every single-currency entry.
    """
    if len({line.amount.currency for line in lines}) < 2:
        return []
    conversion = accounts.code(Role.CURRENCY_CONVERSION)
    held = Money.zero(base)
    for line in lines:
        if line.account == conversion:
            held += line.signed(line.base_amount)
    if held.is_zero():
        return []
    fx = accounts.code(Role.FX_REALISED)
    if held.is_positive():
        memo, pair = "Realised FX loss on conversion", (fx, conversion)
    else:
        memo, pair = "Realised FX gain on conversion", (conversion, fx)
    return [
        JournalLine.in_base(pair[0], Side.DEBIT, abs(held), memo),
        JournalLine.in_base(pair[1], Side.CREDIT, abs(held), memo),
    ]


def _side(draft: Draft) -> Side:
    return Side.DEBIT if draft.amount.is_positive() else Side.CREDIT
