"""What the history tests of every platform do around their fake API: page a stream to its end,
file what it pulled in the inbox as the sync service does, post it, and read back what was
booked (and what was not)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from cryptography.fernet import Fernet

from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books, reports
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.sync.base import Pulled, Stream
from ledgerbridge.sync.http import ApiClient
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock


def pull_all(
    stream: Stream, client: ApiClient, since: dt.date, cursor: str | None = None
) -> list[Pulled]:
    """Every item of ``stream`` from ``cursor`` on, asking page after page until it ends (with
    a bound, so a stream that never ends fails the test instead of hanging it)."""
    items: list[Pulled] = []
    for _ in range(100):
        page = stream.page(client, since=since, cursor=cursor)
        items += page.items
        cursor = page.cursor
        if cursor is None:
            return items
    raise AssertionError(f"the stream {stream.name} never ended")


def new_book(db: Database) -> Book:
    """An empty USD book with a secrets box, for the platform's own connection."""
    books.init_book(db, base_currency="USD")
    return Book(db, SecretBox(Fernet.generate_key()))


def settle(book: Book, clock: FakeClock) -> None:
    """Drain the worker until nothing is due, letting early arrivals (a refund before its
    order) come back after their backoff."""
    worker = book.worker(clock=clock)
    for _ in range(10):
        worker.drain()
        clock.advance(3600)


def store(book: Book, connection_id: int, items: Sequence[Pulled], now: dt.datetime) -> list[int]:
    """Store pulled items in the inbox as the sync service does; returns the new events' ids
    (a duplicate of a stored item is not new)."""
    new: list[int] = []
    with UnitOfWork(book.db) as uow:
        for item in items:
            event_id, duplicate = uow.inbox.store(
                connection_id=connection_id,
                external_id=item.external_id,
                topic=item.topic,
                status=EventStatus.RECEIVED,
                headers=dict(item.headers),
                body=item.body,
                now=now,
            )
            if not duplicate:
                new.append(event_id)
        uow.commit()
    return new


def entry_sources(book: Book, connection: str) -> Counter[tuple[str, str]]:
    """(external id, kind) of every entry the connection posted, with how often."""
    return Counter(
        (p.entry.source.external_id, p.entry.source.kind)
        for p in reports.journal(book.db)
        if p.entry.source.connection == connection
    )


def unsettled(book: Book, connection: str) -> list[tuple[str, str, str | None]]:
    """Inbox rows neither posted nor ignored, with their errors (none should be left)."""
    with UnitOfWork(book.db) as uow:
        events = uow.inbox.find(connection=connection, limit=1000)
    done = (EventStatus.POSTED, EventStatus.IGNORED)
    return [(e.topic, e.status.value, e.last_error) for e in events if e.status not in done]
