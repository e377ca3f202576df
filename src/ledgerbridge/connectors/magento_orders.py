"""Magento 2 invoices and credit memos → OrderPaid and Refund.

Why invoices and not orders: in Magento an order is a promise and an **invoice is the money
captured** (online capture by the gateway, or the merchant recording a cheque or transfer that
arrived). An order invoiced in parts (partial capture) has several invoices, each its own paid
amount, so each invoice posts its own OrderPaid:

* key: ``invoice:<invoice entity_id>`` is both the event's ``external_id`` and the snapshot's
  ``order_id``. The posting rules treat a snapshot's ``order_id`` as the thing that is paid once
  (a second OrderPaid of the same id books nothing), so keying the snapshot on the Magento order
  would drop the second capture; keying it on the invoice books each capture exactly once.
  ``name`` keeps the order's increment id for people: ``#000000003 invoice #000000005``.
* a **credit memo** refunds against an invoice: its Refund has ``order_id`` =
  ``invoice:<invoice_id>``. A credit memo made from the order page (offline refunds) names no
  invoice; then the order's first invoice is used (``invoice_ids`` from the API, see
  :mod:`.magento_api`): which capture a refund is booked against changes no balance.

Reading the figures (every amount in the order currency, ``order_currency_code``; the
``base_*`` twins are the store's base currency and are not posted — a notice says so when the
two differ):

* a line per invoice item with a ``row_total`` (price × qty before discount, always without
  tax). Items without one carry no money of their own: the configurable product's child, or the
  bundle parent whose children are priced. ``discount_amount`` (positive on items) less its
  ``discount_tax_compensation_amount`` is the line's discount; ``tax_amount`` its tax.
* shipping ``shipping_amount`` with ``shipping_tax_amount``; its discount is what the header's
  ``discount_amount`` (negative on the header) has beyond the items' discounts.
* tax is taken per line when the lines' and shipping's taxes add up to the header's
  ``tax_amount``, else at invoice level (with a notice).
* the total is ``grand_total``, plus what Adobe Commerce took from gift cards, store credit or
  reward points (``extension_attributes``); each of those is its own tender.
* the tender is the order's ``payment.method`` (``checkmo``, ``braintree``, ``paypal_express``
  …); offline methods (:data:`MANUAL_METHODS`) are manual payments, a receivable until the bank
  shows the money. Without the order the total goes to the connection's clearing.

Invoice ``state``: 2 (paid) posts; 1 (open: not captured yet) and 3 (cancelled) post nothing,
with a notice. Credit memo ``state``: 2 (refunded) posts, 1 (open) and 3 (cancelled) do not.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.payload import Obj, invalid, total
from ledgerbridge.events import (
    Notice,
    OrderLine,
    OrderPaid,
    OrderSnapshot,
    Payment,
    PaymentKind,
    Refund,
    RefundLine,
    ShippingLine,
    TaxLine,
)
from ledgerbridge.money import Money

MANUAL_METHODS = frozenset(
    {"checkmo", "banktransfer", "cashondelivery", "purchaseorder", "free", "companycredit"}
)
"""Magento's offline payment methods: nothing was captured by a gateway."""

PAID, OPEN, CANCELLED = 2, 1, 3
STATE_NAMES = {OPEN: "open", PAID: "paid", CANCELLED: "cancelled"}
_TENDERS = (
    ("gift_cards_amount", "gift_card", PaymentKind.GIFT_CARD),
    ("customer_balance_amount", "store_credit", PaymentKind.STORE_CREDIT),
    ("reward_currency_amount", "reward_points", PaymentKind.STORE_CREDIT),
)


def invoice_key(invoice_id: str) -> str:
    return f"invoice:{invoice_id}"


def creditmemo_key(creditmemo_id: str) -> str:
    return f"creditmemo:{creditmemo_id}"


def payment_for(method: str, amount: Money, transaction_id: str | None = None) -> Payment:
    kind = PaymentKind.MANUAL if method in MANUAL_METHODS else PaymentKind.CARD
    return Payment(method, kind, amount, transaction_id)


def order_method(order: Obj | None) -> str | None:
    payment = order.opt_obj("payment") if order is not None else None
    return payment.opt_text("method") if payment is not None else None


def _state(entity: Obj) -> int | None:
    value = entity.raw("state")
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return entity.integer("state")


def _quantity(item: Obj) -> tuple[int, str]:
    """Whole quantities as ints; a fractional one (``is_qty_decimal`` products) is 1 line of
    that measure, named in the memo."""
    qty = item.decimal("qty") if item.has("qty") else Decimal(1)
    name = item.opt_text("name") or item.opt_text("sku") or "Item"
    if qty == qty.to_integral_value():
        return int(qty), name
    return 1, f"{name} ({qty.normalize()})"


def _amount(entity: Obj, key: str, currency: str) -> Money:
    """An optional amount read as positive: Magento writes header discounts negative."""
    money = entity.opt_money(key, currency, signed=True) or Money.zero(currency)
    return -money if money.amount < 0 else money


def _tax_title(order: Obj | None) -> tuple[str, str | None]:
    """The order's one applied tax rate, if it has exactly one; else a plain "Tax"."""
    ext = order.opt_obj("extension_attributes") if order is not None else None
    applied = ext.objects("applied_taxes") if ext is not None else []
    if len(applied) == 1:
        code = applied[0].opt_text("code")
        return applied[0].opt_text("title") or code or "Tax", code
    return "Tax", None


def _taxes(amount: Money, title: tuple[str, str | None]) -> tuple[TaxLine, ...]:
    return (TaxLine(title[0], amount, jurisdiction=title[1]),) if amount.is_positive() else ()


def _order_name(entity: Obj, order: Obj | None, label: str) -> str:
    number = entity.opt_text("increment_id") or entity.text("entity_id")
    own = order.opt_text("increment_id") if order is not None else None
    if own:
        return f"#{own} {label} #{number}"
    return f"{label} #{number} (order id {entity.text('order_id')})"


def _lines(invoice: Obj, currency: str, title: tuple[str, str | None]) -> list[OrderLine]:
    lines = []
    for item in invoice.objects("items"):
        if not item.has("row_total"):
            continue  # a configurable's child or a dynamically priced bundle's parent
        quantity, name = _quantity(item)
        gross = item.money("row_total", currency)
        if gross.is_zero() and _amount(item, "tax_amount", currency).is_zero():
            continue  # listed but not invoiced (qty 0), or free
        discount = _amount(item, "discount_amount", currency) - _amount(
            item, "discount_tax_compensation_amount", currency
        )
        if discount.amount < 0:  # compensation above the discount: tax hidden in the price
            gross, discount = gross - discount, Money.zero(currency)
        lines.append(
            OrderLine(
                title=name,
                quantity=quantity,
                gross=gross,
                discount=discount,
                taxes=_taxes(_amount(item, "tax_amount", currency), title),
                sku=item.opt_text("sku"),
                line_id=item.opt_text("order_item_id") or item.opt_text("entity_id"),
            )
        )
    return lines


def _summary_line(invoice: Obj, currency: str, label: str) -> OrderLine:
    """One line for an invoice whose items were left out of the payload (a trimmed hook)."""
    return OrderLine(
        title=f"{label} #{invoice.opt_text('increment_id') or invoice.text('entity_id')}",
        quantity=1,
        gross=invoice.money("subtotal", currency),
        discount=_amount(invoice, "discount_amount", currency),
    )


def _item_discounts(entity: Obj, currency: str) -> Money:
    return total(
        [_amount(i, "discount_amount", currency) for i in entity.objects("items")], currency
    )


def _shipping(
    invoice: Obj, currency: str, item_discounts: Money, title: tuple[str, str | None]
) -> list[ShippingLine]:
    amount = _amount(invoice, "shipping_amount", currency)
    tax = _amount(invoice, "shipping_tax_amount", currency)
    if amount.is_zero() and tax.is_zero():
        return []
    discount = _amount(invoice, "discount_amount", currency) - item_discounts
    discount -= _amount(invoice, "shipping_discount_tax_compensation_amount", currency)
    return [
        ShippingLine(
            "Shipping",
            amount,
            discount if discount.is_positive() else Money.zero(currency),
            _taxes(tax, title),
        )
    ]


def _extra_tenders(invoice: Obj, currency: str) -> list[Payment]:
    ext = invoice.opt_obj("extension_attributes")
    found = []
    for key, gateway, kind in _TENDERS:
        amount = _amount(invoice, key, currency)
        if ext is not None and amount.is_zero():
            amount = _amount(ext, key, currency)
        if amount.is_positive():
            found.append(Payment(gateway, kind, amount))
    return found


def invoice_paid(invoice: Obj, order: Obj | None) -> tuple[list[OrderPaid], list[Notice]]:
    """The OrderPaid of one paid invoice (none for an open or cancelled one)."""
    invoice_id = invoice.text("entity_id")
    name = _order_name(invoice, order, "invoice")
    state = _state(invoice)
    details = {"invoice_id": invoice_id, "order_id": invoice.opt_text("order_id")}
    if state is not None and state != PAID:
        words = STATE_NAMES.get(state, f"in state {state}")
        return [], [
            Notice(f"Magento {name} is {words}; nothing is posted until it is paid", details)
        ]
    currency = invoice.currency("order_currency_code")
    title = _tax_title(order)
    notices = _base_notice(invoice, name, currency)
    lines = _lines(invoice, currency, title)
    item_discounts = _item_discounts(invoice, currency)
    if not lines:
        lines = [_summary_line(invoice, currency, "Invoice")]
        item_discounts = lines[0].discount
        notices.append(Notice(f"Magento {name} lists no priced items; posted as one line", details))
    shipping = _shipping(invoice, currency, item_discounts, title)
    tax = _amount(invoice, "tax_amount", currency)
    taxed = [*(t for line in lines for t in line.taxes), *(t for s in shipping for t in s.taxes)]
    itemised = total([t.amount for t in taxed], currency)
    order_taxes: tuple[TaxLine, ...] = ()
    if itemised != tax:
        lines = [_untaxed(line) for line in lines]
        shipping = [ShippingLine(s.title, s.gross, s.discount) for s in shipping]
        order_taxes = _taxes(tax, title)
        notices.append(
            Notice(
                f"Magento {name}: line taxes ({itemised}) differ from its tax ({tax}); "
                "tax is taken at invoice level",
                details,
            )
        )
    grand = invoice.money("grand_total", currency)
    tenders = _extra_tenders(invoice, currency)
    method = order_method(order)
    payments = list(tenders)
    if method is not None and (grand.is_positive() or not tenders):
        payments.insert(0, payment_for(method, grand, invoice.opt_text("transaction_id")))
    snapshot = OrderSnapshot(
        order_id=invoice_key(invoice_id),
        name=name,
        currency=currency,
        lines=tuple(lines),
        shipping=tuple(shipping),
        total=grand + total([t.amount for t in tenders], currency),
        payments=tuple(payments),
        order_taxes=order_taxes,
        customer=_customer(order),
        source_name="magento",
        country=_country(order),
    )
    occurred = invoice.first_timestamp("created_at", "updated_at")
    return [OrderPaid(invoice_key(invoice_id), occurred, snapshot)], notices


def _untaxed(line: OrderLine) -> OrderLine:
    return OrderLine(
        line.title, line.quantity, line.gross, line.discount, (), line.sku, None, line.line_id
    )


def _customer(order: Obj | None) -> str | None:
    if order is None:
        return None
    customer = order.opt_text("customer_id")
    return customer or order.opt_text("customer_email")


def _country(order: Obj | None) -> str | None:
    address = order.opt_obj("billing_address") if order is not None else None
    return address.opt_text("country_id") if address is not None else None


def _base_notice(entity: Obj, name: str, currency: str) -> list[Notice]:
    base = entity.opt_text("base_currency_code")
    if base is None or base.upper() == currency:
        return []
    return [
        Notice(
            f"Magento {name} is posted in its order currency {currency}; the store's base "
            f"currency is {base} (base_grand_total {entity.raw('base_grand_total')})",
            {"order_currency": currency, "base_currency": base},
        )
    ]


def refund_invoice(creditmemo: Obj, invoice_ids: list[str]) -> str:
    """The invoice a credit memo refunds: its own ``invoice_id``, else the order's first."""
    own = creditmemo.opt_text("invoice_id")
    if own and own != "0":
        return own
    if invoice_ids:
        return sorted(invoice_ids, key=lambda i: (len(i), i))[0]
    raise invalid(
        creditmemo.at("invoice_id"),
        "the credit memo names no invoice (an offline refund made from the order page); "
        "give the connection API access (api_url and api_token) so the order's invoices can "
        "be looked up",
    )


def creditmemo_refund(
    creditmemo: Obj, order: Obj | None, invoice_ids: list[str]
) -> tuple[list[Refund], list[Notice]]:
    """The Refund of one refunded credit memo (none for an open/cancelled or empty one)."""
    memo_id = creditmemo.text("entity_id")
    name = _order_name(creditmemo, order, "credit memo")
    details = {"creditmemo_id": memo_id, "order_id": creditmemo.opt_text("order_id")}
    state = _state(creditmemo)
    if state is not None and state != PAID:
        words = {OPEN: "open", CANCELLED: "cancelled"}.get(state, f"in state {state}")
        return [], [Notice(f"Magento {name} is {words}; nothing is posted", details)]
    currency = creditmemo.currency("order_currency_code")
    amount = creditmemo.money("grand_total", currency)
    if amount.is_zero():
        return [], [Notice(f"Magento {name} returns no money; nothing to post", details)]
    invoice_id = refund_invoice(creditmemo, invoice_ids)
    read = [_refund_line(item, currency) for item in creditmemo.objects("items")]
    lines = [line for line in read if line is not None and not _empty(line)]
    shipping = _amount(creditmemo, "shipping_amount", currency)
    shipping_discount = _amount(creditmemo, "discount_amount", currency) - _item_discounts(
        creditmemo, currency
    )
    if shipping_discount.is_positive() and shipping_discount <= shipping:
        shipping -= shipping_discount
    shipping_tax = _amount(creditmemo, "shipping_tax_amount", currency)
    adjustment = _amount(creditmemo, "adjustment_positive", currency)
    fee = _amount(creditmemo, "adjustment_negative", currency)
    method = order_method(order)
    payments = (
        (payment_for(method, amount, creditmemo.opt_text("transaction_id")),) if method else ()
    )
    refund = Refund(
        external_id=creditmemo_key(memo_id),
        occurred_at=creditmemo.first_timestamp("created_at", "updated_at"),
        order_id=invoice_key(invoice_id),
        currency=currency,
        amount=amount,
        lines=tuple(lines),
        shipping=shipping if not (shipping.is_zero() and shipping_tax.is_zero()) else None,
        shipping_tax=shipping_tax if shipping_tax.is_positive() else None,
        restocking_fee=fee if fee.is_positive() else None,
        adjustment=adjustment if adjustment.is_positive() else None,
        payments=payments,
        reason=f"credit memo #{creditmemo.opt_text('increment_id') or memo_id}",
    )
    return [refund], _base_notice(creditmemo, name, currency)


def _empty(line: RefundLine) -> bool:
    return line.subtotal.is_zero() and line.tax.is_zero()


def _refund_line(item: Obj, currency: str) -> RefundLine | None:
    if not item.has("row_total"):
        return None
    quantity, name = _quantity(item)
    subtotal = item.money("row_total", currency) - _amount(item, "discount_amount", currency)
    subtotal += _amount(item, "discount_tax_compensation_amount", currency)
    if subtotal.amount < 0:
        raise invalid(item.at("discount_amount"), "is more than the item's row_total")
    return RefundLine(
        title=name,
        quantity=quantity,
        subtotal=subtotal,
        tax=_amount(item, "tax_amount", currency),
        sku=item.opt_text("sku"),
    )


def entity_of(root: Mapping[str, Any], key: str) -> Obj:
    """``root[key]`` when the payload wraps the entity (``{"invoice": {…}}``), else ``root``."""
    inner = root.get(key)
    return Obj(inner, key) if inner is not None else Obj(root)
