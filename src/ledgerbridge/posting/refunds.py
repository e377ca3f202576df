"""Posting rule for refunds: what came back, what went back, and the fee the gateway returned.

* ``Dr sales_returns`` each refunded line's subtotal (net of its tax when prices include tax),
  memo ``"Returned: Mug × 1"``, dimension ``sku`` — gross sales stay as booked, so the returns
  rate is visible;
* ``Dr sales_tax_payable`` each line's refunded tax, memo naming the line (the platform reports
  refunded tax per line, not per jurisdiction);
* ``Dr shipping_income`` refunded shipping, ``Dr sales_tax_payable`` its tax;
* ``Dr sales_returns`` any other refunded amount (goodwill, order adjustments);
* ``Cr sales`` a restocking fee the merchant kept. It is booked as revenue earned rather than a
  smaller return, so that ``sales_returns`` keeps showing the full value of goods that came back
  and the fee shows as income the merchant actually made;
* ``Cr`` the tender the money went back through: the gateway's clearing for a card, the gift-card
  liability for a refund onto a gift card or store credit, accounts receivable for a manual
  refund (owed to the customer until the bank shows it paid); the connection's clearing when
  the platform lists no tender;
* ``Dr clearing / Cr processing_fees`` for a processing fee the gateway gave back.

Account rules route a refund as they routed the sale it undoes: the refund's lines ask with the
facts the booked order's lines had. A returned line's tax asks with the jurisdiction of the order
line it came from (matched by SKU, else title) when that line was taxed in one jurisdiction, else
with the order's one jurisdiction when it had only one, else with none (the role's default:
a refunded amount cannot honestly be split over jurisdictions the platform did not name).
Refunded shipping asks with the order's shipping method when it had one. Without rules these
facts change nothing.

The platform's refunded amount is taken as given, with the rounding rule of :mod:`.figures`
(one minor unit per refunded line, plus one). A refund of nothing (a restock with no money back)
changes no balance and posts nothing. A refund of an order never posted raises the retryable
:class:`~.prior.MissingPrerequisite`: the order's webhook may simply not have arrived yet.

Worked example: of Order #1001 (2 × Mug at 20.00, 8 % tax), one mug is returned: subtotal 20.00,
tax 1.60, 21.60 back to the card through stripe, and stripe returns 0.30 of its fee::

    Dr sales_returns "Returned: Mug × 1"   20.00   Cr clearing (stripe)    21.60
    Dr sales_tax_payable "Tax on Mug"       1.60
    Dr clearing (stripe)                    0.30   Cr processing_fees       0.30
"""

from __future__ import annotations

from collections.abc import Iterable

from ledgerbridge.events import OrderLine, OrderSnapshot, PaymentKind, Refund, RefundLine, TaxLine
from ledgerbridge.ledger.chart import Role
from ledgerbridge.ledger.entries import JournalEntry
from ledgerbridge.money import Money
from ledgerbridge.posting.context import PostingContext
from ledgerbridge.posting.drafts import Draft, credit, debit, total
from ledgerbridge.posting.figures import RefundDoesNotAddUp, rounding_drafts
from ledgerbridge.posting.order_figures import gateways
from ledgerbridge.posting.prior import MissingPrerequisite, PriorState


def post_refund(event: Refund, ctx: PostingContext, prior: PriorState) -> JournalEntry | None:
    """Book a refund; None when nothing went back.

    Raises MissingPrerequisite (order not posted yet), RefundDoesNotAddUp, UnknownRole,
    RateUnavailable.
    """
    if not prior.order_posted:
        raise MissingPrerequisite(
            f"refund {event.external_id} is for order {event.order_id}, "
            "which has not been posted yet",
            field="order_id",
        )
    if event.amount.is_zero() and not any(p.amount.is_positive() for p in event.payments):
        return None
    name = prior.order.name if prior.order is not None else event.order_id
    drafts = [*_returned(event, ctx, prior.order), *_paid_back(event, ctx)]
    residual = total(drafts, event.currency)

    def fail(limit: Money) -> RefundDoesNotAddUp:
        return RefundDoesNotAddUp(
            f"refund {event.external_id} of order {name} does not add up: what was returned "
            f"and refunded differs from the money that went back by {residual}, more than the "
            f"{limit} allowed for rounding",
            field="amount",
        )

    drafts += rounding_drafts(
        residual,
        parts=len(event.lines) + 1,
        account=ctx.role(Role.ROUNDING),
        memo="refund amount vs refunded lines",
        fail=fail,
    )
    drafts += _fee_returned(event, ctx)
    return ctx.entry(
        event,
        drafts,
        f"Refund {event.external_id} on order {name}{gateways(event.payments)}",
        dimensions={"order_id": event.order_id, "order_name": name, "reason": event.reason},
    )


def _net_of_tax(event: Refund, amount: Money, tax: Money) -> Money:
    return amount - tax if event.taxes_included else amount


def _only(values: Iterable[str | None]) -> str | None:
    """The one value all of ``values`` share; None when there are none or several."""
    distinct = {value for value in values if value is not None}
    return distinct.pop() if len(distinct) == 1 else None


def _where(tax: TaxLine) -> str:
    """A tax line as the sale's rules saw it: its jurisdiction code, else its title."""
    return tax.jurisdiction or tax.title


def _order_jurisdiction(order: OrderSnapshot | None) -> str | None:
    """The order's one tax jurisdiction, if it was taxed in exactly one."""
    if order is None:
        return None
    taxes = [t for line in order.lines for t in line.taxes]
    taxes += [t for ship in order.shipping for t in ship.taxes]
    return _only(_where(t) for t in taxes or order.order_taxes)


def _ordered(order: OrderSnapshot | None, line: RefundLine) -> list[OrderLine]:
    """The order lines a refunded line came from: same SKU, else same title."""
    if order is None:
        return []
    if line.sku is not None:
        by_sku = [ordered for ordered in order.lines if ordered.sku == line.sku]
        if by_sku:
            return by_sku
    return [ordered for ordered in order.lines if ordered.title == line.title]


def _returned(event: Refund, ctx: PostingContext, order: OrderSnapshot | None) -> list[Draft]:
    """The debits for what the customer gets back, and the restocking fee kept."""
    returns = ctx.role(Role.SALES_RETURNS)
    jurisdiction = _order_jurisdiction(order)
    drafts: list[Draft] = []
    for line in event.lines:
        key = f"line:{line.sku or line.title}"
        ordered = _ordered(order, line)
        drafts.append(
            debit(
                ctx.role(
                    Role.SALES_RETURNS,
                    sku=line.sku,
                    product_type=_only(o.product_type for o in ordered),
                ),
                _net_of_tax(event, line.subtotal, line.tax),
                f"Returned: {line.title} × {line.quantity}",
                key=key,
                sku=line.sku,
            )
        )
        where = _only(_where(t) for o in ordered for t in o.taxes) or jurisdiction
        drafts.append(
            debit(
                ctx.role(Role.SALES_TAX_PAYABLE, tax_jurisdiction=where),
                line.tax,
                f"Tax on {line.title}",
                key=key,
            )
        )
    if event.shipping is not None:
        shipping_tax = event.shipping_tax or Money.zero(event.currency)
        ships = order.shipping if order is not None else ()
        drafts.append(
            debit(
                ctx.role(Role.SHIPPING_INCOME, shipping_method=_only(s.title for s in ships)),
                _net_of_tax(event, event.shipping, shipping_tax),
                "Shipping refunded",
            )
        )
        where = _only(_where(t) for s in ships for t in s.taxes) or jurisdiction
        drafts.append(
            debit(
                ctx.role(Role.SALES_TAX_PAYABLE, tax_jurisdiction=where),
                shipping_tax,
                "Tax on shipping",
            )
        )
    if event.adjustment is not None:
        drafts.append(debit(returns, event.adjustment, "Refund adjustment", key="adjustment"))
    if event.restocking_fee is not None:
        drafts.append(credit(ctx.role(Role.SALES), event.restocking_fee, "Restocking fee kept"))
    return drafts


def _paid_back(event: Refund, ctx: PostingContext) -> list[Draft]:
    if not event.payments:
        return [credit(ctx.clearing, event.amount, f"Refund {event.external_id}")]
    return [
        credit(
            ctx.tender_account(payment),
            payment.amount,
            f"Refunded by {payment.kind.value.replace('_', ' ')} via {payment.gateway}"
            + (f" ({payment.transaction_id})" if payment.transaction_id else ""),
            key=f"tender:{payment.gateway}:{index}",
            gateway=payment.gateway,
            transaction_id=payment.transaction_id,
        )
        for index, payment in enumerate(event.payments)
    ]


def _fee_returned(event: Refund, ctx: PostingContext) -> list[Draft]:
    """The gateway's fee give-back lands in the clearing of the card tender it came from."""
    fee = event.fee_refunded
    if fee is None or fee.is_zero():
        return []
    cards = [p for p in event.payments if p.kind is PaymentKind.CARD]
    clearing = ctx.tender_account(cards[0]) if cards else ctx.clearing
    memo = f"Processing fee returned on refund {event.external_id}"
    return [debit(clearing, fee, memo), credit(ctx.role(Role.PROCESSING_FEES), fee, memo)]
