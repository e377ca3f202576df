"""A Shopify Admin REST API on 127.0.0.1 that pages orders the way Shopify does.

It also holds the HTTP plumbing the Stripe and WooCommerce fakes share (:class:`FakeApi`): a
real server in a thread, every request recorded, and misbehaviour scripted by request number
(``"throttle"``: the platform's 429; ``"drop"``: the socket closed without an answer).

Shopify's rules it enforces, so a puller that breaks them fails here as it would in production:

* ``X-Shopify-Access-Token`` must be the app's token (else 401 with Shopify's ``errors`` text);
* the first page takes the filters (``status``, ``updated_at_min``, ``order``); the next page is
  only ever the ``Link: <…page_info=…>; rel="next"`` URL, and a request with ``page_info`` that
  repeats any parameter but ``limit`` is refused with 400, as Shopify refuses it;
* every answer carries ``X-Shopify-Shop-Api-Call-Limit`` (``bucket`` sets it per request);
* a throttled request gets 429 with ``Retry-After: 2.0``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

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

Reply = tuple[int, dict[str, str], bytes]
TOKEN = "shpat_test_token"


@dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(data).encode(),
    )


@dataclass
class FakeApi:
    """A platform API: ``route`` answers a request; ``faults[n]`` spoils the n-th (1-based)."""

    route: Callable[[Request], Reply]
    throttled: Reply
    faults: dict[int, str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        request = Request(
            url.path,
            parse_qs(url.query, keep_blank_values=True),
            {k.lower(): v for k, v in handler.headers.items()},
        )
        with self._lock:
            self.requests.append(request)
            fault = self.faults.pop(len(self.requests), None)
        if fault == "drop":
            handler.close_connection = True
            handler.connection.shutdown(2)  # the client sees the connection cut, no answer
            return
        status, headers, body = self.throttled if fault == "throttle" else self.route(request)
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve on a free loopback port for the block; yields the base URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


# --- Shopify ---------------------------------------------------------------------------------

ORDERS_PATH = "/admin/api/2024-10/orders.json"


def sample_orders(samples: Path) -> list[dict[str, Any]]:
    """Seven orders in the shape of the public Admin API order sample, in every state a
    backfill meets: paid with a refund, paid, authorised, pending then cancelled, voided,
    refunded and cancelled.

    The sample lists three 199.00 lines but totals two (398.00 + 11.94 tax = 409.94), so the
    third line is dropped to make an order that adds up; it names its gateway only in
    ``gateway``, so ``payment_gateway_names`` is set from it as current payloads carry it. Its
    sample refund is trimmed the same way (below).
    """
    base = json.loads((samples / "webhooks/shopify/api_order.json").read_text())["order"]
    base["line_items"] = base["line_items"][:2]
    base["payment_gateway_names"] = [base.get("gateway") or "bogus"]
    refund = json.loads((samples / "webhooks/shopify/api_refund.json").read_text())["refund"]
    # The sample refund returns two lines (2 × 199.00 + 3.98 tax) but pays back 209.00; one
    # line, and the 202.98 it is worth, make a refund that adds up.
    refund["refund_line_items"] = refund["refund_line_items"][:1]
    refund["transactions"][0]["amount"] = "202.98"

    def variant(number: int, status: str, **changes: Any) -> dict[str, Any]:
        order: dict[str, Any] = copy.deepcopy(base)
        order.update(
            id=450789469 + number,
            name=f"#{1001 + number}",
            order_number=1001 + number,
            financial_status=status,
            updated_at=f"2024-03-{10 + number:02d}T11:00:00-05:00",
            refunds=[],
            **changes,
        )
        return order

    def refunded(order: dict[str, Any], refund_id: int) -> dict[str, Any]:
        order["refunds"] = [dict(copy.deepcopy(refund), id=refund_id, order_id=order["id"])]
        return order

    return [
        refunded(variant(0, "partially_refunded"), 509562969),
        variant(1, "paid"),
        variant(2, "authorized"),
        variant(3, "pending", cancelled_at="2024-03-13T12:00:00-05:00"),
        variant(4, "voided"),
        variant(5, "paid"),
        refunded(variant(6, "refunded", cancelled_at="2024-03-16T12:00:00-05:00"), 509562975),
    ]


def _token(offset: int, since: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([offset, since]).encode()).decode()


@dataclass
class ShopifyData:
    orders: list[dict[str, Any]]
    page_size: int = 3
    """Orders per page, whatever ``limit`` asks (so a few samples make several pages)."""
    bucket: dict[int, str] = field(default_factory=dict)
    """Call-limit header by request number; ``1/40`` otherwise."""


def shopify_api(data: ShopifyData) -> FakeApi:
    fake: FakeApi

    def route(request: Request) -> Reply:
        calls = {"X-Shopify-Shop-Api-Call-Limit": data.bucket.get(len(fake.requests), "1/40")}
        if request.headers.get("x-shopify-access-token") != TOKEN:
            message = "[API] Invalid API key or access token (unrecognized login or wrong password)"
            return json_reply(401, {"errors": message})
        if request.path != ORDERS_PATH:
            return json_reply(404, {"errors": "Not Found"})
        page_info = request.one("page_info")
        if page_info is not None:
            extra = set(request.query) - {"page_info", "limit"}
            if extra:
                return json_reply(
                    400, {"errors": {"page_info": f"cannot be sent with {sorted(extra)}"}}
                )
            offset, since = json.loads(base64.urlsafe_b64decode(page_info))
        else:
            if request.one("status") != "any" or request.one("order") != "updated_at asc":
                return json_reply(400, {"errors": "expected status=any&order=updated_at asc"})
            offset, since = 0, request.one("updated_at_min") or ""
        chosen = sorted(
            (o for o in data.orders if _utc(o["updated_at"]) >= _utc(since)),
            key=lambda o: _utc(o["updated_at"]),
        )
        page = chosen[offset : offset + data.page_size]
        headers = dict(calls)
        if offset + data.page_size < len(chosen):
            query = urlencode(
                {
                    "limit": request.one("limit") or 50,
                    "page_info": _token(offset + data.page_size, since),
                }
            )
            headers["Link"] = f'<https://shop.example{ORDERS_PATH}?{query}>; rel="next"'
        return json_reply(200, {"orders": page}, headers)

    fake = FakeApi(
        route,
        json_reply(
            429,
            {
                "errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
                "resume uninterrupted service."
            },
            {"Retry-After": "2.0"},
        ),
    )
    return fake


def _utc(stamp: str) -> str:
    """ISO timestamps compared in UTC (Shopify writes the shop's offset)."""
    if not stamp:
        return ""
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC).isoformat()


# --- shared by the three platforms' tests: paging to the end, and the book they post into ----


def pull_all(
    stream: Stream, client: ApiClient, since: dt.date, cursor: str | None = None
) -> list[Pulled]:
    """Every item of ``stream`` from ``cursor`` on, asking page after page until it ends."""
    items: list[Pulled] = []
    for _ in range(100):
        page = stream.page(client, since=since, cursor=cursor)
        items += page.items
        cursor = page.cursor
        if cursor is None:
            return items
    raise AssertionError("the stream never ended")


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


def store(book: Book, connection_id: int, items: Sequence[Pulled], clock: FakeClock) -> int:
    """Store pulled items in the inbox as the sync service does; returns how many were new."""
    new = 0
    with UnitOfWork(book.db) as uow:
        for item in items:
            _, duplicate = uow.inbox.store(
                connection_id=connection_id,
                external_id=item.external_id,
                topic=item.topic,
                status=EventStatus.RECEIVED,
                headers=dict(item.headers),
                body=item.body,
                now=clock(),
            )
            new += not duplicate
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
