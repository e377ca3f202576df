"""Rates quoted per euro, looked up by date, and the cross rates posting needs.

The ECB publishes, for each TARGET business day, how many units of some 30 currencies one
euro buys. Posting needs the other view (:class:`~ledgerbridge.posting.rates.Rate`): how many
units of the book's base currency one unit of the sale's currency is worth. With both sides
quoted per euro, and one euro being 1 EUR,

    rate of C in B  =  (B per EUR) / (C per EUR)

Worked example, 2024-01-02: 1.0956 USD and 0.86645 GBP per EUR, so 1 GBP is
1.0956 / 0.86645 = 1.26446996364 USD, and a 100.00 GBP sale is 126.45 USD. The rate of EUR
itself is the published figure, unrounded (1 EUR = 1.0956 USD).

**Precision.** Such a quotient is rarely a finite decimal, so it is rounded once, to
:data:`SIGNIFICANT_DIGITS` (12) significant digits, ROUND_HALF_EVEN, by a correctly rounded
division in a decimal context of that precision (no double rounding). Significant digits, not
a fixed number of decimal places, because rates span nine orders of magnitude: with ten
decimal places, 1 IDR in KWD (about 0.0000189) would keep six significant digits, and a
10⁹ IDR sale (some 19,000 KWD) could be off by 0.05 KWD. Twelve digits bound the relative
error by 5·10⁻¹², so a converted amount is within half a cent of the exact quotient's for
amounts up to 10⁹ USD, while the ECB's own figures carry only five or six significant
digits: nothing the source knows is lost, and the stored rate stays short enough to read.
Half-even, as everywhere in the books, so ties do not drift one way. Rates are returned
without trailing zeros (``0.78230`` in the daily feed and ``0.7823`` in the history are the
same figure and print the same).

**Which publication.** A date is answered by the last publication on or before it; the
returned ``Rate.date`` is that publication's date (Friday's, for a Saturday). A date after
the newest publication is answered only within ``max_staleness_days`` of it; see
:func:`lookup`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal

from ledgerbridge.money import active_currencies, exponent
from ledgerbridge.posting.rates import Rate, RateUnavailable

SIGNIFICANT_DIGITS = 12
_CONTEXT = Context(prec=SIGNIFICANT_DIGITS, rounding=ROUND_HALF_EVEN)

LONGEST_CLOSURE_DAYS = 5
"""The longest gap between two ECB publications, 1999–2026 (Easter: Thursday's rate is the
newest until Tuesday's appears; also 22 → 27 December 2023)."""

HOLE_DAYS = 7
"""A gap this long between two cached publications cannot be an ECB closure: it is a hole in
what was fetched, and the cache is trusted only after it."""


def next_weekday(day: dt.date) -> dt.date:
    """The first Monday-to-Friday after ``day``: the earliest possible next publication."""
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def previous_weekday(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def tidy(value: Decimal) -> Decimal:
    """``value`` without trailing zeros, and never in exponent form (``100``, not ``1E+2``)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def cross_rate(currency: str, base: str, per_euro: Mapping[str, Decimal]) -> Decimal | None:
    """Units of ``base`` per one ``currency`` from one day's per-euro quotes; None when the
    day has no quote for either side."""
    if currency == base:
        return Decimal(1)
    base_per_euro = Decimal(1) if base == "EUR" else per_euro.get(base)
    currency_per_euro = Decimal(1) if currency == "EUR" else per_euro.get(currency)
    if base_per_euro is None or currency_per_euro is None:
        return None
    if currency == "EUR":
        return tidy(base_per_euro)
    return tidy(_CONTEXT.divide(base_per_euro, currency_per_euro))


class EurSeries:
    """Publications by date, kept contiguous: the caller merges only what touches them."""

    def __init__(self) -> None:
        self._days: dict[dt.date, dict[str, Decimal]] = {}
        self._dates: list[dt.date] = []

    @property
    def first(self) -> dt.date | None:
        return self._dates[0] if self._dates else None

    @property
    def last(self) -> dt.date | None:
        return self._dates[-1] if self._dates else None

    def __len__(self) -> int:
        return len(self._dates)

    def __contains__(self, day: object) -> bool:
        return day in self._days

    def covers(self, on: dt.date) -> bool:
        """Whether the answer for ``on`` is already final: a publication on or before it is
        held, and so is one on or after it (the ECB never publishes for a past date)."""
        return self.first is not None and self.last is not None and self.first <= on <= self.last

    def starts_by(self, on: dt.date) -> bool:
        """Whether a publication on or before ``on`` is held."""
        return self.first is not None and self.first <= on

    def touches(self, first: dt.date, last: dt.date) -> bool:
        """Whether publications spanning ``first``..``last`` overlap or adjoin these, so that
        merging them leaves no day unaccounted for (only a weekend may separate them)."""
        if self.first is None or self.last is None:
            return True
        return first <= next_weekday(self.last) and last >= previous_weekday(self.first)

    def merge(self, quotes: Mapping[dt.date, Mapping[str, Decimal]]) -> None:
        for day, rates in quotes.items():
            self._days.setdefault(day, {}).update(rates)
        self._dates = sorted(self._days)

    def merge_trusted_tail(self, quotes: Mapping[dt.date, Mapping[str, Decimal]]) -> None:
        """Merge the newest run of ``quotes`` that has no hole (see :data:`HOLE_DAYS`)."""
        dates = sorted(quotes)
        start = 0
        for index in range(1, len(dates)):
            if (dates[index] - dates[index - 1]).days > HOLE_DAYS:
                start = index
        self.merge({day: quotes[day] for day in dates[start:]})

    def on_or_before(self, on: dt.date) -> tuple[dt.date, Mapping[str, Decimal]] | None:
        index = bisect.bisect_right(self._dates, on)
        if index == 0:
            return None
        day = self._dates[index - 1]
        return day, self._days[day]


def lookup(
    series: EurSeries,
    currency: str,
    base: str,
    on: dt.date,
    *,
    source: str,
    max_staleness_days: int,
    note: str = "",
) -> Rate:
    """The rate of ``currency`` in ``base`` for ``on`` from ``series``.

    A date after the newest publication gets the newest rate only while the gap is at most
    ``max_staleness_days``; beyond it, :class:`RateUnavailable` (retryable: the event waits
    for a newer publication and is never posted at an old figure). ``note`` ends the
    messages about missing publications (for example, that the feed is unreachable). A
    currency not quoted on the publication day (one the ECB stopped publishing) is
    unavailable too.
    """
    exponent(currency)  # UnknownCurrency for a made-up code, before anything else
    exponent(base)
    if currency == base:
        return Rate(Decimal(1), on, "identity")
    found = series.on_or_before(on)
    if found is None:
        starts = f"its rates start on {series.first}" if series.first else "it has no rates"
        raise RateUnavailable(f"no {source} rate on or before {on}: {starts}{note}", field="date")
    day, per_euro = found
    gap = (on - day).days
    if series.last is not None and on > series.last and gap > max_staleness_days:
        raise RateUnavailable(
            f"no {currency}/{base} rate for {on}: the newest {source} publication is from "
            f"{day}, {gap} days earlier (at most {max_staleness_days} allowed){note}",
            field="date",
        )
    value = cross_rate(currency, base, per_euro)
    if value is None:
        missing = [c for c in (currency, base) if c != "EUR" and c not in per_euro]
        raise RateUnavailable(
            f"no {currency}/{base} rate for {on}: the {source} publication of {day} has no "
            f"{' or '.join(missing)} rate",
            field="currency",
        )
    return Rate(value, day, source)


def quoted_currencies(series: EurSeries, on: dt.date) -> frozenset[str]:
    """The ISO currencies (and EUR) quoted in the publication that answers ``on``."""
    found = series.on_or_before(on)
    quoted = set(found[1]) if found else set()
    return frozenset((quoted | {"EUR"}) & active_currencies())
