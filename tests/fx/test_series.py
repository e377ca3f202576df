"""Cross rates through the euro, their precision, and which publication answers a date."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.fx.series import (
    SIGNIFICANT_DIGITS,
    EurSeries,
    cross_rate,
    lookup,
    next_weekday,
    previous_weekday,
    tidy,
)
from ledgerbridge.money import Money, UnknownCurrency, exponent
from ledgerbridge.posting.rates import RateUnavailable

JAN_2 = {"USD": Decimal("1.0956"), "JPY": Decimal("155.68"), "GBP": Decimal("0.86645")}
TOLERANCE = Decimal(10) ** (1 - SIGNIFICANT_DIGITS)
"""Two roundings, each within half a unit in the 12th significant digit (5·10⁻¹² relative)."""


class TestCrossRate:
    def test_a_rate_in_euro_terms_is_the_published_figure(self) -> None:
        assert cross_rate("EUR", "USD", JAN_2) == Decimal("1.0956")
        assert cross_rate("EUR", "JPY", JAN_2) == Decimal("155.68")

    def test_a_cross_rate_divides_the_two_euro_figures_to_twelve_digits(self) -> None:
        # 1.0956 / 0.86645 = 1.264469963644757...
        assert cross_rate("GBP", "USD", JAN_2) == Decimal("1.26446996364")
        # 155.68 / 1.0956 = 142.0956553486...
        assert cross_rate("USD", "JPY", JAN_2) == Decimal("142.095655349")
        # 1 / 1.0956 = 0.91274187659729828...
        assert cross_rate("USD", "EUR", JAN_2) == Decimal("0.912741876597")

    def test_a_currency_in_its_own_terms_is_one(self) -> None:
        assert cross_rate("JPY", "JPY", JAN_2) == 1

    def test_an_unquoted_side_gives_no_rate(self) -> None:
        assert cross_rate("CHF", "USD", JAN_2) is None
        assert cross_rate("USD", "CHF", JAN_2) is None

    def test_trailing_zeros_and_exponents_are_tidied(self) -> None:
        assert str(tidy(Decimal("0.78230"))) == "0.7823"
        assert str(tidy(Decimal("1E+2"))) == "100"
        assert str(cross_rate("EUR", "GBP", {"GBP": Decimal("0.78230")})) == "0.7823"


per_euro = st.decimals(
    min_value=Decimal("0.001"), max_value=Decimal("50000"), places=5, allow_nan=False
).filter(lambda d: d > 0)
codes = st.sampled_from(["USD", "GBP", "JPY", "KWD", "BHD", "CHF", "IDR", "ISK", "CLF"])


class TestCrossRateProperties:
    @given(c=per_euro, b=per_euro)
    def test_there_and_back_again_is_one_within_the_stated_precision(
        self, c: Decimal, b: Decimal
    ) -> None:
        quotes = {"AAA": c, "BBB": b}
        there = cross_rate("AAA", "BBB", quotes)
        back = cross_rate("BBB", "AAA", quotes)
        assert there is not None and back is not None
        assert abs(there * back - 1) <= TOLERANCE
        assert len(there.as_tuple().digits) <= SIGNIFICANT_DIGITS

    @given(
        currency=codes,
        base=codes,
        c=per_euro,
        b=per_euro,
        minor=st.integers(min_value=-(10**12), max_value=10**12),
    )
    def test_converting_money_lands_on_the_base_currency_exponent(
        self, currency: str, base: str, c: Decimal, b: Decimal, minor: int
    ) -> None:
        quotes = {currency: c, base: b} if currency != base else {currency: c}
        rate = cross_rate(currency, base, quotes)
        assert rate is not None
        amount = Money.from_minor(minor, currency)
        converted = amount.convert(rate, base, rounding=ROUND_HALF_EVEN)
        assert converted.currency == base
        assert converted.amount.as_tuple().exponent == -exponent(base)
        half_unit = Decimal(1).scaleb(-exponent(base)) / 2
        assert abs(converted.amount - amount.amount * rate) <= half_unit


def series_of(*days: tuple[dt.date, dict[str, Decimal]]) -> EurSeries:
    series = EurSeries()
    series.merge(dict(days))
    return series


THU, FRI, MON = dt.date(2024, 1, 4), dt.date(2024, 1, 5), dt.date(2024, 1, 8)
WEEK = series_of(
    (THU, {"USD": Decimal("1.0953")}),
    (FRI, {"USD": Decimal("1.0921")}),
    (MON, {"USD": Decimal("1.0946")}),
)


class TestLookup:
    def test_a_weekend_gets_fridays_rate_dated_friday(self) -> None:
        rate = lookup(WEEK, "EUR", "USD", dt.date(2024, 1, 6), source="t", max_staleness_days=5)
        assert (rate.value, rate.date, rate.source) == (Decimal("1.0921"), FRI, "t")

    def test_a_date_inside_the_series_is_never_too_stale(self) -> None:
        gappy = series_of((THU, {"USD": Decimal(1)}), (dt.date(2024, 1, 15), {"USD": Decimal(2)}))
        rate = lookup(gappy, "EUR", "USD", dt.date(2024, 1, 14), source="t", max_staleness_days=1)
        assert rate.date == THU

    def test_a_date_after_the_series_is_answered_within_the_bound_only(self) -> None:
        ok = lookup(WEEK, "EUR", "USD", dt.date(2024, 1, 11), source="t", max_staleness_days=3)
        assert ok.date == MON
        with pytest.raises(RateUnavailable, match=r"2024-01-08, 4 days earlier \(at most 3"):
            lookup(
                WEEK,
                "EUR",
                "USD",
                dt.date(2024, 1, 12),
                source="t",
                max_staleness_days=3,
                note="; because",
            )

    def test_a_date_before_the_series_is_unavailable(self) -> None:
        with pytest.raises(RateUnavailable, match="start on 2024-01-04"):
            lookup(WEEK, "EUR", "USD", dt.date(2024, 1, 3), source="t", max_staleness_days=5)

    def test_a_currency_missing_that_day_is_unavailable_not_carried_forward(self) -> None:
        with pytest.raises(RateUnavailable, match="publication of 2024-01-08 has no GBP"):
            lookup(WEEK, "GBP", "USD", MON, source="t", max_staleness_days=5)

    def test_a_made_up_currency_is_refused_as_such(self) -> None:
        with pytest.raises(UnknownCurrency):
            lookup(WEEK, "XYZ", "USD", MON, source="t", max_staleness_days=5)

    def test_the_same_currency_is_one_on_the_date_asked(self) -> None:
        rate = lookup(WEEK, "USD", "USD", dt.date(2030, 1, 1), source="t", max_staleness_days=5)
        assert (rate.value, rate.date) == (1, dt.date(2030, 1, 1))


class TestSeries:
    def test_weekdays_skip_weekends(self) -> None:
        assert next_weekday(FRI) == MON
        assert previous_weekday(MON) == FRI

    def test_files_that_meet_across_a_weekend_touch_and_others_do_not(self) -> None:
        held = series_of((FRI, {"USD": Decimal(1)}))
        assert held.touches(MON, MON)
        assert held.touches(dt.date(2023, 12, 1), FRI)
        assert not held.touches(dt.date(2024, 1, 9), dt.date(2024, 1, 9))
        assert not held.touches(dt.date(2023, 1, 2), dt.date(2023, 12, 29))

    def test_a_cached_run_with_a_hole_is_trusted_only_after_the_hole(self) -> None:
        series = EurSeries()
        series.merge_trusted_tail(
            {
                dt.date(2023, 6, 1): {"USD": Decimal(1)},
                THU: {"USD": Decimal(1)},
                FRI: {"USD": Decimal(1)},
            }
        )
        assert (series.first, series.last) == (THU, FRI)
