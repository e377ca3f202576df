"""Exchange-rate providers behind the posting port :class:`~ledgerbridge.posting.rates.RateTable`.

Only the ``fixed:PATH`` provider exists yet (a CSV of ``currency,base,date,rate``); the ECB
providers arrive with multi-currency support. Until then a foreign-currency event waits and
retries with a clear error instead of being posted at a guessed rate.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from ledgerbridge.errors import InvalidInput
from ledgerbridge.money import exponent, to_decimal
from ledgerbridge.posting.rates import Rate, RateUnavailable


class FixedRates:
    """Rates from a user's CSV file (``currency,base,date,rate``); the latest on or before the
    date asked for applies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rates: dict[tuple[str, str], list[tuple[dt.date, Decimal]]] = {}
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    key = (row["currency"].strip(), row["base"].strip())
                    exponent(key[0]), exponent(key[1])
                    day = dt.date.fromisoformat(row["date"].strip())
                    value = to_decimal(row["rate"].strip(), field="rate")
                except (KeyError, ValueError, AttributeError) as exc:
                    raise InvalidInput(
                        f"{path}:{number}: cannot read the rate row ({exc})"
                    ) from None
                self._rates.setdefault(key, []).append((day, value))
        for series in self._rates.values():
            series.sort()

    def rate(self, currency: str, base: str, on: dt.date) -> Rate:
        if currency == base:
            return Rate(Decimal(1), on, "identity")
        usable = [(d, v) for d, v in self._rates.get((currency, base), []) if d <= on]
        if not usable:
            raise RateUnavailable(f"{self.path} has no {currency}/{base} rate on or before {on}")
        day, value = usable[-1]
        return Rate(value, day, f"fixed:{self.path.name}")


class NoRatesYet:
    """The ``ecb`` providers before they exist: every foreign rate is unavailable (retryable)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def rate(self, currency: str, base: str, on: dt.date) -> Rate:
        if currency == base:
            return Rate(Decimal(1), on, "identity")
        raise RateUnavailable(
            f"no {currency}/{base} rate: the {self.name!r} provider is not available yet; "
            "use LEDGERBRIDGE_FX_PROVIDER=fixed:PATH"
        )


def provider(setting: str) -> FixedRates | NoRatesYet:
    if setting.startswith("fixed:"):
        return FixedRates(Path(setting.removeprefix("fixed:")))
    if setting in ("ecb", "ecb-offline"):
        return NoRatesYet(setting)
    raise InvalidInput(
        f"unknown FX provider {setting!r}: use ecb, ecb-offline or fixed:PATH", field="fx_provider"
    )
