"""The posting entry point: one canonical event, the book's inputs, the ledger's prior
knowledge → at most one balanced :class:`~ledgerbridge.ledger.entries.JournalEntry`.

Pure: no database, no HTTP, no clock. The service loads the account map, a rate table and the
:class:`~.prior.PriorState`, calls :func:`post`, and stores what comes back in the same
transaction that marks the event handled. ``None`` means the event books nothing (a paid
order's cancellation, a lost dispute already withdrawn, a failed payout …); it is still handled.

Rules table (each row one module; lines in the event's currency, converted at its date):

==================  ===========================================================================
event               lines
==================  ===========================================================================
OrderPaid           Dr tender (clearing / gift_card_liability / receivable), Dr discounts;
                    Cr sales (gift cards sold: gift_card_liability), shipping_income,
                    sales_tax_payable per title; rounding ±       (:mod:`.orders`)
OrderPaid, pending  Dr tender / Cr accounts_receivable (+ any change to the order)
OrderPending        as OrderPaid, against accounts_receivable
OrderEdited         the difference per account and line; change owed to receivable/clearing
OrderCancelled      reversal of a pending order's standing entries; nothing once paid
Refund              Dr sales_returns, sales_tax_payable, shipping_income; Cr sales (restocking
                    fee); Cr tender; Dr clearing / Cr processing_fees (fee returned)
Payout              Dr bank, Dr processing_fees / Cr clearing (FX via currency_conversion)
Fee                 Dr processing_fees / Cr clearing
Adjustment          Dr clearing / Cr suspense (credit), or the reverse (debit)
Dispute             opened: Dr chargebacks, processing_fees / Cr clearing; won: the amount back
==================  ===========================================================================
"""

from __future__ import annotations

from typing import assert_never

from ledgerbridge.events import (
    Adjustment,
    CanonicalEvent,
    Conversion,
    Dispute,
    Fee,
    OrderCancelled,
    OrderEdited,
    OrderPaid,
    OrderPending,
    Payout,
    Refund,
)
from ledgerbridge.ledger.entries import JournalEntry
from ledgerbridge.posting.accounts import AccountMap
from ledgerbridge.posting.context import PostingContext
from ledgerbridge.posting.disputes import post_dispute
from ledgerbridge.posting.orders import (
    post_order_cancelled,
    post_order_edited,
    post_order_paid,
    post_order_pending,
)
from ledgerbridge.posting.payouts import post_adjustment, post_conversion, post_fee, post_payout
from ledgerbridge.posting.prior import PriorState
from ledgerbridge.posting.rates import RateTable
from ledgerbridge.posting.refunds import post_refund


def post(
    event: CanonicalEvent,
    *,
    connection: str,
    accounts: AccountMap,
    rates: RateTable,
    base_currency: str,
    prior: PriorState,
) -> JournalEntry | None:
    """The entry ``event`` books on ``connection``, or None when it books nothing.

    Raises MissingPrerequisite and RateUnavailable (both retryable), OrderDoesNotAddUp,
    RefundDoesNotAddUp, UnknownRole and InvalidInput (not retryable).
    """
    ctx = PostingContext(connection, accounts, rates, base_currency)
    match event:
        case OrderPaid():
            return post_order_paid(event, ctx, prior)
        case OrderPending():
            return post_order_pending(event, ctx, prior)
        case OrderEdited():
            return post_order_edited(event, ctx, prior)
        case OrderCancelled():
            return post_order_cancelled(event, ctx, prior)
        case Refund():
            return post_refund(event, ctx, prior)
        case Payout():
            return post_payout(event, ctx)
        case Fee():
            return post_fee(event, ctx)
        case Adjustment():
            return post_adjustment(event, ctx)
        case Dispute():
            return post_dispute(event, ctx, prior)
        case Conversion():
            return post_conversion(event, ctx)
        case _:
            assert_never(event)
