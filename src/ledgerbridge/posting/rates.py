"""Exchange rates as posting sees them: a dated value with its source, from a table the service
fills before it calls the rules.

A :class:`Rate` is *base units per one unit of the foreign currency*: with a USD book,
``Rate(Decimal("1.0837"), 2026-10-02, "ecb")`` for EUR means 100.00 EUR is 108.37 USD. The rate
date is the date the rate was published for, which may be earlier than the date asked for
(weekends, holidays); both the date and the source land on every converted line, so a report
never recomputes history with today's rates.

:class:`RateTable` is the port. The ECB and offline providers live in ``ledgerbridge.fx``; the
:class:`StaticRates` here serves tests and hand-entered rates. A missing rate raises
:class:`RateUnavailable`, which is retryable: the day's reference rate may simply not be
published yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Protocol

from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.money import exponent, to_decimal


class RateUnavailable(LedgerBridgeError):
    """No rate for a currency pair on a date; posting is retried later."""

    code = "rate_unavailable"
    retryable: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class Rate:
    """One rate: ``value`` base units per foreign unit, published for ``date`` by ``source``."""

    value: Decimal
    date: dt.date
    source: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite() or self.value <= 0:
            raise InvalidInput(f"a rate must be a positive Decimal, got {self.value!r}")
        if not self.source.strip():
            raise InvalidInput("a rate needs its source", field="source")


class RateTable(Protocol):
    """Where posting gets rates; implementations must not guess a missing rate."""

    def rate(self, currency: str, base: str, on: dt.date) -> Rate:
        """The rate of ``currency`` in ``base`` applicable on ``on``; raises RateUnavailable."""
        ...


class StaticRates:
    """Fixed rates per currency pair, the same on every date; for tests and manual use.

    ``StaticRates({("EUR", "USD"): "1.0837"})`` answers EUR→USD on any date with 1.0837, dated
    that day (or ``published`` when given) and tagged ``source``. A currency in its own terms is
    always 1. Any other pair raises :class:`RateUnavailable`; inverse rates are not derived,
    because 1/rate is rarely exact and the book must say which figure it used.
    """

    def __init__(
        self,
        rates: Mapping[tuple[str, str], Decimal | str | int],
        *,
        source: str = "static",
        published: dt.date | None = None,
    ) -> None:
        self._rates: dict[tuple[str, str], Decimal] = {}
        for (currency, base), value in rates.items():
            exponent(currency)  # raises UnknownCurrency for a made-up code
            exponent(base)
            self._rates[(currency, base)] = to_decimal(value, field=f"{currency}/{base}")
        self._source = source
        self._published = published

    def rate(self, currency: str, base: str, on: dt.date) -> Rate:
        date = self._published or on
        if currency == base:
            return Rate(Decimal(1), date, self._source)
        try:
            return Rate(self._rates[(currency, base)], date, self._source)
        except KeyError:
            raise RateUnavailable(
                f"no {currency}/{base} rate for {on.isoformat()} in the {self._source} table",
                field="currency",
            ) from None
