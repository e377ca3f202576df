"""Rates from the user's own file (``LEDGERBRIDGE_FX_PROVIDER=fixed:PATH``).

For books that must use their own figures (a bank's rate, a group rate, a tax authority's
monthly table). The file is CSV with a header ``currency,base,date,rate``::

    currency,base,date,rate
    EUR,USD,2026-10-01,1.0837
    EUR,USD,2026-11-01,1.0912

A row means "one ``currency`` is ``rate`` ``base`` from ``date`` on": the latest row on or
before the date asked for applies, however old (a monthly table is meant to last the month),
and ``Rate.date`` is that row's date. Only the pairs written are answered: an inverse pair is
never derived, because 1/rate is rarely exact and the book must say which figure it used.

The whole file is checked when the provider is built, so a typo stops the service at start
rather than an event at 3 a.m.; every error names the file and line.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.money import exponent
from ledgerbridge.posting.rates import Rate, RateUnavailable

COLUMNS = ("currency", "base", "date", "rate")


class FixedRates:
    """Rates from a user's CSV file; see the module notes. Source ``fixed:<file name>``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = f"fixed:{path.name}"
        self._series: dict[tuple[str, str], list[tuple[dt.date, Decimal]]] = {}
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}: cannot read the rates file ({exc})") from None
        self._read(text)

    def _read(self, text: str) -> None:
        reader = csv.DictReader(text.splitlines())
        header = tuple(name.strip() for name in reader.fieldnames or ())
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise InvalidInput(
                f"{self.path}:1: the header must name {', '.join(COLUMNS)} "
                f"(missing: {', '.join(missing)})"
            )
        reader.fieldnames = header
        seen: dict[tuple[str, str, dt.date], int] = {}
        for row in reader:
            number = reader.line_num
            if not any((row.get(name) or "").strip() for name in COLUMNS):
                continue
            pair, day, value = self._row(row, number)
            earlier = seen.setdefault((*pair, day), number)
            if earlier != number:
                raise InvalidInput(
                    f"{self.path}:{number}: a second {pair[0]}/{pair[1]} rate for {day} "
                    f"(the first is on line {earlier})"
                )
            self._series.setdefault(pair, []).append((day, value))
        for series in self._series.values():
            series.sort()

    def _row(
        self, row: dict[str, str | None], number: int
    ) -> tuple[tuple[str, str], dt.date, Decimal]:
        where = f"{self.path}:{number}"
        cells = {name: (row.get(name) or "").strip() for name in COLUMNS}
        try:
            exponent(cells["currency"])
            exponent(cells["base"])
        except LedgerBridgeError as exc:
            raise InvalidInput(f"{where}: {exc.message}", field="currency") from None
        try:
            day = dt.date.fromisoformat(cells["date"])
        except ValueError:
            raise InvalidInput(
                f"{where}: {cells['date']!r} is not a date (YYYY-MM-DD)", field="date"
            ) from None
        try:
            value = Decimal(cells["rate"])
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value <= 0:
            raise InvalidInput(f"{where}: {cells['rate']!r} is not a positive rate", field="rate")
        return (cells["currency"], cells["base"]), day, value

    def rate(self, currency: str, base: str, on: dt.date) -> Rate:
        exponent(currency)
        exponent(base)
        if currency == base:
            return Rate(Decimal(1), on, "identity")
        series = self._series.get((currency, base), [])
        index = bisect.bisect_right(series, (on, Decimal("Infinity")))
        if index == 0:
            raise RateUnavailable(
                f"{self.path} has no {currency}/{base} rate on or before {on}", field="currency"
            )
        day, value = series[index - 1]
        return Rate(value, day, self.source)

    def currencies(self, on: dt.date) -> frozenset[str]:
        """Every currency the file quotes, on either side of a pair."""
        return frozenset(code for pair in self._series for code in pair)
