"""Posting rules for orders: paid, pending, edited, cancelled.

* **OrderPaid** books the income side (:mod:`.order_figures`) against each tender: a card
  payment debits its gateway's clearing, a gift card or store credit the gift-card liability, a
  manual payment accounts receivable.
* **OrderPending** books the same income side against accounts receivable for the total.
  A later OrderPaid of that order books only the *settlement*: ``Dr`` each tender, ``Cr``
  accounts receivable — plus any change the platform made to the order meanwhile, exactly as
  an edit would book it. A pending order paid manually (bank transfer) stays a receivable until
  the bank statement shows the money, so its settlement nets to nothing and posts nothing.
* **OrderEdited** books ``new − old`` per account and line: an added line, a changed quantity,
  a corrected tax — never a rewrite of the original entry. The change in what the customer owes
  goes where the original money went: receivable for a pending order, else the clearing of the
  first payment's gateway. The snapshot must not net out refunds: those are booked by their own
  Refund events.
* **OrderCancelled** reverses a *pending* order: every entry of the order not yet reversed, in
  one entry at the original rates. Cancelling a *paid* order posts nothing, on purpose: the
  customer's money goes back through a Refund event (Shopify sends ``refunds/create`` with the
  cancellation when the merchant refunds), and reversing the sale here as well would return the
  same money twice; an unrefunded cancelled order really did keep the money.

Worked example (settlement): Order #1002, 110.00, placed by bank transfer → ``Dr receivable
110.00 / Cr sales 100.00 / Cr tax 10.00``; then paid by card through stripe →
``Dr clearing 110.00 / Cr receivable 110.00``. The receivable is back to zero and revenue was
booked once, when the order was placed.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledgerbridge.events import OrderCancelled, OrderEdited, OrderPaid, OrderPending, PaymentKind
from ledgerbridge.ledger.chart import Role
from ledgerbridge.ledger.entries import JournalEntry, SourceKey
from ledgerbridge.posting.context import PostingContext, event_date
from ledgerbridge.posting.drafts import credit, debit, diff, total
from ledgerbridge.posting.order_figures import (
    RECEIVABLE_KEY,
    gateways,
    income_drafts,
    order_dimensions,
    tender_drafts,
)
from ledgerbridge.posting.prior import Booking, MissingPrerequisite, PriorState

REVERSES = "reverses"
"""Entry dimension of a combined reversal: the source keys (as text) of every entry it undoes;
``JournalEntry.reverses`` can name only one."""


def post_order_paid(
    event: OrderPaid, ctx: PostingContext, prior: PriorState
) -> JournalEntry | None:
    """Book a paid order, or settle one booked as pending; None when already booked as paid.

    Raises OrderDoesNotAddUp, UnknownRole, RateUnavailable.
    """
    order = event.order
    if prior.booking is Booking.PAID:
        return None
    if prior.booking is Booking.PENDING and prior.order is not None:
        drafts = [
            *diff(income_drafts(prior.order, ctx), income_drafts(order, ctx)),
            credit(
                ctx.role(Role.ACCOUNTS_RECEIVABLE),
                prior.order.total,
                f"Order {order.name} receivable settled",
                key=RECEIVABLE_KEY,
            ),
            *tender_drafts(order, ctx),
        ]
        description = f"Order {order.name} paid{gateways(order.payments)}: receivable settled"
    else:
        drafts = [*income_drafts(order, ctx), *tender_drafts(order, ctx)]
        description = f"Order {order.name} paid{gateways(order.payments)}"
    return ctx.entry(event, drafts, description, dimensions=order_dimensions(order))


def post_order_pending(
    event: OrderPending, ctx: PostingContext, prior: PriorState
) -> JournalEntry | None:
    """Book an unpaid order as a receivable; None when the order is already booked."""
    order = event.order
    if prior.order_posted:
        return None
    drafts = [
        *income_drafts(order, ctx),
        debit(
            ctx.role(Role.ACCOUNTS_RECEIVABLE),
            order.total,
            f"Order {order.name} receivable",
            key=RECEIVABLE_KEY,
        ),
    ]
    description = f"Order {order.name} placed, payment pending{gateways(order.payments)}"
    return ctx.entry(event, drafts, description, dimensions=order_dimensions(order))


def post_order_edited(
    event: OrderEdited, ctx: PostingContext, prior: PriorState
) -> JournalEntry | None:
    """Book the difference an edit made; None when it changed nothing we book.

    Raises MissingPrerequisite when the order has not been booked yet (retried later).
    """
    if prior.order is None:
        raise MissingPrerequisite(
            f"order {event.order.name} was edited but has not been posted yet", field="order_id"
        )
    changes = diff(income_drafts(prior.order, ctx), income_drafts(event.order, ctx))
    owed = -total(changes, event.order.currency)
    drafts = [
        *changes,
        debit(
            _owed_account(ctx, prior),
            owed,
            f"Change in what order {event.order.name} is owed",
            key=RECEIVABLE_KEY,
        ),
    ]
    return ctx.entry(
        event,
        drafts,
        f"Order {event.order.name} edited (revision {event.revision})",
        external_id=f"{event.external_id}@{event.revision}",
        dimensions={**order_dimensions(event.order), "revision": event.revision},
    )


def _owed_account(ctx: PostingContext, prior: PriorState) -> str:
    """Receivable for a pending order, else where the first payment went (a gift card cannot
    take more money, and a manual payment is a receivable anyway)."""
    payments = prior.order.payments if prior.order is not None else ()
    if prior.booking is Booking.PENDING or (payments and payments[0].kind is PaymentKind.MANUAL):
        return ctx.role(Role.ACCOUNTS_RECEIVABLE)
    if payments and payments[0].kind is PaymentKind.CARD:
        return ctx.tender_account(payments[0])
    return ctx.clearing


def post_order_cancelled(
    event: OrderCancelled, ctx: PostingContext, prior: PriorState
) -> JournalEntry | None:
    """Reverse a pending order's standing entries in one entry; None for a paid order (its
    refunds move the money) or one never posted."""
    if prior.booking is not Booking.PENDING:
        return None
    standing = _standing(prior.entries)
    if not standing:
        return None
    name = prior.order.name if prior.order is not None else event.order_id
    why = f" ({event.reason})" if event.reason else ""
    on = event_date(event.occurred_at)
    reversals = [e.reversal(reason=f"order {name} cancelled{why}", date=on) for e in standing]
    return JournalEntry(
        date=on,
        description=f"Order {name} cancelled{why}: pending booking reversed",
        base_currency=ctx.base_currency,
        source=SourceKey(ctx.connection, event.external_id, event.kind),
        lines=tuple(line for reversal in reversals for line in reversal.lines),
        reverses=standing[0].source,
        dimensions={"order_id": event.order_id, REVERSES: tuple(str(e.source) for e in standing)},
    )


def _standing(entries: Sequence[JournalEntry]) -> list[JournalEntry]:
    """Entries that are not reversals and have not been reversed (alone or in a combined
    reversal, which lists every key it reverses in its ``reverses`` dimension)."""
    undone: set[str] = set()
    for entry in entries:
        if entry.reverses is not None:
            undone.add(str(entry.reverses))
            undone.update(entry.dimensions.get(REVERSES, ()))
    return [e for e in entries if e.reverses is None and str(e.source) not in undone]
