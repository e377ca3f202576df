"""BigCommerce order and refund JSON → canonical events.

What is read (``GET /v2/orders/{id}``, ``/products``, ``/taxes``; ``GET /v3/…/refunds``):

* **Amounts** are decimal strings with four places ("120.0000") in the order's currency.
  BigCommerce keeps four decimals of a two-decimal currency, so each amount is quantised to
  the currency's minor unit **half-even** (:func:`amount`); whatever residue that leaves is a
  cent or two between lines and total, which posting puts on ``rounding`` (see
  :mod:`ledgerbridge.posting.figures`). This is the only place a BigCommerce figure is rounded.
* **Currency** is ``currency_code`` (the currency the shopper paid in). An order without one
  takes ``default_currency_code`` only when ``currency_exchange_rate`` is 1, i.e. when the two
  are the same money; otherwise it is refused.
* **Figures are ex tax**: lines are ``total_ex_tax`` per product, discounts are the product's
  ``applied_discounts``, shipping ``shipping_cost_ex_tax`` (handling likewise), gift wrapping and
  ``fees[]`` are lines, and tax is order-level from ``/taxes`` (``name``, ``line_amount``;
  jurisdiction = the tax ``class``). Snapshots are never ``taxes_included``.
* **The order's own figures are authoritative.** Products are used when their totals match
  ``subtotal_ex_tax`` (and their discounts ``discount_amount``; otherwise the order discount is
  shared over the lines); taxes when they sum to ``total_tax``. When the detail disagrees, the
  order-level figure is booked instead and a notice says so. When even the order-level figures
  disagree with ``total_ex_tax`` (BigCommerce's own reference examples do), merchandise is booked
  as what remains of ``total_ex_tax`` after shipping, handling, wrapping and fees, again with a
  notice: the customer paid ``total_inc_tax`` and owes ``total_tax``, and those are kept exact.
* **Tenders**: ``store_credit_amount`` (store credit) and ``gift_certificate_amount`` (gift
  card) are their own payments; the rest is paid through ``payment_method``, named as a gateway
  slug ("Test Payment Gateway" → ``test_payment_gateway``) so ``gateway_clearing`` can route it.
  Offline methods (cash, cheque, bank deposit, money order, pay in store, cash on delivery,
  manual) are MANUAL payments: a receivable until the bank shows the money.

Status (``status_id``) → event; BigCommerce's ids are fixed, custom labels only rename them:

====================================================  ==========================================
2 Shipped, 3 Partially Shipped, 8 Awaiting Pickup,     OrderPaid (``date_created``: BigCommerce
9 Awaiting Shipment, 10 Completed, 11 Awaiting         records no payment date, and a checkout
Fulfillment, 13 Disputed, 4 Refunded, 14 Partially     pays at creation). Refunded orders still
Refunded                                               post their sale; the refunds post apart.
1 Pending, 7 Awaiting Payment, 12 Manual               OrderPending (``date_created``)
Verification Required
5 Cancelled, 6 Declined                                OrderCancelled (``date_modified``)
0 Incomplete                                           nothing (a notice): an abandoned checkout
====================================================  ==========================================

Refunds (v3 refund objects) name no currency and no payment gateway; both come from the order.
``total_amount`` is what went back; ``total_tax`` the tax in it; ``payments[]`` say how
(``storecredit`` → store credit, ``offline`` → manual, else the order's gateway; declined
payments moved nothing). Item detail is used where its ``requested_amount`` explains the money;
otherwise the refund is one line "Refund of order N" carrying the amount less tax, and the tax.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from ledgerbridge.connectors.payload import Obj, invalid, total
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.events import (
    CanonicalEvent,
    Notice,
    OrderCancelled,
    OrderLine,
    OrderPaid,
    OrderPending,
    OrderSnapshot,
    Payment,
    PaymentKind,
    Refund,
    RefundLine,
    ShippingLine,
    TaxLine,
)
from ledgerbridge.money import Money, UnknownCurrency, exponent

PAID_STATUSES = frozenset({2, 3, 4, 8, 9, 10, 11, 13, 14})
PENDING_STATUSES = frozenset({1, 7, 12})
CANCELLED_STATUSES = frozenset({5, 6})
INCOMPLETE_STATUS = 0

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
STORE_CREDIT_PROVIDER = "storecredit"
_SLUG = re.compile(r"[^a-z0-9]+")

Events = tuple[list[CanonicalEvent], list[Notice]]


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
        return _currency(code, order.at("currency_code")), []
    default = order.raw("default_currency_code") or order.raw("store_default_currency_code")
    rate = order.opt_decimal("currency_exchange_rate")
    if default and rate == 1:
        currency = _currency(default, order.at("default_currency_code"))
        order_id = order.text("id")
        return currency, [
            Notice(
                f"BigCommerce order {order_id} names no currency_code; its exchange rate to the "
                f"store's default currency is 1, so it is read as {currency}",
                {"order_id": order_id},
            )
        ]
    raise invalid(order.at("currency_code"), "is required")


def _currency(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(path, "expected a currency code")
    code = value.strip().upper()
    try:
        exponent(code)
    except UnknownCurrency:
        raise invalid(path, f"{value!r} is not an ISO 4217 currency with a minor unit") from None
    return code


def _payments(order: Obj, currency: str, order_total: Money) -> tuple[Payment, ...]:
    store_credit = amount(order, "store_credit_amount", currency)
    gift = amount(order, "gift_certificate_amount", currency)
    payments: list[Payment] = []
    if store_credit.is_positive():
        payments.append(Payment("store_credit", PaymentKind.STORE_CREDIT, store_credit))
    if gift.is_positive():
        payments.append(Payment("gift_certificate", PaymentKind.GIFT_CARD, gift))
    rest = order_total - store_credit - gift
    if rest.is_positive():
        gateway = gateway_slug(order.opt_text("payment_method"))
        kind = PaymentKind.MANUAL if gateway in OFFLINE_METHODS else PaymentKind.CARD
        payments.append(Payment(gateway, kind, rest, order.opt_text("payment_provider_id")))
    return tuple(payments)


def _product_lines(
    products: list[Obj], currency: str, subtotal: Money, discount: Money
) -> list[OrderLine] | None:
    """Lines from ``/products``, or None when they do not add up to the order's subtotal."""
    if not products:
        return None
    grosses = [amount(p, "total_ex_tax", currency, required=True) for p in products]
    if abs(total(grosses, currency) - subtotal) > Money.from_minor(len(products), currency):
        return None
    discounts = [
        total([amount(d, "amount", currency) for d in p.objects("applied_discounts")], currency)
        for p in products
    ]
    if total(discounts, currency) != discount:
        weights = [g.minor for g in grosses]
        discounts = (
            discount.allocate(weights)
            if any(weights)
            else [discount, *[Money.zero(currency)] * (len(products) - 1)]
        )
    lines = []
    for product, gross, off in zip(products, grosses, discounts, strict=True):
        if off > gross:
            return None
        lines.append(
            OrderLine(
                title=product.opt_text("name") or "Item",
                quantity=product.integer("quantity"),
                gross=gross,
                discount=off,
                sku=product.opt_text("sku"),
                product_type=product.opt_text("type"),
                line_id=product.opt_text("id"),
            )
        )
    return lines


def _order_taxes(
    order_id: str, taxes: list[Obj], currency: str, tax_total: Money
) -> tuple[tuple[TaxLine, ...], list[Notice]]:
    """Tax lines from ``/taxes`` when they sum to ``total_tax``; else one line of the total."""
    found = tuple(
        TaxLine(
            t.opt_text("name") or "Tax",
            amount(t, "line_amount", currency)
            if t.has("line_amount")
            else amount(t, "order_amount", currency),
            rate=t.opt_decimal("rate"),
            jurisdiction=t.opt_text("class") or t.opt_text("name"),
        )
        for t in taxes
    )
    listed = total([t.amount for t in found], currency)
    if listed == tax_total:
        return tuple(t for t in found if t.amount.is_positive()), []
    notices = (
        [
            Notice(
                f"BigCommerce order {order_id}: its /taxes rows sum to {listed} but total_tax is "
                f"{tax_total}; the order's total_tax is booked as one tax line",
                {"order_id": order_id},
            )
        ]
        if found
        else []
    )
    return ((TaxLine("Tax", tax_total),) if tax_total.is_positive() else ()), notices


def _extras(order: Obj, currency: str) -> tuple[list[OrderLine], list[ShippingLine]]:
    """Gift wrapping and fees (lines), shipping and handling (shipping lines)."""
    zero = Money.zero(currency)
    lines: list[OrderLine] = []
    wrapping = amount(order, "wrapping_cost_ex_tax", currency)
    if wrapping.is_positive():
        lines.append(OrderLine("Gift wrapping", 1, wrapping, zero, line_id="wrapping"))
    for fee in order.objects("fees"):
        # BigCommerce's own reference example spells one fee's field "cost_exc_tax".
        key = "cost_ex_tax" if fee.has("cost_ex_tax") else "cost_exc_tax"
        cost = amount(fee, key, currency, required=True)
        name = fee.opt_text("display_name_merchant") or fee.opt_text("display_name_customer")
        lines.append(
            OrderLine(name or "Fee", 1, cost, zero, line_id=f"fee:{fee.opt_text('id') or ''}")
        )
    shipping = [
        ShippingLine(title, cost, zero)
        for title, cost in (
            ("Shipping", amount(order, "shipping_cost_ex_tax", currency)),
            ("Handling", amount(order, "handling_cost_ex_tax", currency)),
        )
        if cost.is_positive()
    ]
    return lines, shipping


def order_snapshot(detail: Obj) -> tuple[OrderSnapshot, list[Notice]]:
    """The order of ``{"order": …, "products": […], "taxes": […]}`` as a snapshot."""
    order = detail.obj("order")
    order_id = order.text("id")
    currency, notices = order_currency(order)
    order_total = amount(order, "total_inc_tax", currency, required=True)
    tax_total = amount(order, "total_tax", currency)
    ex_tax = amount(order, "total_ex_tax", currency, required=True)
    subtotal = amount(order, "subtotal_ex_tax", currency)
    discount = amount(order, "discount_amount", currency)
    extra_lines, shipping = _extras(order, currency)
    others = total([line.gross for line in extra_lines], currency) + total(
        [s.gross for s in shipping], currency
    )
    if ex_tax + tax_total != order_total:
        notices.append(
            Notice(
                f"BigCommerce order {order_id}: total_ex_tax {ex_tax} + total_tax {tax_total} is "
                f"not total_inc_tax {order_total}",
                {"order_id": order_id},
            )
        )
    found = _product_lines(detail.objects("products"), currency, subtotal, discount)
    if found is not None:
        lines = found
    else:
        if detail.objects("products"):
            notices.append(
                Notice(
                    f"BigCommerce order {order_id}: its products do not add up to subtotal_ex_tax "
                    f"{subtotal}; the order's subtotal is booked as one line",
                    {"order_id": order_id},
                )
            )
        lines = [OrderLine("Order items", 1, subtotal, discount, line_id="items")]
    merchandise = total([line.gross - line.discount for line in lines], currency)
    allowance = Money.from_minor(len(lines) + len(extra_lines) + len(shipping), currency)
    remainder = ex_tax - others
    if abs(merchandise + others - ex_tax) > allowance and remainder.amount >= 0:
        notices.append(
            Notice(
                f"BigCommerce order {order_id} does not add up: items {merchandise} + "
                f"shipping, handling, wrapping and fees {others} is not total_ex_tax "
                f"{ex_tax}; items are booked as the remainder, {remainder}",
                {"order_id": order_id},
            )
        )
        lines = [OrderLine("Order items", 1, remainder + discount, discount, line_id="items")]
    taxes, tax_notices = _order_taxes(order_id, detail.objects("taxes"), currency, tax_total)
    address = order.opt_obj("billing_address")
    country = (address.opt_text("country_iso2") if address else None) or order.opt_text(
        "geoip_country_iso2"
    )
    customer = order.opt_text("customer_id")
    snapshot = OrderSnapshot(
        order_id=order_id,
        name=f"#{order_id}",
        currency=currency,
        lines=tuple([*lines, *extra_lines]),
        shipping=tuple(shipping),
        total=order_total,
        payments=_payments(order, currency, order_total),
        order_taxes=taxes,
        customer=None if customer in (None, "0") else customer,
        source_name=order.opt_text("order_source"),
        country=country,
    )
    return snapshot, notices + tax_notices


def order_events(detail: Obj) -> Events:
    """The event an order's status calls for (see the module docstring)."""
    order = detail.obj("order")
    order_id = order.text("id")
    status = order.integer("status_id")
    if status == INCOMPLETE_STATUS:
        return [], [
            Notice(
                f"BigCommerce order {order_id} is Incomplete (an abandoned checkout); "
                "nothing to post",
                {"order_id": order_id},
            )
        ]
    if status in CANCELLED_STATUSES:
        reason = order.opt_text("status")
        return [OrderCancelled(order_id, rfc2822(order, "date_modified"), order_id, reason)], []
    if status not in PAID_STATUSES | PENDING_STATUSES:
        raise invalid(order.at("status_id"), f"unknown BigCommerce order status {status}")
    snapshot, notices = order_snapshot(detail)
    created = rfc2822(order, "date_created")
    if status in PENDING_STATUSES:
        return [OrderPending(order_id, created, snapshot)], notices
    return [OrderPaid(order_id, created, snapshot)], notices


def refund_events(detail: Obj, wanted: str | None = None) -> Events:
    """Refunds of ``{"order": …, "refund": {…}}`` or ``{"order": …, "refunds": […]}``;
    ``wanted`` picks one refund id out of a list."""
    order = detail.obj("order")
    currency, notices = order_currency(order)
    refunds = [detail.obj("refund")] if detail.has("refund") else detail.objects("refunds")
    if wanted is not None:
        refunds = [r for r in refunds if r.text("id") == wanted]
        if not refunds:
            raise invalid(detail.at("refunds"), f"refund {wanted} is not among the order's refunds")
    events: list[CanonicalEvent] = []
    for refund in refunds:
        found, found_notices = _refund(refund, order, currency)
        events += found
        notices += found_notices
    return events, notices


def _refund_payments(refund: Obj, order: Obj, currency: str) -> list[Payment]:
    gateway = gateway_slug(order.opt_text("payment_method"))
    payments = []
    for paid in refund.objects("payments"):
        if paid.flag("is_declined"):
            continue
        money = amount(paid, "amount", currency)
        provider = (paid.opt_text("provider_id") or "").lower()
        if provider == STORE_CREDIT_PROVIDER:
            payments.append(Payment("store_credit", PaymentKind.STORE_CREDIT, money))
        elif paid.flag("offline") or gateway in OFFLINE_METHODS:
            payments.append(Payment("manual", PaymentKind.MANUAL, money))
        else:
            payments.append(Payment(gateway, PaymentKind.CARD, money, paid.opt_text("id")))
    return [p for p in payments if p.amount.is_positive()]


def _refund(refund: Obj, order: Obj, currency: str) -> Events:
    refund_id = refund.text("id")
    order_id = refund.opt_text("order_id") or order.text("id")
    payments = _refund_payments(refund, order, currency)
    paid_back = total([p.amount for p in payments], currency)
    if not paid_back.is_positive():
        return [], [
            Notice(
                f"BigCommerce refund {refund_id} of order {order_id} moved no money "
                "(no payment, or every payment was declined)",
                {"refund_id": refund_id, "order_id": order_id},
            )
        ]
    refunded = amount(refund, "total_amount", currency, required=True)
    notices: list[Notice] = []
    tax_value = refund.raw("total_tax")
    if isinstance(tax_value, int | Decimal) and not isinstance(tax_value, bool) and tax_value < 0:
        tax = Money.zero(currency)
        notices.append(
            Notice(
                f"BigCommerce refund {refund_id} reports negative tax {tax_value}; the refund is "
                "booked without a tax part",
                {"refund_id": refund_id},
            )
        )
    else:
        tax = amount(refund, "total_tax", currency)
    if tax > refunded:
        raise invalid(refund.at("total_tax"), f"{tax} is more than the refunded {refunded}")
    lines, shipping, rest = _refund_parts(refund, order_id, currency, refunded, tax)
    return [
        Refund(
            external_id=refund_id,
            occurred_at=rfc2822(refund, "created"),
            order_id=order_id,
            currency=currency,
            amount=refunded,
            lines=lines,
            shipping=shipping if shipping.is_positive() else None,
            adjustment=rest if rest.is_positive() else None,
            payments=tuple(payments),
            reason=refund.opt_text("reason"),
        )
    ], notices


def _refund_parts(
    refund: Obj, order_id: str, currency: str, refunded: Money, tax: Money
) -> tuple[tuple[RefundLine, ...], Money, Money]:
    """Lines, shipping and unexplained rest of a refund (see the module docstring)."""
    zero = Money.zero(currency)
    items = refund.objects("items")
    products = [i for i in items if i.opt_text("item_type") == "PRODUCT"]
    shipping = total(
        [
            amount(i, "requested_amount", currency)
            for i in items
            if i.opt_text("item_type") in ("SHIPPING", "HANDLING")
        ],
        currency,
    )
    subtotals = [amount(p, "requested_amount", currency) for p in products]
    net = refunded - tax
    if any(s.is_positive() for s in subtotals) and total(subtotals, currency) + shipping <= net:
        taxes = tax.allocate([s.minor for s in subtotals])
        lines = tuple(
            RefundLine(
                f"Order {order_id} product {p.opt_text('item_id') or ''}".strip(),
                p.opt_integer("quantity") or 1,
                s,
                t,
            )
            for p, s, t in zip(products, subtotals, taxes, strict=True)
        )
        return lines, shipping, net - total(subtotals, currency) - shipping
    if not tax.is_positive() and shipping.is_positive() and shipping <= net:
        return (), shipping, net - shipping
    return (RefundLine(f"Refund of order {order_id}", 1, net, tax),), zero, zero
