"""The sync service: history paged into the inbox with its cursor, resumed after an interruption,
repeated without adding anything, run as a periodic catch-up and from the command line. The
platform is a real Shopify Admin API on 127.0.0.1 (``tests/sync/shopify_server.py``)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.errors import InvalidInput
from ledgerbridge.pipeline.periodic import Periodic
from ledgerbridge.services import sync
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.sync_cursors import SyncCursorRepository, SyncStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.sync.shopify import order_items
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock
from tests.sync.fake_http import FakeApi
from tests.sync.ledger_helpers import entry_sources, new_book, settle, unsettled
from tests.sync.shopify_server import TOKEN, ShopifyData, sample_orders, shopify_api

SINCE = dt.date(2024, 1, 1)


@pytest.fixture
def shop(samples: Path) -> Iterator[tuple[str, FakeApi, ShopifyData]]:
    data = ShopifyData(sample_orders(samples))
    fake = shopify_api(data)
    with fake.running() as url:
        yield url, fake, data


@pytest.fixture
def book(db: Database, shop: tuple[str, FakeApi, ShopifyData]) -> Book:
    book = new_book(db)
    url, _, _ = shop
    add_connection(
        db, book.box, name="shop", platform="shopify", secret="s", api_url=url, api_token=TOKEN
    )
    return book


def inbox_keys(book: Book) -> list[str]:
    with UnitOfWork(book.db) as uow:
        return sorted(e.external_id for e in uow.inbox.find(connection="shop", limit=1000))


def cursor_state(book: Book) -> tuple[SyncStatus, str | None]:
    with UnitOfWork(book.db) as uow:
        state = SyncCursorRepository(uow.connection).get(uow.connections.get("shop").id, "orders")
    assert state is not None
    return state.status, state.cursor


def expected_keys(data: ShopifyData) -> list[str]:
    return sorted(item.external_id for o in data.orders for item in order_items(o, "order"))


def test_an_interrupted_sync_resumes_at_the_first_page_it_had_not_stored(
    book: Book, shop: tuple[str, FakeApi, ShopifyData]
) -> None:
    _, fake, data = shop
    # The second page fails on every one of the client's six attempts: the platform is down
    # for longer than the retries, so the sync stops after storing the first page.
    fake.faults.update({n: "drop" for n in range(2, 8)})
    clock = FakeClock()
    waits: list[float] = []
    first = sync.sync_connection(
        book.db, book.box, "shop", since=SINCE, clock=clock, sleep=waits.append
    )
    assert not first.complete
    assert first.streams[0].pages == 1 and first.streams[0].pulled == first.streams[0].new > 0
    assert "could not be reached" in (first.streams[0].error or "")
    status, cursor = cursor_state(book)
    assert status is SyncStatus.FAILED and cursor is not None

    requests_before = len(fake.requests)
    second = sync.sync_connection(book.db, book.box, "shop", clock=clock, sleep=waits.append)
    assert second.complete and second.streams[0].resumed
    resumed_with = fake.requests[requests_before]
    assert resumed_with.one("page_info") == cursor  # not the first page again
    assert cursor_state(book) == (SyncStatus.COMPLETE, None)

    assert inbox_keys(book) == expected_keys(data)
    settle(book, clock)
    assert unsettled(book, "shop") == []
    posted = entry_sources(book, "shop")
    assert posted and set(posted.values()) == {1}


def test_a_repeated_sync_stores_and_posts_nothing_new(
    book: Book, shop: tuple[str, FakeApi, ShopifyData]
) -> None:
    clock = FakeClock()
    first = sync.sync_connection(book.db, book.box, "shop", since=SINCE, clock=clock)
    settle(book, clock)
    posted = entry_sources(book, "shop")
    again = sync.sync_connection(book.db, book.box, "shop", since=SINCE, clock=clock)
    settle(book, clock)
    assert first.streams[0].new > 0 and again.streams[0].new == 0
    assert again.streams[0].pulled == first.streams[0].pulled
    assert entry_sources(book, "shop") == posted


def test_without_since_a_finished_sync_starts_a_day_before_the_last_one_began(
    book: Book, shop: tuple[str, FakeApi, ShopifyData]
) -> None:
    _, fake, _ = shop
    clock = FakeClock()
    sync.sync_connection(book.db, book.box, "shop", since=SINCE, clock=clock)
    clock.advance(86400 * 3)
    report = sync.sync_connection(book.db, book.box, "shop", clock=clock)
    expected = (clock() - dt.timedelta(days=3)).date() - dt.timedelta(days=1)
    assert report.streams[0].since == expected
    assert fake.requests[-1].one("updated_at_min") == f"{expected.isoformat()}T00:00:00Z"


def test_a_connection_without_api_token_is_refused_in_plain_words(book: Book) -> None:
    add_connection(book.db, book.box, name="hooks-only", platform="shopify", secret="s")
    with pytest.raises(InvalidInput) as raised:
        sync.sync_connection(book.db, book.box, "hooks-only")
    assert "no API token" in raised.value.message and raised.value.field == "api_token"
    assert [c.name for c in sync.syncable(book.db, book.box)] == ["shop"]


def test_catch_up_pulls_only_the_recent_days_of_each_connection(
    book: Book, shop: tuple[str, FakeApi, ShopifyData]
) -> None:
    _, _, data = shop
    clock = FakeClock()
    clock.now = dt.datetime(2024, 3, 17, 12, tzinfo=dt.UTC)
    reports = sync.catch_up(book.db, book.box, days=2, clock=clock)
    assert [r.connection for r in reports] == ["shop"] and reports[0].complete
    recent = [o for o in data.orders if o["updated_at"] >= "2024-03-15"]
    assert recent and len(recent) < len(data.orders)
    assert inbox_keys(book) == sorted(
        item.external_id for o in recent for item in order_items(o, "order")
    )


def test_a_periodic_task_keeps_running_after_a_failure() -> None:
    ran = threading.Event()
    calls: list[int] = []

    def task() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("platform down")
        ran.set()

    periodic = Periodic("test", task, interval=dt.timedelta(milliseconds=5))
    periodic.start()
    try:
        assert ran.wait(10)
    finally:
        periodic.stop()
    assert len(calls) >= 2


def test_the_sync_command_pulls_posts_and_reports_in_json(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shop: tuple[str, FakeApi, ShopifyData],
) -> None:
    url, _, _ = shop
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGERBRIDGE_SECRET_KEY", raising=False)
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, [*args, "--database-url", database_url])
        return result.exit_code, result.stdout, result.stderr

    assert cli("init")[0] == 0
    code, _, err = cli(
        "connections",
        "add",
        "--platform",
        "shopify",
        "--name",
        "shop",
        "--secret",
        "s",
        "--api-url",
        url,
        "--api-token",
        TOKEN,
    )
    assert code == 0, err
    code, out, err = cli("sync", "--connection", "shop", "--since", "2024-01-01", "--json")
    assert code == 0, err
    report = json.loads(out)
    stream = report["connections"][0]["streams"][0]
    assert stream["stream"] == "orders" and stream["complete"] and stream["new"] > 0
    assert report["posting"]["posted"] > 0 and report["posting"]["dead"] == 0

    code, out, _ = cli("sync", "--connection", "shop", "--since", "2024-01-01", "--json")
    assert code == 0 and json.loads(out)["connections"][0]["streams"][0]["new"] == 0

    code, _, err = cli("sync", "--connection", "shop", "--since", "last tuesday")
    assert code == 2 and "--since" in err
