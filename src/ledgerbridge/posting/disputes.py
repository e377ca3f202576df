"""Posting rule for disputes (chargebacks), stage by stage.

* **Opened**: the gateway withdraws the disputed amount, and usually a dispute fee, from the
  balance: ``Dr chargebacks`` the amount, ``Dr processing_fees`` the fee, ``Cr clearing`` both.
* **Won**: the amount comes back: ``Dr clearing / Cr chargebacks``. The dispute fee normally
  stays with the gateway (Stripe keeps it); a ``fee`` on a *won* event means the gateway
  returned it, and is booked ``Dr clearing / Cr processing_fees``.
* **Lost**: the withdrawal stands and nothing more moves, so nothing is posted — unless the
  opening was never booked, in which case the lost event books the withdrawal itself.

Which stage was booked before comes from :attr:`PriorState.disputes`, and each entry records
its dispute and stage as dimensions (:func:`~.prior.dispute_stages` reads them back). Funds count
as withdrawn after an opened or lost booking. An opening after the withdrawal was booked posts
nothing; a win before any withdrawal was booked raises the retryable
:class:`~.prior.MissingPrerequisite` (the opening is probably still in flight), and a second win
posts nothing.

The source key's kind carries the stage (``dispute.opened``, ``dispute.won``, ``dispute.lost``):
a connector may use the dispute's id as ``external_id`` for every stage, and each stage must
still post once.

Worked example: a 50.00 dispute opened with a 15.00 fee, then won::

    opened  Dr chargebacks 50.00, Dr processing_fees 15.00 / Cr clearing 65.00
    won     Dr clearing 50.00 / Cr chargebacks 50.00      (clearing: −15.00, the fee kept)
"""

from __future__ import annotations

from ledgerbridge.events import Dispute, DisputeStage
from ledgerbridge.ledger.chart import Role
from ledgerbridge.ledger.entries import JournalEntry
from ledgerbridge.money import Money
from ledgerbridge.posting.context import PostingContext
from ledgerbridge.posting.drafts import Draft, credit, debit, negate
from ledgerbridge.posting.prior import DISPUTE_ID, DISPUTE_STAGE, MissingPrerequisite, PriorState

WITHDRAWN = frozenset({DisputeStage.OPENED, DisputeStage.LOST})
"""Booked stages after which the disputed funds are out of the clearing account."""


def post_dispute(event: Dispute, ctx: PostingContext, prior: PriorState) -> JournalEntry | None:
    """Book one stage of a dispute; None when the stage moves nothing new.

    Raises MissingPrerequisite for a win whose withdrawal was never booked.
    """
    booked = prior.disputes.get(event.dispute_id)
    if event.stage is DisputeStage.WON and booked is None:
        raise MissingPrerequisite(
            f"dispute {event.dispute_id} was won before its opening was posted",
            field="dispute_id",
        )
    where = f" on order {event.order_id}" if event.order_id else ""
    why = f": {event.reason}" if event.reason else ""
    return ctx.entry(
        event,
        _movement(event, ctx, booked),
        f"Dispute {event.dispute_id} {event.stage.value}{where}{why}",
        kind=f"{event.kind}.{event.stage.value}",
        dimensions={
            DISPUTE_ID: event.dispute_id,
            DISPUTE_STAGE: event.stage.value,
            "order_id": event.order_id,
            "reason": event.reason,
        },
    )


def _movement(event: Dispute, ctx: PostingContext, booked: DisputeStage | None) -> list[Draft]:
    """Withdraw, reinstate, or nothing, from the stage reported and the stage booked."""
    withdrawn = booked in WITHDRAWN
    if event.stage is DisputeStage.WON:
        return _moved(event, ctx, reinstated=True) if withdrawn else []
    if withdrawn or (event.stage is DisputeStage.OPENED and booked is not None):
        return []
    return _moved(event, ctx, reinstated=False)


def _moved(event: Dispute, ctx: PostingContext, *, reinstated: bool) -> list[Draft]:
    """The withdrawal (amount and fee out of clearing), or its mirror image when reinstated."""
    memo = f"Dispute {event.dispute_id}"
    fee = event.fee or Money.zero(event.amount.currency)
    drafts = [
        debit(ctx.role(Role.CHARGEBACKS), event.amount, f"Chargeback: {memo}"),
        debit(ctx.role(Role.PROCESSING_FEES), fee, f"Dispute fee: {memo}"),
        credit(
            ctx.clearing,
            event.amount + fee,
            f"{memo}: funds {'reinstated' if reinstated else 'withdrawn'}",
        ),
    ]
    return negate(drafts) if reinstated else drafts
