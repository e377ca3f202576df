"""Shopify refunds and Shopify Payments payouts → :class:`Refund` and :class:`Payout`.

Refunds (``refunds/create`` webhook, or ``{"refund": …}`` from the Admin API):

* ``amount`` is what went back: Σ successful ``refund`` transactions. A refund that moved no
  money (restock only) produces no event, only a notice.
* Lines: ``subtotal`` and ``total_tax`` of each ``refund_line_items`` entry. Payloads older
  than those fields (the shopify_python_api fixture) are derived from the embedded
  ``line_item``: price × quantity less its discount, plus its tax lines, prorated by
  quantity (rounded half-even, with a notice) when only part of the line is refunded.
* Shipping: ``refund_shipping_lines`` (API 2024-10 and later) or, before that, order
  adjustments of kind ``shipping_refund`` (negative amounts in Shopify's convention).
* Order adjustments of kind ``refund_discrepancy`` explain the rest. Shopify writes them
  negative when *more* went back than the lines (goodwill → ``Refund.adjustment``) and
  positive when *less* did (money kept → ``Refund.restocking_fee``, the one field for money a
  merchant keeps back; Shopify's own restocking fees arrive this way).

Checked, and reported as a notice when it fails: Σ line subtotals + line tax (unless included)
+ shipping + shipping tax + adjustment − restocking fee = amount.

Shopify refunds do not say whether the order's prices included tax; pass
``extra={"taxes_included": True}`` for such shops, and ``extra={"currency": "EUR"}`` when the
payload names no currency.

Payouts (``shopify_payments/payout``, Admin API ``GET /shopify_payments/payouts/{id}.json``):
``fees`` = Σ ``*_fee_amount`` of the summary and ``gross`` = Σ ``*_gross_amount``; one
component per summary category. Only a ``paid`` payout is posted; scheduled, in-transit and
failed ones give a notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from ledgerbridge.connectors.payload import Obj, currency_at, invalid, total
from ledgerbridge.connectors.shopify_orders import (
    allocated_discount,
    shop_amount,
    transaction_payment,
)
from ledgerbridge.events import Notice, Payout, PayoutComponent, Refund, RefundLine
from ledgerbridge.money import Money

_RESTOCKING = frozenset({"return", "cancel", "legacy_restock"})


def _refund_currency(refund: Obj, extra: Mapping[str, Any]) -> str:
    if extra.get("currency") is not None:
        return currency_at(extra["currency"], "extra.currency")
    for item in refund.objects("refund_line_items"):
        money_set = item.opt_obj("subtotal_set")
        shop = money_set.opt_obj("shop_money") if money_set else None
        if shop is not None and shop.has("currency_code"):
            return shop.currency("currency_code")
    for tx in refund.objects("transactions"):
        if tx.has("currency"):
            return tx.currency("currency")
    raise invalid(refund.at("transactions"), "name no currency; pass extra={'currency': …}")


def _derived_line(item: Obj, quantity: int, currency: str) -> tuple[Money, Money, bool]:
    """(subtotal, tax, prorated) of a legacy refund line, from its embedded line item."""
    line = item.obj("line_item")
    ordered = line.integer("quantity")
    if ordered <= 0 or quantity > ordered:
        raise invalid(item.at("quantity"), f"refunds {quantity} of {ordered}")
    price = shop_amount(line, "price", currency)
    if price is None:
        raise invalid(line.at("price"), "is required")
    discount = allocated_discount(line, currency)
    if discount is None:
        discount = line.opt_money("total_discount", currency) or Money.zero(currency)
    tax = total(
        [
            shop_amount(t, "price", currency) or Money.zero(currency)
            for t in line.objects("tax_lines")
        ],
        currency,
    )
    net = Money(price.amount * ordered, currency) - discount
    if quantity == ordered:
        return net, tax, False
    share = Decimal(quantity) / Decimal(ordered)
    return (
        net.multiply(share, rounding=ROUND_HALF_EVEN),
        tax.multiply(share, rounding=ROUND_HALF_EVEN),
        True,
    )


def _refund_line(item: Obj, currency: str, legacy_restock: bool) -> tuple[RefundLine, bool]:
    quantity = item.integer("quantity")
    if quantity < 0:
        raise invalid(item.at("quantity"), "must not be negative")
    subtotal = shop_amount(item, "subtotal", currency)
    tax = shop_amount(item, "total_tax", currency)
    prorated = False
    if subtotal is None or tax is None:
        derived_subtotal, derived_tax, prorated = _derived_line(item, quantity, currency)
        subtotal = subtotal if subtotal is not None else derived_subtotal
        tax = tax if tax is not None else derived_tax
    line = item.opt_obj("line_item")
    restock_type = item.opt_text("restock_type")
    return RefundLine(
        title=(line.opt_text("name") or line.opt_text("title") if line else None) or "Item",
        quantity=quantity,
        subtotal=subtotal,
        tax=tax,
        restock=restock_type in _RESTOCKING if restock_type else legacy_restock,
        sku=line.opt_text("sku") if line else None,
    ), prorated


def _shipping(refund: Obj, currency: str) -> tuple[Money, Money]:
    """(shipping, shipping tax) refunded, positive."""
    lines = refund.objects("refund_shipping_lines")
    if lines:
        return (
            total(
                [
                    shop_amount(s, "subtotal_amount", currency) or Money.zero(currency)
                    for s in lines
                ],
                currency,
            ),
            total(
                [shop_amount(s, "tax_amount", currency) or Money.zero(currency) for s in lines],
                currency,
            ),
        )
    amount = tax = Money.zero(currency)
    for adj in refund.objects("order_adjustments"):
        if adj.opt_text("kind") == "shipping_refund":
            amount = amount - (
                shop_amount(adj, "amount", currency, signed=True) or Money.zero(currency)
            )
            tax = tax - (
                shop_amount(adj, "tax_amount", currency, signed=True) or Money.zero(currency)
            )
    return amount, tax


def _discrepancy(refund: Obj, currency: str) -> Money:
    """Net money refunded beyond the lines (negative: kept back), from refund_discrepancy."""
    net = Money.zero(currency)
    for adj in refund.objects("order_adjustments"):
        if adj.opt_text("kind") not in (None, "shipping_refund"):
            net = net - (shop_amount(adj, "amount", currency, signed=True) or Money.zero(currency))
            net = net - (
                shop_amount(adj, "tax_amount", currency, signed=True) or Money.zero(currency)
            )
    return net


def _positive_or_none(amount: Money) -> Money | None:
    return amount if amount.is_positive() else None


def _check(event: Refund) -> list[Notice]:
    cur = event.currency
    goods = total([line.subtotal for line in event.lines], cur)
    tax = total([line.tax for line in event.lines], cur)
    shipping = event.shipping or Money.zero(cur)
    shipping_tax = event.shipping_tax or Money.zero(cur)
    expected = (
        goods
        + shipping
        + (event.adjustment or Money.zero(cur))
        - (event.restocking_fee or Money.zero(cur))
    )
    if not event.taxes_included:
        expected = expected + tax + shipping_tax
    if expected == event.amount:
        return []
    return [
        Notice(
            f"refund {event.external_id} does not add up: lines, shipping, tax and "
            f"adjustments give {expected}, but {event.amount} went back to the customer",
            {
                "refund_id": event.external_id,
                "expected": str(expected),
                "amount": str(event.amount),
            },
        )
    ]


def refund_events(root: Obj, extra: Mapping[str, Any]) -> tuple[list[Refund], list[Notice]]:
    refund = root.obj("refund") if isinstance(root.raw("refund"), dict) else root
    refund_id = refund.text("id")
    currency = _refund_currency(refund, extra)
    payments = tuple(
        transaction_payment(tx, currency)
        for tx in refund.objects("transactions")
        if tx.opt_text("kind") == "refund" and (tx.opt_text("status") or "success") == "success"
    )
    amount = total([p.amount for p in payments], currency)
    if not amount.is_positive():
        return [], [
            Notice(
                f"refund {refund_id} returned no money (restock or note only)",
                {"refund_id": refund_id},
            )
        ]
    restock = refund.flag("restock")
    parsed = [_refund_line(item, currency, restock) for item in refund.objects("refund_line_items")]
    notices = (
        [
            Notice(
                f"refund {refund_id}: a partly refunded line's subtotal and tax were "
                "prorated from the order line (half-even)",
                {"refund_id": refund_id},
            )
        ]
        if any(prorated for _, prorated in parsed)
        else []
    )
    shipping, shipping_tax = _shipping(refund, currency)
    discrepancy = _discrepancy(refund, currency)
    event = Refund(
        external_id=refund_id,
        occurred_at=refund.first_timestamp("processed_at", "created_at"),
        order_id=refund.text("order_id"),
        currency=currency,
        amount=amount,
        lines=tuple(line for line, _ in parsed),
        shipping=_positive_or_none(shipping),
        shipping_tax=_positive_or_none(shipping_tax),
        restocking_fee=_positive_or_none(-discrepancy),
        adjustment=_positive_or_none(discrepancy),
        taxes_included=extra.get("taxes_included") is True,
        payments=payments,
        reason=refund.opt_text("note"),
    )
    return [event], notices + _check(event)


_SUMMARY_KINDS = ("charges", "refunds", "adjustments", "reserved_funds", "retried_payouts")


def payout_events(root: Obj) -> tuple[list[Payout], list[Notice]]:
    payout = root.obj("payout") if isinstance(root.raw("payout"), dict) else root
    payout_id = payout.text("id")
    status = payout.text("status")
    if status != "paid":
        return [], [
            Notice(
                f"Shopify payout {payout_id} is {status}; it is posted once paid",
                {"payout_id": payout_id, "status": status},
            )
        ]
    currency = payout.currency("currency")
    amount = payout.money("amount", currency)
    try:
        arrival = date.fromisoformat(payout.text("date"))
    except ValueError:
        raise invalid(payout.at("date"), "expected a date YYYY-MM-DD") from None
    summary = payout.obj("summary")
    components = []
    for kind in _SUMMARY_KINDS:
        gross = summary.opt_money(f"{kind}_gross_amount", currency, signed=True)
        fee = summary.opt_money(f"{kind}_fee_amount", currency, signed=True)
        if (gross and not gross.is_zero()) or (fee and not fee.is_zero()):
            components.append(
                PayoutComponent(kind, gross or Money.zero(currency), fee or Money.zero(currency))
            )
    gross_total = total([c.amount for c in components], currency)
    fees = total([c.fee for c in components], currency)
    notices = []
    if gross_total - fees != amount:
        notices.append(
            Notice(
                f"Shopify payout {payout_id}: summary gross {gross_total} − fees {fees} ≠ amount "
                f"{amount}",
                {"payout_id": payout_id},
            )
        )
    fees_known = not fees.amount < 0
    if not fees_known:
        notices.append(
            Notice(
                f"Shopify payout {payout_id}: fees net to a credit of {-fees}; booked as unknown, "
                "see its components",
                {"payout_id": payout_id},
            )
        )
    event = Payout(
        external_id=payout_id,
        occurred_at=datetime(arrival.year, arrival.month, arrival.day, tzinfo=UTC),
        amount=amount,
        arrival_date=arrival,
        fees=fees if fees_known else Money.zero(currency),
        fees_known=fees_known,
        gross=gross_total,
        components=tuple(components),
        status=status,
    )
    return [event], notices
