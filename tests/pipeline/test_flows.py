"""End-to-end flows through the worker: edits, payouts with and without API access, the demo
day against the running service."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from ledgerbridge.api.app import AppState, create_app
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.demo import driver
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.ledger.entries import Side
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.pipeline.worker import WorkerLoop
from ledgerbridge.services import events, reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.connectors.test_stripe_api import FakeStripe, two_pages
from tests.connectors.test_stripe_api import server as stripe_server  # noqa: F401 - fixture
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock, deliver
from tests.servers import serve_in_thread

PAYOUT_ID = "po_000000000000000000000000"


def payout_event(amount_minor: int) -> dict[str, object]:
    return {
        "id": "evt_payout_1",
        "object": "event",
        "type": "payout.paid",
        "created": 1700000000,
        "data": {
            "object": {
                "id": PAYOUT_ID,
                "object": "payout",
                "amount": amount_minor,
                "currency": "usd",
                "arrival_date": 1700092800,
                "status": "paid",
                "created": 1700000000,
            }
        },
    }


def lines_of(book: Book, entry_id: int) -> dict[tuple[str, Side], Decimal]:
    with UnitOfWork(book.db) as uow:
        entry = uow.entries.get(entry_id).entry
    return {(line.account, line.side): line.amount.amount for line in entry.lines}


class TestOrderEdits:
    def test_a_changed_quantity_posts_only_the_difference(self, book: Book) -> None:
        clock = FakeClock()
        order, _ = DemoDay(clock.now).order(1)
        deliver(book, "shop", "orders/paid", order, clock)
        edited = copy.deepcopy(order)
        line = edited["line_items"][0]
        price = Decimal(line["price"])
        tax = (price * Decimal("0.0825")).quantize(Decimal("0.01"))
        line["quantity"] += 1
        line["tax_lines"][0]["price"] = str(Decimal(line["tax_lines"][0]["price"]) + tax)
        edited["total_price"] = str(Decimal(order["total_price"]) + price + tax)
        edited["subtotal_price"] = str(Decimal(order["subtotal_price"]) + price)
        edited["total_tax"] = str(Decimal(order["total_tax"]) + tax)
        edited["updated_at"] = (clock.now + dt.timedelta(hours=1)).isoformat()
        edit_id = deliver(book, "shop", "orders/updated", edited, clock)
        outcomes = book.worker(clock=clock).drain()
        [edit] = [o for o in outcomes if o.event_id == edit_id]
        assert edit.status is EventStatus.POSTED
        posted = lines_of(book, edit.entry_ids[0])
        assert posted[("4000", Side.CREDIT)] == price
        assert posted[("2100", Side.CREDIT)] == tax
        assert posted[("1201", Side.DEBIT)] == price + tax  # routed to the Stripe clearing

    def test_an_update_that_changes_nothing_we_book_posts_nothing(self, book: Book) -> None:
        clock = FakeClock()
        order, _ = DemoDay(clock.now).order(1)
        deliver(book, "shop", "orders/paid", order, clock)
        touched = {
            **order,
            "updated_at": (clock.now + dt.timedelta(hours=1)).isoformat(),
            "note": "gift wrap please",
        }
        deliver(book, "shop", "orders/updated", touched, clock)
        book.worker(clock=clock).drain()
        with UnitOfWork(book.db) as uow:
            assert uow.entries.count() == 1


class TestStripePayouts:
    def test_with_api_access_fees_come_exactly_from_the_balance_transactions(
        self,
        book: Book,
        stripe_server: tuple[str, FakeStripe],  # noqa: F811
    ) -> None:
        url, fake = stripe_server
        fake.answer = two_pages
        add_connection(
            book.db,
            book.box,
            name="stripe-api",
            platform="stripe",
            secret="whsec_x",
            api_url=url,
            api_token="sk_test_123",
        )
        clock = FakeClock()
        event_id = deliver(book, "stripe-api", "", payout_event(1100), clock)
        [outcome] = book.worker(clock=clock).drain()
        assert outcome.status is EventStatus.POSTED, outcome.error
        posted = lines_of(book, outcome.entry_ids[0])
        assert posted[("1000", Side.DEBIT)] == Decimal("11.00")
        assert posted[("6100", Side.DEBIT)] == Decimal("1.33")  # 0.88 + 0.45
        assert sum(v for (_, side), v in posted.items() if side is Side.CREDIT) == Decimal("12.33")
        assert fake.requests[0][2] == "Bearer sk_test_123"
        assert event_id

    def test_without_api_access_the_payout_posts_and_says_what_is_missing(self, book: Book) -> None:
        clock = FakeClock()
        event_id = deliver(book, "stripe", "", payout_event(1100), clock)
        [outcome] = book.worker(clock=clock).drain()
        assert outcome.status is EventStatus.POSTED
        assert lines_of(book, outcome.entry_ids[0]) == {
            ("1000", Side.DEBIT): Decimal("11.00"),
            ("1201", Side.CREDIT): Decimal("11.00"),
        }
        shown = events.show_event(book.db, event_id)
        assert shown["notices"] and "fee" in json.dumps(shown["notices"]).lower()

    def test_an_unreachable_stripe_api_retries_instead_of_guessing(self, book: Book) -> None:
        add_connection(
            book.db,
            book.box,
            name="stripe-down",
            platform="stripe",
            secret="whsec_x",
            api_url="http://127.0.0.1:9",
            api_token="sk_test_1",
        )
        clock = FakeClock()
        deliver(book, "stripe-down", "", payout_event(1100), clock)
        [outcome] = book.worker(clock=clock).drain()
        assert outcome.status is EventStatus.FAILED
        with UnitOfWork(book.db) as uow:
            assert uow.entries.count() == 0


@pytest.fixture
def running_service(book: Book) -> Iterator[str]:
    worker = book.worker()
    state = AppState(
        db=book.db,
        box=book.box,
        directory=ConnectionDirectory(book.db, book.box),
        metrics=Metrics(),
        loop=WorkerLoop(worker, poll_s=0.05),
    )
    with serve_in_thread(create_app(state)) as url:
        yield url


def test_the_demo_day_leaves_nothing_in_stripe_clearing(book: Book, running_service: str) -> None:
    driver.ensure_connections(book.db, book.box)
    sent = driver.run_day(running_service, orders=12, start=dt.datetime.now(dt.UTC), seed=11)
    assert sent.refused == [] and sent.accepted == 12 * 2 + 3 + 1
    counts = driver.wait_until_posted(book.db)
    assert counts.get("dead", 0) == 0 and counts.get("failed", 0) == 0
    with UnitOfWork(book.db) as uow:
        clearing = uow.connections.get(driver.GATEWAY).clearing_account
    tb = reports.trial_balance(book.db)
    assert tb.balance_of(clearing).is_zero()
    assert tb.balance_of("1000").is_positive()
    assert tb.balance_of("6100").is_positive()  # Stripe's fees, from the charges
    assert tb.total_debit == tb.total_credit
