"""BigCommerce refund JSON → :class:`Refund`.

Refunds (v3 refund objects, ``GET /v3/orders/{id}/payment_actions/refunds``) name no currency
and no payment gateway; both come from the order. ``total_amount`` is what went back;
``total_tax`` the tax in it; ``payments[]`` say how (``storecredit`` → store credit,
``offline`` → manual, else the order's gateway; declined payments moved nothing). Item detail
is used where its ``requested_amount`` explains the money; otherwise the refund is one line
"Refund of order N" carrying the amount less tax, and the tax.

Amounts, currency and the gateway are read as :mod:`.bigcommerce_amounts` describes.
"""

from __future__ import annotations

from decimal import Decimal

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.bigcommerce_amounts import (
    OFFLINE_METHODS,
    amount,
    gateway_slug,
    order_currency,
    rfc2822,
)
from ledgerbridge.connectors.payload import Obj, invalid, total
from ledgerbridge.events import CanonicalEvent, Notice, Payment, PaymentKind, Refund, RefundLine
from ledgerbridge.money import Money

STORE_CREDIT_PROVIDER = "storecredit"


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
