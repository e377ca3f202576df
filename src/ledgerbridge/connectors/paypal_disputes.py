"""PayPal disputes and capture reversals → :class:`Dispute` stages (and an :class:`Adjustment`).

One key for both: every stage is keyed on the **disputed capture**
(``disputed_transactions[0].seller_transaction_id``), ``<capture>:dispute:<stage>``, with the
capture as the Dispute's ``dispute_id``. That is what lets the two ways PayPal reports a lost
dispute meet:

* ``CUSTOMER.DISPUTE.CREATED`` / ``UPDATED`` → **opened**: PayPal holds the disputed amount
  as soon as a case is opened, inquiry or chargeback, so the money leaves clearing then.
* ``CUSTOMER.DISPUTE.RESOLVED`` → by ``dispute_outcome.outcome_code``: **lost** for
  ``RESOLVED_BUYER_FAVOUR`` and ``ACCEPTED``; **won** (the hold released) for
  ``RESOLVED_SELLER_FAVOUR``, ``RESOLVED_WITH_PAYOUT`` (PayPal's seller protection paid),
  ``CANCELED_BY_BUYER`` and ``DENIED``; nothing for ``NONE``.
* ``PAYMENT.CAPTURE.REVERSED`` (and legacy ``PAYMENT.SALE.REVERSED``) → **lost**. PayPal
  reverses a capture only when a chargeback or claim went against the merchant, and it is
  money taken back from the balance for a sale that stands as booked — a chargeback, not a
  refund and not an unexplained adjustment. As a Dispute LOST keyed on the capture it lands on
  the *same source key* as the case's own buyer-favour resolution, so the money is taken once
  whichever arrives first, and a reversal after the opening was booked moves nothing new (see
  :mod:`ledgerbridge.posting.disputes`). A fee PayPal gives back with the reversal
  (``seller_payable_breakdown.paypal_fee``) is an Adjustment credit.

Known limits, each with a notice: a legacy reversal naming no capture is keyed on its own id
and cannot meet its case; a capture disputed twice shares the keys of its first dispute.
"""

from __future__ import annotations

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.payload import Obj
from ledgerbridge.connectors.paypal_objects import (
    Source,
    capture_of_refund,
    money_of,
    opt_money,
    state_of,
)
from ledgerbridge.events import Adjustment, CanonicalEvent, Dispute, DisputeStage, Notice
from ledgerbridge.money import Money

LOST = frozenset({"RESOLVED_BUYER_FAVOUR", "ACCEPTED"})
WON = frozenset({"RESOLVED_SELLER_FAVOUR", "RESOLVED_WITH_PAYOUT", "CANCELED_BY_BUYER", "DENIED"})


def _stage_event(
    key: str, src: Source, stage: DisputeStage, amount: Money, reason: str | None
) -> Dispute:
    # An opening dates from the case's creation; a resolution from its last update.
    first, then = ("create_time", "update_time")
    when = src.when(first, then) if stage is DisputeStage.OPENED else src.when(then, first)
    return Dispute(f"{key}:dispute:{stage.value}", when, key, stage, amount, None, key, reason)


def _disputed_capture(case: Obj, case_id: str) -> tuple[str, list[Notice]]:
    listed = [t for t in case.objects("disputed_transactions") if t.has("seller_transaction_id")]
    if not listed:
        return case_id, [
            Notice(
                f"PayPal dispute {case_id} names no seller transaction; keyed on the case",
                {"dispute": case_id},
            )
        ]
    notices = (
        [
            Notice(
                f"PayPal dispute {case_id} covers {len(listed)} transactions; booked against "
                "the first",
                {"dispute": case_id},
            )
        ]
        if len(listed) > 1
        else []
    )
    return listed[0].text("seller_transaction_id"), notices


def dispute_stage(src: Source, topic: str) -> Events:
    case = src.obj
    case_id = case.text("dispute_id")
    capture, notices = _disputed_capture(case, case_id)
    amount = money_of(case, "dispute_amount" if case.has("dispute_amount") else "disputed_amount")
    reason = case.opt_text("reason")
    resolved = topic == "CUSTOMER.DISPUTE.RESOLVED" or state_of(case) == "RESOLVED"
    if not resolved:
        return [_stage_event(capture, src, DisputeStage.OPENED, amount, reason)], notices
    outcome_obj = case.opt_obj("dispute_outcome")
    outcome = (outcome_obj.opt_text("outcome_code") if outcome_obj else None) or "NONE"
    if outcome in LOST:
        return [_stage_event(capture, src, DisputeStage.LOST, amount, reason)], notices
    if outcome in WON:
        return [_stage_event(capture, src, DisputeStage.WON, amount, reason)], notices
    return [], [
        *notices,
        Notice(
            f"PayPal dispute {case_id} resolved with outcome {outcome}; nothing to post",
            {"dispute": case_id, "outcome": outcome},
        ),
    ]


def capture_reversed(src: Source) -> Events:
    """Dispute LOST for the reversed amount, keyed on the capture (see the module docstring)."""
    reversal = src.obj
    reversal_id, state = reversal.text("id"), state_of(reversal)
    if state not in ("", "COMPLETED"):
        return [], [Notice(f"PayPal reversal {reversal_id} is {state}; not posted")]
    amount = abs(money_of(reversal, "amount", signed=True))
    capture = capture_of_refund(reversal)
    notices: list[Notice] = []
    if capture is None:
        notices.append(
            Notice(
                f"PayPal reversal {reversal_id} names no capture; booked on its own id, so a "
                "dispute case about the same sale may need a person",
                {"reversal": reversal_id},
            )
        )
    key = capture or reversal_id
    reason = reversal.opt_text("note_to_payer") or "PayPal reversed the payment"
    events: list[CanonicalEvent] = [_stage_event(key, src, DisputeStage.LOST, amount, reason)]
    breakdown = reversal.opt_obj("seller_payable_breakdown")
    fee_back = opt_money(breakdown, "paypal_fee", amount.currency)
    if fee_back is not None and fee_back.is_positive():
        events.append(
            Adjustment(
                f"{reversal_id}:fee_returned",
                src.when("create_time", "update_time"),
                fee_back,
                "credit",
                f"PayPal fee returned with reversal {reversal_id}",
            )
        )
    return events, notices
