"""The worker: out-of-order deliveries wait, failures back off, dead letters replay."""

from __future__ import annotations

import datetime as dt
import random
import threading

from ledgerbridge.clock import utcnow
from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive, topic_headers
from ledgerbridge.pipeline.retry import RetryPolicy
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.services import events, reports
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book


class FakeClock:
    """A clock the test moves by hand (the worker takes ``now`` as a value)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def deliver(book: Book, name: str, topic: str, payload: dict[str, object], clock: FakeClock) -> int:
    platform = {"shop": "shopify", "woo": "woocommerce"}.get(name, "stripe")
    headers = topic_headers(platform, topic)
    receipt = receive(
        book.db,
        ConnectionDirectory(book.db, book.box),
        name,
        encode(payload),
        headers,
        now=clock(),
        verified=True,
    )
    return receipt.event_id


def status(book: Book, event_id: int) -> EventStatus:
    with UnitOfWork(book.db) as uow:
        return uow.inbox.get(event_id).status


class TestOutOfOrder:
    def test_a_refund_before_its_order_waits_and_then_posts(self, book: Book) -> None:
        clock = FakeClock()
        worker = book.worker(clock=clock, rng=random.Random(1))
        day = DemoDay(clock.now)
        order, _ = day.order(1)
        refund_id = deliver(book, "shop", "refunds/create", day.refund(day.sales[0], 1), clock)
        [first] = worker.drain()
        assert first.status is EventStatus.FAILED
        assert "not been posted" in (first.error or "") or "order" in (first.error or "")
        order_id = deliver(book, "shop", "orders/paid", order, clock)
        worker.drain()
        assert status(book, order_id) is EventStatus.POSTED
        assert status(book, refund_id) is EventStatus.FAILED  # not due yet: backoff holds
        clock.advance(RetryPolicy().base_s * 2)
        worker.drain()
        assert status(book, refund_id) is EventStatus.POSTED
        tb = reports.trial_balance(book.db)
        assert tb.total_debit == tb.total_credit


class TestRetriesAndDeadLetters:
    def test_backoff_grows_then_the_event_is_dead_and_replay_posts_it(self, book: Book) -> None:
        clock = FakeClock()
        order, _ = DemoDay(clock.now).order(1)
        order = {**order, "currency": "EUR"}  # no EUR rate in this book yet
        worker = book.worker(clock=clock, rng=random.Random(3), policy=RetryPolicy(max_attempts=3))
        event_id = deliver(book, "shop", "orders/paid", order, clock)
        waits = []
        for _ in range(3):
            worker.drain()
            with UnitOfWork(book.db) as uow:
                event = uow.inbox.get(event_id)
            waits.append((event.next_attempt_at - clock.now).total_seconds())
            clock.advance(3600)
        assert event.status is EventStatus.DEAD
        assert event.attempts == 3
        assert "EUR" in (event.last_error or "")
        assert 1 <= waits[0] < waits[1]
        events.replay(book.db, dead=True, clock=clock)
        fixed = Worker(book.db, book.box, StaticRates({("EUR", "USD"): "1.0850"}), clock=clock)
        [outcome] = fixed.drain()
        assert outcome.status is EventStatus.POSTED
        with UnitOfWork(book.db) as uow:
            line = uow.entries.get(outcome.entry_ids[0]).entry.lines[0]
            actions = [r.action for r in uow.audit.records()]
        assert line.amount.currency == "EUR" and line.rate.normalize() == line.rate.normalize()
        assert "events.replayed" in actions

    def test_a_payload_that_can_never_post_goes_straight_to_the_dead_letters(
        self, book: Book
    ) -> None:
        clock = FakeClock()
        order, _ = DemoDay(clock.now).order(1)
        order = {**order, "total_price": "1.00"}  # the platform's total contradicts its lines
        event_id = deliver(book, "shop", "orders/paid", order, clock)
        [outcome] = book.worker(clock=clock).drain()
        assert outcome.status is EventStatus.DEAD
        assert status(book, event_id) is EventStatus.DEAD
        with UnitOfWork(book.db) as uow:
            assert uow.entries.count() == 0


class TestScaleOut:
    def test_workers_running_side_by_side_post_each_event_once(self, book: Book) -> None:
        clock = FakeClock()
        day = DemoDay(clock.now)
        ids = [deliver(book, "shop", "orders/paid", day.order(n)[0], clock) for n in range(1, 41)]
        workers = [book.worker(clock=clock, batch=3) for _ in range(3)]
        threads = [threading.Thread(target=w.drain) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        with UnitOfWork(book.db) as uow:
            assert all(uow.inbox.get(i).status is EventStatus.POSTED for i in ids)
            assert uow.entries.count() == len(ids)
            assert uow.audit.verify_chain()[1] is None
