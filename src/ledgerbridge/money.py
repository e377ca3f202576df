"""Exact money: ``Decimal`` amounts in an ISO 4217 currency, at that currency's exponent.

Why this module exists: every amount in the books passes through :class:`Money`, so the rules
below hold everywhere at once.

* The exponent of a currency (JPY 0, USD 2, KWD 3) comes from the ISO 4217 list published by
  SIX, as shipped in the ``iso4217`` package. It is never typed in by hand here.
* A ``float`` is refused with ``TypeError``: ``0.1 + 0.2`` is not ``0.3``, and a ledger must not
  guess. Strings, ints and ``Decimal`` are accepted.
* Construction never rounds silently: ``Money.of("1.005", "USD")`` raises unless the caller
  names a rounding (``rounding=ROUND_HALF_EVEN`` or another ``decimal`` constant).
* :func:`allocate` splits an amount across weights with the largest-remainder method, so the
  parts always add back to the whole, to the minor unit.

Worked example of allocation: 100.00 USD over weights 1:1:1 gives 33.34 + 33.33 + 33.33. The
exact shares are 33.333…; each part gets its floor (33.33), and the one leftover cent goes to
the part whose discarded remainder is largest (all tie, so the first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from fractions import Fraction
from functools import cache

from iso4217 import Currency as _IsoCurrency

from ledgerbridge.errors import LedgerBridgeError


class UnknownCurrency(LedgerBridgeError):
    """The code is not an active ISO 4217 currency with a defined minor unit."""

    code = "unknown_currency"


class InvalidAmount(LedgerBridgeError):
    """An amount could not be read exactly, or has more decimals than its currency allows."""

    code = "invalid_amount"


class CurrencyMismatch(LedgerBridgeError):
    """Arithmetic between two different currencies was attempted."""

    code = "currency_mismatch"


@cache
def _exponents() -> dict[str, int]:
    """ISO 4217 code → minor-unit exponent, for codes that have one (funds and metals do not)."""
    return {c.code: c.exponent for c in _IsoCurrency if c.exponent is not None}


def active_currencies() -> frozenset[str]:
    """Every ISO 4217 code that denotes money with a minor unit (USD, JPY, KWD, …)."""
    return frozenset(_exponents())


def exponent(currency: str) -> int:
    """The number of decimal places of ``currency``'s minor unit.

    Raises :class:`UnknownCurrency` for lower-case, obsolete or made-up codes.
    """
    try:
        return _exponents()[currency]
    except (KeyError, TypeError):
        raise UnknownCurrency(
            f"{currency!r} is not an ISO 4217 currency code with a minor unit "
            "(use upper case, e.g. USD, EUR, JPY)"
        ) from None


def quantum(currency: str) -> Decimal:
    """The smallest amount of ``currency``: Decimal('0.01') for USD, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-exponent(currency))


def to_decimal(value: object, *, field: str | None = None) -> Decimal:
    """Read ``value`` as an exact ``Decimal``; floats and non-finite values are refused."""
    if isinstance(value, bool):
        raise TypeError(f"{field or 'amount'}: a boolean is not an amount")
    if isinstance(value, float):
        raise TypeError(
            f"{field or 'amount'}: floats are not accepted for money ({value!r}); "
            'pass a string such as "12.30"'
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidAmount(f"{value!r} is not a decimal number", field=field) from None
    else:
        raise TypeError(f"{field or 'amount'}: cannot read {type(value).__name__} as money")
    if not number.is_finite():
        raise InvalidAmount(f"{value!r} is not a finite number", field=field)
    return number


MAX_DIGITS = 28
"""Significant digits an amount may have: the default ``decimal`` context's precision."""


def _quantize(
    number: Decimal, q: Decimal, *, rounding: str | None = None, field: str | None = None
) -> Decimal:
    """``number.quantize(q)``, with an amount too large to hold exactly as a typed error."""
    try:
        return number.quantize(q, rounding=rounding)
    except InvalidOperation:
        raise InvalidAmount(
            f"{number} has more digits than an amount can hold ({MAX_DIGITS})", field=field
        ) from None


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency, always held at the currency's exponent.

    Build it with :meth:`of` (or :meth:`from_minor`); the plain constructor is for values that
    are already quantised, and checks that they are.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal; use Money.of(...)")
        q = quantum(self.currency)
        quantised = _quantize(self.amount, q)
        if self.amount != quantised:
            raise InvalidAmount(
                f"{self.amount} has more decimals than {self.currency} allows "
                f"({exponent(self.currency)})"
            )
        # Normalise the representation so 1.5 and 1.50 USD compare and print alike, and a
        # zero never prints as "-0.00".
        if quantised.is_zero():
            quantised = quantised.copy_abs()
        object.__setattr__(self, "amount", quantised)

    @classmethod
    def of(
        cls,
        value: str | int | Decimal,
        currency: str,
        *,
        rounding: str | None = None,
        field: str | None = None,
    ) -> Money:
        """Exact money from a string, int or Decimal.

        Without ``rounding`` an amount finer than the currency's minor unit is an error; with it
        (a ``decimal`` rounding constant) the amount is rounded explicitly.
        """
        number = to_decimal(value, field=field)
        q = quantum(currency)
        quantised = _quantize(number, q, rounding=rounding or ROUND_DOWN, field=field)
        if rounding is None and quantised != number:
            raise InvalidAmount(
                f"{value} has more decimals than {currency} allows ({exponent(currency)})",
                field=field,
            )
        return cls(quantised, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Money from an integer count of minor units (cents for USD, yen for JPY)."""
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise TypeError("minor units must be an int")
        return cls(Decimal(minor).scaleb(-exponent(currency)), currency)

    @property
    def minor(self) -> int:
        """The amount as an integer count of minor units, as the database stores it."""
        return int(self.amount.scaleb(exponent(self.currency)))

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_positive(self) -> bool:
        return self.amount > 0

    def multiply(self, factor: Decimal | int | str, *, rounding: str) -> Money:
        """Multiply by an exact factor (a rate, a quantity) and round explicitly."""
        number = to_decimal(factor, field="factor")
        return Money.of(self.amount * number, self.currency, rounding=rounding)

    def convert(self, rate: Decimal | str, to: str, *, rounding: str) -> Money:
        """This amount in currency ``to`` at ``rate`` (units of ``to`` per unit of ours)."""
        return Money.of(self.amount * to_decimal(rate, field="rate"), to, rounding=rounding)

    def allocate(self, weights: Sequence[Decimal | int]) -> list[Money]:
        """Split this amount across ``weights``; see :func:`allocate`."""
        return allocate(self, weights)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def format(self) -> str:
        """The amount as a plain string at the currency's exponent, e.g. ``"1234.50"``."""
        return f"{self.amount:f}"


def allocate(total: Money, weights: Sequence[Decimal | int]) -> list[Money]:
    """Split ``total`` in proportion to ``weights``; the parts always sum to ``total`` exactly.

    Largest-remainder method on minor units: each part gets the floor of its exact share, and
    the minor units left over go one each to the parts with the largest discarded remainders
    (ties to the earlier part). Negative totals are split by their magnitude and negated, so
    the same weights give mirror-image parts.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    # Fractions, not Decimal: at 28 significant digits Decimal division would round the shares
    # and the parts could miss the total by a unit.
    exact = [Fraction(to_decimal(w, field="weight")) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("weights must not be negative")
    weight_sum = sum(exact, Fraction(0))
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    sign = -1 if total.amount < 0 else 1
    units = abs(total.minor)
    shares = [units * w / weight_sum for w in exact]
    floors = [s.numerator // s.denominator for s in shares]
    leftover = units - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Money.from_minor(sign * f, total.currency) for f in floors]
