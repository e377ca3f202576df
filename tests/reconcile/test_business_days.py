"""Business-day distances: weekends and holidays skipped, the same in both directions."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerbridge.reconcile.business_days import BusinessCalendar

FRI = dt.date(2026, 10, 2)
SAT, SUN, MON, TUE = (FRI + dt.timedelta(days=n) for n in range(1, 5))


class TestDistance:
    @pytest.mark.parametrize(
        ("a", "b", "days"),
        [
            (FRI, FRI, 0),
            (FRI, MON, 1),
            (FRI, TUE, 2),
            (MON, TUE, 1),
            (FRI, FRI + dt.timedelta(7), 5),
        ],
    )
    def test_weekends_are_not_counted(self, a: dt.date, b: dt.date, days: int) -> None:
        assert BusinessCalendar().distance(a, b) == days
        assert BusinessCalendar().distance(b, a) == days

    def test_a_weekend_day_counts_as_the_next_monday(self) -> None:
        calendar = BusinessCalendar()
        assert calendar.distance(SAT, MON) == 0 and calendar.distance(SUN, MON) == 0
        assert calendar.distance(SAT, FRI) == 1

    def test_a_holiday_is_skipped_like_a_weekend(self) -> None:
        calendar = BusinessCalendar(frozenset({MON}))
        assert calendar.distance(FRI, TUE) == 1
        assert calendar.distance(MON, TUE) == 0

    def test_a_holiday_on_a_weekend_changes_nothing(self) -> None:
        assert BusinessCalendar(frozenset({SAT})).distance(FRI, TUE) == 2

    def test_years_apart_is_arithmetic_not_a_walk(self) -> None:
        far = dt.date(2126, 10, 2)  # a century later, counted the slow way below
        weekdays = sum(1 for n in range((far - FRI).days) if (FRI + dt.timedelta(n)).weekday() < 5)
        assert BusinessCalendar().distance(FRI, far) == weekdays
