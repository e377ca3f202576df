"""Typed, path-aware reading of platform JSON, so every parse failure names its field.

Parsers never index a ``dict`` directly. They wrap it in :class:`Obj` and ask for what they
expect (``order.money("total_price", "USD")``); a missing key, a wrong type or an amount that
is not exact money raises :class:`PayloadInvalid` with the full JSON path, e.g.
``order.line_items[2].price``. This is what keeps ``KeyError``/``TypeError`` out of the worker.

Money rule (STYLE §2): amounts are read from strings, ints or ``Decimal`` (never floats — the
body is loaded with :func:`~ledgerbridge.connectors.base.load_json`). A value with more decimals
than the currency has is accepted when it is *exactly* representable ("10.000" USD is 10.00)
and refused when it is not ("10.005" USD names its field): a connector never rounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.base import PayloadInvalid
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.money import Money, UnknownCurrency, exponent, to_decimal


def invalid(path: str, problem: str) -> PayloadInvalid:
    return PayloadInvalid(f"{path or 'body'}: {problem}", field=path or "body")


def money_at(value: object, currency: str, path: str, *, signed: bool = False) -> Money:
    """Exact Money from a JSON value found at ``path``; negative only when ``signed``."""
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise invalid(path, f"expected an amount, got {type(value).__name__}")
        number = to_decimal(value, field=path)
        money = Money.of(number, currency, field=path)
    except PayloadInvalid:
        raise
    except (LedgerBridgeError, TypeError, ArithmeticError) as exc:
        raise invalid(path, f"{value!r} is not an exact {currency} amount ({exc})") from None
    if money.amount < 0 and not signed:
        raise invalid(path, f"{value} is negative; expected an amount of zero or more")
    return money


def currency_at(value: object, path: str) -> str:
    """An ISO 4217 code; platforms that send lower case (Stripe) are upper-cased."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(path, "expected a currency code")
    code = value.strip().upper()
    try:
        exponent(code)
    except UnknownCurrency:
        raise invalid(path, f"{value!r} is not an ISO 4217 currency with a minor unit") from None
    return code


def parse_timestamp(value: object, path: str) -> datetime:
    """ISO 8601 → aware UTC datetime. A value without an offset is taken as UTC (WooCommerce's
    ``*_gmt`` fields are written that way)."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(path, "expected an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid(path, f"{value!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def unix_time(value: object, path: str) -> datetime:
    """Seconds since the epoch (Stripe) → aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(path, "expected a Unix timestamp (integer seconds)")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise invalid(path, f"{value} is not a usable Unix timestamp") from None


class Obj:
    """A JSON object plus the path where it was found; accessors raise PayloadInvalid."""

    __slots__ = ("data", "path")

    def __init__(self, data: object, path: str = "") -> None:
        if not isinstance(data, Mapping):
            raise invalid(path, f"expected a JSON object, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.path = path

    def at(self, key: str) -> str:
        """The JSON path of ``key`` inside this object."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        """Present and not null."""
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def required(self, key: str) -> Any:
        value = self.data.get(key)
        if value is None:
            raise invalid(self.at(key), "is required")
        return value

    def text(self, key: str) -> str:
        """A non-empty string; integer ids are accepted and written in decimal."""
        value = self.required(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not value.strip():
            raise invalid(self.at(key), "expected a non-empty string")
        return value.strip()

    def opt_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        return self.text(key)

    def integer(self, key: str) -> int:
        value = self.required(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(self.at(key), "expected an integer")
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.integer(key)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise invalid(self.at(key), "expected true or false")
        return value

    def decimal(self, key: str) -> Decimal:
        value = self.required(key)
        try:
            if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
                raise TypeError(type(value).__name__)
            return to_decimal(value, field=self.at(key))
        except (LedgerBridgeError, TypeError):
            raise invalid(self.at(key), f"{value!r} is not a decimal number") from None

    def opt_decimal(self, key: str) -> Decimal | None:
        return None if self.data.get(key) in (None, "") else self.decimal(key)

    def money(self, key: str, currency: str, *, signed: bool = False) -> Money:
        return money_at(self.required(key), currency, self.at(key), signed=signed)

    def opt_money(self, key: str, currency: str, *, signed: bool = False) -> Money | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        return money_at(value, currency, self.at(key), signed=signed)

    def currency(self, key: str) -> str:
        return currency_at(self.required(key), self.at(key))

    def timestamp(self, key: str) -> datetime:
        return parse_timestamp(self.required(key), self.at(key))

    def opt_timestamp(self, key: str) -> datetime | None:
        value = self.data.get(key)
        return None if value in (None, "") else parse_timestamp(value, self.at(key))

    def first_timestamp(self, *keys: str) -> datetime:
        """The first of ``keys`` that is present, e.g. ``processed_at`` then ``created_at``."""
        for key in keys:
            if self.data.get(key) not in (None, ""):
                return self.timestamp(key)
        raise invalid(self.at(keys[0]), f"is required (or one of {', '.join(keys[1:])})")

    def unix(self, key: str) -> datetime:
        return unix_time(self.required(key), self.at(key))

    def obj(self, key: str) -> Obj:
        return Obj(self.required(key), self.at(key))

    def opt_obj(self, key: str) -> Obj | None:
        value = self.data.get(key)
        return None if value is None else Obj(value, self.at(key))

    def objects(self, key: str) -> list[Obj]:
        """A list of objects; a missing or null list is empty."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise invalid(self.at(key), "expected a list")
        return [Obj(item, f"{self.at(key)}[{i}]") for i, item in enumerate(value)]

    def texts(self, key: str) -> list[str]:
        """A list of strings; a missing or null list is empty."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid(self.at(key), "expected a list of strings")
        return list(value)


def total(amounts: list[Money], currency: str) -> Money:
    """Sum of Money values (zero for an empty list)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
