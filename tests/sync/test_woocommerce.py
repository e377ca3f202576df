"""WooCommerce order history: paged by number through a real REST API on 127.0.0.1, posted
through the inbox; the same orders delivered by signed webhook are recognised as already
stored, and refunds posted with their lines once their detail is read from the API."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.connectors.base import PlatformRequestFailed
from ledgerbridge.connectors.woocommerce import WooCommerceConnector, signature
from ledgerbridge.events import Refund
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.services import reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.sync.base import Pulled, SyncSource
from ledgerbridge.sync.registry import puller_for
from ledgerbridge.sync.woocommerce import OrdersStream, WooCommercePuller, refund_detail
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock

from .fake_http import FakeApi, serving
from .ledger_helpers import entry_sources, pull_all, settle, store, unsettled
from .woocommerce_server import API_TOKEN, ORDERS, WooData, woo_api, woo_data

SINCE = dt.date(2024, 4, 1)
SECRET = "wc_history_secret"


@pytest.fixture
def woo(samples: Path) -> Iterator[tuple[str, FakeApi, WooData]]:
    with serving(woo_api, woo_data(samples)) as served:
        yield served


def source(url: str, token: str = API_TOKEN) -> SyncSource:
    return SyncSource("woo-api", "woocommerce", url, token)


def key(order: dict[str, object]) -> str:
    """The inbox key WooCommerce's own webhook delivery of the order gets."""
    return f"order:{order['id']}:{order['date_modified_gmt']}:{order['status']}"


def test_every_order_is_pulled_once_through_a_429_and_a_dropped_connection(
    woo: tuple[str, FakeApi, WooData],
) -> None:
    url, fake, data = woo
    fake.faults = {2: "throttle", 3: "drop"}
    waits: list[float] = []
    with WooCommercePuller().client(source(url), sleep=waits.append) as client:
        first = OrdersStream().page(client, since=SINCE, cursor=None)
        items = [*first.items, *pull_all(OrdersStream(), client, SINCE, cursor=first.cursor)]
    assert first.total == 7
    assert waits == [3.0, 2.0]  # Retry-After, then the doubled backoff for the dropped socket
    assert [i.external_id for i in items] == [key(o) for o in data.orders]
    assert {i.topic for i in items} == {"order.updated"}
    pages = [r for r in fake.requests if r.path == ORDERS]
    assert [r.query["page"] for r in pages] == [["1"], ["2"], ["2"], ["2"], ["3"]]
    assert pages[0].query["modified_after"] == ["2024-04-01T00:00:00"]
    assert pages[0].query["dates_are_gmt"] == ["true"]


def test_a_cursor_from_the_middle_resumes_with_the_orders_not_yet_pulled(
    woo: tuple[str, FakeApi, WooData],
) -> None:
    url, _, data = woo
    with WooCommercePuller().client(source(url), sleep=lambda s: None) as client:
        second = OrdersStream().page(client, since=SINCE, cursor="2")
        rest = pull_all(OrdersStream(), client, SINCE, cursor="2")
    assert second.cursor == "3"
    assert [i.external_id for i in rest] == [key(o) for o in data.orders[3:]]


def test_a_wrong_key_pair_is_refused_at_once(woo: tuple[str, FakeApi, WooData]) -> None:
    url, fake, _ = woo
    token = API_TOKEN.replace("cs_0", "cs_9")
    with (
        WooCommercePuller().client(source(url, token), sleep=lambda s: None) as client,
        pytest.raises(PlatformRequestFailed, match="Consumer key is invalid"),
    ):
        OrdersStream().page(client, since=SINCE, cursor=None)
    assert len(fake.requests) == 1


def test_each_pulled_order_parses_to_the_events_its_webhook_gives(
    woo: tuple[str, FakeApi, WooData],
) -> None:
    url, _, data = woo
    with WooCommercePuller().client(source(url), sleep=lambda s: None) as client:
        items = pull_all(OrdersStream(), client, SINCE)
    connector = WooCommerceConnector()
    kinds: Counter[str] = Counter()
    for item, order in zip(items, data.orders, strict=True):
        webhook = json.dumps(order).encode()
        headers = {"X-WC-Webhook-Topic": "order.updated"}
        assert connector.delivery(webhook, headers).external_id == item.external_id
        pulled = connector.parse(item.topic, item.body)
        assert pulled == connector.parse("order.updated", webhook)
        kinds.update(e.kind for e in pulled.events)
    # 4 paid (one refunded twice, one refunded in full), 1 on hold, 1 cancelled unpaid
    assert kinds == Counter(
        {"order_paid": 4, "refund": 3, "order_pending": 1, "order_cancelled": 1}
    )


def woo_connection(book: Book, url: str) -> int:
    stored = add_connection(
        book.db,
        book.box,
        name="woo-api",
        platform="woocommerce",
        secret=SECRET,
        api_url=url,
        api_token=API_TOKEN,
    )
    return stored.id


def test_history_and_webhooks_post_every_entry_once(
    book: Book, woo: tuple[str, FakeApi, WooData]
) -> None:
    url, _, data = woo
    connection_id = woo_connection(book, url)
    clock = FakeClock()
    puller = puller_for("woocommerce")
    with puller.client(source(url), sleep=lambda s: None) as client:
        items = [i for s in puller.streams(source(url)) for i in pull_all(s, client, SINCE)]
    assert len(store(book, connection_id, items, clock())) == 7
    settle(book, clock)
    assert unsettled(book, "woo-api") == []
    after_sync = entry_sources(book, "woo-api")
    assert set(after_sync.values()) == {1}
    # 4 sales, 3 refunds, 1 order on hold; the unpaid cancelled order had nothing to reverse
    assert Counter(kind for _, kind in after_sync) == Counter(
        {"order_paid": 4, "refund": 3, "order_pending": 1}
    )

    directory = ConnectionDirectory(book.db, book.box)
    duplicates = []
    for order in data.orders:
        body = json.dumps(order).encode()
        headers = {
            "X-WC-Webhook-Topic": "order.updated",
            "X-WC-Webhook-Signature": signature(body, SECRET),
        }
        duplicates.append(receive(book.db, directory, "woo-api", body, headers, now=clock()))
    assert all(receipt.duplicate for receipt in duplicates)  # already stored by the sync
    changed = dict(data.orders[2], status="processing", date_modified_gmt="2024-04-09T08:00:00")
    changed |= {"date_paid_gmt": "2024-04-09T08:00:00", "payment_method": "stripe"}
    body = json.dumps(changed).encode()
    headers = {
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Signature": signature(body, SECRET),
    }
    assert not receive(book.db, directory, "woo-api", body, headers, now=clock()).duplicate
    settle(book, clock)
    assert unsettled(book, "woo-api") == []
    assert entry_sources(book, "woo-api") - after_sync == Counter({("730", "order_paid"): 1})

    balance = reports.trial_balance(book.db)
    assert balance.total_debit == balance.total_credit
    assert balance.total_debit.is_positive()


def test_refund_detail_from_the_api_gives_the_refunds_their_lines(
    book: Book, woo: tuple[str, FakeApi, WooData]
) -> None:
    url, fake, data = woo
    woo_connection(book, url)
    connection = ConnectionDirectory(book.db, book.box).get("woo-api")
    order = next(o for o in data.orders if o["id"] == 723)
    body = json.dumps(order).encode()
    connector = WooCommerceConnector()

    extra = refund_detail(connection, "order.updated", body)
    assert fake.requests[-1].path == f"{ORDERS}/723/refunds"
    refunds = {
        e.external_id: e
        for e in connector.parse("order.updated", body, extra=extra).events
        if isinstance(e, Refund)
    }
    plain = {
        e.external_id: e
        for e in connector.parse("order.updated", body).events
        if isinstance(e, Refund)
    }
    assert [line.title for line in refunds["724"].lines] == ["Woo Album #2"]
    assert refunds["724"].adjustment is None
    assert plain["724"].lines == () and plain["724"].adjustment == plain["724"].amount
    assert refunds["726"].amount == plain["726"].amount

    asked = len(fake.requests)
    no_refunds = json.dumps(next(o for o in data.orders if o["id"] == 727)).encode()
    assert refund_detail(connection, "order.updated", no_refunds) == {}
    assert len(fake.requests) == asked  # an order without refunds costs no request


def test_a_pulled_item_is_what_the_connector_reads(woo: tuple[str, FakeApi, WooData]) -> None:
    url, _, data = woo
    with WooCommercePuller().client(source(url), sleep=lambda s: None) as client:
        (item, *_) = OrdersStream().page(client, since=SINCE, cursor=None).items
    assert isinstance(item, Pulled)
    assert json.loads(item.body) == data.orders[0]
    assert dict(item.headers) == {"X-WC-Webhook-Topic": "order.updated"}
