"""Refunds: returns kept apart from sales, tax given back, money back through the right tender."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerbridge.events import PaymentKind
from ledgerbridge.ledger.entries import Side, SourceKey
from ledgerbridge.posting import Booking, MissingPrerequisite, PriorState, RefundDoesNotAddUp
from tests.posting.builders import (
    FEES,
    GIFT_CARDS,
    PAYPAL_CLEARING,
    RETURNS,
    ROUNDING,
    SALES,
    SHIPPING,
    SHOP,
    SHOP_CLEARING,
    TAX,
    balances,
    booked,
    card,
    line,
    on,
    only,
    order,
    paid,
    post_or_none,
    posted,
    refund,
    refund_line,
    tax,
    tender,
)

D = Decimal
MUGS = order(
    line("Mug", 2, "20.00", taxes=(tax("State", "3.20"),), sku="MUG-1"),
    payments=(card("43.20", "stripe"),),
)
PAID = booked(MUGS, Booking.PAID)
ONE_MUG = refund_line("Mug", 1, "20.00", "1.60")


class TestRefund:
    def test_a_returned_mug_debits_returns_and_tax_and_credits_the_card_clearing(self) -> None:
        entry = posted(
            refund("21.60", ONE_MUG, payments=(card("21.60", "stripe"),), fee_refunded="0.30"),
            PAID,
        )
        assert balances(entry) == {
            RETURNS: D("20.00"),
            TAX: D("1.60"),
            SHOP_CLEARING: D("-21.30"),
            FEES: D("-0.30"),
        }
        assert only(entry, RETURNS).memo == "Returned: Mug × 1"
        assert only(entry, TAX).memo == "Tax on Mug"
        assert [(ln.side, ln.amount.amount) for ln in on(entry, SHOP_CLEARING)] == [
            (Side.DEBIT, D("0.30")),
            (Side.CREDIT, D("21.60")),
        ]

    def test_the_entry_names_the_refund_its_order_and_the_gateway(self) -> None:
        entry = posted(refund("21.60", ONE_MUG, payments=(card("21.60", "stripe"),)), PAID)
        assert entry.description == "Refund r1 on order #1001 (stripe)"
        assert entry.source == SourceKey(SHOP, "r1", "refund")
        assert entry.dimensions["order_name"] == "#1001"

    def test_refunded_shipping_and_its_tax_come_off_shipping_income_and_tax(self) -> None:
        entry = posted(refund("10.80", shipping="10.00", shipping_tax="0.80"), PAID)
        assert balances(entry) == {SHIPPING: D("10.00"), TAX: D("0.80"), SHOP_CLEARING: D("-10.80")}
        assert only(entry, SHIPPING).memo == "Shipping refunded"
        assert only(entry, TAX).memo == "Tax on shipping"

    def test_a_restocking_fee_is_revenue_kept_and_reduces_what_goes_back(self) -> None:
        entry = posted(refund("18.60", ONE_MUG, restocking_fee="3.00"), PAID)
        assert balances(entry) == {
            RETURNS: D("20.00"),
            TAX: D("1.60"),
            SALES: D("-3.00"),
            SHOP_CLEARING: D("-18.60"),
        }
        assert only(entry, SALES).memo == "Restocking fee kept"

    def test_a_refund_onto_a_gift_card_refills_the_gift_card_liability(self) -> None:
        to_gift_card = (tender("21.60", PaymentKind.GIFT_CARD, "gift_card"),)
        entry = posted(refund("21.60", ONE_MUG, payments=to_gift_card), PAID)
        assert balances(entry)[GIFT_CARDS] == D("-21.60")
        assert SHOP_CLEARING not in balances(entry)

    def test_prices_including_tax_split_the_subtotal_into_returns_and_tax(self) -> None:
        entry = posted(
            refund("24.00", refund_line("Mug", 1, "24.00", "4.00"), taxes_included=True), PAID
        )
        assert balances(entry) == {RETURNS: D("20.00"), TAX: D("4.00"), SHOP_CLEARING: D("-24.00")}

    def test_a_goodwill_amount_is_a_sales_return(self) -> None:
        entry = posted(refund("5.00", adjustment="5.00"), PAID)
        assert (only(entry, RETURNS).amount.amount, only(entry, RETURNS).memo) == (
            D("5.00"),
            "Refund adjustment",
        )

    def test_a_refund_listing_no_tender_credits_the_connection_clearing(self) -> None:
        entry = posted(refund("21.60", ONE_MUG), PAID)
        assert only(entry, SHOP_CLEARING).memo == "Refund r1"

    def test_the_returned_fee_goes_back_to_the_clearing_the_refund_went_through(self) -> None:
        through_paypal = (card("21.60", "paypal"),)
        entry = posted(refund("21.60", ONE_MUG, payments=through_paypal, fee_refunded="0.30"), PAID)
        assert balances(entry)[PAYPAL_CLEARING] == D("-21.30")
        assert SHOP_CLEARING not in balances(entry)

    def test_a_refund_of_an_order_not_posted_yet_is_retried_later(self) -> None:
        with pytest.raises(MissingPrerequisite, match="order 1001") as raised:
            post_or_none(refund("21.60", ONE_MUG), PriorState())
        assert raised.value.retryable is True

    def test_a_restock_without_money_back_posts_nothing(self) -> None:
        assert post_or_none(refund("0.00", ONE_MUG), PAID) is None

    def test_a_cent_the_platform_rounded_differently_goes_to_rounding(self) -> None:
        halves = (refund_line("Mug", 1, "10.00", "0.83"), refund_line("Cup", 1, "10.00", "0.83"))
        entry = posted(refund("21.67", *halves), PAID)
        assert (only(entry, ROUNDING).side, only(entry, ROUNDING).amount.amount) == (
            Side.DEBIT,
            D("0.01"),
        )
        assert balances(entry)[SHOP_CLEARING] == D("-21.67")

    def test_a_refund_that_does_not_add_up_is_refused(self) -> None:
        with pytest.raises(RefundDoesNotAddUp, match="refund r1 of order #1001") as raised:
            post_or_none(refund("25.00", ONE_MUG), PAID)
        assert raised.value.code == "refund_does_not_add_up"
        assert raised.value.retryable is False

    def test_an_order_and_its_partial_refund_net_to_the_unrefunded_part(self) -> None:
        sale = posted(paid(MUGS))
        back = posted(refund("21.60", ONE_MUG, payments=(card("21.60", "stripe"),)), PAID)
        net = balances(sale, back)
        assert net[SHOP_CLEARING] == D("21.60")
        assert net[SALES] + net[RETURNS] == D("-20.00")
        assert net[TAX] == D("-1.60")
