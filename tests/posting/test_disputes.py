"""Disputes: what each stage moves, given what was booked before."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerbridge.events import Dispute, DisputeStage
from ledgerbridge.ledger.entries import SourceKey
from ledgerbridge.posting import MissingPrerequisite, PriorState, dispute_stages
from tests.posting.builders import (
    CHARGEBACKS,
    FEES,
    STRIPE,
    STRIPE_CLEARING,
    WHEN,
    balances,
    m,
    only,
    post_or_none,
    posted,
)

D = Decimal
OPENED, WON, LOST = DisputeStage.OPENED, DisputeStage.WON, DisputeStage.LOST


def dispute(stage: DisputeStage, fee: str | None = "15.00") -> Dispute:
    return Dispute(
        "dp_1", WHEN, "dp_1", stage, m("50.00"), m(fee) if fee else None, "1001", "fraudulent"
    )


def after(stage: DisputeStage) -> PriorState:
    return PriorState(disputes={"dp_1": stage})


class TestDisputeOpened:
    def test_the_amount_and_the_fee_leave_clearing(self) -> None:
        entry = posted(dispute(OPENED), connection=STRIPE)
        assert balances(entry) == {
            CHARGEBACKS: D("50.00"),
            FEES: D("15.00"),
            STRIPE_CLEARING: D("-65.00"),
        }
        assert entry.description == "Dispute dp_1 opened on order 1001: fraudulent"
        assert entry.dimensions["dispute_stage"] == "opened"

    def test_without_a_fee_only_the_amount_moves(self) -> None:
        entry = posted(dispute(OPENED, fee=None), connection=STRIPE)
        assert balances(entry) == {CHARGEBACKS: D("50.00"), STRIPE_CLEARING: D("-50.00")}

    def test_an_opening_after_the_loss_was_booked_posts_nothing(self) -> None:
        assert post_or_none(dispute(OPENED), after(LOST), connection=STRIPE) is None

    def test_an_opening_delivered_after_the_win_posts_nothing(self) -> None:
        assert post_or_none(dispute(OPENED), after(WON), connection=STRIPE) is None


class TestDisputeWon:
    def test_the_amount_comes_back_and_the_fee_stays_with_the_gateway(self) -> None:
        opened = posted(dispute(OPENED), connection=STRIPE)
        won = posted(dispute(WON, fee=None), after(OPENED), connection=STRIPE)
        assert balances(won) == {STRIPE_CLEARING: D("50.00"), CHARGEBACKS: D("-50.00")}
        assert balances(opened, won) == {STRIPE_CLEARING: D("-15.00"), FEES: D("15.00")}

    def test_a_fee_on_the_won_event_is_a_fee_the_gateway_returned(self) -> None:
        won = posted(dispute(WON), after(OPENED), connection=STRIPE)
        assert balances(won)[FEES] == D("-15.00")
        assert only(won, STRIPE_CLEARING).memo == "Dispute dp_1: funds reinstated"

    def test_a_win_before_the_opening_was_posted_is_retried_later(self) -> None:
        with pytest.raises(MissingPrerequisite) as raised:
            post_or_none(dispute(WON), connection=STRIPE)
        assert raised.value.retryable is True

    def test_a_second_win_posts_nothing(self) -> None:
        assert post_or_none(dispute(WON), after(WON), connection=STRIPE) is None


class TestDisputeLost:
    def test_a_loss_after_the_opening_moves_nothing_more(self) -> None:
        assert post_or_none(dispute(LOST), after(OPENED), connection=STRIPE) is None

    def test_a_loss_never_opened_books_the_withdrawal(self) -> None:
        entry = posted(dispute(LOST), connection=STRIPE)
        assert balances(entry)[STRIPE_CLEARING] == D("-65.00")
        assert entry.source == SourceKey(STRIPE, "dp_1", "dispute.lost")

    def test_a_loss_after_a_win_withdraws_the_funds_again(self) -> None:
        entry = posted(dispute(LOST, fee=None), after(WON), connection=STRIPE)
        assert balances(entry) == {CHARGEBACKS: D("50.00"), STRIPE_CLEARING: D("-50.00")}


class TestDisputeStages:
    def test_each_stage_has_its_own_source_key_even_with_one_external_id(self) -> None:
        opened = posted(dispute(OPENED), connection=STRIPE)
        won = posted(dispute(WON), after(OPENED), connection=STRIPE)
        assert (opened.source.kind, won.source.kind) == ("dispute.opened", "dispute.won")

    def test_the_stage_last_booked_is_read_back_from_the_entries(self) -> None:
        opened = posted(dispute(OPENED), connection=STRIPE)
        won = posted(dispute(WON), after(OPENED), connection=STRIPE)
        assert dispute_stages([opened]) == {"dp_1": OPENED}
        assert dispute_stages([opened, won]) == {"dp_1": WON}
