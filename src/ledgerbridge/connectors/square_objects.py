"""Square payments, refunds and disputes → canonical events.

Amounts: Square money is ``{"amount": <int>, "currency": "USD"}`` in the currency's smallest
denomination (ISO 4217 exponent: ``555`` USD is 5.55, ``500`` JPY is ¥500). Payouts and payout
entries name the currency ``currency_code`` instead; both spellings are read.

Keys, chosen so a payment, its refunds and its disputes meet on one subject:

* A sale is keyed on the **payment id**, and the Square order id is kept as the order's name.
  Square's refund carries the payment id but, as its ``order_id``, the id of a *new* return
  order that Square creates for the refund ("This isn't the same Order object that was created
  for the initial Payment", Square's Refunds API guide). Keyed on the order id, a refund could
  never find its sale; keyed on the payment, it always does, and a dispute's
  ``disputed_payment.payment_id`` does too. An order paid with two tenders (two payments) posts
  both, where an order key would have kept only the first.
* ``payment.created`` and ``payment.updated`` of one payment both give ``OrderPaid(<payment
  id>)``: whichever first says COMPLETED posts, the other finds it booked.
* A refund is keyed on its own id; a dispute on its id and stage.

Fees are booked once, from one of two sources: the connection's ``fee_source`` setting, which
the worker passes as ``extra["fee_source"]`` (see :func:`fee_source`):

* **payouts**: the payout's entries (read with the API token) state every fee it settled,
  exactly; the payments and refunds post no fees;
* **payments**: each ``processing_fee`` entry of a payment is a
  :class:`Fee` (``<payment id>:fee:<n>``, so a later fee adjustment posts too), an
  ``app_fee_money`` is a Fee paid to the app developer, and a refund's negative processing fee
  (the fee Square gives back) plus the developer's ``app_fee_money`` contribution is its
  ``fee_refunded``.

Cash and external payments (``source_type`` CASH, EXTERNAL) never pass through Square's
balance: they are MANUAL tenders (a receivable until the money is banked), not clearing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.payload import Obj, invalid, money_at
from ledgerbridge.errors import InvalidInput
from ledgerbridge.events import (
    Adjustment,
    CanonicalEvent,
    Dispute,
    DisputeStage,
    Fee,
    Notice,
    OrderLine,
    OrderPaid,
    OrderSnapshot,
    Payment,
    PaymentKind,
    Refund,
)
from ledgerbridge.money import Money, exponent

GATEWAY = "square"
OUTSIDE_SQUARE = frozenset({"CASH", "EXTERNAL"})
"""Payment source types (and refund destination types) whose money never enters the balance."""
FEE_SOURCES = ("payments", "payouts")


def fee_source(settings: Mapping[str, Any], *, has_token: bool) -> str:
    """Where a connection's fees are booked from: its ``fee_source`` setting.

    The setting is fixed when the connection is made (:func:`with_fee_source`) because the
    choice must not follow the token: fees booked per payment would be booked again by the
    payout that settles them if adding a token switched the source. A connection made before
    the setting existed keeps the old rule (payouts when it has a token). Raises InvalidInput
    for any other value.
    """
    chosen = settings.get("fee_source")
    if chosen is None:
        return "payouts" if has_token else "payments"
    if chosen not in FEE_SOURCES:
        raise InvalidInput(
            f"the Square setting fee_source is {chosen!r}; it must be payments or payouts",
            field="fee_source",
        )
    return str(chosen)


def with_fee_source(settings: Mapping[str, Any] | None, api_token: str | None) -> dict[str, Any]:
    """A new Square connection's settings with ``fee_source`` fixed unless given: payouts when
    it has a token to read the payouts' entries (exact fees), else payments. Raises
    InvalidInput for a value that is neither."""
    chosen = {"fee_source": "payouts" if api_token else "payments", **(settings or {})}
    fee_source(chosen, has_token=bool(api_token))
    return chosen


@dataclass(frozen=True, slots=True)
class Source:
    """The Square object a delivery is about, when the event happened, and the caller's facts."""

    obj: Obj
    event_time: datetime | None
    extra: Mapping[str, Any]

    @property
    def fee_source(self) -> str | None:
        """``payments`` or ``payouts`` as the worker read the setting; None when not told."""
        chosen = self.extra.get("fee_source")
        return chosen if chosen in FEE_SOURCES else None

    @property
    def fees_from_payouts(self) -> bool:
        """True when payouts book the fees (see the module docstring)."""
        return self.fee_source == "payouts"


def square_money(obj: Obj, key: str, *, signed: bool = False) -> Money:
    """Exact Money from a Square money object found at ``obj[key]``."""
    money = obj.obj(key)
    currency = (
        money.currency("currency_code")
        if money.has("currency_code") and not money.has("currency")
        else money.currency("currency")
    )
    minor = money.integer("amount")
    return money_at(
        Decimal(minor).scaleb(-exponent(currency)), currency, money.at("amount"), signed=signed
    )


def opt_square_money(obj: Obj, key: str, *, signed: bool = False) -> Money | None:
    return square_money(obj, key, signed=signed) if obj.has(key) else None


def same_currency(money: Money | None, currency: str, path: str) -> Money:
    """``money`` (zero when absent), refused when it is not in ``currency``."""
    if money is None:
        return Money.zero(currency)
    if money.currency != currency:
        raise invalid(path, f"is in {money.currency}; the payment is in {currency}")
    return money


def _tender(source_type: str | None, transaction_id: str, amount: Money) -> Payment:
    if source_type in OUTSIDE_SQUARE:
        return Payment(source_type.lower(), PaymentKind.MANUAL, amount, transaction_id)
    return Payment(GATEWAY, PaymentKind.CARD, amount, transaction_id)


def _processing_fees(src: Source, owner: str, fallback: datetime) -> list[CanonicalEvent]:
    """One Fee per ``processing_fee`` entry that costs money; a negative one (a fee returned
    outside a refund) is an Adjustment credit for a person to classify."""
    events: list[CanonicalEvent] = []
    for index, item in enumerate(src.obj.objects("processing_fee")):
        fee = square_money(item, "amount_money", signed=True)
        when = item.opt_timestamp("effective_at") or fallback
        key = f"{owner}:fee:{index}"
        if fee.is_positive():
            events.append(Fee(key, when, fee, "Square processing fee", owner))
        elif not fee.is_zero():
            events.append(Adjustment(key, when, -fee, "credit", "Square processing fee returned"))
    return events


def payment_completed(src: Source) -> Events:
    """OrderPaid for a COMPLETED payment (plus its fees when payments book them)."""
    payment = src.obj
    payment_id, status = payment.text("id"), payment.text("status")
    if status != "COMPLETED":
        later = status in {"APPROVED", "PENDING"}
        return [], [
            Notice(
                f"Square payment {payment_id} is {status}; "
                + ("it is posted once COMPLETED" if later else "nothing to post"),
                {"payment": payment_id, "status": status},
            )
        ]
    amount = square_money(payment, "amount_money")
    currency = amount.currency
    tip = same_currency(opt_square_money(payment, "tip_money"), currency, payment.at("tip_money"))
    paid = same_currency(
        opt_square_money(payment, "total_money") or amount + tip,
        currency,
        payment.at("total_money"),
    )
    notices: list[Notice] = []
    if paid != amount + tip:
        notices.append(
            Notice(
                f"Square payment {payment_id}: amount {amount} + tip {tip} is not the total {paid}",
                {"payment": payment_id},
            )
        )
    zero = Money.zero(currency)
    order_id = payment.opt_text("order_id")
    lines = [OrderLine(f"Square sale {order_id or payment_id}", 1, amount, zero, line_id=order_id)]
    if tip.is_positive():
        lines.append(OrderLine("Tip", 1, tip, zero))
    tender = _tender(payment.opt_text("source_type"), payment_id, paid)
    when = payment.timestamp("created_at")
    snapshot = OrderSnapshot(
        order_id=payment_id,
        name=order_id or payment.opt_text("receipt_number") or payment_id,
        currency=currency,
        lines=tuple(lines),
        shipping=(),
        total=paid,
        payments=(tender,),
        customer=payment.opt_text("customer_id"),
        source_name=GATEWAY,
    )
    events: list[CanonicalEvent] = [OrderPaid(payment_id, when, snapshot)]
    if not src.fees_from_payouts and tender.kind is PaymentKind.CARD:
        events += _processing_fees(src, payment_id, when)
        app_fee = opt_square_money(payment, "app_fee_money")
        if app_fee is not None and app_fee.is_positive():
            events.append(
                Fee(f"{payment_id}:app_fee", when, app_fee, "Square application fee", payment_id)
            )
    return events, notices


def refund_completed(src: Source) -> Events:
    """Refund for a COMPLETED refund, keyed to the payment's sale (see the module docstring)."""
    refund = src.obj
    refund_id, status = refund.text("id"), refund.text("status")
    if status != "COMPLETED":
        later = status == "PENDING"
        return [], [
            Notice(
                f"Square refund {refund_id} is {status}; "
                + ("it is posted once COMPLETED" if later else "nothing to post"),
                {"refund": refund_id, "status": status},
            )
        ]
    payment_id = refund.text("payment_id")
    amount = square_money(refund, "amount_money")
    currency = amount.currency
    when = refund.timestamp("created_at")
    tender = _tender(refund.opt_text("destination_type"), refund_id, amount)
    events: list[CanonicalEvent] = []
    returned: Money | None = None
    if not src.fees_from_payouts and tender.kind is PaymentKind.CARD:
        fees = _processing_fees(src, refund_id, when)
        # Square gives (part of) its fee back on a refund as a negative processing fee.
        returned_fees = [e.amount for e in fees if isinstance(e, Adjustment)]
        events += [e for e in fees if isinstance(e, Fee)]
        contribution = same_currency(
            opt_square_money(refund, "app_fee_money"), currency, refund.at("app_fee_money")
        )
        returned = sum(returned_fees, contribution)
    main = Refund(
        external_id=refund_id,
        occurred_at=when,
        order_id=payment_id,
        currency=currency,
        amount=amount,
        # Square refunds money, not goods: the whole amount is a refund adjustment.
        adjustment=amount,
        payments=(tender,),
        fee_refunded=returned if returned is not None and returned.is_positive() else None,
        reason=refund.opt_text("reason"),
    )
    return [main, *events], []


OPENED_STATES = frozenset({"EVIDENCE_REQUIRED", "PROCESSING"})
"""Chargebacks: Square has withdrawn the disputed amount from the balance."""
LOST_STATES = frozenset({"LOST", "ACCEPTED"})


def dispute_stage(src: Source) -> Events:
    """A Dispute at the stage its ``state`` names; inquiries (``INQUIRY_*``) withdraw nothing."""
    dispute = src.obj
    dispute_id = dispute.opt_text("id") or dispute.text("dispute_id")
    state = dispute.text("state")
    if state in OPENED_STATES:
        stage = DisputeStage.OPENED
    elif state == "WON":
        stage = DisputeStage.WON
    elif state in LOST_STATES:
        stage = DisputeStage.LOST
    else:
        return [], [
            Notice(
                f"Square dispute {dispute_id} is {state}; no funds have moved",
                {"dispute": dispute_id, "state": state},
            )
        ]
    disputed = dispute.opt_obj("disputed_payment")
    payment_id = disputed.opt_text("payment_id") if disputed else None
    when = dispute.opt_timestamp("updated_at") or src.event_time or dispute.timestamp("created_at")
    event = Dispute(
        f"{dispute_id}:dispute:{stage.value}",
        when,
        dispute_id,
        stage,
        square_money(dispute, "amount_money"),
        None,  # Square charges no chargeback fee
        payment_id,
        dispute.opt_text("reason"),
    )
    return [event], []
