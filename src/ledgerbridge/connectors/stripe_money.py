"""Stripe amounts: integers in the currency's minor unit, as Stripe (not ISO) defines it.

Stripe's zero-decimal list (JPY, KRW, …) follows ISO 4217 except ISK, which Stripe sends with
two decimals that are always 00. Everything else uses the ISO exponent.
"""

from __future__ import annotations

from decimal import Decimal

from ledgerbridge.connectors.payload import invalid, money_at
from ledgerbridge.money import Money, exponent

ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
"""Currencies whose Stripe amounts are whole units."""

TWO_DECIMAL_OVERRIDES = frozenset({"ISK"})
"""Zero-decimal in ISO 4217 but sent by Stripe with two decimals that are always 00."""


def stripe_exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in TWO_DECIMAL_OVERRIDES:
        return 2
    return exponent(currency)


def stripe_money(value: object, currency: str, path: str, *, signed: bool = False) -> Money:
    """An integer Stripe amount as exact Money (see the module docstring)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(path, "expected an integer amount in the currency's minor unit")
    return money_at(
        Decimal(value).scaleb(-stripe_exponent(currency)), currency, path, signed=signed
    )
