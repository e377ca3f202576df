"""The live ECB provider against a real HTTP server on loopback that serves the ECB's files.

Each test sets the clock to a moment that fits the files served (the daily sample is
2015-01-07, the 90-day sample ends 2019-11-29, the history ends 2026-04-13), so the feed the
provider picks by date is the one whose data the test expects.
"""

from __future__ import annotations

import datetime as dt
import socket
from decimal import Decimal
from typing import ClassVar

import pytest

from ledgerbridge.fx import EcbRates, OfflineEcbRates
from ledgerbridge.pipeline.worker import is_retryable
from ledgerbridge.posting.rates import RateUnavailable
from tests.fx.conftest import ManualClock, utc
from tests.fx.ecb_server import FakeEcb

DAILY, NINETY, HIST = "eurofxref-daily.xml", "eurofxref-hist-90d.xml", "eurofxref-hist.xml"
JAN_7_2015 = dt.date(2015, 1, 7)


def ecb_rates(server: FakeEcb, clock: ManualClock, **options: object) -> EcbRates:
    return EcbRates(base_url=server.url, clock=clock, **options)  # type: ignore[arg-type]


class TestFeedChoice:
    def test_today_comes_from_the_daily_file(self, ecb: FakeEcb) -> None:
        rates = ecb_rates(ecb, ManualClock(utc(2015, 1, 7, 16, 30)))
        rate = rates.rate("EUR", "USD", JAN_7_2015)
        assert (rate.value, rate.date, rate.source) == (Decimal("1.1831"), JAN_7_2015, "ecb")
        assert ecb.requests == [DAILY]

    def test_last_month_comes_from_the_90_day_file(self, ecb: FakeEcb) -> None:
        rates = ecb_rates(ecb, ManualClock(utc(2019, 11, 29, 17)))
        rate = rates.rate("EUR", "USD", dt.date(2019, 10, 15))
        assert (rate.value, rate.date) == (Decimal("1.1007"), dt.date(2019, 10, 15))
        assert ecb.requests == [NINETY]

    def test_an_old_date_comes_from_the_full_history(self, ecb: FakeEcb) -> None:
        rates = ecb_rates(ecb, ManualClock(utc(2026, 4, 14, 9)))
        assert rates.rate("EUR", "USD", dt.date(2024, 1, 2)).value == Decimal("1.0956")
        assert ecb.requests == [HIST]

    def test_a_file_that_would_leave_a_gap_is_passed_over_for_a_larger_one(
        self, ecb: FakeEcb
    ) -> None:
        # The day before the daily file's date: the daily file does not reach back, and the
        # 2019 90-day file would leave a gap after 2015-01-07, so the history settles it.
        rates = ecb_rates(ecb, ManualClock(utc(2015, 1, 8, 9)))
        rate = rates.rate("EUR", "USD", dt.date(2015, 1, 6))
        assert (rate.value, rate.date) == (Decimal("1.1914"), dt.date(2015, 1, 6))
        assert ecb.requests == [DAILY, NINETY, HIST]


class TestWeekendsAndHolidays:
    def test_a_saturday_gets_fridays_rate_and_says_friday(self, ecb: FakeEcb) -> None:
        rates = ecb_rates(ecb, ManualClock(utc(2019, 11, 30, 10)))
        rate = rates.rate("EUR", "USD", dt.date(2019, 11, 23))
        assert (rate.value, rate.date) == (Decimal("1.1058"), dt.date(2019, 11, 22))

    def test_new_years_day_gets_the_rate_of_the_last_working_day_of_the_year(
        self, ecb: FakeEcb
    ) -> None:
        rates = ecb_rates(ecb, ManualClock(utc(2026, 4, 14, 9)))
        rate = rates.rate("EUR", "USD", dt.date(2024, 1, 1))
        assert (rate.value, rate.date) == (Decimal("1.105"), dt.date(2023, 12, 29))


class TestTheReferenceRatesOf2January2024:
    """Figures from the history sample: USD 1.0956, JPY 155.68, GBP 0.86645 per EUR."""

    EXPECTED: ClassVar[dict[tuple[str, str], Decimal]] = {
        ("EUR", "USD"): Decimal("1.0956"),
        ("EUR", "JPY"): Decimal("155.68"),
        ("GBP", "USD"): Decimal("1.26446996364"),  # 1.0956 / 0.86645, 12 significant digits
        ("USD", "JPY"): Decimal("142.095655349"),  # 155.68 / 1.0956
        ("JPY", "USD"): Decimal("0.00703751284687"),  # 1.0956 / 155.68
    }

    def test_the_live_and_the_offline_provider_agree_to_the_digit(self, ecb: FakeEcb) -> None:
        live = ecb_rates(ecb, ManualClock(utc(2026, 4, 14, 9)))
        offline = OfflineEcbRates()
        day = dt.date(2024, 1, 2)
        for (currency, base), expected in self.EXPECTED.items():
            from_live = live.rate(currency, base, day)
            from_offline = offline.rate(currency, base, day)
            assert from_live.value == from_offline.value == expected
            assert str(from_live.value) == str(from_offline.value)
            assert from_live.date == from_offline.date == day
            assert (from_live.source, from_offline.source) == ("ecb", "ecb-offline")


class TestRefresh:
    def test_a_date_already_settled_never_reaches_the_network_again(self, ecb: FakeEcb) -> None:
        clock = ManualClock(utc(2026, 4, 14, 9))
        rates = ecb_rates(ecb, clock)
        rates.rate("EUR", "USD", dt.date(2024, 1, 2))
        clock.advance(days=30)
        for day in (dt.date(2024, 1, 3), dt.date(2010, 6, 1), dt.date(2026, 4, 13)):
            rates.rate("GBP", "JPY", day)
        assert ecb.requests == [HIST]

    def test_a_date_past_the_newest_rate_refetches_at_most_once_per_interval(
        self, ecb: FakeEcb
    ) -> None:
        clock = ManualClock(utc(2015, 1, 8, 9))
        rates = ecb_rates(ecb, clock, refresh_interval=dt.timedelta(minutes=5))
        for _ in range(3):  # Thursday morning: Thursday's rate is not out yet
            assert rates.rate("EUR", "USD", dt.date(2015, 1, 8)).date == JAN_7_2015
            clock.advance(minutes=1)
        assert ecb.requests == [DAILY]
        clock.advance(minutes=3)
        rates.rate("EUR", "USD", dt.date(2015, 1, 8))
        assert ecb.requests == [DAILY, DAILY]


class TestFeedDown:
    def test_within_the_bound_a_cached_rate_stands_in_and_says_its_date(self, ecb: FakeEcb) -> None:
        clock = ManualClock(utc(2015, 1, 7, 17))
        rates = ecb_rates(ecb, clock, max_staleness_days=4)
        rates.rate("EUR", "USD", JAN_7_2015)
        ecb.stop()
        clock.advance(days=2)
        friday = rates.rate("EUR", "USD", dt.date(2015, 1, 9))
        assert (friday.value, friday.date) == (Decimal("1.1831"), JAN_7_2015)
        sunday = rates.rate("GBP", "USD", dt.date(2015, 1, 11))
        assert sunday.date == JAN_7_2015

    def test_beyond_the_bound_the_rate_is_unavailable_and_retryable(self, ecb: FakeEcb) -> None:
        clock = ManualClock(utc(2015, 1, 7, 17))
        rates = ecb_rates(ecb, clock, max_staleness_days=4)
        rates.rate("EUR", "USD", JAN_7_2015)
        ecb.stop()
        clock.advance(days=5)
        with pytest.raises(RateUnavailable) as caught:
            rates.rate("EUR", "USD", dt.date(2015, 1, 12))
        assert "2015-01-07, 5 days earlier (at most 4 allowed)" in caught.value.message
        assert "unreachable" in caught.value.message
        assert is_retryable(caught.value)  # the worker retries the event later

    def test_the_default_bound_bridges_the_longest_ecb_closure(self, ecb: FakeEcb) -> None:
        clock = ManualClock(utc(2015, 1, 7, 17))
        rates = ecb_rates(ecb, clock)
        rates.rate("EUR", "USD", JAN_7_2015)
        ecb.stop()
        clock.advance(days=6)
        assert rates.rate("EUR", "USD", dt.date(2015, 1, 12)).date == JAN_7_2015  # 5 days
        with pytest.raises(RateUnavailable):
            rates.rate("EUR", "USD", dt.date(2015, 1, 13))

    def test_malformed_xml_counts_as_the_feed_being_down(self, ecb: FakeEcb) -> None:
        clock = ManualClock(utc(2015, 1, 7, 17))
        rates = ecb_rates(ecb, clock)
        rates.rate("EUR", "USD", JAN_7_2015)
        ecb.broken = True
        clock.advance(days=1)
        assert rates.rate("EUR", "USD", dt.date(2015, 1, 8)).date == JAN_7_2015
        fresh = ecb_rates(ecb, clock)
        with pytest.raises(RateUnavailable, match="not well-formed"):
            fresh.rate("EUR", "USD", dt.date(2015, 1, 8))

    def test_a_server_error_counts_as_the_feed_being_down(self, ecb: FakeEcb) -> None:
        ecb.status = 503
        rates = ecb_rates(ecb, ManualClock(utc(2015, 1, 7, 17)))
        with pytest.raises(RateUnavailable, match="HTTP 503"):
            rates.rate("EUR", "USD", JAN_7_2015)

    def test_a_down_feed_is_not_asked_again_for_every_event(self, ecb: FakeEcb) -> None:
        ecb.status = 503
        clock = ManualClock(utc(2015, 1, 7, 17))
        rates = ecb_rates(ecb, clock)
        for _ in range(5):
            with pytest.raises(RateUnavailable):
                rates.rate("EUR", "USD", JAN_7_2015)
        assert ecb.requests == [DAILY]

    def test_a_server_that_never_answers_counts_as_the_feed_being_down(self) -> None:
        with socket.socket() as silent:  # connections queue in the backlog; nothing replies
            silent.bind(("127.0.0.1", 0))
            silent.listen(1)
            port = silent.getsockname()[1]
            rates = EcbRates(
                base_url=f"http://127.0.0.1:{port}/stats/eurofxref/",
                clock=ManualClock(utc(2015, 1, 7, 17)),
                timeout_s=0.5,
            )
            with pytest.raises(RateUnavailable, match="ReadTimeout"):
                rates.rate("EUR", "USD", JAN_7_2015)

    def test_a_refused_connection_counts_as_the_feed_being_down(self, ecb: FakeEcb) -> None:
        url = ecb.url
        ecb.stop()
        rates = EcbRates(base_url=url, clock=ManualClock(utc(2015, 1, 7, 17)))
        with pytest.raises(RateUnavailable, match="ConnectError"):
            rates.rate("EUR", "USD", JAN_7_2015)
