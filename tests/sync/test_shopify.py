"""Shopify order history: paged through a real Admin API on 127.0.0.1, posted through the inbox,
and the same orders delivered again by signed webhook post nothing twice."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.connectors.base import PlatformRequestFailed
from ledgerbridge.connectors.shopify import ShopifyConnector, signature
from ledgerbridge.connectors.shopify_api import API_VERSION
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.services import reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.sync.base import Pulled, SyncSource
from ledgerbridge.sync.registry import puller_for
from ledgerbridge.sync.shopify import OrdersStream, ShopifyPuller, next_page_info
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock

from .fake_http import FakeApi, serving
from .ledger_helpers import entry_sources, pull_all, settle, store, unsettled
from .shopify_server import TOKEN, ShopifyData, sample_orders, shopify_api

SINCE = dt.date(2024, 1, 1)
SECRET = "shpss_history_secret"


@pytest.fixture
def shop(samples: Path) -> Iterator[tuple[str, FakeApi, ShopifyData]]:
    with serving(shopify_api, ShopifyData(sample_orders(samples))) as served:
        yield served


def source(url: str, token: str = TOKEN) -> SyncSource:
    return SyncSource("shop-api", "shopify", url, token)


def expected_items(orders: list[dict[str, object]]) -> set[tuple[str, str]]:
    """What each order state must be filed as (see the puller's docstring)."""
    found = set()
    for order in orders:
        oid, status = order["id"], order["financial_status"]
        if status in {"paid", "partially_refunded", "refunded"}:
            found.add(("orders/paid", f"api:orders/paid:{oid}"))
        else:
            found.add(("orders/create", f"api:orders/create:{oid}:{status}"))
            if order.get("cancelled_at"):
                found.add(("orders/cancelled", f"api:orders/cancelled:{oid}"))
        for refund in order["refunds"]:  # type: ignore[attr-defined]
            found.add(("refunds/create", f"api:refunds/create:{refund['id']}"))
    return found


def test_every_order_is_pulled_once_through_a_429_a_full_bucket_and_a_dropped_connection(
    shop: tuple[str, FakeApi, ShopifyData],
) -> None:
    url, fake, data = shop
    fake.faults = {2: "throttle", 4: "drop"}
    data.bucket = {3: "39/40"}  # the answer to the 3rd request says the bucket is nearly full
    waits: list[float] = []
    with ShopifyPuller().client(source(url), sleep=waits.append) as client:
        items = pull_all(OrdersStream(), client, SINCE)
    assert waits == [2.0, 1.0, 1.0]  # Retry-After, the bucket's leak, the dropped connection
    keys = [item.external_id for item in items]
    assert len(keys) == len(set(keys)) == 10
    assert {(i.topic, i.external_id) for i in items} == expected_items(data.orders)
    first, *following = [r for r in fake.requests if r.path.endswith("/orders.json")]
    assert first.path == f"/admin/api/{API_VERSION}/orders.json"
    assert first.query["updated_at_min"] == ["2024-01-01T00:00:00Z"]
    assert first.query["status"] == ["any"]
    assert first.headers["x-shopify-access-token"] == TOKEN
    assert all(set(r.query) == {"limit", "page_info"} for r in following)


def test_a_cursor_from_the_middle_resumes_with_the_orders_not_yet_pulled(
    shop: tuple[str, FakeApi, ShopifyData],
) -> None:
    url, _, _ = shop
    puller = ShopifyPuller()
    with puller.client(source(url), sleep=lambda s: None) as client:
        everything = pull_all(OrdersStream(), client, SINCE)
        first = OrdersStream().page(client, since=SINCE, cursor=None)
    assert first.cursor is not None
    with puller.client(source(url), sleep=lambda s: None) as client:
        rest = pull_all(OrdersStream(), client, SINCE, cursor=first.cursor)
    assert [*first.items, *rest] == everything
    assert not {i.external_id for i in first.items} & {i.external_id for i in rest}


def test_orders_updated_before_since_are_not_pulled(
    shop: tuple[str, FakeApi, ShopifyData],
) -> None:
    url, _, data = shop
    with ShopifyPuller().client(source(url), sleep=lambda s: None) as client:
        items = pull_all(OrdersStream(), client, dt.date(2024, 3, 15))
    later = [o for o in data.orders if o["updated_at"] >= "2024-03-15"]
    assert {(i.topic, i.external_id) for i in items} == expected_items(later)


def test_a_wrong_token_is_refused_at_once(shop: tuple[str, FakeApi, ShopifyData]) -> None:
    url, fake, _ = shop
    with (
        ShopifyPuller().client(source(url, "shpat_wrong"), sleep=lambda s: None) as client,
        pytest.raises(PlatformRequestFailed, match="Invalid API key"),
    ):
        OrdersStream().page(client, since=SINCE, cursor=None)
    assert len(fake.requests) == 1


def test_the_next_page_is_read_from_the_link_header() -> None:
    link = (
        "<https://s.myshopify.com/admin/api/2024-10/orders.json?limit=250&page_info=abc>; "
        'rel="previous", <https://s.myshopify.com/admin/api/2024-10/orders.json?limit=250'
        '&page_info=xyz>; rel="next"'
    )
    assert next_page_info(link) == "xyz"
    assert next_page_info(link.split(", ", maxsplit=1)[0]) is None
    assert next_page_info(None) is None


def webhook_body(item: Pulled) -> bytes:
    """The body Shopify's webhook carries for the same resource: the object, unwrapped."""
    wrapped = json.loads(item.body)
    (resource,) = wrapped.values()
    return json.dumps(resource).encode()


def test_each_pulled_item_parses_to_the_events_its_webhook_gives(
    shop: tuple[str, FakeApi, ShopifyData],
) -> None:
    url, _, _ = shop
    with ShopifyPuller().client(source(url), sleep=lambda s: None) as client:
        items = pull_all(OrdersStream(), client, SINCE)
    connector = ShopifyConnector()
    kinds: Counter[str] = Counter()
    for item in items:
        extra = {"currency": "USD"} if item.topic == "refunds/create" else {}
        pulled = connector.parse(item.topic, item.body, extra=extra)
        delivered = connector.parse(item.topic, webhook_body(item), extra=extra)
        assert pulled == delivered, item.external_id
        kinds.update(event.kind for event in pulled.events)
    # 3 paid (one later refunded, one later cancelled), 2 pending (one cancelled), 2 refunds
    assert kinds == Counter(
        {"order_paid": 4, "order_pending": 2, "order_cancelled": 1, "refund": 2}
    )


# --- through the book -------------------------------------------------------------------------


def test_history_and_webhooks_post_every_entry_once(
    book: Book, shop: tuple[str, FakeApi, ShopifyData]
) -> None:
    url, _, _ = shop
    stored = add_connection(
        book.db,
        book.box,
        name="shop-api",
        platform="shopify",
        secret=SECRET,
        api_url=url,
        api_token=TOKEN,
    )
    clock = FakeClock()
    puller = puller_for("shopify")
    with puller.client(source(url), sleep=lambda s: None) as client:
        items = [i for s in puller.streams(source(url)) for i in pull_all(s, client, SINCE)]
    assert len(store(book, stored.id, items, clock())) == 10
    settle(book, clock)
    assert unsettled(book, "shop-api") == []
    after_sync = entry_sources(book, "shop-api")
    # 4 sales, 2 pending orders, 1 cancelled booking reversed, 2 refunds
    assert sum(after_sync.values()) == 9
    assert set(after_sync.values()) == {1}

    directory = ConnectionDirectory(book.db, book.box)
    for index, item in enumerate(items):
        body = webhook_body(item)
        headers = {
            "X-Shopify-Topic": item.topic,
            "X-Shopify-Hmac-Sha256": signature(body, SECRET),
            "X-Shopify-Webhook-Id": f"b7d2c0a4-{index:04d}",
        }
        receive(book.db, directory, "shop-api", body, headers, now=clock())
    settle(book, clock)
    assert entry_sources(book, "shop-api") == after_sync  # the webhooks added nothing
    assert unsettled(book, "shop-api") == []
    assert store(book, stored.id, items, clock()) == []  # a second sync stores nothing new

    balance = reports.trial_balance(book.db)
    assert balance.total_debit == balance.total_credit
    assert balance.total_debit.is_positive()
