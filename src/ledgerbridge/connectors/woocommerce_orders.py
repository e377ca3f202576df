"""WooCommerce order and refund JSON → snapshots and refunds.

Reading WooCommerce's REST figures (every amount a decimal string in the order's currency):

* ``line_items[].subtotal`` is before coupons, ``total`` after; both *exclude* tax even when
  the shop enters prices with tax (``prices_include_tax``), so snapshots are never
  ``taxes_included``. ``OrderLine.gross`` = subtotal, ``discount`` = subtotal − total.
* Per-line tax comes from ``taxes[]`` by rate id, titled with the order's ``tax_lines`` label.
  WooCommerce may store those per-rate figures unrounded ("0.454545") when it rounds at
  subtotal level; then the lines carry no taxes and ``order_taxes`` (always rounded) carry the
  tax, with a notice. Nothing is rounded here.
* ``fee_lines`` become lines; a negative fee (a discount added as a fee) becomes a line with
  zero gross and the fee as its discount, so every amount stays positive.
* Payment: ``payment_method`` for the total; bacs, cheque and cod are manual payments.

Checked with a notice: Σ line totals + shipping + fees + total_tax = total.

Refund objects (``GET /orders/<id>/refunds/<id>``) name no currency and no order: pass
``extra={"currency": …}``; the order id is read from ``_links.up`` unless ``extra`` gives it.
``refunded_payment: false`` means the merchant paid the money back outside the gateway.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from decimal import InvalidOperation
from typing import Any

from ledgerbridge.connectors.payload import Obj, currency_at, invalid, total
from ledgerbridge.events import (
    Notice,
    OrderLine,
    OrderSnapshot,
    Payment,
    PaymentKind,
    Refund,
    RefundLine,
    ShippingLine,
    TaxLine,
)
from ledgerbridge.money import Money, quantum

MANUAL_METHODS = frozenset({"bacs", "cheque", "cod", ""})
_ORDER_LINK = re.compile(r"/orders/(\d+)(?:/|$)")


def payment_for(method: str | None, amount: Money, transaction_id: str | None = None) -> Payment:
    name = (method or "").strip()
    kind = PaymentKind.MANUAL if name in MANUAL_METHODS else PaymentKind.CARD
    return Payment(name or "manual", kind, amount, transaction_id)


def was_paid(order: Obj) -> bool:
    return bool(order.opt_text("date_paid_gmt") or order.opt_text("date_paid"))


def _line_taxes(
    item: Obj, currency: str, rates: Mapping[str, tuple[str, str | None]]
) -> tuple[TaxLine, ...] | None:
    """Per-rate taxes of one line, or None when WooCommerce stored them unrounded."""
    taxes = []
    for tax in item.objects("taxes"):
        if tax.raw("total") in (None, ""):
            continue
        number = tax.decimal("total")
        try:
            rounded = number.quantize(quantum(currency))
        except InvalidOperation:  # more digits than any amount has
            raise invalid(tax.at("total"), f"{number} is too large to be an amount") from None
        if number != rounded:
            return None
        title, code = rates.get(tax.opt_text("id") or "", ("Tax", None))
        taxes.append(TaxLine(title, tax.money("total", currency), jurisdiction=code))
    return tuple(taxes)


def _line(item: Obj, currency: str, taxes: tuple[TaxLine, ...]) -> OrderLine:
    gross = item.money("subtotal", currency)
    net = item.money("total", currency)
    if net > gross:
        raise invalid(item.at("total"), f"{net} is more than the subtotal {gross}")
    return OrderLine(
        title=html.unescape(item.opt_text("name") or "Item"),
        quantity=item.integer("quantity"),
        gross=gross,
        discount=gross - net,
        taxes=taxes,
        sku=item.opt_text("sku"),
        line_id=item.opt_text("id"),
    )


def _fee(item: Obj, currency: str, taxes: tuple[TaxLine, ...]) -> OrderLine:
    amount = item.money("total", currency, signed=True)
    zero = Money.zero(currency)
    return OrderLine(
        title=html.unescape(item.opt_text("name") or "Fee"),
        quantity=1,
        gross=amount if amount.amount >= 0 else zero,
        discount=zero if amount.amount >= 0 else -amount,
        taxes=taxes,
        line_id=item.opt_text("id"),
    )


def order_snapshot(order: Obj) -> tuple[OrderSnapshot, list[Notice]]:
    currency = order.currency("currency")
    order_id = order.text("id")
    rates = {
        t.text("rate_id"): (
            t.opt_text("label") or t.opt_text("rate_code") or "Tax",
            t.opt_text("rate_code"),
        )
        for t in order.objects("tax_lines")
        if t.has("rate_id")
    }
    items, shipping_items, fees = (
        order.objects(k) for k in ("line_items", "shipping_lines", "fee_lines")
    )
    found = [
        [_line_taxes(i, currency, rates) for i in group] for group in (items, fees, shipping_items)
    ]
    exact = all(t is not None for group in found for t in group)
    item_taxes, fee_taxes, shipping_taxes = (
        [(t or ()) if exact else () for t in group] for group in found
    )
    notices = (
        []
        if exact
        else [
            Notice(
                f"WooCommerce order {order_id} stores per-line tax unrounded; tax is taken "
                "at order level",
                {"order_id": order_id},
            )
        ]
    )

    order_total = order.money("total", currency)
    customer = order.opt_text("customer_id")
    address = order.opt_obj("shipping") or order.opt_obj("billing")
    snapshot = OrderSnapshot(
        order_id=order_id,
        name=order.opt_text("number") or order_id,
        currency=currency,
        lines=tuple(
            [
                *(_line(i, currency, t) for i, t in zip(items, item_taxes, strict=True)),
                *(_fee(f, currency, t) for f, t in zip(fees, fee_taxes, strict=True)),
            ]
        ),
        shipping=tuple(
            ShippingLine(
                html.unescape(s.opt_text("method_title") or "Shipping"),
                s.money("total", currency),
                Money.zero(currency),
                t,
            )
            for s, t in zip(shipping_items, shipping_taxes, strict=True)
        ),
        total=order_total,
        payments=(
            payment_for(
                order.opt_text("payment_method"), order_total, order.opt_text("transaction_id")
            ),
        ),
        order_taxes=tuple(
            TaxLine(
                t.opt_text("label") or "Tax",
                t.money("tax_total", currency)
                + (t.opt_money("shipping_tax_total", currency) or Money.zero(currency)),
                rate=t.opt_decimal("rate_percent"),
                jurisdiction=t.opt_text("rate_code"),
            )
            for t in order.objects("tax_lines")
        ),
        customer=None if customer in (None, "0") else customer,
        source_name=order.opt_text("created_via"),
        country=(address.opt_text("country") if address else None),
    )
    return snapshot, notices + _check(order, snapshot, items, fees)


def _check(order: Obj, snapshot: OrderSnapshot, items: list[Obj], fees: list[Obj]) -> list[Notice]:
    cur = snapshot.currency
    lines = total([i.money("total", cur) for i in items], cur)
    fee_total = total([f.money("total", cur, signed=True) for f in fees], cur)
    shipping = total([s.gross for s in snapshot.shipping], cur)
    tax = order.opt_money("total_tax", cur) or Money.zero(cur)
    expected = lines + fee_total + shipping + tax
    if expected == snapshot.total:
        return []
    return [
        Notice(
            f"WooCommerce order {snapshot.order_id} does not add up: lines {lines} + fees "
            f"{fee_total} + shipping {shipping} + tax {tax} = {expected}, total is "
            f"{snapshot.total}",
            {"order_id": snapshot.order_id},
        )
    ]


def order_refunds(
    order: Obj, snapshot: OrderSnapshot, extra: Mapping[str, Any]
) -> tuple[list[Refund], list[Notice]]:
    """Refunds listed on an order (``{"id", "reason", "total": "-10.00"}``).

    The list has no lines or tax. A refund whose full object the caller fetched and passed in
    ``extra={"refunds": [...]}`` is parsed from that object; any other is posted as an
    ``adjustment`` of its whole amount, with a notice.
    """
    when = order.first_timestamp("date_modified_gmt", "date_modified", "date_created_gmt")
    gateway = order.opt_text("payment_method")
    holder = Obj({"refunds": extra.get("refunds") or []}, "extra")
    details = {d.text("id"): d for d in holder.objects("refunds")}
    context = {
        "currency": snapshot.currency,
        "order_id": snapshot.order_id,
        "payment_method": gateway,
    }
    refunds: list[Refund] = []
    notices: list[Notice] = []
    for entry in order.objects("refunds"):
        amount = -entry.money("total", snapshot.currency, signed=True)
        refund_id = entry.text("id")
        if refund_id in details:
            found, found_notices = refund_event(details[refund_id], context)
            refunds += found
            notices += found_notices
        elif amount.is_positive():
            refunds.append(
                Refund(
                    refund_id,
                    when,
                    snapshot.order_id,
                    snapshot.currency,
                    amount,
                    adjustment=amount,
                    payments=(payment_for(gateway, amount),),
                    reason=entry.opt_text("reason"),
                )
            )
            notices.append(
                Notice(
                    f"WooCommerce refund {refund_id} of order {snapshot.order_id} is known only by "
                    "its total; tax and lines are not split (pass extra={'refunds': [...]})",
                    {"refund_id": refund_id},
                )
            )
    return refunds, notices


def _order_id(refund: Obj, extra: Mapping[str, Any]) -> str:
    if extra.get("order_id") is not None:
        return str(extra["order_id"])
    links = refund.opt_obj("_links")
    for up in links.objects("up") if links else []:
        match = _ORDER_LINK.search(up.opt_text("href") or "")
        if match:
            return match.group(1)
    raise invalid(refund.at("_links.up"), "names no order; pass extra={'order_id': …}")


def refund_event(refund: Obj, extra: Mapping[str, Any]) -> tuple[list[Refund], list[Notice]]:
    """A WooCommerce refund object → Refund; any amount not explained by lines, shipping or
    fees is an ``adjustment`` (WooCommerce's "refund by amount")."""
    if extra.get("currency") is None:
        raise invalid(
            "currency",
            "a WooCommerce refund names no currency; pass extra={'currency': …} from its order",
        )
    currency = currency_at(extra["currency"], "extra.currency")
    refund_id = refund.text("id")
    amount = refund.money("amount", currency)
    if not amount.is_positive():
        return [], [
            Notice(f"WooCommerce refund {refund_id} is for nothing", {"refund_id": refund_id})
        ]

    def magnitude(item: Obj, key: str) -> Money:
        return abs(item.opt_money(key, currency, signed=True) or Money.zero(currency))

    lines = tuple(
        RefundLine(
            html.unescape(i.opt_text("name") or "Item"),
            abs(i.integer("quantity")),
            magnitude(i, "total"),
            magnitude(i, "total_tax"),
            sku=i.opt_text("sku"),
        )
        for i in refund.objects("line_items")
    )
    shipping_items = refund.objects("shipping_lines")
    shipping = total([magnitude(s, "total") for s in shipping_items], currency)
    shipping_tax = total([magnitude(s, "total_tax") for s in shipping_items], currency)
    fees = total(
        [magnitude(f, "total") + magnitude(f, "total_tax") for f in refund.objects("fee_lines")],
        currency,
    )
    explained = (
        total([line.subtotal + line.tax for line in lines], currency) + shipping + shipping_tax
    )
    residual = amount - explained
    notices = (
        []
        if residual.amount >= 0
        else [
            Notice(
                f"WooCommerce refund {refund_id}: lines and shipping give {explained}, "
                f"more than the refunded {amount}",
                {"refund_id": refund_id},
            )
        ]
    )
    method = extra.get("payment_method")
    if refund.flag("refunded_payment"):
        payment = payment_for(method if isinstance(method, str) and method else "unknown", amount)
    else:
        payment = Payment("manual", PaymentKind.MANUAL, amount)
    return [
        Refund(
            external_id=refund_id,
            occurred_at=refund.first_timestamp("date_created_gmt", "date_created"),
            order_id=_order_id(refund, extra),
            currency=currency,
            amount=amount,
            lines=lines,
            shipping=shipping if shipping.is_positive() else None,
            shipping_tax=shipping_tax if shipping_tax.is_positive() else None,
            adjustment=residual if residual.is_positive() else None,
            payments=(payment,),
            reason=refund.opt_text("reason"),
        )
    ], notices + (
        [
            Notice(
                f"refund {refund_id}: fee lines {fees} are counted as adjustment",
                {"refund_id": refund_id},
            )
        ]
        if fees.is_positive()
        else []
    )
