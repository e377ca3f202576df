"""Posting rules for money leaving or changing inside a gateway balance: payouts, fees,
adjustments. Each keeps the connection's clearing account equal to the money still in transit.

* **Payout**: ``Dr bank`` what lands in the bank, ``Dr processing_fees`` the fees the gateway
  withheld (when the payout states them), ``Cr clearing`` the sum of both. When the fees are not
  known they are booked, or will be, by Fee events, so only the net amount moves. A payout that
  failed or was cancelled never reached the bank and posts nothing.
* **Cross-currency payout** (a EUR balance paid into a USD account; needs ``gross``, read as what
  left the clearing in its own currency, fees included): the clearing and the fees move in EUR,
  the bank in USD, and the two meet on ``currency_conversion``, one pair of lines per currency;
  the base value the exchange lost or gained is realised FX (see :mod:`.conversion`).
* **Fee**: ``Dr processing_fees / Cr clearing``.
* **Conversion**: the gateway exchanged money it holds (a EUR charge settled into a USD
  balance). ``Cr clearing`` the source currency and ``Dr clearing`` the target, meeting on
  ``currency_conversion``; the source leaves at our reference rate for the day (the rate the sale
  was booked at), the target arrives at the platform's, and the difference is realised FX.
  Worked example: a EUR 100.00 charge booked at ECB 1.0950 (USD 109.50) that Stripe settles as
  USD 108.00 leaves a realised FX loss of USD 1.50.
* **Adjustment**: the gateway changed the balance for a reason no other event models (a reserve
  held or released, a credit, a debit). Clearing must follow the balance exactly, or payouts
  stop clearing it, but the *reason* needs a person: the other side goes to ``suspense``, where
  a bookkeeper reclassifies it. ``credit`` (the merchant receives): ``Dr clearing / Cr
  suspense``; ``debit`` (the gateway takes): ``Dr suspense / Cr clearing``.

Worked example: a stripe payout of 6,654.79 with 221.40 fees withheld::

    Dr bank               6,654.79   Cr clearing (stripe)   6,876.19
    Dr processing_fees      221.40
"""

from __future__ import annotations

from ledgerbridge.errors import InvalidInput
from ledgerbridge.events import Adjustment, Conversion, Fee, Payout
from ledgerbridge.ledger.chart import Role
from ledgerbridge.ledger.entries import JournalEntry
from ledgerbridge.money import Money
from ledgerbridge.posting.context import PostingContext
from ledgerbridge.posting.drafts import credit, debit

NOT_PAID_OUT = frozenset({"failed", "canceled", "cancelled"})
"""Payout statuses under which no money reached the bank."""


def post_payout(event: Payout, ctx: PostingContext) -> JournalEntry | None:
    """Book a payout; None when it failed or was cancelled. Raises InvalidInput when the fees
    are in another currency than the bank amount and no ``gross`` says what left clearing."""
    if event.status in NOT_PAID_OUT:
        return None
    memo = f"Payout {event.external_id}"
    fees = _fees_withheld(event)
    drafts = [
        debit(
            ctx.role(Role.BANK),
            event.amount,
            memo,
            bank_reference=event.bank_reference,
            arrival_date=event.arrival_date.isoformat(),
        ),
        debit(
            ctx.role(Role.PROCESSING_FEES), fees, f"Fees withheld from payout {event.external_id}"
        ),
    ]
    if event.gross is None or event.gross.currency == event.amount.currency:
        drafts.append(credit(ctx.clearing, event.amount + fees, memo))
    else:
        conversion, converted = ctx.role(Role.CURRENCY_CONVERSION), f"{memo}: converted"
        drafts += [
            credit(ctx.clearing, event.gross, memo),
            debit(conversion, event.gross - fees, converted),
            credit(conversion, event.amount, converted),
        ]
    return ctx.entry(
        event,
        drafts,
        f"Payout {event.external_id} to bank (arrives {event.arrival_date.isoformat()})",
        dimensions={"payout_id": event.external_id, "bank_reference": event.bank_reference},
    )


def _fees_withheld(event: Payout) -> Money:
    """The fees withheld, in the currency that left clearing; zero when not known."""
    leaving = event.gross.currency if event.gross is not None else event.amount.currency
    if not event.fees_known:
        return Money.zero(leaving)
    if event.fees.currency != leaving:
        raise InvalidInput(
            f"payout {event.external_id} withheld fees in {event.fees.currency} but "
            f"{leaving} left the gateway; the platform must state the payout's gross in the "
            "fees' currency",
            field="fees",
        )
    return event.fees


def post_fee(event: Fee, ctx: PostingContext) -> JournalEntry | None:
    """Book a processing or platform fee charged to the gateway balance."""
    drafts = [
        debit(
            ctx.role(Role.PROCESSING_FEES),
            event.amount,
            event.description,
            related_id=event.related_id,
        ),
        credit(ctx.clearing, event.amount, event.description, related_id=event.related_id),
    ]
    return ctx.entry(
        event, drafts, f"Fee: {event.description}", dimensions={"related_id": event.related_id}
    )


def post_adjustment(event: Adjustment, ctx: PostingContext) -> JournalEntry | None:
    """Book a balance adjustment against suspense. Raises InvalidInput for an unknown
    direction."""
    if event.direction not in ("credit", "debit"):
        raise InvalidInput(
            f"adjustment {event.external_id} has direction {event.direction!r}; "
            "expected 'credit' or 'debit'",
            field="direction",
        )
    clearing, suspense = ctx.clearing, ctx.role(Role.SUSPENSE)
    into, out_of = (clearing, suspense) if event.direction == "credit" else (suspense, clearing)
    drafts = [
        debit(into, event.amount, event.description),
        credit(out_of, event.amount, event.description),
    ]
    return ctx.entry(event, drafts, f"Adjustment ({event.direction}): {event.description}")


def post_conversion(event: Conversion, ctx: PostingContext) -> JournalEntry | None:
    """Move a clearing balance from one currency to another; None for a same-currency no-op."""
    if event.source.currency == event.target.currency:
        return None
    conversion, memo = (
        ctx.role(Role.CURRENCY_CONVERSION),
        f"Converted by the gateway ({event.related_id or event.external_id})",
    )
    drafts = [
        credit(ctx.clearing, event.source, memo),
        debit(conversion, event.source, memo),
        credit(conversion, event.target, memo),
        debit(ctx.clearing, event.target, memo),
    ]
    rate = f" at {event.rate}" if event.rate is not None else ""
    return ctx.entry(
        event,
        drafts,
        f"{event.source} converted to {event.target}{rate} by the gateway",
        dimensions={"related_id": event.related_id},
    )
