"""A refund is routed by the same account rules as the sale it refunds: the booked order's
channel, country, customer, recorded fields and dimensions, each refunded line's tax
jurisdiction and the shipping method reach the rules when the refund books."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from ledgerbridge.demo.store import DemoDay
from ledgerbridge.events import OrderPaid, Refund
from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.ledger.entries import JournalEntry, Side
from ledgerbridge.mapping.apply import apply_fields, post_mapped, with_mapping
from ledgerbridge.posting import NOTHING_POSTED, Booking, PriorState
from ledgerbridge.services import books, reports
from ledgerbridge.services.mapping import set_mapping
from tests.mapping.test_apply import amounts, mapped
from tests.mapping.test_posting import entry_of
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock, deliver
from tests.posting.builders import (
    ACCOUNTS,
    PAYPAL_CLEARING,
    RATES,
    RETURNS,
    SHIPPING,
    SHOP,
    STRIPE_CLEARING,
    TAX,
    WHEN,
    card,
    line,
    order,
    refund,
    refund_line,
    shipping,
    tax,
)

CA_TAX, WEB_CLEARING, MERCHANT_RETURNS, EXPRESS = "2110", "1250", "4310", "4150"

ORDER_RAW: dict[str, Any] = {
    "source_name": "web",
    "merchant": {"code": "M-7"},
    "shipping_address": {"province_code": "CA"},
}
REFUND_RAW: dict[str, Any] = {"refund_line_items": []}
"""A refund's payload names neither the channel nor the merchant nor the address."""

TAX_RULE = {"when": {"tax_jurisdiction": "CA *"}, "role": "sales_tax_payable", "account": CA_TAX}


def sale() -> OrderPaid:
    """Mug taxed in California, Cap in New York, Standard shipping taxed in California."""
    return OrderPaid(
        "1001",
        WHEN,
        order(
            line("Mug", price="20.00", sku="MUG-1", taxes=(tax("CA State Tax", "1.60"),)),
            line("Cap", price="10.00", sku="CAP-1", taxes=(tax("NY State Tax", "0.80"),)),
            ships=(shipping("5.00", taxes=(tax("CA State Tax", "0.40"),)),),
            payments=(card("37.80", gateway="paypal"),),
        ),
    )


def book_both(
    document: dict[str, Any], paid: OrderPaid, back: Refund
) -> tuple[JournalEntry, JournalEntry]:
    """Post the sale, then its refund, the way the worker does: the refund's prior state holds
    the order snapshot shaped by the mapping, and the order's entries."""
    mapping = mapped(document)
    accounts = with_mapping(ACCOUNTS, mapping.document, SHOP)
    common: dict[str, Any] = {
        "connection": SHOP,
        "accounts": accounts,
        "rates": RATES,
        "base_currency": "USD",
    }
    sold, _ = post_mapped(paid, ORDER_RAW, mapping, prior=NOTHING_POSTED, **common)
    assert sold is not None
    shaped = apply_fields(mapping.document, paid, ORDER_RAW)
    assert isinstance(shaped, OrderPaid)
    prior = PriorState(shaped.order, Booking.PAID, (sold,))
    refunded, _ = post_mapped(back, REFUND_RAW, mapping, prior=prior, **common)
    assert refunded is not None
    return sold, refunded


class TestTaxAndShipping:
    def test_each_returned_line_gives_back_tax_where_its_order_line_was_taxed(self) -> None:
        back = refund(
            "32.40",
            replace(refund_line("Mug", 1, "20.00", "1.60"), sku="MUG-1"),
            replace(refund_line("Cap", 1, "10.00", "0.80"), sku="CAP-1"),
            payments=(card("32.40", gateway="paypal"),),
        )
        sold, refunded = book_both({"accounts": [TAX_RULE]}, sale(), back)
        assert amounts(sold)[(CA_TAX, Side.CREDIT)] == Decimal("2.00")
        assert amounts(sold)[(TAX, Side.CREDIT)] == Decimal("0.80")
        assert amounts(refunded)[(CA_TAX, Side.DEBIT)] == Decimal("1.60")
        assert amounts(refunded)[(TAX, Side.DEBIT)] == Decimal("0.80")

    def test_a_line_matches_its_order_line_by_title_when_the_refund_has_no_sku(self) -> None:
        back = refund(
            "21.60",
            refund_line("Mug", 1, "20.00", "1.60"),
            payments=(card("21.60", gateway="paypal"),),
        )
        _, refunded = book_both({"accounts": [TAX_RULE]}, sale(), back)
        assert amounts(refunded)[(CA_TAX, Side.DEBIT)] == Decimal("1.60")
        assert (TAX, Side.DEBIT) not in amounts(refunded)

    def test_order_level_tax_in_one_jurisdiction_routes_every_refunded_tax(self) -> None:
        paid = OrderPaid(
            "1001",
            WHEN,
            order(
                line("Mug", price="20.00"),
                ships=(shipping("5.00"),),
                order_taxes=(tax("CA State Tax", "2.00"),),
                payments=(card("27.00", gateway="paypal"),),
            ),
        )
        back = refund(
            "27.00",
            refund_line("Mug", 1, "20.00", "1.60"),
            shipping="5.00",
            shipping_tax="0.40",
            payments=(card("27.00", gateway="paypal"),),
        )
        sold, refunded = book_both({"accounts": [TAX_RULE]}, paid, back)
        assert amounts(sold)[(CA_TAX, Side.CREDIT)] == Decimal("2.00")
        assert amounts(refunded)[(CA_TAX, Side.DEBIT)] == Decimal("2.00")
        assert (TAX, Side.DEBIT) not in amounts(refunded)

    def test_shipping_comes_back_through_the_shipping_methods_account(self) -> None:
        rule = {
            "when": {"shipping_method": "Stand*"},
            "role": "shipping_income",
            "account": EXPRESS,
        }
        back = refund(
            "5.40", shipping="5.00", shipping_tax="0.40", payments=(card("5.40", gateway="paypal"),)
        )
        sold, refunded = book_both({"accounts": [rule, TAX_RULE]}, sale(), back)
        assert amounts(sold)[(EXPRESS, Side.CREDIT)] == Decimal("5.00")
        assert amounts(refunded)[(EXPRESS, Side.DEBIT)] == Decimal("5.00")
        assert amounts(refunded)[(CA_TAX, Side.DEBIT)] == Decimal("0.40")
        assert (SHIPPING, Side.DEBIT) not in amounts(refunded)

    def test_tax_of_an_order_taxed_in_several_places_with_no_line_to_tell_stays_default(
        self,
    ) -> None:
        back = refund(
            "5.00", refund_line("Gift wrap", 1, "4.00", "1.00"), payments=(card("5.00", "paypal"),)
        )
        _, refunded = book_both({"accounts": [TAX_RULE]}, sale(), back)
        assert amounts(refunded)[(TAX, Side.DEBIT)] == Decimal("1.00")


class TestOrderFacts:
    def test_a_channel_rule_credits_the_refund_to_the_clearing_the_sale_debited(self) -> None:
        document = {
            "fields": {"channel": "source_name"},
            "accounts": [{"when": {"channel": "web"}, "role": "clearing", "account": WEB_CLEARING}],
        }
        back = refund("21.60", refund_line("Mug", 1, "20.00", "1.60"), payments=(card("21.60"),))
        sold, refunded = book_both(document, sale(), back)
        assert amounts(sold)[(WEB_CLEARING, Side.DEBIT)] == Decimal("37.80")
        assert amounts(refunded)[(WEB_CLEARING, Side.CREDIT)] == Decimal("21.60")

    def test_the_orders_merchant_code_and_dimensions_route_the_returns(self) -> None:
        document = {
            "fields": {"merchant_code": "merchant.code"},
            "dimensions": {"region": "shipping_address.province_code"},
            "accounts": [
                {
                    "when": {"merchant_code": "M-7", "region": "CA"},
                    "role": "sales_returns",
                    "account": MERCHANT_RETURNS,
                }
            ],
        }
        back = refund(
            "21.60", refund_line("Mug", 1, "20.00", "1.60"), payments=(card("21.60", "paypal"),)
        )
        _, refunded = book_both(document, sale(), back)
        assert amounts(refunded)[(MERCHANT_RETURNS, Side.DEBIT)] == Decimal("20.00")
        assert (RETURNS, Side.DEBIT) not in amounts(refunded)

    def test_the_refunds_own_gateway_wins_over_the_orders(self) -> None:
        document = {
            "accounts": [{"when": {"gateway": "paypal"}, "role": "clearing", "account": "1299"}]
        }
        back = refund(
            "21.60", refund_line("Mug", 1, "20.00", "1.60"), payments=(card("21.60", "stripe"),)
        )
        sold, refunded = book_both(document, sale(), back)
        assert amounts(sold)[("1299", Side.DEBIT)] == Decimal("37.80")
        assert ("1299", Side.CREDIT) not in amounts(refunded)

    def test_without_a_mapping_the_refund_books_on_the_roles_accounts(self) -> None:
        back = refund(
            "27.00",
            refund_line("Mug", 1, "20.00", "1.60"),
            shipping="5.00",
            shipping_tax="0.40",
            payments=(card("27.00", "paypal"),),
        )
        entry, notices = post_mapped(
            back,
            REFUND_RAW,
            None,
            connection=SHOP,
            accounts=ACCOUNTS,
            rates=RATES,
            base_currency="USD",
            prior=PriorState(sale().order, Booking.PAID, ()),
        )
        assert entry is not None and notices == ()
        assert amounts(entry) == {
            (RETURNS, Side.DEBIT): Decimal("20.00"),
            (SHIPPING, Side.DEBIT): Decimal("5.00"),
            (TAX, Side.DEBIT): Decimal("2.00"),
            (PAYPAL_CLEARING, Side.CREDIT): Decimal("27.00"),
        }
        assert entry.mapping_version is None
        assert all("jurisdiction" not in ln.dimensions for ln in entry.lines)


def test_through_the_worker_a_shopify_refund_follows_its_orders_rules(book: Book) -> None:
    for code, name, kind in (
        (CA_TAX, "Sales tax payable - California", AccountType.LIABILITY),
        (WEB_CLEARING, "Online store clearing", AccountType.ASSET),
    ):
        books.add_account(book.db, Account(code, name, kind))
    set_mapping(
        book.db,
        "shop",
        {
            "version": 1,
            "fields": {"channel": "source_name"},
            "accounts": [
                TAX_RULE,
                {"when": {"channel": "web"}, "role": "clearing", "account": WEB_CLEARING},
            ],
        },
    )
    clock = FakeClock()
    day = DemoDay(clock.now)
    paid, _ = day.order(1)
    sold_id = deliver(book, "shop", "orders/paid", paid, clock)
    back = day.refund(day.sales[0], 1)
    back_id = deliver(book, "shop", "refunds/create", back, clock)
    book.worker(clock=clock).drain()

    sold, refunded = entry_of(book, sold_id), entry_of(book, back_id)
    [item] = back["refund_line_items"]
    returned_tax = Decimal(item["total_tax"])
    assert amounts(sold)[(CA_TAX, Side.CREDIT)] == Decimal(paid["total_tax"])
    assert amounts(sold)[(WEB_CLEARING, Side.DEBIT)] == Decimal(paid["total_price"])
    assert amounts(refunded)[(CA_TAX, Side.DEBIT)] == returned_tax
    assert (
        amounts(refunded)[(WEB_CLEARING, Side.CREDIT)] == Decimal(item["subtotal"]) + returned_tax
    )
    assert (TAX, Side.DEBIT) not in amounts(refunded)
    assert (STRIPE_CLEARING, Side.CREDIT) not in amounts(refunded)
    tb = reports.trial_balance(book.db)
    assert tb.total_debit == tb.total_credit
