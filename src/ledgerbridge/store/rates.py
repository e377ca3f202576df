"""The exchange-rate cache: published figures, each stored once, read back exactly.

A row is one figure as a provider published it: ``rate`` units of ``currency`` per one ``per``
on ``date`` (for the ECB, "1.0956 USD per EUR on 2024-01-02"). Rates are decimal text, so
what comes back is the very ``Decimal`` that went in. Writes are insert-or-ignore on the
unique key (source, currency, per, date): a figure fetched twice keeps its first row and its
first ``fetched_at``, because a reference rate, once published, does not change.

The insert is dialect-dispatched ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL both have
it), sent as one ``executemany`` per batch of :data:`BATCH_ROWS` (pipelined by psycopg), so
the ECB's whole history, about 218,000 figures, goes in within seconds: some 2 s on SQLite
and 7 s on PostgreSQL here, once per database, on the cache's writer thread. (PostgreSQL
``COPY`` into a staging table would be about three times faster, at the price of a
PostgreSQL-only path.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Insert, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ledgerbridge.store.tables import fx_rates

BATCH_ROWS = 5_000
"""Rows per executed statement list; bounds memory while keeping round trips few."""

Publications = Mapping[dt.date, Mapping[str, Decimal]]
"""Publication date → currency → rate (units of the currency per one unit of ``per``)."""


class RateRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _insert(self) -> Insert:
        if self.conn.dialect.name == "postgresql":
            return pg_insert(fx_rates).on_conflict_do_nothing(constraint="uq_fx_rates_source")
        return sqlite_insert(fx_rates).on_conflict_do_nothing(
            index_elements=["source", "currency", "per", "date"]
        )

    def add_many(
        self, source: str, per: str, publications: Publications, *, fetched_at: dt.datetime
    ) -> int:
        """Store every figure not stored yet; returns how many rows the table gained."""
        before = self.count(source, per)
        statement = self._insert()
        for batch in _batches(_rows(source, per, publications, fetched_at)):
            self.conn.execute(statement, batch)  # one executemany per batch
        return self.count(source, per) - before

    def count(self, source: str, per: str) -> int:
        query = select(func.count()).where(fx_rates.c.source == source, fx_rates.c.per == per)
        return int(self.conn.execute(query).scalar_one())

    def publications(self, source: str, per: str) -> dict[dt.date, dict[str, Decimal]]:
        """Every cached figure of ``source`` quoted per ``per``, by publication date."""
        query = select(fx_rates.c.date, fx_rates.c.currency, fx_rates.c.rate).where(
            fx_rates.c.source == source, fx_rates.c.per == per
        )
        found: dict[dt.date, dict[str, Decimal]] = {}
        for day, currency, rate in self.conn.execute(query):
            found.setdefault(day, {})[currency] = Decimal(rate)
        return found

    def fetched_at(self, source: str, per: str, day: dt.date) -> dt.datetime | None:
        """When the figures of ``day`` were first stored (the earliest of them)."""
        query = select(func.min(fx_rates.c.fetched_at)).where(
            fx_rates.c.source == source, fx_rates.c.per == per, fx_rates.c.date == day
        )
        value: dt.datetime | None = self.conn.execute(query).scalar_one()
        if value is not None and value.tzinfo is None:  # SQLite hands back naive UTC
            value = value.replace(tzinfo=dt.UTC)
        return value


def _rows(
    source: str, per: str, publications: Publications, fetched_at: dt.datetime
) -> Iterator[dict[str, Any]]:
    for day, quotes in publications.items():
        for currency, rate in quotes.items():
            yield {
                "source": source,
                "currency": currency,
                "per": per,
                "date": day,
                "rate": f"{rate:f}",
                "fetched_at": fetched_at,
            }


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch
