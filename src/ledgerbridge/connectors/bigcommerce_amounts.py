"""Reading BigCommerce figures: amounts, dates, the order's currency and how it was paid.

Shared by :mod:`.bigcommerce_orders` and :mod:`.bigcommerce_refunds`, so an order and its
refunds read money, currency and gateway the same way:

* **Amounts** are decimal strings with four places ("120.0000") in the order's currency.
  BigCommerce keeps four decimals of a two-decimal currency, so each amount is quantised to
  the currency's minor unit **half-even** (:func:`amount`); whatever residue that leaves is a
  cent or two between lines and total, which posting puts on ``rounding`` (see
  :mod:`ledgerbridge.posting.figures`). This is the only place a BigCommerce figure is rounded.
* **Currency** is ``currency_code`` (the currency the shopper paid in). An order without one
  takes ``default_currency_code`` only when ``currency_exchange_rate`` is 1, i.e. when the two
  are the same money; otherwise it is refused.
* **Dates** are RFC 2822 in v2 resources and ISO 8601 in v3 ones; both are read.
* **Gateways** are named as a slug of ``payment_method`` ("Test Payment Gateway" →
  ``test_payment_gateway``) so ``gateway_clearing`` can route them. Offline methods (cash,
  cheque, bank deposit, money order, pay in store, cash on delivery, manual) are MANUAL
  payments: a receivable until the bank shows the money.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from ledgerbridge.connectors.payload import Obj, currency_at, invalid
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.events import Notice
from ledgerbridge.money import Money

OFFLINE_METHODS = frozenset(
    {
        "bank_deposit",
        "cash",
        "cash_on_delivery",
        "check",
        "cheque",
        "cod",
        "manual",
        "money_order",
        "pay_in_store",
    }
)
_SLUG = re.compile(r"[^a-z0-9]+")

"""What an order or refund reads as: the events to post and the notices to show."""


def gateway_slug(method: str | None) -> str:
    """``"Test Payment Gateway"`` → ``test_payment_gateway``; empty → ``manual``."""
    slug = _SLUG.sub("_", (method or "").strip().lower()).strip("_")
    return slug or "manual"


def amount(obj: Obj, key: str, currency: str, *, required: bool = False) -> Money:
    """A BigCommerce amount at ``key`` as Money, quantised half-even (see module docstring).
    Missing or empty is zero unless ``required``; negative is refused."""
    value = obj.raw(key)
    path = obj.at(key)
    if value is None or value == "":
        if required:
            raise invalid(path, "is required")
        return Money.zero(currency)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise invalid(path, f"expected an amount, got {type(value).__name__}")
    try:
        money = Money.of(value, currency, rounding=ROUND_HALF_EVEN, field=path)
    except (LedgerBridgeError, TypeError, ArithmeticError):
        raise invalid(path, f"{value!r} is not an amount") from None
    if money.amount < 0:
        raise invalid(path, f"{value} is negative; expected an amount of zero or more")
    return money


def rfc2822(obj: Obj, key: str) -> datetime:
    """BigCommerce v2 dates ("Tue, 05 Mar 2019 21:40:11 +0000") → aware UTC datetime; ISO 8601
    (v3) is accepted too."""
    value = obj.required(key)
    path = obj.at(key)
    if not isinstance(value, str) or not value.strip():
        raise invalid(path, "expected a date")
    try:
        moment = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise invalid(path, f"{value!r} is not an RFC 2822 or ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def order_currency(order: Obj) -> tuple[str, list[Notice]]:
    """``currency_code``, or the store default when the order names none at rate 1."""
    code = order.raw("currency_code")
    if code not in (None, ""):
        return currency_at(code, order.at("currency_code")), []
    default = order.raw("default_currency_code") or order.raw("store_default_currency_code")
    rate = order.opt_decimal("currency_exchange_rate")
    if default and rate == 1:
        currency = currency_at(default, order.at("default_currency_code"))
        order_id = order.text("id")
        return currency, [
            Notice(
                f"BigCommerce order {order_id} names no currency_code; its exchange rate to the "
                f"store's default currency is 1, so it is read as {currency}",
                {"order_id": order_id},
            )
        ]
    raise invalid(order.at("currency_code"), "is required")
