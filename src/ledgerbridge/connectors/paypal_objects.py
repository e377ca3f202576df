"""PayPal captures, refunds and reversals → canonical events.

PayPal has written money two ways, and both still arrive: the v2 API (``{"currency_code":
"USD", "value": "7.47"}``, ``status: "COMPLETED"``) and the v1 API behind the legacy samples
and ``PAYMENT.SALE.*`` (``{"currency": "USD", "total": "7.47"}``, ``state: "completed"``; a v1
refund may state its amount as negative). :func:`money_of` reads either; every amount here is a
string read exactly, and refunds and reversals are booked by their absolute value.

Keys, chosen so a webhook and a backfill post once and a refund finds its sale:

* A sale is keyed on its **capture id** (a v1 sale's id): the one id every source carries —
  the capture webhook, the capture fetched from ``/v2/payments/captures/{id}``, the transaction
  search row (``transaction_id``), a refund (its ``up`` link, or v1 ``capture_id``/``sale_id``)
  and a dispute (``seller_transaction_id``). The order's display name is the merchant's
  ``invoice_id``, else ``custom_id``, else PayPal's order id
  (``supplementary_data.related_ids.order_id``), else the capture id.
* Its fee is ``<capture>:fee``, marketplace platform fees ``<capture>:platform_fees``, and a
  currency conversion ``<capture>:conversion``.
* A refund is keyed on the refund id; its conversion on ``<refund>:conversion``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.payload import Obj, invalid, total
from ledgerbridge.events import (
    CanonicalEvent,
    Conversion,
    Fee,
    Notice,
    OrderLine,
    OrderPaid,
    OrderSnapshot,
    Payment,
    PaymentKind,
    Refund,
)
from ledgerbridge.money import Money

GATEWAY = "paypal"
CAPTURED = frozenset({"COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED", "REVERSED"})
"""Capture states in which the money was taken (a capture fetched after a refund says so)."""


@dataclass(frozen=True, slots=True)
class Source:
    """The resource a delivery is about, and when the delivery says it happened."""

    obj: Obj
    event_time: datetime | None

    def when(self, *keys: str) -> datetime:
        for key in keys:
            if self.obj.has(key):
                return self.obj.timestamp(key)
        if self.event_time is None:
            raise invalid(self.obj.at(keys[0]), "is required")
        return self.event_time


def money_of(parent: Obj, key: str, *, signed: bool = False, currency: str | None = None) -> Money:
    """A v2 (``currency_code``/``value``) or v1 (``currency``/``total`` or ``value``) amount;
    with ``currency``, one in another currency is refused (a fee must be in its sale's)."""
    amount = parent.obj(key)
    code_key = "currency_code" if amount.has("currency_code") else "currency"
    found = amount.money(
        "value" if amount.has("value") else "total", amount.currency(code_key), signed=signed
    )
    if currency is not None and found.currency != currency:
        raise invalid(amount.at(code_key), f"is {found.currency}; expected {currency}")
    return found


def opt_money(parent: Obj | None, key: str, currency: str | None = None) -> Money | None:
    if parent is None or not parent.has(key):
        return None
    return money_of(parent, key, currency=currency)


def state_of(resource: Obj) -> str:
    """``status`` (v2) or ``state`` (v1), upper-cased; empty when neither is given."""
    value = resource.opt_text("status") or resource.opt_text("state") or ""
    return value.upper()


def _order_name(capture: Obj, capture_id: str) -> str:
    supplementary = capture.opt_obj("supplementary_data")
    related = supplementary.opt_obj("related_ids") if supplementary else None
    return (
        capture.opt_text("invoice_id")
        or capture.opt_text("custom_id")
        or (related.opt_text("order_id") if related else None)
        or capture_id
    )


def sale(
    capture_id: str, name: str, amount: Money, fee: Money | None, when: datetime
) -> list[CanonicalEvent]:
    """OrderPaid for a capture's gross (one line: a capture knows no items), and its fee."""
    snapshot = OrderSnapshot(
        order_id=capture_id,
        name=name,
        currency=amount.currency,
        lines=(OrderLine(f"PayPal payment {capture_id}", 1, amount, Money.zero(amount.currency)),),
        shipping=(),
        total=amount,
        payments=(Payment(GATEWAY, PaymentKind.CARD, amount, capture_id),),
        source_name=GATEWAY,
    )
    events: list[CanonicalEvent] = [OrderPaid(capture_id, when, snapshot)]
    if fee is not None and fee.is_positive():
        events.append(Fee(f"{capture_id}:fee", when, fee, "PayPal fee", capture_id))
    return events


def money_back(
    refund_id: str,
    capture_id: str,
    amount: Money,
    fee_back: Money | None,
    when: datetime,
    reason: str | None = None,
) -> Refund:
    """A Refund of money, not goods: the whole amount is an "other refunded amount"."""
    return Refund(
        external_id=refund_id,
        occurred_at=when,
        order_id=capture_id,
        currency=amount.currency,
        amount=amount,
        adjustment=amount,
        payments=(Payment(GATEWAY, PaymentKind.CARD, amount, refund_id),),
        fee_refunded=fee_back if fee_back is not None and fee_back.is_positive() else None,
        reason=reason,
    )


def capture_completed(src: Source) -> Events:
    """OrderPaid for the gross, a Fee for PayPal's fee, and a Conversion when PayPal credited
    the balance in another currency (see the module docstring for keys)."""
    capture = src.obj
    capture_id, state = capture.text("id"), state_of(capture)
    if state not in CAPTURED:
        return [], [
            Notice(f"PayPal capture {capture_id} is {state or 'without a status'}; not posted")
        ]
    amount = money_of(capture, "amount")
    currency = amount.currency
    breakdown = capture.opt_obj("seller_receivable_breakdown")
    fee = opt_money(breakdown, "paypal_fee", currency) or opt_money(
        capture, "transaction_fee", currency
    )
    when = src.when("create_time", "update_time")
    events = sale(capture_id, _order_name(capture, capture_id), amount, fee, when)
    notices: list[Notice] = []
    platform = _platform_fees(breakdown, amount.currency)
    if platform.is_positive():
        events.append(
            Fee(f"{capture_id}:platform_fees", when, platform, "PayPal platform fees", capture_id)
        )
    if breakdown is None:
        if fee is None:
            notices.append(Notice(f"PayPal capture {capture_id} states no fee; none was booked"))
        return events, notices
    net = amount - (fee or Money.zero(amount.currency)) - platform
    stated = opt_money(breakdown, "net_amount", currency)
    if stated is not None and stated != net:
        notices.append(
            Notice(f"PayPal capture {capture_id}: gross − fees = {net}, but net_amount is {stated}")
        )
    events += _conversion(breakdown, stated or net, "receivable_amount", capture_id, when)
    return events, notices


def _platform_fees(breakdown: Obj | None, currency: str) -> Money:
    fees = breakdown.objects("platform_fees") if breakdown is not None else []
    return total([money_of(item, "amount", currency=currency) for item in fees], currency)


def _rate(breakdown: Obj) -> Decimal | None:
    rate = breakdown.opt_obj("exchange_rate")
    return rate.opt_decimal("value") if rate is not None else None


def _conversion(
    breakdown: Obj,
    net: Money,
    converted_key: str,
    related_id: str,
    when: datetime,
    *,
    outgoing: bool = False,
) -> list[CanonicalEvent]:
    """PayPal credited (or, for a refund, debited) the balance in another currency."""
    converted = opt_money(breakdown, converted_key)
    if converted is None or converted.currency == net.currency:
        return []
    source, target = (converted, net) if outgoing else (net, converted)
    return [
        Conversion(f"{related_id}:conversion", when, source, target, _rate(breakdown), related_id)
    ]


def capture_of_refund(refund: Obj) -> str | None:
    """The capture (or v1 sale) a refund belongs to: v1 ``capture_id``/``sale_id``, else the
    v2 ``up`` link ``…/v2/payments/captures/<id>``."""
    for key in ("capture_id", "sale_id"):
        if refund.has(key):
            return refund.text(key)
    for link in refund.objects("links"):
        href = link.opt_text("href") or ""
        if link.opt_text("rel") not in ("up", "capture", "sale"):
            continue
        for marker in ("/captures/", "/capture/", "/sale/"):
            if marker in href:
                return href.split(marker, 1)[1].strip("/").split("/")[0] or None
    return None


def refund_completed(src: Source) -> Events:
    """One Refund of the money that went back, PayPal's returned fee as ``fee_refunded``."""
    refund = src.obj
    refund_id, state = refund.text("id"), state_of(refund)
    if state not in ("", "COMPLETED"):
        return [], [Notice(f"PayPal refund {refund_id} is {state}; it is posted once completed")]
    capture_id = capture_of_refund(refund)
    if capture_id is None:
        raise invalid(refund.at("links"), "name no capture this refund belongs to")
    amount = abs(money_of(refund, "amount", signed=True))
    when = src.when("create_time", "update_time")
    breakdown = refund.opt_obj("seller_payable_breakdown")
    fee_back = opt_money(breakdown, "paypal_fee", amount.currency) or _v1_fee_back(
        refund, amount.currency
    )
    reason = refund.opt_text("note_to_payer") or refund.opt_text("reason")
    event = money_back(refund_id, capture_id, amount, fee_back, when, reason)
    events: list[CanonicalEvent] = [event]
    if breakdown is not None:
        net = opt_money(breakdown, "net_amount", amount.currency) or amount - (
            fee_back or Money.zero(amount.currency)
        )
        events += _conversion(
            breakdown, net, "net_amount_in_receivable_currency", refund_id, when, outgoing=True
        )
    return events, []


def _v1_fee_back(refund: Obj, currency: str) -> Money | None:
    """v1 ``refund_from_transaction_fee``: the part of PayPal's fee it gave back."""
    if not refund.has("refund_from_transaction_fee"):
        return None
    return abs(money_of(refund, "refund_from_transaction_fee", signed=True, currency=currency))
