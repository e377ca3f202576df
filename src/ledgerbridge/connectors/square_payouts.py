"""Square payouts → :class:`Payout` (and, where a payout is not a plain deposit, Fee and
Adjustment events), with exact fees when the payout's entries are known.

A payout posts when Square has SENT it and again says so when it is PAID: both carry the payout
id as the key, so it posts once. FAILED payouts post nothing (a notice asks a person to check).

With the payout's entries (``extra["payout_entries"]``, fetched from
``GET /v2/payouts/{id}/payout-entries``) each entry is a signed movement of the balance:
``gross`` − ``fee`` = ``net``, and Σ net is the payout. What the clearing account gives up is
Σ net + fees, so the fees are counted by what each entry is:

* CHARGE and REFUND entries are sales and refunds already booked from their own events; their
  ``fee_amount_money`` is Square's fee on them (negative on a refund: a fee returned);
* fee entries (FEE, TAX_ON_FEE, THIRD_PARTY_FEE — the app developer's cut —, subscription and
  service fees and their refunds, FREE_PROCESSING) move no sale: their whole net is a fee;
* DISPUTE and OPEN_DISPUTE entries were booked from the dispute events; their fee counts;
* anything else (reserves, holds, transfers, Square Capital …) is an :class:`Adjustment` of
  its gross against suspense, for a person to classify, so the clearing account still follows
  the balance exactly.

The entries are used only when the connection books fees from payouts (``fee_source``, see
:mod:`.square_objects`). Otherwise the fees were booked from each payment's ``processing_fee``
and the payout moves its net; with ``fee_source`` payouts but no API token to read the entries,
the payout posts with ``fees_known=False`` and a notice, and the fees stay in clearing for a
person to book. A payout with a negative amount (Square took
money from the bank account to cover a negative balance) is an Adjustment credit: the money is
back in the clearing account and a person matches it to the bank debit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledgerbridge.connectors.base import Events
from ledgerbridge.connectors.payload import Obj, invalid, total
from ledgerbridge.connectors.square_objects import Source, square_money
from ledgerbridge.events import Adjustment, CanonicalEvent, Fee, Notice, Payout, PayoutComponent
from ledgerbridge.money import Money

PAID_OUT = frozenset({"SENT", "PAID"})
SALE_ENTRIES = frozenset({"CHARGE", "REFUND", "DISPUTE", "OPEN_DISPUTE"})
"""Entries whose gross is booked from the payment, refund or dispute events."""
FEE_ENTRIES = frozenset(
    {
        "FEE",
        "DEPOSIT_FEE",
        "DEPOSIT_FEE_REVERSED",
        "FREE_PROCESSING",
        "PAID_SERVICE_FEE",
        "PAID_SERVICE_FEE_REFUND",
        "SUBSCRIPTION_FEE",
        "SUBSCRIPTION_FEE_PAID_REFUND",
        "SUBSCRIPTION_FEE_REFUND",
        "TAX_ON_FEE",
        "THIRD_PARTY_FEE",
        "THIRD_PARTY_FEE_REFUND",
    }
)
"""Entries whose whole net is a fee (or a fee given back)."""
_DETAILS = {
    "CHARGE": ("type_charge_details", "payment_id"),
    "REFUND": ("type_refund_details", "refund_id"),
}


@dataclass(frozen=True, slots=True)
class Settled:
    """What a payout's entries say: its components, fees, and movements to adjust."""

    components: tuple[PayoutComponent, ...]
    fees: Money
    net: Money
    adjustments: tuple[Adjustment, ...]


def _source_id(entry: Obj, kind: str) -> str | None:
    key, field = _DETAILS.get(kind, ("", ""))
    details = entry.opt_obj(key) if key else None
    return details.opt_text(field) if details else None


def _settled(src: Source, payout_id: str, currency: str) -> Settled:
    holder = Obj({"payout_entries": src.extra.get("payout_entries")}, "extra")
    components: list[PayoutComponent] = []
    fees, nets, adjustments = [], [], []
    when = src.obj.timestamp("created_at")
    for entry in holder.objects("payout_entries"):
        kind = entry.text("type")
        gross = square_money(entry, "gross_amount_money", signed=True)
        if gross.currency != currency:
            raise invalid(entry.at("gross_amount_money"), f"is not in the payout's {currency}")
        fee = (
            square_money(entry, "fee_amount_money", signed=True)
            if entry.has("fee_amount_money")
            else Money.zero(currency)
        )
        net = (
            square_money(entry, "net_amount_money", signed=True)
            if entry.has("net_amount_money")
            else gross - fee
        )
        if gross - fee != net:
            raise invalid(entry.at("net_amount_money"), f"{gross} − {fee} is not {net}")
        components.append(PayoutComponent(kind, gross, fee, _source_id(entry, kind)))
        nets.append(net)
        if kind in FEE_ENTRIES:
            fees.append(-net)
            continue
        fees.append(fee)
        if kind not in SALE_ENTRIES and not gross.is_zero():
            entry_id = entry.text("id")
            adjustments.append(
                Adjustment(
                    f"{entry_id}:adjustment",
                    entry.opt_timestamp("effective_at") or when,
                    abs(gross),
                    "credit" if gross.is_positive() else "debit",
                    f"Square {kind} {entry_id} settled in payout {payout_id}",
                )
            )
    return Settled(
        tuple(components), total(fees, currency), total(nets, currency), tuple(adjustments)
    )


def _arrival(payout: Obj) -> date:
    if payout.has("arrival_date"):
        text = payout.text("arrival_date")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise invalid(payout.at("arrival_date"), f"{text!r} is not a date") from None
    return payout.timestamp("created_at").date()


def payout_settled(src: Source) -> Events:
    """Events for a SENT or PAID payout; see the module docstring."""
    payout = src.obj
    payout_id, status = payout.text("id"), payout.text("status")
    if status not in PAID_OUT:
        return [], [
            Notice(
                f"Square payout {payout_id} is {status}; nothing reached the bank (if it was "
                "posted when sent, reverse that entry)",
                {"payout": payout_id, "status": status},
            )
        ]
    amount = square_money(payout, "amount_money", signed=True)
    currency = amount.currency
    when = payout.timestamp("created_at")
    notices = _destination_notice(payout, payout_id)
    known = src.extra.get("payout_entries") is not None and src.fee_source != "payments"
    settled = _settled(src, payout_id, currency) if known else None
    if settled is not None and settled.net != amount:
        notices.append(
            Notice(
                f"Square payout {payout_id}: its entries net {settled.net}, not {amount}",
                {"payout": payout_id},
            )
        )
    fees = settled.fees if settled else Money.zero(currency)
    withheld = fees if fees.is_positive() else Money.zero(currency)
    events: list[CanonicalEvent] = list(settled.adjustments) if settled else []
    if fees.amount < 0:
        events.append(
            Adjustment(
                f"{payout_id}:fees_returned",
                when,
                -fees,
                "credit",
                f"Square fees returned in payout {payout_id}",
            )
        )
    if amount.is_positive():
        events.append(
            Payout(
                payout_id,
                when,
                amount,
                _arrival(payout),
                withheld,
                fees_known=known,
                gross=amount + withheld,
                components=settled.components if settled else (),
                status=status.lower(),
                bank_reference=payout.opt_text("end_to_end_id"),
            )
        )
    else:
        if amount.amount < 0:
            events.append(
                Adjustment(
                    f"{payout_id}:bank_debit",
                    when,
                    -amount,
                    "credit",
                    f"Square debited the bank account in payout {payout_id}",
                )
            )
            notices.append(
                Notice(
                    f"Square payout {payout_id} took {-amount} from the bank account; it is "
                    "held in suspense until matched to the bank debit",
                    {"payout": payout_id},
                )
            )
        if withheld.is_positive():
            events.append(Fee(f"{payout_id}:fees", when, withheld, "Square fees", payout_id))
    if not known:
        notices.append(_unknown_fees_notice(payout_id, src.fee_source))
    return events, notices


def _unknown_fees_notice(payout_id: str, source: str | None) -> Notice:
    if source == "payouts":
        return Notice(
            f"Square payout {payout_id}: its fees are not known. This connection books fees "
            "from payouts (fee_source) but has no API token to read the payout's entries, so "
            "none were booked; they stay in the Square clearing account for a person to book",
            {"payout": payout_id, "fee_source": source},
        )
    return Notice(
        f"Square payout {payout_id}: fees come from the payments (fee_source payments), so "
        "the payout's entries were not read",
        {"payout": payout_id},
    )


def _destination_notice(payout: Obj, payout_id: str) -> list[Notice]:
    """Say so when the money did not go to a bank account (an instant payout to a card)."""
    destination = payout.opt_obj("destination")
    kind = destination.opt_text("type") if destination else None
    if kind in (None, "BANK_ACCOUNT"):
        return []
    return [
        Notice(
            f"Square payout {payout_id} went to a {kind}, booked to the bank account role",
            {
                "payout": payout_id,
                "destination": destination.opt_text("id") if destination else None,
            },
        )
    ]
