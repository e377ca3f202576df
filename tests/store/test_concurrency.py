"""Two processes posting the same sources at the same moment produce one entry per source."""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.synchronize import Barrier

import pytest

from ledgerbridge.services import books
from ledgerbridge.store.database import connect
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.store.test_entries import sale

SOURCES = 40


def _post_all(url: str, barrier: Barrier, results: mp.Queue) -> None:  # type: ignore[type-arg]
    db = connect(url)
    barrier.wait(timeout=60)
    created = sum(books.post_entry(db, sale(str(i), "10.00")).created for i in range(SOURCES))
    results.put(created)
    db.dispose()


@pytest.mark.slow
def test_racing_processes_post_each_source_once(database_url: str) -> None:
    db = connect(database_url)
    books.init_book(db, base_currency="USD")
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    results: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    workers = [
        ctx.Process(target=_post_all, args=(database_url, barrier, results)) for _ in range(2)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    created = [results.get(timeout=5) for _ in workers]
    assert sum(created) == SOURCES
    with UnitOfWork(db) as uow:
        assert uow.entries.count() == SOURCES
        assert uow.audit.verify_chain() == (SOURCES + 1, None)
    db.dispose()
