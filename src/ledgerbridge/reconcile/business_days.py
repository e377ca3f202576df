"""Business-day arithmetic for the matcher: weekends and the given holidays are skipped.

Why ordinals: the matcher tests many thousands of (deposit, payout) date pairs against a window.
Mapping each date once to "how many business days came before it" turns every window test into
one integer subtraction, and the cache stays tiny because a month of statements has few dates.

A Saturday, Sunday or holiday gets the ordinal of the *next* business day: a deposit the bank
books on a Saturday counts as booked on Monday, so it is 0 business days from a payout due that
Monday and 1 from a payout due the Friday before. Windows built on these ordinals are symmetric:
``distance(a, b) == distance(b, a)``.

Worked example (no holidays): Friday 2026-10-02 has ordinal n, Saturday and Sunday n + 1, Monday
2026-10-05 n + 1, Tuesday n + 2. With Monday a holiday, Monday moves to n + 1 with the weekend and
Tuesday becomes n + 1 too: Friday → Tuesday is one business day.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left

WORKING_DAYS_PER_WEEK = 5
"""Monday to Friday; ``date.weekday()`` numbers them 0 to 4."""


class BusinessCalendar:
    """Counts business days, skipping weekends and ``holidays`` (a holiday on a weekend is moot)."""

    __slots__ = ("_cache", "_holidays")

    def __init__(self, holidays: frozenset[dt.date] = frozenset()) -> None:
        self._holidays = sorted(h for h in holidays if h.weekday() < WORKING_DAYS_PER_WEEK)
        self._cache: dict[dt.date, int] = {}

    def ordinal(self, day: dt.date) -> int:
        """Business days strictly before ``day`` since 0001-01-01 (a Monday)."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        weeks, weekday = divmod(day.toordinal() - 1, 7)
        before = weeks * WORKING_DAYS_PER_WEEK + min(weekday, WORKING_DAYS_PER_WEEK)
        before -= bisect_left(self._holidays, day)
        self._cache[day] = before
        return before

    def distance(self, a: dt.date, b: dt.date) -> int:
        """Business days between two dates, in either order."""
        return abs(self.ordinal(a) - self.ordinal(b))
