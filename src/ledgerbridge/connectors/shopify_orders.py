"""Shopify order JSON → :class:`~ledgerbridge.events.OrderSnapshot`.

One function, :func:`order_snapshot`, reads the order resource the same way whether it came as
a webhook body (``orders/create``) or from the Admin REST API (``{"order": …}``), so history
pulled later posts exactly like live deliveries.

How Shopify's figures map (all in the *shop* currency, as Shopify documents them):

* ``OrderLine.gross`` = ``price`` × ``quantity``; ``discount`` = Σ ``discount_allocations``
  (line- and order-level discounts already spread over lines by Shopify). Old payloads without
  ``discount_allocations`` fall back to the deprecated ``total_discount``.
* Shipping: ``gross`` = ``price``; ``discount`` = Σ ``discount_allocations``, or
  ``price − discounted_price`` where allocations are absent.
* Taxes stay per line and per jurisdiction (Shopify's ``title``, e.g. "CA State Tax"); the
  order-level ``tax_lines`` are kept as ``order_taxes``. With ``taxes_included`` the line
  prices already contain the tax.
* Payments: webhooks carry no transactions, so without them the order is paid by its single
  entry in ``payment_gateway_names`` for ``total_price``. When the order has several gateways
  (gift card + card) the split is unknown: the snapshot has no payments and a notice asks the
  caller to pass ``extra={"transactions": […]}`` from ``GET /orders/{id}/transactions.json``.
  Successful ``sale`` and ``capture`` transactions are the payments when given.

Worked check, done for every order and reported as a notice when it fails:
Σ(line gross − discount) + Σ(shipping gross − discount) + tax (unless included) = total_price.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.connectors.payload import Obj, invalid, total
from ledgerbridge.events import (
    Notice,
    OrderLine,
    OrderSnapshot,
    Payment,
    PaymentKind,
    ShippingLine,
    TaxLine,
)
from ledgerbridge.money import Money

_MANUAL_GATEWAYS = frozenset(
    {
        "manual",
        "bank_deposit",
        "cash_on_delivery",
        "cash_on_delivery_(cod)",
        "cod",
        "money_order",
        "cash",
        "bank_transfer",
    }
)
"""Gateways that take money outside any processor (Shopify's "manual payment methods")."""


def payment_kind(gateway: str) -> PaymentKind:
    """Shopify gateway name → how the money was taken. Names are compared in snake case, so
    "Cash on Delivery (COD)" and "cash_on_delivery" agree."""
    name = "_".join(gateway.strip().lower().split())
    if name == "gift_card":
        return PaymentKind.GIFT_CARD
    if name in {"store_credit", "shopify_store_credit"}:
        return PaymentKind.STORE_CREDIT
    if name in _MANUAL_GATEWAYS:
        return PaymentKind.MANUAL
    return PaymentKind.CARD


def shop_amount(item: Obj, key: str, currency: str, *, signed: bool = False) -> Money | None:
    """``<key>_set.shop_money`` when present (it names its currency), else ``<key>``."""
    money_set = item.opt_obj(f"{key}_set")
    shop = money_set.opt_obj("shop_money") if money_set else None
    if shop is not None and shop.has("amount"):
        if shop.has("currency_code"):
            code = shop.currency("currency_code")
            if code != currency:
                raise invalid(shop.at("currency_code"), f"is {code}, not the shop's {currency}")
        return shop.money("amount", currency, signed=signed)
    return item.opt_money(key, currency, signed=signed)


def _taxes(item: Obj, currency: str) -> tuple[TaxLine, ...]:
    return tuple(
        TaxLine(
            title=tax.opt_text("title") or "Tax",
            amount=shop_amount(tax, "price", currency) or Money.zero(currency),
            rate=tax.opt_decimal("rate"),
        )
        for tax in item.objects("tax_lines")
    )


def allocated_discount(item: Obj, currency: str) -> Money | None:
    """Σ ``discount_allocations``, or None when the payload predates them."""
    if not isinstance(item.raw("discount_allocations"), list):
        return None
    return total(
        [
            shop_amount(a, "amount", currency) or Money.zero(currency)
            for a in item.objects("discount_allocations")
        ],
        currency,
    )


def _at_most(discount: Money, gross: Money, item: Obj) -> Money:
    if discount > gross:
        raise invalid(item.at("discount_allocations"), f"discount {discount} exceeds {gross}")
    return discount


def order_line(item: Obj, currency: str) -> OrderLine:
    quantity = item.integer("quantity")
    if quantity < 0:
        raise invalid(item.at("quantity"), "must not be negative")
    price = shop_amount(item, "price", currency)
    if price is None:
        raise invalid(item.at("price"), "is required")
    gross = Money(price.amount * quantity, currency)
    discount = allocated_discount(item, currency)
    if discount is None:
        discount = item.opt_money("total_discount", currency) or Money.zero(currency)
    return OrderLine(
        title=item.opt_text("name") or item.opt_text("title") or "Item",
        quantity=quantity,
        gross=gross,
        discount=_at_most(discount, gross, item),
        taxes=_taxes(item, currency),
        sku=item.opt_text("sku"),
        product_type=item.opt_text("product_type"),
        line_id=item.opt_text("id"),
        gift_card=item.flag("gift_card"),
    )


def shipping_line(item: Obj, currency: str) -> ShippingLine:
    gross = shop_amount(item, "price", currency)
    if gross is None:
        raise invalid(item.at("price"), "is required")
    discount = allocated_discount(item, currency)
    if discount is None:
        discounted = shop_amount(item, "discounted_price", currency)
        discount = gross - discounted if discounted is not None else Money.zero(currency)
        if discount.amount < 0:
            raise invalid(item.at("discounted_price"), f"is more than the price {gross}")
    return ShippingLine(
        title=item.opt_text("title") or item.opt_text("code") or "Shipping",
        gross=gross,
        discount=_at_most(discount, gross, item),
        taxes=_taxes(item, currency),
    )


def _payments(
    order: Obj, transactions: list[Obj], currency: str, order_total: Money
) -> tuple[tuple[Payment, ...], list[Notice]]:
    if transactions:
        payments = []
        for tx in transactions:
            if tx.opt_text("kind") not in {"sale", "capture"}:
                continue
            if (tx.opt_text("status") or "success") != "success":
                continue
            payments.append(transaction_payment(tx, currency))
        if payments:
            return tuple(payments), []
        return (), [
            Notice(
                f"order {order.text('id')}: none of its {len(transactions)} transactions is a "
                "successful sale or capture, so it has no payments",
                {"order_id": order.text("id")},
            )
        ]
    gateways = list(dict.fromkeys(order.texts("payment_gateway_names")))
    if not gateways and order.opt_text("gateway"):
        gateways = [order.text("gateway")]
    if len(gateways) == 1:
        return (Payment(gateways[0], payment_kind(gateways[0]), order_total),), []
    return (), [
        Notice(
            "order tender is unknown: the body names "
            + (f"{len(gateways)} gateways ({', '.join(gateways)})" if gateways else "no gateway")
            + " and carries no transactions; pass extra={'transactions': [...]} from "
            "GET /orders/{id}/transactions.json to split the payment",
            {"order_id": order.text("id"), "gateways": tuple(gateways)},
        )
    ]


def transaction_payment(tx: Obj, currency: str) -> Payment:
    """One successful Shopify transaction as a Payment in the shop currency."""
    amount = shop_amount(tx, "amount", currency)
    if amount is None:
        raise invalid(tx.at("amount"), "is required")
    if not tx.has("amount_set") and tx.has("currency"):
        code = tx.currency("currency")
        if code != currency:
            raise invalid(tx.at("currency"), f"is {code}; expected the shop currency {currency}")
    gateway = tx.opt_text("gateway") or "unknown"
    return Payment(gateway, payment_kind(gateway), amount, tx.opt_text("id"))


def extra_transactions(order: Obj, extra: Mapping[str, Any]) -> list[Obj]:
    """Transactions from the body (rare) or from ``extra`` (list, or the API's wrapper)."""
    if order.has("transactions"):
        return order.objects("transactions")
    given = extra.get("transactions")
    if given is None:
        return []
    holder = Obj(
        {"transactions": given.get("transactions") if isinstance(given, dict) else given}, "extra"
    )
    return holder.objects("transactions")


def _presentment_total(order: Obj, currency: str) -> Money | None:
    price_set = order.opt_obj("total_price_set")
    shown = price_set.opt_obj("presentment_money") if price_set else None
    if shown is None or not shown.has("currency_code"):
        return None
    code = shown.currency("currency_code")
    return None if code == currency else shown.money("amount", code)


def _check_totals(snapshot: OrderSnapshot) -> list[Notice]:
    cur = snapshot.currency
    goods = total([line.gross - line.discount for line in snapshot.lines], cur)
    shipping = total([s.gross - s.discount for s in snapshot.shipping], cur)
    item_taxes = [t.amount for line in snapshot.lines for t in line.taxes]
    item_taxes += [t.amount for s in snapshot.shipping for t in s.taxes]
    tax = total(item_taxes or [t.amount for t in snapshot.order_taxes], cur)
    expected = goods + shipping + (Money.zero(cur) if snapshot.taxes_included else tax)
    notices = []
    if expected != snapshot.total:
        notices.append(
            Notice(
                f"order {snapshot.name} does not add up: lines {goods} + shipping {shipping} + tax "
                f"{tax}{' (included)' if snapshot.taxes_included else ''} = {expected}, but the "
                f"platform's total is {snapshot.total}",
                {
                    "order_id": snapshot.order_id,
                    "expected": str(expected),
                    "total": str(snapshot.total),
                },
            )
        )
    paid = total([p.amount for p in snapshot.payments if p.amount.currency == cur], cur)
    if snapshot.payments and paid != snapshot.total:
        notices.append(
            Notice(
                f"order {snapshot.name}: payments add up to {paid}, the total is {snapshot.total}",
                {"order_id": snapshot.order_id, "paid": str(paid), "total": str(snapshot.total)},
            )
        )
    return notices


def order_snapshot(
    order: Obj, extra: Mapping[str, Any] | None = None
) -> tuple[OrderSnapshot, list[Notice]]:
    """The order as Shopify states it, plus notices for totals or tenders that need a person."""
    currency = order.currency("currency")
    order_total = order.money("total_price", currency)
    payments, notices = _payments(
        order, extra_transactions(order, extra or {}), currency, order_total
    )
    address = order.opt_obj("shipping_address") or order.opt_obj("billing_address")
    customer = order.opt_obj("customer")
    snapshot = OrderSnapshot(
        order_id=order.text("id"),
        name=order.opt_text("name") or order.text("id"),
        currency=currency,
        lines=tuple(order_line(item, currency) for item in order.objects("line_items")),
        shipping=tuple(shipping_line(item, currency) for item in order.objects("shipping_lines")),
        total=order_total,
        taxes_included=order.flag("taxes_included"),
        payments=payments,
        order_taxes=_taxes(order, currency),
        customer=customer.opt_text("id") if customer else None,
        source_name=order.opt_text("source_name"),
        country=address.opt_text("country_code") if address else None,
        presentment_total=_presentment_total(order, currency),
    )
    return snapshot, notices + _check_totals(snapshot)
