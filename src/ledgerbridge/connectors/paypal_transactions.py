"""Rows of PayPal's Transaction Search API (``transaction_details[]``) → canonical events.

Two uses, both for history pulled by :mod:`ledgerbridge.sync.paypal`:

* **Withdrawals to the bank** have no webhook at all. A row whose
  ``transaction_info.transaction_event_code`` is ``T04xx`` (general withdrawal, auto-sweep,
  user-initiated …) is filed under the pseudo-topic :data:`WITHDRAWAL_TOPIC` and becomes a
  :class:`Payout` keyed on its transaction id: what reached the bank is the absolute
  ``transaction_amount``, a ``fee_amount`` is the fee PayPal took on top, so clearing goes down
  by both. Status ``S`` is paid, ``P`` in transit (the balance is already debited); ``D``
  (denied) and ``V`` (reversed) moved nothing and post nothing.
* **A capture or refund the v2 API does not know** (older website payments) is read from its
  row under ``PAYMENT.CAPTURE.COMPLETED`` / ``PAYMENT.CAPTURE.REFUNDED``, keyed on
  ``transaction_id`` — the capture or refund id — like the webhook.

Timestamps look like ``2024-03-01T10:00:00+0000``; amounts are v2 money, signed (a fee is
negative).
"""

from __future__ import annotations

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.payload import Obj
from ledgerbridge.connectors.paypal_objects import money_back, money_of, sale
from ledgerbridge.events import (
    Notice,
    Payout,
)
from ledgerbridge.money import Money

WITHDRAWAL_TOPIC = "ledgerbridge.withdrawal"
"""Our topic for a withdrawal row: lower case, so it can never be one of PayPal's event types."""
PAYOUT_STATUS = {"S": "paid", "P": "in_transit", "D": "failed", "V": "failed"}


def is_row(root: Obj) -> bool:
    return root.has("transaction_info")


def event_code(row: Obj) -> str:
    return row.obj("transaction_info").text("transaction_event_code").upper()


def _signed(info: Obj, key: str, currency: str) -> Money:
    if not info.has(key):
        return Money.zero(currency)
    return abs(money_of(info, key, signed=True, currency=currency))


def withdrawal(row: Obj) -> Events:
    info = row.obj("transaction_info")
    txn_id, code = info.text("transaction_id"), event_code(row)
    if not code.startswith("T04"):
        return [], [Notice(f"PayPal transaction {txn_id} ({code}) is not a withdrawal")]
    status = PAYOUT_STATUS.get((info.opt_text("transaction_status") or "S").upper(), "failed")
    amount = abs(money_of(info, "transaction_amount", signed=True))
    when = info.timestamp("transaction_initiation_date")
    payout = Payout(
        external_id=txn_id,
        occurred_at=when,
        amount=amount,
        arrival_date=when.date(),
        fees=_signed(info, "fee_amount", amount.currency),
        fees_known=True,
        status=status,
        bank_reference=txn_id,
    )
    if status == "failed":
        return [payout], [Notice(f"PayPal withdrawal {txn_id} was denied or reversed; not booked")]
    return [payout], []


def capture_row(row: Obj) -> Events:
    """OrderPaid and Fee for a capture known only from its transaction search row."""
    info = row.obj("transaction_info")
    capture_id = info.text("transaction_id")
    status = (info.opt_text("transaction_status") or "").upper()
    if status != "S":
        return [], [Notice(f"PayPal transaction {capture_id} has status {status}; not posted")]
    amount = money_of(info, "transaction_amount")
    when = info.timestamp("transaction_initiation_date")
    name = info.opt_text("invoice_id") or info.opt_text("custom_field") or capture_id
    return sale(capture_id, name, amount, _signed(info, "fee_amount", amount.currency), when), []


def refund_row(row: Obj) -> Events:
    """A Refund for a ``T1107`` row the v2 API does not know: the money that went back is
    the absolute ``transaction_amount``, the fee PayPal returned is ``fee_amount``, and the
    capture it belongs to is ``paypal_reference_id``."""
    info = row.obj("transaction_info")
    refund_id = info.text("transaction_id")
    status = (info.opt_text("transaction_status") or "").upper()
    if status != "S":
        return [], [Notice(f"PayPal refund {refund_id} has status {status}; not posted")]
    amount = abs(money_of(info, "transaction_amount", signed=True))
    refund = money_back(
        refund_id,
        info.text("paypal_reference_id"),
        amount,
        _signed(info, "fee_amount", amount.currency),
        info.timestamp("transaction_initiation_date"),
    )
    return [refund], []
