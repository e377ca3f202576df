"""The rate cache on SQLite and PostgreSQL: each figure stored once, exact, and reused."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from sqlalchemy import select

from ledgerbridge.fx import EcbRates
from ledgerbridge.store.database import Database
from ledgerbridge.store.tables import fx_rates
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.fx.conftest import ManualClock, utc
from tests.fx.ecb_server import FakeEcb

JAN_7_2015 = dt.date(2015, 1, 7)
DAY = {dt.date(2024, 1, 2): {"USD": Decimal("1.0956"), "GBP": Decimal("0.86645")}}


def cached_rows(db: Database, source: str = "ecb") -> int:
    with UnitOfWork(db, read_only=True) as uow:
        return uow.rates.count(source, "EUR")


class TestRateRepository:
    def test_a_figure_is_stored_once_and_keeps_its_first_fetch_time(self, db: Database) -> None:
        first, later = utc(2024, 1, 2, 16), utc(2024, 1, 3, 16)
        with UnitOfWork(db) as uow:
            assert uow.rates.add_many("ecb", "EUR", DAY, fetched_at=first) == 2
            uow.commit()
        with UnitOfWork(db) as uow:
            more = {**DAY, dt.date(2024, 1, 3): {"USD": Decimal("1.0919")}}
            assert uow.rates.add_many("ecb", "EUR", more, fetched_at=later) == 1
            uow.commit()
        with UnitOfWork(db, read_only=True) as uow:
            assert uow.rates.count("ecb", "EUR") == 3
            assert uow.rates.fetched_at("ecb", "EUR", dt.date(2024, 1, 2)) == first

    def test_figures_come_back_as_the_exact_decimals_that_went_in(self, db: Database) -> None:
        day = {dt.date(2015, 1, 7): {"GBP": Decimal("0.78230"), "IDR": Decimal("15041.65")}}
        with UnitOfWork(db) as uow:
            uow.rates.add_many("ecb", "EUR", day, fetched_at=utc(2015, 1, 7, 16))
            uow.commit()
        with UnitOfWork(db, read_only=True) as uow:
            back = uow.rates.publications("ecb", "EUR")
            stored = uow.connection.execute(select(fx_rates.c.rate)).scalars().all()
        assert back == day
        assert str(back[dt.date(2015, 1, 7)]["GBP"]) == "0.78230"
        assert sorted(stored) == ["0.78230", "15041.65"]

    def test_sources_and_quote_bases_are_kept_apart(self, db: Database) -> None:
        with UnitOfWork(db) as uow:
            uow.rates.add_many("ecb", "EUR", DAY, fetched_at=utc(2024, 1, 2))
            uow.rates.add_many("acme", "EUR", DAY, fetched_at=utc(2024, 1, 2))
            uow.rates.add_many("ecb", "USD", DAY, fetched_at=utc(2024, 1, 2))
            uow.commit()
        with UnitOfWork(db, read_only=True) as uow:
            assert uow.rates.count("ecb", "EUR") == 2
            assert uow.rates.publications("acme", "USD") == {}


class TestEcbRatesWithTheCache:
    def test_rows_are_written_once_and_serve_a_new_instance_without_the_network(
        self, db: Database, ecb: FakeEcb
    ) -> None:
        clock = ManualClock(utc(2015, 1, 7, 17))
        first = EcbRates(db=db, base_url=ecb.url, clock=clock)
        rate = first.rate("EUR", "USD", JAN_7_2015)
        first.rate("GBP", "JPY", JAN_7_2015)
        first.flush()
        assert ecb.requests == ["eurofxref-daily.xml"]
        assert cached_rows(db) == 31

        second = EcbRates(db=db, base_url=ecb.url, clock=clock)
        assert second.rate("EUR", "USD", JAN_7_2015) == rate
        assert ecb.requests == ["eurofxref-daily.xml"]

        clock.advance(days=1)  # a later date refetches; the same figures add no rows
        assert second.rate("EUR", "USD", dt.date(2015, 1, 8)).date == JAN_7_2015
        second.flush()
        assert ecb.requests == ["eurofxref-daily.xml"] * 2
        assert cached_rows(db) == 31
        with UnitOfWork(db, read_only=True) as uow:
            assert uow.rates.fetched_at("ecb", "EUR", JAN_7_2015) == utc(2015, 1, 7, 17)

    def test_the_90_day_file_is_cached_whole_and_answers_any_day_in_it(
        self, db: Database, ecb: FakeEcb
    ) -> None:
        clock = ManualClock(utc(2019, 11, 30, 10))
        warm = EcbRates(db=db, base_url=ecb.url, clock=clock)
        warm.rate("EUR", "USD", dt.date(2019, 11, 22))
        warm.flush()
        assert cached_rows(db) == 65 * 32
        cold = EcbRates(db=db, base_url=ecb.url, clock=clock)
        assert cold.rate("EUR", "USD", dt.date(2019, 9, 7)).date == dt.date(2019, 9, 6)
        assert ecb.requests == ["eurofxref-hist-90d.xml"]

    def test_the_full_history_goes_in_and_comes_back(self, db: Database, ecb: FakeEcb) -> None:
        clock = ManualClock(utc(2026, 4, 14, 9))
        warm = EcbRates(db=db, base_url=ecb.url, clock=clock)
        expected = warm.rate("GBP", "USD", dt.date(2024, 1, 2))
        warm.flush()
        assert cached_rows(db) > 200_000
        cold = EcbRates(db=db, base_url=ecb.url, clock=clock)
        assert cold.rate("GBP", "USD", dt.date(2024, 1, 2)) == expected
        assert cold.rate("EUR", "USD", dt.date(1999, 1, 4)).value == Decimal("1.1789")
        assert ecb.requests == ["eurofxref-hist.xml"]

    def test_a_lookup_inside_a_write_transaction_does_not_wait_for_it(
        self, db: Database, ecb: FakeEcb
    ) -> None:
        # The posting worker asks for rates inside its own write transaction; on SQLite that
        # holds the only write lock, so the cache must be written after it, not within it.
        rates = EcbRates(db=db, base_url=ecb.url, clock=ManualClock(utc(2015, 1, 7, 17)))
        started = time.monotonic()
        with UnitOfWork(db) as uow:
            uow.rates.count("ecb", "EUR")  # the transaction is open and has written nothing
            assert rates.rate("EUR", "USD", JAN_7_2015).value == Decimal("1.1831")
            answered = time.monotonic() - started
            uow.commit()
        rates.flush()
        assert answered < 5  # a self-deadlock would wait out the 30 s lock timeouts
        assert cached_rows(db) == 31
