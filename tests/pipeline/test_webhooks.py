"""POST /webhooks/{connection} over real HTTP: what a platform sees, and what gets stored."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from ledgerbridge.api.app import AppState, create_app
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.demo.driver import encode
from ledgerbridge.demo.signing import shopify_headers, stripe_headers, woocommerce_headers
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import connect
from ledgerbridge.store.tables import inbox_events
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import SECRETS, Book
from tests.servers import serve_in_thread

NOW = dt.datetime.now(dt.UTC)


def stored(book: Book) -> int:
    with book.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(inbox_events)).scalar_one())


def order_body(number: int = 1) -> bytes:
    order, _ = DemoDay(NOW).order(number)
    return encode(order)


def post(url: str, name: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}/webhooks/{name}", content=body, headers=headers, timeout=10)


class TestShopifyDelivery:
    def test_a_signed_order_is_stored_acknowledged_and_posted(
        self, book: Book, receiving_server: str
    ) -> None:
        body = order_body()
        response = post(
            receiving_server, "shop", body, shopify_headers(body, SECRETS["shop"], "orders/paid")
        )
        assert response.status_code == 202
        assert response.json()["status"] == "received"
        with UnitOfWork(book.db) as uow:
            assert uow.inbox.get(response.json()["event_id"]).body == body  # byte for byte
        outcomes = book.worker().drain()
        assert [o.status.value for o in outcomes] == ["posted"]
        with UnitOfWork(book.db) as uow:
            entry = uow.entries.get(outcomes[0].entry_ids[0]).entry
        assert entry.source.kind == "order_paid"
        assert any(line.account == "1201" and line.side.value == "debit" for line in entry.lines)

    def test_a_redelivery_is_acknowledged_and_posts_once(
        self, book: Book, receiving_server: str
    ) -> None:
        body = order_body()
        headers = shopify_headers(body, SECRETS["shop"], "orders/paid", event_id="evt-42")
        first = post(receiving_server, "shop", body, headers)
        book.worker().drain()
        again = post(receiving_server, "shop", body, headers)
        assert again.status_code == 202
        assert again.json() == {**first.json(), "duplicate": True}
        assert book.worker().drain() == []
        assert stored(book) == 1
        with UnitOfWork(book.db) as uow:
            assert uow.entries.count() == 1

    @pytest.mark.parametrize(
        "headers",
        [
            {"X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": "bm90IGEgc2lnbmF0dXJl"},
            {"X-Shopify-Topic": "orders/paid"},
        ],
        ids=["forged", "missing"],
    )
    def test_a_bad_signature_is_401_and_stores_nothing(
        self, book: Book, receiving_server: str, headers: dict[str, str]
    ) -> None:
        response = post(receiving_server, "shop", order_body(), headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "signature_invalid"
        assert stored(book) == 0

    def test_a_body_signed_with_another_secret_is_401(
        self, book: Book, receiving_server: str
    ) -> None:
        body = order_body()
        response = post(
            receiving_server,
            "shop",
            body,
            shopify_headers(body, "someone-elses-secret", "orders/paid"),
        )
        assert response.status_code == 401
        assert stored(book) == 0

    def test_a_topic_we_do_not_post_is_kept_as_ignored(
        self, book: Book, receiving_server: str
    ) -> None:
        body = b'{"id": 1, "title": "A product"}'
        response = post(
            receiving_server,
            "shop",
            body,
            shopify_headers(body, SECRETS["shop"], "products/create"),
        )
        assert response.status_code == 202
        assert response.json()["status"] == "ignored"
        assert stored(book) == 1


class TestStripeDelivery:
    def test_a_stale_timestamp_is_401(self, book: Book, receiving_server: str) -> None:
        body = encode(DemoDay(NOW).payout(NOW.date()))
        headers = stripe_headers(body, SECRETS["stripe"], now=NOW - dt.timedelta(minutes=6))
        response = post(receiving_server, "stripe", body, headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "timestamp_outside_tolerance"
        assert stored(book) == 0

    def test_any_of_several_v1_signatures_may_match_during_secret_rotation(
        self, book: Book, receiving_server: str
    ) -> None:
        body = encode(DemoDay(NOW).payout(NOW.date()))
        good = stripe_headers(body, SECRETS["stripe"], now=NOW)["Stripe-Signature"]
        old = stripe_headers(body, "whsec_old_secret", now=NOW)["Stripe-Signature"]
        timestamp, v1_good = good.split(",")
        rotated = f"{timestamp},{old.split(',')[1]},{v1_good}"
        response = post(receiving_server, "stripe", body, {"Stripe-Signature": rotated})
        assert response.status_code == 202


class TestWooCommerceDelivery:
    def test_an_unchanged_redelivery_is_a_duplicate(
        self, book: Book, receiving_server: str
    ) -> None:
        order = {
            "id": 727,
            "status": "processing",
            "currency": "USD",
            "date_modified_gmt": "2026-11-02T10:00:00",
            "total": "10.00",
            "line_items": [],
        }
        body = json.dumps(order).encode()
        first = post(
            receiving_server,
            "woo",
            body,
            woocommerce_headers(body, SECRETS["woo"], "order.updated"),
        )
        second = post(
            receiving_server,
            "woo",
            body,
            woocommerce_headers(body, SECRETS["woo"], "order.updated"),
        )
        assert (first.status_code, second.status_code) == (202, 202)
        assert second.json()["duplicate"] is True
        assert stored(book) == 1


class TestRequestErrors:
    def test_an_unparseable_body_is_400_naming_the_body(
        self, book: Book, receiving_server: str
    ) -> None:
        body = b"{this is not json"
        response = post(
            receiving_server, "stripe", body, stripe_headers(body, SECRETS["stripe"], now=NOW)
        )
        assert response.status_code == 400
        assert response.json()["error"] == {
            "code": "payload_invalid",
            "message": response.json()["error"]["message"],
            "field": "body",
        }
        assert stored(book) == 0

    def test_an_unknown_connection_is_404(self, receiving_server: str) -> None:
        response = post(receiving_server, "nobody", b"{}", {})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_connection"

    def test_a_body_over_the_limit_is_413(self, book: Book, receiving_server: str) -> None:
        body = b"{" + b" " * (70 * 1024) + b"}"
        response = post(
            receiving_server, "shop", body, shopify_headers(body, SECRETS["shop"], "orders/paid")
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "body_too_large"
        assert stored(book) == 0


def test_an_unavailable_store_is_503_so_the_platform_retries(tmp_path: Path) -> None:
    path = tmp_path / "book.db"
    db = connect(f"sqlite:///{path}")
    books.init_book(db, base_currency="USD")
    box = SecretBox(Fernet.generate_key())
    add_connection(db, box, name="shop", platform="shopify", secret=SECRETS["shop"])
    directory = ConnectionDirectory(db, box, ttl_s=3600)
    directory.get("shop")  # warm: the outage starts after the service learnt its connections
    state = AppState(db=db, box=box, directory=directory, metrics=Metrics())
    with serve_in_thread(create_app(state)) as url:
        db.engine.dispose()
        shutil.move(path, tmp_path / "moved.db")
        path.mkdir()  # the database file is gone and cannot be recreated
        body = order_body()
        response = post(url, "shop", body, shopify_headers(body, SECRETS["shop"], "orders/paid"))
        ready = httpx.get(f"{url}/readyz", timeout=10)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"
    assert ready.status_code == 503
