"""Live ECB reference rates (``LEDGERBRIDGE_FX_PROVIDER=ecb``), cached in the database.

**Which feed.** The ECB serves three files of one format: the latest publication
(``eurofxref-daily.xml``, ~2 KB), the last 90 days (``eurofxref-hist-90d.xml``, ~80 KB) and
every day since 1999 (``eurofxref-hist.xml``, several MB). A lookup that needs the network
asks for the smallest file that can reach back far enough: the daily file when the data
needed starts within :data:`DAILY_REACH_DAYS` of today, the 90-day file within
:data:`NINETY_DAY_REACH_DAYS`, the full history beyond. "Reach back" means the new file must
overlap what is held (or adjoin it across a weekend); if it does not, for instance when the
daily file skipped over a holiday or the service was down for a week, the next larger file is
fetched in the same lookup. So what is held is always one unbroken run of publications.

**When to fetch.** Never for a date the held run already settles: a publication on or
before it and one on or after it are both held, and the ECB never publishes for a past date.
Otherwise (a date after the newest held publication, or before the oldest) a file is fetched,
but each file at most once per ``refresh_interval`` (5 minutes by default), so a burst of
events costs one request, and an unreachable feed is not retried per event.

**When the feed is down** (connection error, timeout, an HTTP error status, a file that is
not ECB XML), the lookup falls back to what is held: the newest publication answers a later
date while the gap is at most ``max_staleness_days``, else :class:`RateUnavailable`
(retryable: the event waits; it is never posted at a guessed rate). The same bound applies
while the feed is up, to a date the ECB has not published for yet (today before its
publication at about 16:00 CET, or a future date). The default, 5, is the longest gap between
two ECB publications since 1999 (Easter: Thursday to Tuesday; also 22 to 27 December 2023), so
no date is ever refused merely because of a holiday, while a Friday rate never serves beyond
the Wednesday after; a reference rate typically moves under 1% in that time.

``Rate.date`` is always the publication date used, not the date asked for, and the clock is
injected (``clock``): no wall clock is read inside the logic.
"""

from __future__ import annotations

import datetime as dt
import threading
from enum import StrEnum

import httpx
import structlog

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.fx.cache import RateCache
from ledgerbridge.fx.ecb_format import EurQuotes, FeedInvalid, parse_xml
from ledgerbridge.fx.series import LONGEST_CLOSURE_DAYS, EurSeries, lookup, next_weekday
from ledgerbridge.fx.series import quoted_currencies as _quoted
from ledgerbridge.posting.rates import Rate
from ledgerbridge.store.database import Database

log = structlog.get_logger("ledgerbridge.fx")

DEFAULT_BASE_URL = "https://www.ecb.europa.eu/stats/eurofxref/"
DAILY_REACH_DAYS = 4
"""The daily file holds one publication: worth trying when the data needed starts at most a
long weekend ago."""
NINETY_DAY_REACH_DAYS = 85
"""The 90-day file starts about 90 calendar days back; a margin keeps its first day in reach."""


class Feed(StrEnum):
    DAILY = "eurofxref-daily.xml"
    """The latest publication only."""
    NINETY_DAYS = "eurofxref-hist-90d.xml"
    """About 64 publications: the last 90 calendar days."""
    HISTORY = "eurofxref-hist.xml"
    """Every publication since 4 January 1999."""


def feeds_for(needed_from: dt.date, today: dt.date) -> list[Feed]:
    """The files to try, smallest first, for data that must start by ``needed_from``."""
    age = (today - needed_from).days
    if age <= DAILY_REACH_DAYS:
        return [Feed.DAILY, Feed.NINETY_DAYS, Feed.HISTORY]
    if age <= NINETY_DAY_REACH_DAYS:
        return [Feed.NINETY_DAYS, Feed.HISTORY]
    return [Feed.HISTORY]


class _FeedDown(Exception):
    """The feed could not be read; the message says why, for logs and RateUnavailable."""


class EcbRates:
    """ECB euro reference rates over HTTP; cross rates through the euro (see ``fx.series``)."""

    source = "ecb"

    def __init__(
        self,
        *,
        db: Database | None = None,
        clock: Clock = utcnow,
        base_url: str = DEFAULT_BASE_URL,
        refresh_interval: dt.timedelta = dt.timedelta(minutes=5),
        max_staleness_days: int = LONGEST_CLOSURE_DAYS,
        timeout_s: float = 10.0,
    ) -> None:
        self.clock = clock
        self.base_url = base_url
        self.refresh_interval = refresh_interval
        self.max_staleness_days = max_staleness_days
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout_s,
            follow_redirects=True,
            headers={"User-Agent": "ledgerbridge (ECB reference rates)"},
        )
        self._cache = RateCache(db, self.source, per="EUR")
        self._series = EurSeries()
        self._loaded = False
        self._tried: dict[Feed, dt.datetime] = {}
        self._problem: str | None = None
        """Why the last fetch failed; None once one succeeds."""
        self._lock = threading.Lock()

    def rate(self, currency: str, base: str, on: dt.date) -> Rate:
        """The rate of ``currency`` in ``base`` on ``on``; raises RateUnavailable."""
        with self._lock:
            if currency != base:
                self._prepare(on)
            why = f"; the ECB feed is unreachable ({self._problem})" if self._problem else ""
            return lookup(
                self._series,
                currency,
                base,
                on,
                source=self.source,
                max_staleness_days=self.max_staleness_days,
                note=why,
            )

    def currencies(self, on: dt.date) -> frozenset[str]:
        """The currencies quoted in the publication that answers ``on`` (and EUR)."""
        with self._lock:
            self._prepare(on)
            return _quoted(self._series, on)

    def flush(self) -> None:
        """Wait for cache writes still in flight (see ``fx.cache``)."""
        self._cache.flush()

    def close(self) -> None:
        self.flush()
        self._http.close()

    def _prepare(self, on: dt.date) -> None:
        if not self._loaded:
            self._series.merge_trusted_tail(self._cache.load())
            self._loaded = True
        if not self._series.covers(on):
            self._refresh(on)

    def _refresh(self, on: dt.date) -> None:
        now = self.clock()
        first, last = self._series.first, self._series.last
        needed_from = on if first is None or last is None or on < first else next_weekday(last)
        for feed in feeds_for(needed_from, now.date()):
            tried = self._tried.get(feed)
            if tried is not None and now - tried < self.refresh_interval:
                return  # asked recently: what was learnt then (or the failure) still stands
            self._tried[feed] = now
            try:
                quotes = self._fetch(feed)
            except _FeedDown as exc:
                self._problem = str(exc)
                log.warning("ecb feed unavailable", feed=feed.value, problem=self._problem)
                return
            self._problem = None
            if self._take(quotes, now) and self._series.starts_by(on):
                return
            # This file leaves a gap or does not reach back to ``on``: try a larger one.

    def _take(self, quotes: EurQuotes, now: dt.datetime) -> bool:
        """Merge ``quotes`` if they keep the held run unbroken, and cache the days not held."""
        if not self._series.touches(min(quotes), max(quotes)):
            return False
        new = {day: rates for day, rates in quotes.items() if day not in self._series}
        self._series.merge(quotes)
        if new:
            self._cache.save(new, fetched_at=now)
        return True

    def _fetch(self, feed: Feed) -> EurQuotes:
        url = f"{self.base_url.rstrip('/')}/{feed.value}"
        try:
            response = self._http.get(feed.value)
        except httpx.HTTPError as exc:
            raise _FeedDown(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != httpx.codes.OK:
            raise _FeedDown(f"{url}: HTTP {response.status_code}")
        try:
            return parse_xml(response.content, name=url)
        except FeedInvalid as exc:
            raise _FeedDown(exc.message) from exc
