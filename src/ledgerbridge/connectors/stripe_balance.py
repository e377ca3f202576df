"""Stripe disputes and payouts → :class:`Dispute`, :class:`Adjustment` and :class:`Payout`.

Disputes: a stage is keyed on the charge (a Stripe charge has at most one dispute) and the
stage, so ``charge.dispute.created`` and ``…funds_withdrawn`` both mean OPENED and post once,
and a ``charge.dispute.closed`` sample that lacks the dispute's own id still lands on the same
key as ``…funds_reinstated``. OPENED is posted only once funds are withdrawn (a balance
transaction with a negative amount); inquiries withdraw nothing and post nothing. Its fee is
that withdrawal's fee. When a won dispute's reinstatement refunds the fee (a negative fee),
the refund is an :class:`Adjustment` credit, since :class:`Dispute` has no field for it.

Payouts: only ``paid`` ones post. With the payout's balance transactions (see
:mod:`~ledgerbridge.connectors.stripe_api`) the components are signed balance movements
(a refund is negative) and ``fees`` = Σ fee, ``gross`` = Σ amount, checked against
gross − fees = amount. Without them the fees are unknown here: they were booked, or will be,
from the charges' balance transactions.
"""

from __future__ import annotations

from datetime import datetime

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.payload import Obj, invalid, total
from ledgerbridge.connectors.stripe_money import stripe_money
from ledgerbridge.connectors.stripe_objects import Source, ref_id
from ledgerbridge.events import (
    Adjustment,
    CanonicalEvent,
    Dispute,
    DisputeStage,
    Notice,
    Payout,
    PayoutComponent,
)
from ledgerbridge.money import Money


def _dispute_txn(dispute: Obj, withdrawal: bool) -> Obj | None:
    for txn in dispute.objects("balance_transactions"):
        amount = txn.integer("amount")
        if (amount < 0) if withdrawal else (amount > 0):
            return txn
    return None


def _fee_refund(dispute: Obj, when: datetime) -> list[CanonicalEvent]:
    txn = _dispute_txn(dispute, withdrawal=False)
    if txn is None:
        return []
    currency = txn.currency("currency")
    fee = stripe_money(txn.required("fee"), currency, txn.at("fee"), signed=True)
    if fee.amount >= 0:
        return []
    return [
        Adjustment(
            f"{txn.text('id')}:fee_refund", when, -fee, "credit", "Stripe dispute fee refunded"
        )
    ]


def dispute_stage(src: Source, topic: str) -> Events:
    dispute = src.obj
    charge_id = ref_id(dispute, "charge")
    if charge_id is None:
        raise invalid(dispute.at("charge"), "is required")
    dispute_id = dispute.opt_text("id") or charge_id
    amount = src.amount("amount", dispute.currency("currency"))
    when = src.event_time or dispute.unix("created")
    status = dispute.opt_text("status") or ""

    def stage(value: DisputeStage, fee: Money | None = None) -> Dispute:
        return Dispute(
            f"{charge_id}:dispute:{value.value}",
            when,
            dispute_id,
            value,
            amount,
            fee,
            ref_id(dispute, "payment_intent") or charge_id,
            dispute.opt_text("reason"),
        )

    notices = (
        []
        if dispute.has("id")
        else [
            Notice(
                f"dispute on charge {charge_id} has no id; keyed on its charge",
                {"charge": charge_id},
            )
        ]
    )
    if topic in {"charge.dispute.created", "charge.dispute.funds_withdrawn"}:
        txn = _dispute_txn(dispute, withdrawal=True)
        if txn is None:
            return [], [
                *notices,
                Notice(
                    f"dispute {dispute_id} ({status}) has withdrawn no funds yet; it is "
                    "posted from charge.dispute.funds_withdrawn (inquiries never are)",
                    {"dispute": dispute_id},
                ),
            ]
        fee = stripe_money(txn.required("fee"), txn.currency("currency"), txn.at("fee"))
        return [stage(DisputeStage.OPENED, fee if fee.is_positive() else None)], notices
    if topic == "charge.dispute.funds_reinstated" or status == "won":
        return [stage(DisputeStage.WON), *_fee_refund(dispute, when)], notices
    if status == "lost":
        return [stage(DisputeStage.LOST)], notices
    return [], [
        *notices,
        Notice(
            f"dispute {dispute_id} closed as {status!r}; nothing to post",
            {"dispute": dispute_id, "status": status},
        ),
    ]


def _components(txns: object, payout: Obj, currency: str) -> list[PayoutComponent]:
    holder = Obj({"balance_transactions": txns}, "extra")
    own = ref_id(payout, "balance_transaction")
    result = []
    for txn in holder.objects("balance_transactions"):
        if txn.opt_text("type") == "payout" or txn.opt_text("id") == own:
            continue
        if txn.currency("currency") != currency:
            raise invalid(txn.at("currency"), f"is not the payout currency {currency}")
        result.append(
            PayoutComponent(
                type=txn.opt_text("reporting_category") or txn.text("type"),
                amount=stripe_money(
                    txn.required("amount"), currency, txn.at("amount"), signed=True
                ),
                fee=stripe_money(txn.required("fee"), currency, txn.at("fee"), signed=True),
                source_id=ref_id(txn, "source"),
            )
        )
    return result


def payout_paid(src: Source) -> Events:
    payout = src.obj
    payout_id, status = payout.text("id"), payout.text("status")
    if status != "paid":
        return [], [
            Notice(
                f"payout {payout_id} is {status}; it is posted once paid",
                {"payout": payout_id, "status": status},
            )
        ]
    currency = payout.currency("currency")
    amount = src.amount("amount", currency)

    def event(fees: Money, known: bool, components: list[PayoutComponent]) -> Payout:
        return Payout(
            payout_id,
            src.when("created"),
            amount,
            payout.unix("arrival_date").date(),
            fees,
            fees_known=known,
            components=tuple(components),
            gross=total([c.amount for c in components], currency) if components else None,
            status=status,
            bank_reference=payout.opt_text("statement_descriptor"),
        )

    txns = src.extra.get("balance_transactions")
    if txns is None:
        return [event(Money.zero(currency), False, [])], [
            Notice(
                f"payout {payout_id}: no balance transactions were given, so its fees are "
                "booked only where the charge events carried them (see their notices)",
                {"payout": payout_id},
            )
        ]
    components = _components(txns, payout, currency)
    gross = total([c.amount for c in components], currency)
    fees = total([c.fee for c in components], currency)
    notices = []
    if gross - fees != amount:
        notices.append(
            Notice(
                f"payout {payout_id}: balance transactions give {gross} − {fees} ≠ {amount}",
                {"payout": payout_id},
            )
        )
    if fees.amount < 0:
        notices.append(
            Notice(
                f"payout {payout_id}: fees net to a credit of {-fees}; see its components",
                {"payout": payout_id},
            )
        )
        return [event(Money.zero(currency), False, components)], notices
    return [event(fees, True, components)], notices
