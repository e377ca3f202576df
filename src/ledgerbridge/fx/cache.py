"""The database side of a rate provider: read the cached publications once, write new ones
behind the caller.

Why behind: the posting worker asks for a rate *inside* its own write transaction. On SQLite
that transaction holds the database's only write lock (and our in-process writer lock, which
is not re-entrant), so a cache write made synchronously from within the lookup would wait for
the very transaction that is waiting for it. The figures are therefore handed to a short-lived
thread that commits them as soon as the writer is free; the lookup answers from memory at
once. A cache write that fails is logged and costs nothing but a later refetch: the cache
only ever saves network round trips, it is never the only copy of a rate that was used (the
journal line stores rate, date and source itself).

Readers use a read-only unit of work, which on SQLite (WAL) does not queue behind writers.
:meth:`RateCache.flush` waits for pending writes (the CLI before it exits, tests).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from decimal import Decimal

import structlog

from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork

log = structlog.get_logger("ledgerbridge.fx")


class RateCache:
    """The ``fx_rates`` rows of one ``source`` quoted per ``per``; a no-op without a database."""

    def __init__(self, db: Database | None, source: str, per: str) -> None:
        self.db = db
        self.source = source
        self.per = per
        self._pending: list[threading.Thread] = []
        self._lock = threading.Lock()

    def load(self) -> dict[dt.date, dict[str, Decimal]]:
        if self.db is None:
            return {}
        with UnitOfWork(self.db, read_only=True) as uow:
            return uow.rates.publications(self.source, self.per)

    def save(
        self, quotes: Mapping[dt.date, Mapping[str, Decimal]], *, fetched_at: dt.datetime
    ) -> None:
        """Store ``quotes`` (insert-or-ignore) on a thread of its own; see the module notes."""
        if self.db is None:
            return
        thread = threading.Thread(
            target=self._write,
            args=(self.db, dict(quotes), fetched_at),
            name=f"ledgerbridge-fx-cache-{self.source}",
            daemon=True,
        )
        with self._lock:
            self._pending = [t for t in self._pending if t.is_alive()]
            self._pending.append(thread)
        thread.start()

    def _write(
        self,
        db: Database,
        quotes: Mapping[dt.date, Mapping[str, Decimal]],
        fetched_at: dt.datetime,
    ) -> None:
        try:
            with UnitOfWork(db) as uow:
                added = uow.rates.add_many(self.source, self.per, quotes, fetched_at=fetched_at)
                uow.commit()
        except Exception:  # a lost cache write costs a refetch, never a rate; see above
            log.exception("fx rate cache write failed", source=self.source, days=len(quotes))
            return
        log.info("fx rates cached", source=self.source, days=len(quotes), rows_added=added)

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait until every write handed to :meth:`save` so far has finished."""
        with self._lock:
            pending, self._pending = self._pending, []
        for thread in pending:
            thread.join(timeout_s)
