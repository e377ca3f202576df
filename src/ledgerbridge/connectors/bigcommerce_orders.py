"""BigCommerce order JSON → :class:`OrderSnapshot` and the event its status calls for.

What is read (``GET /v2/orders/{id}``, ``/products``, ``/taxes``); amounts, currency and the
gateway are read as :mod:`.bigcommerce_amounts` describes:

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
  card) are their own payments; the rest is paid through ``payment_method`` (a gateway slug;
  offline methods are manual payments, see :mod:`.bigcommerce_amounts`).

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

Refunds are read by :mod:`.bigcommerce_refunds`.
"""

from __future__ import annotations

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.bigcommerce_amounts import (
    OFFLINE_METHODS,
    amount,
    gateway_slug,
    order_currency,
    rfc2822,
)
from ledgerbridge.connectors.payload import Obj, invalid, total
from ledgerbridge.events import (
    Notice,
    OrderCancelled,
    OrderLine,
    OrderPaid,
    OrderPending,
    OrderSnapshot,
    Payment,
    PaymentKind,
    ShippingLine,
    TaxLine,
)
from ledgerbridge.money import Money

PAID_STATUSES = frozenset({2, 3, 4, 8, 9, 10, 11, 13, 14})
PENDING_STATUSES = frozenset({1, 7, 12})
CANCELLED_STATUSES = frozenset({5, 6})
INCOMPLETE_STATUS = 0


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
