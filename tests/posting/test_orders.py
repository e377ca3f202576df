"""Orders as a bookkeeper sees them: which accounts move, by how much, with which memo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerbridge.events import (
    OrderCancelled,
    OrderEdited,
    OrderSnapshot,
    Payment,
    PaymentKind,
    TaxLine,
)
from ledgerbridge.ledger.entries import Side, SourceKey
from ledgerbridge.posting import (
    AccountMap,
    Booking,
    MissingPrerequisite,
    OrderDoesNotAddUp,
    StaticRates,
    UnknownRole,
)
from tests.posting.builders import (
    ACCOUNTS,
    DAY,
    DISCOUNTS,
    GIFT_CARDS,
    PAYPAL_CLEARING,
    RECEIVABLE,
    ROUNDING,
    SALES,
    SHIPPING,
    SHOP,
    SHOP_CLEARING,
    TAX,
    WHEN,
    balances,
    booked,
    card,
    line,
    on,
    only,
    order,
    paid,
    pending,
    post_or_none,
    posted,
    shipping,
    tax,
    tender,
)

D = Decimal


def mug_order(payments: tuple[Payment, ...] = (card("43.88", txn="txn_1"),)) -> OrderSnapshot:
    """The worked example: 2 × Mug at 20.00 with 4.00 off, shipping 5.00, CA tax 2.88."""
    return order(
        line(
            "Mug",
            2,
            "20.00",
            "4.00",
            taxes=(tax("CA State", "2.88", jurisdiction="CA"),),
            sku="MUG-1",
            product_type="Kitchen",
        ),
        ships=(shipping("5.00"),),
        payments=payments,
    )


class TestOrderPaid:
    def test_a_card_order_debits_clearing_and_credits_sales_shipping_and_tax(self) -> None:
        entry = posted(paid(mug_order()))
        assert balances(entry) == {
            SHOP_CLEARING: D("43.88"),
            DISCOUNTS: D("4.00"),
            SALES: D("-40.00"),
            SHIPPING: D("-5.00"),
            TAX: D("-2.88"),
        }
        assert entry.description == "Order #1001 paid (shopify_payments)"
        assert entry.source == SourceKey(SHOP, "1001", "order_paid")
        assert entry.date == DAY

    def test_sales_lines_carry_the_product_dimensions_and_a_readable_memo(self) -> None:
        sales = only(posted(paid(mug_order())), SALES)
        assert sales.memo == "Mug × 2"
        assert dict(sales.dimensions) == {"sku": "MUG-1", "product_type": "Kitchen"}

    def test_discounts_stay_apart_from_gross_sales(self) -> None:
        entry = posted(paid(mug_order()))
        assert only(entry, SALES).amount.amount == D("40.00")
        discount = only(entry, DISCOUNTS)
        assert (discount.side, discount.memo) == (Side.DEBIT, "Discount: Mug × 2")

    def test_tax_is_one_line_per_title_and_jurisdiction_over_lines_and_shipping(self) -> None:
        def state(amount: str) -> TaxLine:
            return tax("CA State", amount, jurisdiction="CA")

        def city(amount: str) -> TaxLine:
            return tax("LA City", amount, jurisdiction="CA-LA")

        entry = posted(
            paid(
                order(
                    line("Mug", 1, "20.00", taxes=(state("1.20"), city("0.20"))),
                    line("Bowl", 1, "30.00", taxes=(state("1.80"), city("0.30"))),
                    ships=(shipping("5.00", taxes=(state("0.30"),)),),
                )
            )
        )
        taxes = {
            (ln.memo, ln.dimensions["jurisdiction"]): ln.amount.amount for ln in on(entry, TAX)
        }
        assert taxes == {("CA State", "CA"): D("3.30"), ("LA City", "CA-LA"): D("0.50")}

    def test_a_gift_card_sold_is_a_liability_not_revenue(self) -> None:
        entry = posted(paid(order(line("Gift card", 1, "50.00", gift_card=True))))
        assert balances(entry) == {SHOP_CLEARING: D("50.00"), GIFT_CARDS: D("-50.00")}

    def test_a_gift_card_redemption_draws_on_the_liability_and_the_rest_on_clearing(self) -> None:
        snapshot = order(
            line("Mug", 1, "30.00"),
            payments=(tender("10.00", PaymentKind.GIFT_CARD, "gift_card"), card("20.00")),
        )
        entry = posted(paid(snapshot))
        assert balances(entry) == {
            GIFT_CARDS: D("10.00"),
            SHOP_CLEARING: D("20.00"),
            SALES: D("-30.00"),
        }
        assert entry.description == "Order #1001 paid (gift_card, shopify_payments)"

    def test_a_paypal_payment_lands_in_the_paypal_clearing_account(self) -> None:
        entry = posted(paid(order(line(), payments=(card("20.00", "paypal", txn="PP-9"),))))
        clearing = only(entry, PAYPAL_CLEARING)
        assert clearing.amount.amount == D("20.00")
        assert clearing.memo == "Paid by card via paypal (PP-9)"
        assert dict(clearing.dimensions) == {"gateway": "paypal", "transaction_id": "PP-9"}

    def test_a_manual_payment_is_a_receivable(self) -> None:
        entry = posted(paid(order(line(), payments=(tender("20.00", PaymentKind.MANUAL, "bacs"),))))
        assert balances(entry) == {RECEIVABLE: D("20.00"), SALES: D("-20.00")}

    def test_an_order_listing_no_payments_puts_its_total_on_the_connection_clearing(self) -> None:
        entry = posted(paid(order(line(), payments=())))
        assert balances(entry)[SHOP_CLEARING] == D("20.00")
        assert entry.description == "Order #1001 paid"

    def test_an_order_of_free_items_posts_nothing(self) -> None:
        assert post_or_none(paid(order(line("Sample", 1, "0.00")))) is None

    def test_free_shipping_adds_no_zero_line(self) -> None:
        entry = posted(paid(order(line(), ships=(shipping("0.00"),))))
        assert on(entry, SHIPPING) == [] and on(entry, DISCOUNTS) == []

    def test_a_fully_discounted_shipping_line_shows_gross_and_discount(self) -> None:
        entry = posted(paid(order(line(), ships=(shipping("5.00", "5.00"),))))
        assert balances(entry)[SHIPPING] == D("-5.00")
        assert only(entry, DISCOUNTS).memo == "Discount: Shipping: Standard"

    def test_prices_including_tax_credit_sales_net_of_the_tax(self) -> None:
        entry = posted(
            paid(order(line("Mug", 1, "24.00", taxes=(tax("VAT", "4.00"),)), taxes_included=True))
        )
        assert balances(entry) == {SHOP_CLEARING: D("24.00"), SALES: D("-20.00"), TAX: D("-4.00")}

    def test_order_level_tax_included_in_prices_is_shared_over_lines_and_shipping(self) -> None:
        entry = posted(
            paid(
                order(
                    line("Lamp", 1, "60.00"),
                    line("Vase", 1, "40.00"),
                    ships=(shipping("20.00"),),
                    taxes_included=True,
                    order_taxes=(tax("VAT", "20.00"),),
                )
            )
        )
        sales = {ln.memo: ln.amount.amount for ln in on(entry, SALES)}
        assert sales == {"Lamp × 1": D("50.00"), "Vase × 1": D("33.33")}
        assert balances(entry)[SHIPPING] == D("-16.67")
        assert balances(entry)[TAX] == D("-20.00")

    def test_a_one_cent_disagreement_with_the_platform_total_goes_to_rounding(self) -> None:
        three = [line(t, 1, "40.00", taxes=(tax("NY", "3.55"),)) for t in ("A", "B", "C")]
        entry = posted(paid(order(*three, total="130.66")))
        assert balances(entry)[SHOP_CLEARING] == D("130.66")
        rounding = only(entry, ROUNDING)
        assert (rounding.side, rounding.amount.amount) == (Side.CREDIT, D("0.01"))

    def test_a_larger_disagreement_is_refused_naming_both_figures(self) -> None:
        three = [line(t, 1, "40.00", taxes=(tax("NY", "3.55"),)) for t in ("A", "B", "C")]
        with pytest.raises(OrderDoesNotAddUp) as raised:
            post_or_none(paid(order(*three, total="131.05")))
        assert raised.value.code == "order_does_not_add_up"
        assert "130.65 USD" in raised.value.message and "131.05 USD" in raised.value.message
        assert raised.value.retryable is False

    def test_payments_a_cent_short_of_the_total_are_booked_with_rounding(self) -> None:
        entry = posted(paid(mug_order(payments=(card("43.87"),))))
        assert balances(entry)[SHOP_CLEARING] == D("43.87")
        assert balances(entry)[ROUNDING] == D("0.01")

    def test_an_order_already_booked_as_paid_posts_nothing(self) -> None:
        snapshot = mug_order()
        assert post_or_none(paid(snapshot), booked(snapshot, Booking.PAID)) is None

    def test_the_entry_is_dated_with_the_utc_date_of_the_event(self) -> None:
        evening_in_chicago = dt.datetime(
            2026, 10, 2, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))
        )
        assert posted(paid(mug_order(), at=evening_in_chicago)).date == dt.date(2026, 10, 3)

    def test_a_timestamp_without_time_zone_is_refused(self) -> None:
        with pytest.raises(Exception, match="no time zone"):
            post_or_none(paid(mug_order(), at=dt.datetime(2026, 10, 2, 12, 0)))

    def test_a_role_the_book_has_not_mapped_is_named(self) -> None:
        codes = {k: v for k, v in ACCOUNTS.codes.items() if k != "shipping_income"}
        with pytest.raises(UnknownRole) as raised:
            post_or_none(paid(mug_order()), accounts=AccountMap.of(codes))
        assert (raised.value.code, raised.value.role) == ("unknown_account_role", "shipping_income")

    def test_a_foreign_order_keeps_its_currency_and_carries_base_rate_and_source(self) -> None:
        snapshot = order(
            line("Mug", 1, "100.00", taxes=(tax("VAT", "20.00", "EUR"),), currency="EUR"),
            currency="EUR",
        )
        entry = posted(paid(snapshot))
        clearing = only(entry, SHOP_CLEARING)
        assert (clearing.amount.amount, clearing.amount.currency) == (D("120.00"), "EUR")
        assert (clearing.base_amount.amount, clearing.base_amount.currency) == (D("130.04"), "USD")
        assert (clearing.rate, clearing.rate_date, clearing.rate_source) == (
            D("1.0837"),
            DAY,
            "ecb",
        )
        assert balances(entry) == {
            SHOP_CLEARING: D("130.04"),
            SALES: D("-108.37"),
            TAX: D("-21.67"),
        }


class TestOrderPending:
    def test_a_pending_order_books_its_revenue_against_receivable(self) -> None:
        entry = posted(pending(order(line("Mug", 1, "100.00", taxes=(tax("VAT", "10.00"),)))))
        assert balances(entry) == {RECEIVABLE: D("110.00"), SALES: D("-100.00"), TAX: D("-10.00")}
        assert entry.description == "Order #1001 placed, payment pending"
        assert entry.source.kind == "order_pending"

    def test_a_later_payment_only_settles_the_receivable(self) -> None:
        snapshot = order(line("Mug", 1, "100.00", taxes=(tax("VAT", "10.00"),)))
        placed = posted(pending(snapshot))
        settled = posted(
            paid(
                order(
                    line("Mug", 1, "100.00", taxes=(tax("VAT", "10.00"),)),
                    payments=(card("110.00"),),
                )
            ),
            booked(snapshot, Booking.PENDING, placed),
        )
        assert balances(settled) == {SHOP_CLEARING: D("110.00"), RECEIVABLE: D("-110.00")}
        assert balances(placed, settled) == {
            SHOP_CLEARING: D("110.00"),
            SALES: D("-100.00"),
            TAX: D("-10.00"),
        }
        assert settled.description == "Order #1001 paid (shopify_payments): receivable settled"

    def test_a_pending_order_paid_by_bank_transfer_stays_a_receivable(self) -> None:
        snapshot = order(line())
        prior = booked(snapshot, Booking.PENDING, posted(pending(snapshot)))
        by_transfer = order(line(), payments=(tender("20.00", PaymentKind.MANUAL, "bacs"),))
        assert post_or_none(paid(by_transfer), prior) is None

    def test_a_change_made_before_payment_is_booked_with_the_settlement(self) -> None:
        before = order(line("Mug", 1, "100.00", taxes=(tax("VAT", "10.00"),)))
        after_lines = (line("Mug", 1, "100.00"), line("Bowl", 1, "10.00"))
        after = order(*after_lines, order_taxes=(tax("VAT", "11.00"),), payments=(card("121.00"),))
        placed = posted(pending(before))
        settled = posted(paid(after), booked(before, Booking.PENDING, placed))
        assert {ln.memo for ln in on(settled, SALES)} == {"added: Bowl × 1"}
        assert only(settled, TAX).memo == "corrected: VAT"
        assert balances(placed, settled) == balances(posted(paid(after)))

    def test_a_second_pending_event_posts_nothing(self) -> None:
        snapshot = order(line())
        assert post_or_none(pending(snapshot), booked(snapshot, Booking.PENDING)) is None


def edited(snapshot: OrderSnapshot, revision: str = "rev-2") -> OrderEdited:
    return OrderEdited("1001", WHEN, snapshot, revision)


class TestOrderEdited:
    def test_an_added_line_is_owed_through_the_first_payments_gateway(self) -> None:
        before = order(line("Mug", 1, "20.00"), payments=(card("20.00", "paypal"),))
        after = order(line("Mug", 1, "20.00"), line("Bowl", 1, "15.00"))
        entry = posted(edited(after), booked(before, Booking.PAID))
        assert balances(entry) == {PAYPAL_CLEARING: D("15.00"), SALES: D("-15.00")}
        assert only(entry, SALES).memo == "added: Bowl × 1"

    def test_a_changed_quantity_books_the_difference_with_both_quantities_in_the_memo(self) -> None:
        before = order(line("Mug", 2, "20.00", line_id="L1"), payments=(card("40.00"),))
        after = order(line("Mug", 3, "20.00", line_id="L1"))
        entry = posted(edited(after), booked(before, Booking.PAID))
        sales = only(entry, SALES)
        assert (sales.side, sales.amount.amount, sales.memo) == (
            Side.CREDIT,
            D("20.00"),
            "Mug × 3, was Mug × 2",
        )
        assert balances(entry)[SHOP_CLEARING] == D("20.00")

    def test_a_removed_line_debits_sales_and_lowers_what_is_owed(self) -> None:
        before = order(line("Mug"), line("Bowl", 1, "15.00"), payments=(card("35.00"),))
        entry = posted(edited(order(line("Mug"))), booked(before, Booking.PAID))
        assert balances(entry) == {SALES: D("15.00"), SHOP_CLEARING: D("-15.00")}
        assert only(entry, SALES).memo == "removed: Bowl × 1"

    def test_a_corrected_tax_moves_only_the_tax_and_what_is_owed(self) -> None:
        before = order(
            line("Lamp", 1, "100.00", taxes=(tax("CA State", "8.00"),)), payments=(card("108.00"),)
        )
        after = order(line("Lamp", 1, "100.00", taxes=(tax("CA State", "8.25"),)))
        entry = posted(edited(after), booked(before, Booking.PAID))
        assert balances(entry) == {TAX: D("-0.25"), SHOP_CLEARING: D("0.25")}
        assert only(entry, TAX).memo == "corrected: CA State"

    def test_an_edit_that_changes_nothing_booked_posts_nothing(self) -> None:
        before = order(line(), payments=(card("20.00"),))
        after = order(line(), payments=(card("20.00"),), name="#1001")
        assert post_or_none(edited(after), booked(before, Booking.PAID)) is None

    def test_an_edit_of_a_pending_order_changes_the_receivable(self) -> None:
        entry = posted(
            edited(order(line("Mug", 2))), booked(order(line("Mug", 1)), Booking.PENDING)
        )
        assert balances(entry) == {RECEIVABLE: D("20.00"), SALES: D("-20.00")}

    def test_the_source_key_names_the_revision(self) -> None:
        entry = posted(
            edited(order(line("Mug", 2)), "2026-10-02T16:00Z"), booked(order(line()), Booking.PAID)
        )
        assert entry.source == SourceKey(SHOP, "1001@2026-10-02T16:00Z", "order_edited")
        assert entry.dimensions["revision"] == "2026-10-02T16:00Z"

    def test_an_edit_of_an_order_not_posted_yet_is_retried_later(self) -> None:
        with pytest.raises(MissingPrerequisite) as raised:
            post_or_none(edited(order(line())))
        assert (raised.value.code, raised.value.retryable) == ("missing_prerequisite", True)

    def test_the_original_plus_its_edit_equal_booking_the_edited_order_outright(self) -> None:
        before = order(
            line("Mug", 2, "20.00", "2.00", taxes=(tax("VAT", "3.60"),), line_id="L1"),
            ships=(shipping("5.00"),),
        )
        after = order(
            line("Mug", 3, "20.00", "3.00", taxes=(tax("VAT", "5.40"),), line_id="L1"),
            line("Bowl", 1, "9.99", taxes=(tax("VAT", "1.00"),)),
        )
        original = posted(paid(before))
        edit = posted(edited(after), booked(before, Booking.PAID, original))
        assert balances(original, edit) == balances(posted(paid(after)))


def cancelled(reason: str | None = "customer") -> OrderCancelled:
    return OrderCancelled("1001-cancel", WHEN, "1001", reason)


class TestOrderCancelled:
    def test_cancelling_a_pending_order_reverses_its_booking(self) -> None:
        snapshot = order(line("Mug", 1, "100.00", taxes=(tax("VAT", "10.00"),)))
        placed = posted(pending(snapshot))
        entry = posted(cancelled(), booked(snapshot, Booking.PENDING, placed))
        assert balances(placed, entry) == {}
        assert entry.reverses == placed.source
        assert entry.source == SourceKey(SHOP, "1001-cancel", "order_cancelled")
        assert entry.description == "Order #1001 cancelled (customer): pending booking reversed"

    def test_a_pending_order_edited_before_cancelling_is_reversed_in_one_entry(self) -> None:
        before, after = order(line("Mug", 1)), order(line("Mug", 3))
        placed = posted(pending(before))
        edit = posted(edited(after), booked(before, Booking.PENDING, placed))
        entry = posted(cancelled(), booked(after, Booking.PENDING, placed, edit))
        assert balances(placed, edit, entry) == {}
        assert entry.dimensions["reverses"] == (str(placed.source), str(edit.source))
        assert len(entry.lines) == len(placed.lines) + len(edit.lines)

    def test_entries_already_reversed_are_not_reversed_again(self) -> None:
        before, after = order(line("Mug", 1)), order(line("Mug", 3))
        placed = posted(pending(before))
        edit = posted(edited(after), booked(before, Booking.PENDING, placed))
        undone = edit.reversal(reason="entered twice")
        entry = posted(cancelled(), booked(before, Booking.PENDING, placed, edit, undone))
        assert entry.dimensions["reverses"] == (str(placed.source),)
        assert balances(placed, edit, undone, entry) == {}

    def test_cancelling_a_paid_order_posts_nothing_because_its_refunds_move_the_money(self) -> None:
        snapshot = order(line(), payments=(card("20.00"),))
        prior = booked(snapshot, Booking.PAID, posted(paid(snapshot)))
        assert post_or_none(cancelled(), prior) is None

    def test_cancelling_an_order_never_posted_posts_nothing(self) -> None:
        assert post_or_none(cancelled()) is None

    def test_the_reversal_keeps_the_rates_of_the_original_booking(self) -> None:
        snapshot = order(line("Mug", 1, "100.00", currency="EUR"), currency="EUR")
        placed = posted(pending(snapshot))
        later_rates = StaticRates({("EUR", "USD"): "1.2500"})
        entry = posted(cancelled(), booked(snapshot, Booking.PENDING, placed), rates=later_rates)
        assert only(entry, RECEIVABLE).base_amount == only(placed, RECEIVABLE).base_amount
        assert only(entry, RECEIVABLE).rate == D("1.0837")
