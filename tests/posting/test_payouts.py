"""Payouts, fees and adjustments: the clearing account follows the gateway balance exactly."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from ledgerbridge.errors import InvalidInput
from ledgerbridge.events import Adjustment, Fee, Payout
from ledgerbridge.ledger.entries import Side, SourceKey
from ledgerbridge.money import Money
from tests.posting.builders import (
    BANK,
    CONVERSION,
    FEES,
    FX_REALISED,
    STRIPE,
    STRIPE_CLEARING,
    SUSPENSE,
    WHEN,
    balances,
    m,
    on,
    only,
    post_or_none,
    posted,
)

D = Decimal
ARRIVES = dt.date(2026, 10, 4)


def payout(
    amount: str,
    fees: str = "0.00",
    *,
    currency: str = "USD",
    fees_known: bool = True,
    gross: Money | None = None,
    fee_currency: str | None = None,
    status: str = "paid",
) -> Payout:
    return Payout(
        "po_1",
        WHEN,
        m(amount, currency),
        ARRIVES,
        m(fees, fee_currency or currency),
        fees_known,
        gross,
        status=status,
        bank_reference="BK26100400002",
    )


class TestPayout:
    def test_the_net_goes_to_the_bank_and_the_withheld_fees_to_processing_fees(self) -> None:
        entry = posted(payout("6654.79", "221.40"), connection=STRIPE)
        assert balances(entry) == {
            BANK: D("6654.79"),
            FEES: D("221.40"),
            STRIPE_CLEARING: D("-6876.19"),
        }
        assert entry.description == "Payout po_1 to bank (arrives 2026-10-04)"
        assert entry.source == SourceKey(STRIPE, "po_1", "payout")

    def test_fees_not_known_leave_only_the_net_amount_moving(self) -> None:
        entry = posted(payout("100.00", fees_known=False), connection=STRIPE)
        assert balances(entry) == {BANK: D("100.00"), STRIPE_CLEARING: D("-100.00")}

    def test_the_bank_line_carries_the_bank_reference_and_arrival_date(self) -> None:
        bank = only(posted(payout("100.00"), connection=STRIPE), BANK)
        assert dict(bank.dimensions) == {
            "bank_reference": "BK26100400002",
            "arrival_date": "2026-10-04",
        }

    @pytest.mark.parametrize("status", ["failed", "canceled", "cancelled"])
    def test_a_payout_that_never_reached_the_bank_posts_nothing(self, status: str) -> None:
        assert post_or_none(payout("100.00", status=status), connection=STRIPE) is None

    def test_a_eur_balance_paid_into_a_usd_account_realises_the_fx_loss(self) -> None:
        eur_to_usd = payout("105.00", "2.00", gross=m("100.00", "EUR"), fee_currency="EUR")
        entry = posted(eur_to_usd, connection=STRIPE)
        assert balances(entry) == {
            BANK: D("105.00"),
            FEES: D("2.17"),
            STRIPE_CLEARING: D("-108.37"),
            FX_REALISED: D("1.20"),
        }
        held: dict[str, Decimal] = defaultdict(Decimal)
        for ln in on(entry, CONVERSION):
            held[ln.amount.currency] += ln.signed(ln.amount).amount
        assert held == {"EUR": D("98.00"), "USD": D("-106.20")}  # worth 0 in base
        assert only(entry, FX_REALISED).memo == "Realised FX loss on conversion"

    def test_a_better_rate_from_the_gateway_is_a_realised_fx_gain(self) -> None:
        eur_to_usd = payout("107.00", "2.00", gross=m("100.00", "EUR"), fee_currency="EUR")
        gain = only(posted(eur_to_usd, connection=STRIPE), FX_REALISED)
        assert (gain.side, gain.amount.amount) == (Side.CREDIT, D("0.80"))

    def test_fees_in_another_currency_without_the_gross_are_refused(self) -> None:
        with pytest.raises(InvalidInput, match="gross") as raised:
            post_or_none(payout("105.00", "2.00", fee_currency="EUR"), connection=STRIPE)
        assert raised.value.field == "fees"


class TestFee:
    def test_a_fee_debits_processing_fees_and_credits_clearing(self) -> None:
        fee = Fee("fee_1", WHEN, m("3.43"), "Stripe fee for ch_1", related_id="ch_1")
        entry = posted(fee, connection=STRIPE)
        assert balances(entry) == {FEES: D("3.43"), STRIPE_CLEARING: D("-3.43")}
        assert entry.description == "Fee: Stripe fee for ch_1"
        assert only(entry, FEES).dimensions["related_id"] == "ch_1"


class TestAdjustment:
    def test_a_credit_raises_clearing_and_waits_in_suspense_for_a_person(self) -> None:
        credit = Adjustment("adj_1", WHEN, m("25.00"), "credit", "Reserve released")
        entry = posted(credit, connection=STRIPE)
        assert balances(entry) == {STRIPE_CLEARING: D("25.00"), SUSPENSE: D("-25.00")}
        assert entry.description == "Adjustment (credit): Reserve released"

    def test_a_debit_lowers_clearing_against_suspense(self) -> None:
        debit = Adjustment("adj_2", WHEN, m("25.00"), "debit", "Reserve held")
        entry = posted(debit, connection=STRIPE)
        assert balances(entry) == {SUSPENSE: D("25.00"), STRIPE_CLEARING: D("-25.00")}

    def test_an_unknown_direction_is_refused(self) -> None:
        sideways = Adjustment("adj_3", WHEN, m("25.00"), "sideways", "?")
        with pytest.raises(InvalidInput) as raised:
            post_or_none(sideways, connection=STRIPE)
        assert raised.value.field == "direction"
