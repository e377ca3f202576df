"""Stripe objects (charge, checkout session, dispute, payout) → canonical events.

Amounts: Stripe sends integers in the currency's *Stripe* minor unit. That is the ISO 4217
exponent except where Stripe documents otherwise (docs.stripe.com/currencies):

* the zero-decimal list (BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF): the
  integer is whole units, so ``500`` JPY is ¥500 and ``500`` MGA is 500.00 Ar (ISO gives MGA
  two decimals; Stripe none);
* ISK: Stripe keeps two decimals for backwards compatibility although ISO gives none, so
  ``500`` is 5 kr; a fractional króna (``4010``) cannot be booked in ISK and is refused;
* three-decimal currencies (KWD, BHD, JOD, OMR, TND) follow ISO: ``5120`` KWD is 5.120.

Keys, chosen so nothing is counted twice:

* A sale is keyed on its PaymentIntent when it has one, else on the charge. A checkout
  session and the charge that paid it therefore produce the *same* ``OrderPaid.external_id``
  and the ledger keeps whichever arrives first. Sessions carry the tax, discount and shipping
  split, charges do not: a connection that sells through Checkout should set
  ``extra={"post_charges": False}`` so only sessions post.
* A refund is keyed on its ``re_…`` id; a ``charge.refunded`` delivery emits one Refund per
  refund listed on the charge, and the ledger ignores those it already holds.

Disputes and payouts, which are balance movements rather than sales, are in
:mod:`~ledgerbridge.connectors.stripe_balance`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.payload import Obj, invalid
from ledgerbridge.connectors.stripe_money import (
    stripe_money,
)
from ledgerbridge.connectors.stripe_settlement import balance_transaction, settlement
from ledgerbridge.events import (
    CanonicalEvent,
    Fee,
    Notice,
    OrderLine,
    OrderPaid,
    OrderPending,
    OrderSnapshot,
    Payment,
    PaymentKind,
    Refund,
    ShippingLine,
    TaxLine,
)
from ledgerbridge.money import Money


@dataclass(frozen=True, slots=True)
class Source:
    """The object a delivery is about, when it happened, and the caller's extra facts."""

    obj: Obj
    event_time: datetime | None
    previous: Obj | None
    extra: Mapping[str, Any]

    def when(self, *keys: str) -> datetime:
        """The first of the object's Unix ``keys`` present, else the event's ``created``."""
        for key in keys:
            if self.obj.has(key):
                return self.obj.unix(key)
        if self.event_time is None:
            raise invalid(self.obj.at(keys[0]), "is required")
        return self.event_time

    def amount(self, key: str, currency: str) -> Money:
        return stripe_money(self.obj.required(key), currency, self.obj.at(key))


def ref_id(obj: Obj, key: str) -> str | None:
    """An id field that Stripe may also send expanded (``"pi_…"`` or ``{"id": "pi_…"}``)."""
    value = obj.raw(key)
    if isinstance(value, dict):
        return obj.obj(key).text("id")
    return obj.opt_text(key)


def _snapshot(
    order_id: str, name: str, amount: Money, *, line: str, tx_id: str | None, customer: str | None
) -> OrderSnapshot:
    currency = amount.currency
    return OrderSnapshot(
        order_id=order_id,
        name=name,
        currency=currency,
        lines=(OrderLine(line, 1, amount, Money.zero(currency)),),
        shipping=(),
        total=amount,
        payments=(Payment("stripe", PaymentKind.CARD, amount, tx_id),),
        customer=customer,
        source_name="stripe",
    )


def _charge_fee(charge: Obj, extra: Mapping[str, Any], charge_id: str) -> list[CanonicalEvent]:
    """A Fee from the charge's balance transaction, when it is expanded or given in extra.

    ``extra={"post_charge_fees": False}`` leaves fees to the payout, for connections whose
    payouts are posted from their balance transactions (booking both would count fees twice).
    """
    txn = balance_transaction(charge, extra)
    if txn is None or extra.get("post_charge_fees", True) is False:
        return []
    currency = txn.currency("currency")
    fee = stripe_money(txn.required("fee"), currency, txn.at("fee"))
    if fee.is_zero():
        return []
    return [Fee(txn.text("id"), txn.unix("created"), fee, "Stripe processing fee", charge_id)]


def charge_paid(src: Source) -> Events:
    charge = src.obj
    charge_id = charge.text("id")
    if src.extra.get("post_charges", True) is False:
        # The sale is posted from elsewhere (a checkout session, or the store's own order),
        # but the fee Stripe kept on this charge is still this connection's to book.
        currency = charge.currency("currency")
        moved = src.amount(
            "amount_captured" if charge.opt_integer("amount_captured") else "amount", currency
        )
        settled = settlement(balance_transaction(charge, src.extra), moved, charge_id)
        return [*settled, *_charge_fee(charge, src.extra, charge_id)], [
            Notice(
                f"charge {charge_id} not posted as a sale: this connection posts sales "
                "from checkout sessions or the store (post_charges=False)",
                {"charge": charge_id},
            )
        ]
    status = charge.opt_text("status")
    if status != "succeeded":
        return [], [Notice(f"charge {charge_id} is {status}; not posted", {"charge": charge_id})]
    if not charge.flag("captured", default=True):
        return [], [
            Notice(
                f"charge {charge_id} is authorised but not captured; it is posted "
                "from charge.captured",
                {"charge": charge_id},
            )
        ]
    currency = charge.currency("currency")
    captured = charge.opt_integer("amount_captured")
    # Payloads older than amount_captured (2020) carry 0 there for captured charges.
    amount = src.amount("amount_captured" if captured else "amount", currency)
    key = ref_id(charge, "payment_intent") or charge_id
    metadata = charge.opt_obj("metadata")
    name = (metadata.opt_text("order_id") if metadata else None) or charge_id
    snapshot = _snapshot(
        key,
        name,
        amount,
        line=charge.opt_text("description") or f"Stripe charge {charge_id}",
        tx_id=charge_id,
        customer=ref_id(charge, "customer"),
    )
    paid = OrderPaid(key, src.when("created"), snapshot)
    settled = settlement(balance_transaction(charge, src.extra), amount, charge_id)
    return [paid, *settled, *_charge_fee(charge, src.extra, charge_id)], _fee_unknown(
        charge, src.extra, charge_id
    )


def _fee_unknown(charge: Obj, extra: Mapping[str, Any], charge_id: str) -> list[Notice]:
    """Say so when this charge's fee should be booked from it but cannot be: a webhook names
    its balance transaction only by id, and without API access nothing reads it. The Stripe
    clearing then holds the fee until someone books it; an API token fixes it for good."""
    if extra.get("post_charge_fees", True) is False or balance_transaction(charge, extra):
        return []
    return [
        Notice(
            f"charge {charge_id}: Stripe's fee is not in the webhook and was not booked; give "
            "the connection an API token (connections update --api-token) so payouts book fees "
            "exactly",
            {"charge": charge_id, "missing": "fee"},
        )
    ]


def _session_taxes(totals: Obj, currency: str, tax: Money) -> tuple[TaxLine, ...]:
    breakdown = totals.opt_obj("breakdown")
    taxes = breakdown.objects("taxes") if breakdown else []
    if not taxes:
        return (TaxLine("Tax", tax),) if tax.is_positive() else ()
    lines = []
    for item in taxes:
        rate = item.opt_obj("rate")
        lines.append(
            TaxLine(
                title=(rate.opt_text("display_name") if rate else None) or "Tax",
                amount=stripe_money(item.required("amount"), currency, item.at("amount")),
                rate=(rate.opt_decimal("percentage") if rate else None),
                jurisdiction=rate.opt_text("jurisdiction") if rate else None,
            )
        )
    return tuple(lines)


def _session_lines(
    session: Obj, currency: str, subtotal: Money, discount: Money
) -> tuple[OrderLine, ...]:
    expanded = session.opt_obj("line_items")
    items = expanded.objects("data") if expanded else []
    if not items:
        return (OrderLine("Checkout items", 1, subtotal, discount),)
    return tuple(
        OrderLine(
            title=item.opt_text("description") or "Item",
            quantity=item.integer("quantity") if item.has("quantity") else 1,
            gross=stripe_money(
                item.required("amount_subtotal"), currency, item.at("amount_subtotal")
            ),
            discount=stripe_money(
                item.raw("amount_discount") or 0, currency, item.at("amount_discount")
            ),
            line_id=item.opt_text("id"),
        )
        for item in items
    )


def session_completed(src: Source) -> Events:
    session = src.obj
    session_id = session.text("id")
    mode, status = session.opt_text("mode") or "payment", session.text("payment_status")
    if mode != "payment" or status == "no_payment_required":
        return [], [
            Notice(
                f"checkout session {session_id} ({mode}, {status}) moved no money "
                "of its own; subscriptions post from their invoices' charges",
                {"session": session_id},
            )
        ]
    currency = session.currency("currency")
    subtotal, order_total = (
        src.amount("amount_subtotal", currency),
        src.amount("amount_total", currency),
    )
    totals = session.opt_obj("total_details") or Obj({}, session.at("total_details"))
    part = {
        k: stripe_money(totals.raw(k) or 0, currency, totals.at(k))
        for k in ("amount_discount", "amount_shipping", "amount_tax")
    }
    before_tax = subtotal - part["amount_discount"] + part["amount_shipping"]
    notices = []
    included = order_total == before_tax and part["amount_tax"].is_positive()
    if not included and order_total != before_tax + part["amount_tax"]:
        notices.append(
            Notice(
                f"checkout session {session_id}: subtotal, discount, shipping and "
                f"tax do not give amount_total {order_total}",
                {"session": session_id},
            )
        )
    intent = ref_id(session, "payment_intent")
    key = intent or session_id
    shipping = part["amount_shipping"]
    snapshot = OrderSnapshot(
        order_id=key,
        name=session.opt_text("client_reference_id") or session_id,
        currency=currency,
        lines=_session_lines(session, currency, subtotal, part["amount_discount"]),
        shipping=(ShippingLine("Shipping", shipping, Money.zero(currency)),)
        if shipping.is_positive()
        else (),
        total=order_total,
        taxes_included=included,
        payments=(Payment("stripe", PaymentKind.CARD, order_total, intent),),
        order_taxes=_session_taxes(totals, currency, part["amount_tax"]),
        customer=ref_id(session, "customer"),
        source_name="stripe_checkout",
    )
    event_type = OrderPaid if status == "paid" else OrderPending
    return [event_type(key, src.when("created"), snapshot)], notices


def _nothing_new(charge_id: str) -> Notice:
    return Notice(f"charge {charge_id}: no refunded amount to post", {"charge": charge_id})


def _refund(r: Obj, charge_currency: str, order_key: str, fallback: datetime) -> Refund:
    currency = r.currency("currency") if r.has("currency") else charge_currency
    amount = stripe_money(r.required("amount"), currency, r.at("amount"))
    refund_id = r.text("id")
    return Refund(
        external_id=refund_id,
        occurred_at=r.unix("created") if r.has("created") else fallback,
        order_id=order_key,
        currency=currency,
        amount=amount,
        adjustment=amount,  # money, not goods: see the amount_refunded case below
        payments=(Payment("stripe", PaymentKind.CARD, amount, refund_id),),
        reason=r.opt_text("reason"),
    )


def _previously_listed(previous: Obj | None) -> set[str]:
    """Ids of refunds the charge listed before this event (already posted then)."""
    before = previous.opt_obj("refunds") if previous else None
    return {r.text("id") for r in before.objects("data") if r.has("id")} if before else set()


def _fetched(extra: Mapping[str, Any], object_id: str) -> Mapping[str, Any]:
    """``extra["balance_transactions_by_source"][id]`` (fetched by the worker with API access)
    as the ``balance_transaction`` extra of one object."""
    fetched = extra.get("balance_transactions_by_source")
    txn = fetched.get(object_id) if isinstance(fetched, Mapping) else None
    return {"balance_transaction": txn} if isinstance(txn, dict) else {}


def charge_refunded(src: Source) -> Events:
    """One Refund per refund that is new in this event: listed on the charge now but not in
    ``previous_attributes``; without a list, the increase of ``amount_refunded``."""
    charge = src.obj
    charge_id, currency = charge.text("id"), charge.currency("currency")
    order_key = ref_id(charge, "payment_intent") or charge_id
    when = src.event_time or charge.unix("created")
    listed = charge.opt_obj("refunds")
    refunds = listed.objects("data") if listed else []
    events: list[CanonicalEvent] = []
    notices: list[Notice] = []
    if listed and listed.flag("has_more"):
        notices.append(
            Notice(
                f"charge {charge_id} lists only its newest refunds; older ones were posted "
                "from earlier deliveries",
                {"charge": charge_id},
            )
        )
    known = _previously_listed(src.previous)
    for r in refunds:
        if r.opt_text("id") in known:
            continue
        status = r.opt_text("status") or "succeeded"
        if status in {"succeeded", "pending"}:
            refund = _refund(r, currency, order_key, when)
            events.append(refund)
            events += settlement(
                balance_transaction(r, _fetched(src.extra, refund.external_id)),
                refund.amount,
                refund.external_id,
                outgoing=True,
            )
        else:
            notices.append(
                Notice(
                    f"refund {r.opt_text('id')} is {status}; not posted",
                    {"charge": charge_id, "status": status},
                )
            )
    if refunds:
        return events, notices or ([] if events else [_nothing_new(charge_id)])
    # Newer API versions do not list refunds on the charge: book the increase instead.
    refunded = src.amount("amount_refunded", currency)
    before = (
        stripe_money(
            src.previous.raw("amount_refunded"), currency, src.previous.at("amount_refunded")
        )
        if src.previous and src.previous.has("amount_refunded")
        else Money.zero(currency)
    )
    delta = refunded - before
    if not delta.is_positive():
        return [], [_nothing_new(charge_id)]
    key = f"{charge_id}:refunded:{refunded.minor}"
    return [
        Refund(
            key,
            when,
            order_key,
            currency,
            delta,
            # Stripe refunds money, not goods: no line detail, so the whole amount is the
            # "other refunded amount" that posting books to sales returns.
            adjustment=delta,
            payments=(Payment("stripe", PaymentKind.CARD, delta, charge_id),),
        )
    ], []
