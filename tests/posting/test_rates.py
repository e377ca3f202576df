"""Rates, conversion to the base currency, and the account map."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerbridge.errors import InvalidInput
from ledgerbridge.ledger.chart import RETAIL
from ledgerbridge.money import UnknownCurrency
from ledgerbridge.posting import AccountMap, Rate, RateUnavailable, StaticRates, UnknownRole
from ledgerbridge.posting.conversion import side_to_base
from tests.posting.builders import (
    DAY,
    PAYPAL_CLEARING,
    SALES,
    SHOP_CLEARING,
    card,
    line,
    on,
    only,
    order,
    paid,
    post_or_none,
    posted,
)

D = Decimal


class TestStaticRates:
    def test_a_listed_pair_answers_with_its_rate_dated_the_day_asked_for(self) -> None:
        rates = StaticRates({("EUR", "USD"): "1.0837"}, source="manual")
        assert rates.rate("EUR", "USD", DAY) == Rate(D("1.0837"), DAY, "manual")

    def test_a_publication_date_is_reported_instead_when_given(self) -> None:
        friday = dt.date(2026, 10, 2)
        rates = StaticRates({("EUR", "USD"): "1.0837"}, published=friday)
        assert rates.rate("EUR", "USD", dt.date(2026, 10, 4)).date == friday

    def test_a_currency_in_its_own_terms_is_one(self) -> None:
        assert StaticRates({}).rate("JPY", "JPY", DAY).value == 1

    def test_a_missing_pair_is_unavailable_and_retryable_and_never_inverted(self) -> None:
        rates = StaticRates({("USD", "EUR"): "0.9228"})
        with pytest.raises(RateUnavailable, match="EUR/USD") as raised:
            rates.rate("EUR", "USD", DAY)
        assert (raised.value.code, raised.value.retryable) == ("rate_unavailable", True)

    def test_a_float_rate_is_refused(self) -> None:
        with pytest.raises(TypeError):
            StaticRates({("EUR", "USD"): 1.0837})  # type: ignore[dict-item]

    def test_a_made_up_currency_is_refused(self) -> None:
        with pytest.raises(UnknownCurrency):
            StaticRates({("EUX", "USD"): "1"})


class TestRate:
    @pytest.mark.parametrize("value", [D(0), D(-1), D("NaN")])
    def test_a_rate_must_be_a_positive_number(self, value: Decimal) -> None:
        with pytest.raises(InvalidInput):
            Rate(value, DAY, "ecb")


class TestConversion:
    def test_the_largest_line_gives_up_the_cent_rounding_added(self) -> None:
        assert side_to_base([D("33.33"), D("33.33"), D("33.34")], D("1.0845"), "USD") == [
            D("36.15"),
            D("36.15"),
            D("36.15"),
        ]

    def test_a_cent_rounding_lost_is_added_to_the_largest_lines(self) -> None:
        # 3 × 0.005 exact: each rounds half-even to 0.00, the side's total 0.015 to 0.02.
        assert side_to_base([D("1"), D("1"), D("1")], D("0.005"), "USD") == [
            D("0.01"),
            D("0.01"),
            D("0.00"),
        ]

    def test_an_order_converts_so_both_sides_meet_in_base(self) -> None:
        thirds = order(
            *(
                line(t, 1, p, currency="EUR")
                for t, p in [("A", "33.33"), ("B", "33.33"), ("C", "33.34")]
            ),
            currency="EUR",
        )
        entry = posted(paid(thirds), rates=StaticRates({("EUR", "USD"): "1.0845"}))
        assert only(entry, SHOP_CLEARING).base_amount.amount == D("108.45")
        assert [ln.base_amount.amount for ln in on(entry, SALES)] == [D("36.15")] * 3

    def test_a_yen_book_gets_whole_yen(self) -> None:
        entry = posted(
            paid(order(line("Mug", 1, "10.01"))),
            base="JPY",
            rates=StaticRates({("USD", "JPY"): "149.37"}),
        )
        assert str(only(entry, SHOP_CLEARING).base_amount) == "1495 JPY"

    def test_dinars_keep_three_decimals_and_convert_to_cents(self) -> None:
        entry = posted(
            paid(order(line("Mug", 1, "1.234", currency="KWD"), currency="KWD")),
            rates=StaticRates({("KWD", "USD"): "3.2561"}),
        )
        clearing = only(entry, SHOP_CLEARING)
        assert (str(clearing.amount), str(clearing.base_amount)) == ("1.234 KWD", "4.02 USD")

    def test_a_missing_rate_stops_posting_with_a_retryable_error(self) -> None:
        with pytest.raises(RateUnavailable):
            post_or_none(paid(order(line(currency="CHF"), currency="CHF")))


class TestAccountMap:
    def test_a_role_resolves_to_its_code(self) -> None:
        assert AccountMap.from_chart(RETAIL).code("sales") == "4000"

    def test_an_unmapped_role_is_named_in_the_error(self) -> None:
        with pytest.raises(UnknownRole, match="clearing:etsy") as raised:
            AccountMap.from_chart(RETAIL).clearing("etsy")
        assert raised.value.as_dict()["code"] == "unknown_account_role"

    def test_a_routed_gateway_has_its_own_clearing_and_others_use_the_connections(self) -> None:
        accounts = AccountMap.of(
            {"clearing:shop": "1201"}, gateway_clearing={"paypal": PAYPAL_CLEARING}
        )
        assert accounts.for_gateway("shop", "paypal") == PAYPAL_CLEARING
        assert accounts.for_gateway("shop", "shopify_payments") == "1201"
        assert accounts.for_gateway("shop", None) == "1201"

    def test_the_map_does_not_change_when_its_source_dict_does(self) -> None:
        codes = {"sales": "4000"}
        accounts = AccountMap.of(codes)
        codes["sales"] = "9999"
        assert accounts.code("sales") == "4000"

    def test_routing_applies_to_orders_through_that_gateway(self) -> None:
        entry = posted(paid(order(line(), payments=(card("20.00", "paypal"),))))
        assert on(entry, SHOP_CLEARING) == [] and len(on(entry, PAYPAL_CLEARING)) == 1
