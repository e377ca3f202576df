"""BigCommerce history sync against a BigCommerce-shaped API on 127.0.0.1.

The streams are paged to the end (v2: 204 past the last page; v3: ``meta.pagination``) through
a 429 that names its wait only in ``X-Rate-Limit-Time-Reset-Ms`` and a connection dropped
mid-stream. Every pulled resource parses to the same events as the webhook about it, and a
backfill plus the webhooks post each order and refund once.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.connectors.base import PlatformRequestFailed
from ledgerbridge.connectors.bigcommerce import BigCommerceConnector
from ledgerbridge.connectors.bigcommerce_api import BigCommerceClient
from ledgerbridge.events import OrderPaid, Refund
from ledgerbridge.money import Money
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.services import reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.sync.base import Page, Pulled, Stream, SyncSource
from ledgerbridge.sync.bigcommerce import BigCommercePuller
from ledgerbridge.sync.registry import puller_for
from tests.pipeline.conftest import Book

from .bigcommerce_server import RESET_MS, TOKEN, FakeBigCommerce, make_order, make_refund, serve
from .ledger_helpers import entry_sources, store

bc = BigCommerceConnector()
SINCE = dt.date(2024, 1, 1)
START = dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
SECRET = "hook-token-5f1c"
NOW = dt.datetime(2024, 8, 1, 12, tzinfo=dt.UTC)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def shop(orders: int, refunds: int = 0) -> FakeBigCommerce:
    """``orders`` paid orders modified an hour apart, the first ``refunds`` of them refunded."""
    state = FakeBigCommerce()
    for n in range(orders):
        order, products, taxes = make_order(
            700 + n, modified=START + dt.timedelta(hours=n), price=f"{10 + n}.00"
        )
        state.add(order, products, taxes)
    for n in range(refunds):
        state.refunds.append(
            make_refund(
                90 + n, 700 + n, amount="5.40", tax="0.40", created=START + dt.timedelta(days=1)
            )
        )
    return state


def source(url: str, token: str = TOKEN) -> SyncSource:
    return SyncSource(name="bc", platform="bigcommerce", api_url=url, api_token=token)


def pull(stream: Stream, url: str, sleeps: list[float]) -> tuple[list[Page], list[Pulled]]:
    """Every page of ``stream`` until its cursor runs out."""
    pages: list[Page] = []
    with BigCommercePuller(page_size=2).client(source(url), sleep=sleeps.append) as client:
        cursor: str | None = None
        while True:
            page = stream.page(client, since=SINCE, cursor=cursor)
            pages.append(page)
            cursor = page.cursor
            if cursor is None:
                break
    return pages, [item for page in pages for item in page.items]


def orders_stream() -> Stream:
    return BigCommercePuller(page_size=2).streams(source("http://unused"))[0]


def refunds_stream() -> Stream:
    return BigCommercePuller(page_size=2).streams(source("http://unused"))[1]


def webhook_body(samples: Path, scope_file: str, order_id: int, **data: Any) -> bytes:
    payload = json.loads((samples / "webhooks" / "bigcommerce" / scope_file).read_bytes())
    payload["data"]["id"] = order_id
    payload["data"].update(data)
    payload["hash"] = f"{payload['hash']}-{order_id}-{len(data)}"
    return json.dumps(payload).encode()


def test_orders_page_to_the_204_through_a_429_and_a_dropped_connection() -> None:
    state = shop(6)
    state.fail("/v2/orders", "429")
    state.fail("/v2/orders/703/products", "drop")
    sleeps: list[float] = []
    with serve(state) as url:
        pages, items = pull(orders_stream(), url, sleeps)
    assert [len(p.items) for p in pages] == [2, 2, 2, 0]  # the fourth page is BigCommerce's 204
    assert [p.cursor for p in pages] == ["2", "3", "4", None]
    assert [json.loads(i.body)["order"]["id"] for i in items] == list(range(700, 706))
    assert {i.topic for i in items} == {"store/order/updated"}
    first = json.loads(items[0].body)
    assert items[0].external_id == f"api:store/order/updated:700:{first['order']['date_modified']}"
    assert float(RESET_MS) / 1000 in sleeps  # the reset window became the wait
    listed = [r for r in state.requests if r.startswith("/v2/orders?")]
    assert "min_date_modified=2024-01-01" in listed[0]
    assert "sort=date_modified%3Aasc" in listed[0] or "sort=date_modified:asc" in listed[0]
    assert sum(r.startswith("/v2/orders/703/products") for r in state.requests) == 2


def test_refunds_page_by_meta_pagination_and_carry_their_order() -> None:
    state = shop(5, refunds=5)
    state.fail("/v3/orders/payment_actions/refunds", "500")
    sleeps: list[float] = []
    with serve(state) as url:
        pages, items = pull(refunds_stream(), url, sleeps)
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert [p.total for p in pages] == [5, 5, 5]
    assert [i.external_id for i in items] == [
        f"api:store/order/refund/created:{n}" for n in range(90, 95)
    ]
    body = json.loads(items[0].body)
    assert (body["refund"]["id"], body["order"]["id"]) == (90, 700)
    assert body["refund"]["total_amount"] == "5.40"  # the API's number, kept exact
    assert sleeps == [1.0]  # one backoff for the 500


def test_a_wrong_token_fails_at_once() -> None:
    state = shop(1)
    with serve(state) as url:
        puller = BigCommercePuller()
        with (
            puller.client(source(url, "wrong"), sleep=lambda s: None) as client,
            pytest.raises(PlatformRequestFailed) as caught,
        ):
            puller.streams(source(url))[0].page(client, since=SINCE, cursor=None)
    assert caught.value.status == 401
    assert len(state.requests) == 1


def test_pulled_resources_parse_to_the_webhooks_events(samples: Path) -> None:
    state = shop(3, refunds=2)
    with serve(state) as url:
        _, orders = pull(orders_stream(), url, [])
        _, refunds = pull(refunds_stream(), url, [])
        with BigCommercePuller().client(source(url), sleep=lambda s: None) as client:
            assert isinstance(client, BigCommerceClient)  # the puller reads detail through it
            fetched = {n: client.order_detail(str(n)) for n in range(700, 703)}
            listed = {n: client.order_refunds(str(n)) for n in range(700, 702)}
            order_of = {n: client.order(str(n)) for n in range(700, 702)}
    for item in orders:
        order_id = json.loads(item.body)["order"]["id"]
        hook = webhook_body(samples, "webhook_store_order_updated.json", order_id)
        pulled = bc.parse(item.topic, item.body)
        hooked = bc.parse("store/order/updated", hook, extra=fetched[order_id])
        assert pulled.events == hooked.events
        assert isinstance(pulled.events[0], OrderPaid)
    for item in refunds:
        refund = json.loads(item.body)["refund"]
        hook = webhook_body(
            samples,
            "webhook_store_order_refund_created.json",
            refund["order_id"],
            refund={"refund_id": refund["id"]},
        )
        extra = {"order": order_of[refund["order_id"]], "refunds": listed[refund["order_id"]]}
        pulled = bc.parse(item.topic, item.body)
        hooked = bc.parse("store/order/refund/created", hook, extra=extra)
        assert pulled.events == hooked.events
        assert isinstance(pulled.events[0], Refund)
        assert pulled.events[0].amount == usd("5.40")


# --- into the books ---------------------------------------------------------------------


def file_pulled(book: Book, items: list[Pulled]) -> list[int]:
    """Store pulled items in the inbox as the sync engine does; returns the new ids."""
    with UnitOfWork(book.db) as uow:
        connection_id = uow.connections.get("bc").id
    return store(book, connection_id, items, NOW)


def test_a_backfill_and_the_webhooks_post_each_order_and_refund_once(
    book: Book, samples: Path
) -> None:
    db, box = book.db, book.box
    state = shop(3, refunds=2)
    with serve(state) as url:
        add_connection(
            db, box, name="bc", platform="bigcommerce", secret=SECRET, api_url=url, api_token=TOKEN
        )
        _, orders = pull(orders_stream(), url, [])
        _, refunds = pull(refunds_stream(), url, [])
        assert len(file_pulled(book, orders + refunds)) == 5
        hooks = [
            webhook_body(samples, "webhook_store_order_created.json", n) for n in range(700, 703)
        ] + [
            webhook_body(
                samples,
                "webhook_store_order_refund_created.json",
                n,
                refund={"refund_id": 90 + n - 700},
            )
            for n in range(700, 702)
        ]
        directory = ConnectionDirectory(db, box)
        for hook in hooks:
            receive(db, directory, "bc", hook, {"X-Ledgerbridge-Token": SECRET}, now=NOW)
        outcomes = Worker(db, box, StaticRates({})).drain()
        _, again = pull(orders_stream(), url, [])
    assert {o.status for o in outcomes} == {EventStatus.POSTED}, outcomes
    assert len(outcomes) == 10
    assert file_pulled(book, again) == []  # a second sync of unchanged orders stores nothing
    assert sorted(entry_sources(book, "bc").elements()) == [
        ("700", "order_paid"),
        ("701", "order_paid"),
        ("702", "order_paid"),
        ("90", "refund"),
        ("91", "refund"),
    ]
    with UnitOfWork(db) as uow:
        clearing = uow.connections.get("bc").clearing_account
    tb = reports.trial_balance(db)
    assert tb.total_debit == tb.total_credit
    # orders of 2 × 10/11/12.00 + 5.00 shipping + 3.60 tax each; two refunds of 5.40
    assert tb.balance_of(clearing) == usd("28.60") + usd("30.60") + usd("32.60") - usd("10.80")


def test_the_public_orders_list_sample_pulls_and_posts(book: Book, samples: Path) -> None:
    db, box = book.db, book.box
    folder = samples / "webhooks" / "bigcommerce"
    state = FakeBigCommerce(
        routes={
            "/v2/orders": (folder / "api_v2_orders_list.json").read_bytes(),
            "/v2/orders/100/products": (folder / "api_v2_order_products.json").read_bytes(),
            "/v2/orders/100/taxes": (folder / "api_v2_order_taxes.json").read_bytes(),
        }
    )
    with serve(state) as url:
        add_connection(
            db, box, name="bc", platform="bigcommerce", secret=SECRET, api_url=url, api_token=TOKEN
        )
        puller = puller_for("bigcommerce")
        stream = puller.streams(source(url))[0]
        with puller.client(source(url), sleep=lambda s: None) as client:
            page = stream.page(client, since=SINCE, cursor=None)
    assert page.cursor is None  # one order on a page of 250: the last page
    (item,) = page.items
    file_pulled(book, [item])
    outcomes = Worker(db, box, StaticRates({})).drain()
    assert [o.status for o in outcomes] == [EventStatus.POSTED]
    with UnitOfWork(db) as uow:
        clearing = uow.connections.get("bc").clearing_account
        notices = uow.inbox.get(outcomes[0].event_id).notices
    tb = reports.trial_balance(db)
    assert tb.total_debit == tb.total_credit
    assert tb.balance_of(clearing) == usd("361.95")
    assert any("products do not add up" in str(n) for n in notices)
