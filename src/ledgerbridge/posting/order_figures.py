"""An order snapshot as drafts: what was sold (the *income side*) and how it was paid (tenders).

The income side is a pure function of the snapshot, and always nets to exactly ``-total``: so an
edit books ``diff(income(old), income(new))`` and the change in what the customer owes is the
sum of that difference. For each order line (gift cards sold aside):

* ``Cr sales`` its gross (``gross − its tax`` when prices include tax), memo ``"Mug × 2"``,
  dimensions ``sku`` and ``product_type`` where known;
* ``Dr discounts`` its discount, kept apart from gross (a contra-revenue account);
* a gift card *sold* is ``Cr gift_card_liability`` instead of sales: it is owed, not earned;
* shipping likewise on ``shipping_income``, its discount on ``discounts``;
* ``Cr sales_tax_payable`` one line per tax title and jurisdiction, memo the title; tax given
  only at order level is used when no line carries any;
* ``rounding`` for the platform's total against our sum (see :mod:`.figures`).

Worked example (taxes excluded): 2 × Mug at 20.00 with 4.00 off, shipping 5.00, "CA State"
tax 2.88, total 43.88, paid by card through shopify_payments::

    Dr clearing (shopify_payments)  43.88    Cr sales "Mug × 2"           40.00
    Dr discounts "Discount: Mug × 2" 4.00    Cr shipping_income            5.00
                                             Cr sales_tax_payable "CA State" 2.88

With ``taxes_included`` the gross already holds the tax: a 24.00 line with 4.00 tax credits sales
20.00. Order-level tax is then shared over lines and shipping in proportion to what was charged
for each, so each sales line shows its own revenue net of tax.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledgerbridge.events import OrderSnapshot, Payment, PaymentKind, TaxLine
from ledgerbridge.ledger.chart import Role
from ledgerbridge.money import Money
from ledgerbridge.posting.context import PostingContext
from ledgerbridge.posting.drafts import Draft, credit, debit, total
from ledgerbridge.posting.figures import OrderDoesNotAddUp, rounding_drafts

RECEIVABLE_KEY = "receivable"
"""Every accounts-receivable draft of an order shares this key, so owed and paid amounts net."""


@dataclass(frozen=True, slots=True)
class _Item:
    """An order line or a shipping line, as far as the income side cares."""

    role: Role
    key: str
    memo: str
    gross: Money
    discount: Money
    taxes: tuple[TaxLine, ...]
    dims: Mapping[str, str | None]
    facts: Mapping[str, str | None]
    """What account rules may match for this item (its SKU, its shipping method)."""


def _items(order: OrderSnapshot) -> list[_Item]:
    items = [
        _Item(
            Role.GIFT_CARD_LIABILITY if line.gift_card else Role.SALES,
            f"line:{line.line_id or line.sku or line.title}",
            f"{line.title} × {line.quantity}",
            line.gross,
            line.discount,
            line.taxes,
            {"sku": line.sku, "product_type": line.product_type},
            {"sku": line.sku, "product_type": line.product_type},
        )
        for line in order.lines
    ]
    items += [
        _Item(
            Role.SHIPPING_INCOME,
            f"shipping:{ship.title}",
            f"Shipping: {ship.title}",
            ship.gross,
            ship.discount,
            ship.taxes,
            {},
            {"shipping_method": ship.title},
        )
        for ship in order.shipping
    ]
    return items


def _sum(amounts: Sequence[Money], currency: str) -> Money:
    return sum(amounts, Money.zero(currency))


def _tax_inside(order: OrderSnapshot, items: Sequence[_Item]) -> list[Money]:
    """The tax included in each item's gross (all zero when prices exclude tax)."""
    zero = Money.zero(order.currency)
    if not order.taxes_included:
        return [zero] * len(items)
    if any(item.taxes for item in items):
        return [_sum([t.amount for t in item.taxes], order.currency) for item in items]
    order_tax = _sum([t.amount for t in order.order_taxes], order.currency)
    if order_tax.is_zero() or not items:
        return [zero] * len(items)
    return order_tax.allocate(_tax_weights(items))


def _tax_weights(items: Sequence[_Item]) -> list[int]:
    """How to share order-level tax: by what was charged for each item, else by gross (all
    discounted away), else equally (all free)."""
    charged = [max((i.gross - i.discount).minor, 0) for i in items]
    if any(charged):
        return charged
    gross = [i.gross.minor for i in items]
    return gross if any(gross) else [1] * len(items)


def _tax_drafts(order: OrderSnapshot, items: Sequence[_Item], ctx: PostingContext) -> list[Draft]:
    """One credit per tax title and jurisdiction, summed over lines and shipping. Account
    rules see the jurisdiction code as ``tax_jurisdiction``, or the title where the platform
    gives no code (Shopify's "CA State Tax")."""
    lines = [tax for item in items for tax in item.taxes] or list(order.order_taxes)
    grouped: dict[tuple[str, str | None], Money] = defaultdict(lambda: Money.zero(order.currency))
    for tax in lines:
        grouped[(tax.title, tax.jurisdiction)] += tax.amount
    return [
        credit(
            ctx.role(Role.SALES_TAX_PAYABLE, tax_jurisdiction=where or title),
            amount,
            title,
            key=f"tax:{title}:{where or ''}",
            jurisdiction=where,
        )
        for (title, where), amount in grouped.items()
    ]


def income_drafts(order: OrderSnapshot, ctx: PostingContext) -> list[Draft]:
    """The income side of ``order``; nets to exactly ``-order.total``.

    Raises :class:`OrderDoesNotAddUp` when lines, shipping and tax differ from the total by
    more than one minor unit per line.
    """
    items = _items(order)
    drafts: list[Draft] = []
    for item, inside in zip(items, _tax_inside(order, items), strict=True):
        drafts.append(
            credit(
                ctx.role(item.role, **item.facts),
                item.gross - inside,
                item.memo,
                key=item.key,
                **item.dims,
            )
        )
        drafts.append(
            debit(
                ctx.role(Role.DISCOUNTS, **item.facts),
                item.discount,
                f"Discount: {item.memo}",
                key=item.key,
                **item.dims,
            )
        )
    drafts += _tax_drafts(order, items, ctx)
    computed = -total(drafts, order.currency)
    residual = order.total - computed

    def fail(limit: Money) -> OrderDoesNotAddUp:
        return OrderDoesNotAddUp(
            f"order {order.name} does not add up: its lines, shipping and tax come to "
            f"{computed} but the platform's total is {order.total}; the difference of "
            f"{residual} is more than the {limit} allowed for rounding",
            field="total",
        )

    return drafts + rounding_drafts(
        residual,
        parts=len(items),
        account=ctx.role(Role.ROUNDING),
        memo="platform total vs lines, shipping and tax",
        fail=fail,
    )


def tender_drafts(order: OrderSnapshot, ctx: PostingContext) -> list[Draft]:
    """Debits for each tender of ``order``, or the connection's clearing for the whole total
    when the platform lists none; ``rounding`` for tenders that miss the total by a unit."""
    if not order.payments:
        return [debit(ctx.clearing, order.total, f"Order {order.name} total", key="tender")]
    drafts = [_tender(payment, index, ctx) for index, payment in enumerate(order.payments)]
    paid = total(drafts, order.currency)

    def fail(limit: Money) -> OrderDoesNotAddUp:
        return OrderDoesNotAddUp(
            f"order {order.name} does not add up: its payments come to {paid} but the "
            f"platform's total is {order.total}; the difference is more than the {limit} "
            "allowed for rounding",
            field="payments",
        )

    return drafts + rounding_drafts(
        paid - order.total,
        parts=len(order.lines) + len(order.shipping),
        account=ctx.role(Role.ROUNDING),
        memo="payments vs platform total",
        fail=fail,
    )


def _tender(payment: Payment, index: int, ctx: PostingContext) -> Draft:
    account = ctx.tender_account(payment)
    receivable = payment.kind is PaymentKind.MANUAL or account == ctx.role(Role.ACCOUNTS_RECEIVABLE)
    reference = f" ({payment.transaction_id})" if payment.transaction_id else ""
    return debit(
        account,
        payment.amount,
        f"Paid by {payment.kind.value.replace('_', ' ')} via {payment.gateway}{reference}",
        key=RECEIVABLE_KEY if receivable else f"tender:{payment.gateway}:{index}",
        gateway=payment.gateway,
        transaction_id=payment.transaction_id,
    )


def gateways(payments: Sequence[Payment]) -> str:
    """``" (shopify_payments, gift_card)"`` for a description; empty without payments."""
    names = list(dict.fromkeys(p.gateway for p in payments))
    return f" ({', '.join(names)})" if names else ""


def order_dimensions(order: OrderSnapshot) -> dict[str, str | None]:
    """Entry-level dimensions a report can group by."""
    return {
        "order_id": order.order_id,
        "order_name": order.name,
        "customer": order.customer,
        "source_name": order.source_name,
        "country": order.country,
    }
