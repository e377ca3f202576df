"""Whole stories, event by event, with the balances a bookkeeper checks at the end: the
clearing account is back to zero once the payout has left, and the trial balance is zero."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerbridge.events import Dispute, DisputeStage, Fee, Payout
from ledgerbridge.posting import Booking, PriorState, StaticRates
from tests.posting.builders import (
    BANK,
    CHARGEBACKS,
    FEES,
    FX_REALISED,
    RETURNS,
    SALES,
    STRIPE,
    STRIPE_CLEARING,
    TAX,
    WHEN,
    balances,
    booked,
    card,
    line,
    m,
    order,
    paid,
    posted,
    refund,
    refund_line,
    tax,
    trial_balance,
)

D = Decimal
LATER = WHEN + dt.timedelta(days=2)
SALE = order(
    line("Lamp", 2, "50.00", taxes=(tax("State", "8.00"),)),
    payments=(card("108.00", "stripe", txn="ch_1"),),
)
SOLD = booked(SALE, Booking.PAID)


def payout(amount: str, fees: str = "0.00", *, fees_known: bool = True) -> Payout:
    return Payout("po_1", LATER, m(amount), LATER.date(), m(fees), fees_known)


class TestSaleFeeRefundPayout:
    """108.00 sale (tax 8.00), 3.43 fee, one lamp refunded (54.00), then the payout."""

    def test_fee_booked_from_the_charge_then_a_payout_of_the_rest(self) -> None:
        entries = [
            posted(paid(SALE), connection=STRIPE),
            posted(Fee("txn_1", WHEN, m("3.43"), "Stripe fee for ch_1", "ch_1"), connection=STRIPE),
            posted(
                refund("54.00", refund_line("Lamp", 1, "50.00", "4.00")), SOLD, connection=STRIPE
            ),
            posted(payout("50.57", fees_known=False), connection=STRIPE),
        ]
        assert balances(*entries) == {
            BANK: D("50.57"),
            FEES: D("3.43"),
            SALES: D("-100.00"),
            RETURNS: D("50.00"),
            TAX: D("-4.00"),
        }
        assert STRIPE_CLEARING not in balances(*entries)
        assert trial_balance(*entries) == 0

    def test_fee_withheld_by_the_payout_itself(self) -> None:
        entries = [
            posted(paid(SALE), connection=STRIPE),
            posted(
                refund("54.00", refund_line("Lamp", 1, "50.00", "4.00")), SOLD, connection=STRIPE
            ),
            posted(payout("50.57", "3.43"), connection=STRIPE),
        ]
        assert balances(*entries)[FEES] == D("3.43")
        assert STRIPE_CLEARING not in balances(*entries)
        assert trial_balance(*entries) == 0


class TestChargebackWon:
    """A 108.00 sale disputed (15.00 fee), the dispute won, then everything paid out."""

    def test_only_the_dispute_fee_is_lost(self) -> None:
        def stage(s: DisputeStage, fee: str | None) -> Dispute:
            return Dispute(f"dp_1.{s}", WHEN, "dp_1", s, m("108.00"), m(fee) if fee else None)

        entries = [
            posted(paid(SALE), connection=STRIPE),
            posted(stage(DisputeStage.OPENED, "15.00"), connection=STRIPE),
            posted(
                stage(DisputeStage.WON, None),
                PriorState(disputes={"dp_1": DisputeStage.OPENED}),
                connection=STRIPE,
            ),
            posted(payout("93.00", fees_known=False), connection=STRIPE),
        ]
        assert balances(*entries) == {
            BANK: D("93.00"),
            FEES: D("15.00"),
            SALES: D("-100.00"),
            TAX: D("-8.00"),
        }
        assert CHARGEBACKS not in balances(*entries)


class TestEuroStoreWithDollarBank:
    """A EUR sale in a USD book, paid out by the gateway into a USD bank account."""

    def test_clearing_empties_in_both_currencies_and_fx_is_realised(self) -> None:
        rates = StaticRates({("EUR", "USD"): "1.0837"})
        sale = order(
            line("Lamp", 1, "100.00", taxes=(tax("VAT", "20.00", "EUR"),), currency="EUR"),
            payments=(card("120.00", "stripe", "EUR"),),
            currency="EUR",
        )
        to_usd = Payout(
            "po_2", LATER, m("128.90"), LATER.date(), m("3.00", "EUR"), gross=m("120.00", "EUR")
        )
        entries = [
            posted(paid(sale), connection=STRIPE, rates=rates),
            posted(to_usd, connection=STRIPE, rates=rates),
        ]
        assert STRIPE_CLEARING not in balances(*entries)
        assert STRIPE_CLEARING not in balances(*entries, base=False)
        # 117.00 EUR was worth 126.79 USD at the day's rate; the bank got 128.90.
        assert balances(*entries)[FX_REALISED] == D("-2.11")
        assert trial_balance(*entries) == 0
