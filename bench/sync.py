"""Throughput of a history sync: orders paged from a platform API into the inbox, then posted.

A Shopify Admin API on 127.0.0.1 (Link/page_info paging, 250 orders a page, the call-limit
header) serves N demo orders; ``sync_connection`` pulls them into a fresh book with a cursor
committed per page, then the worker posts them. Prints pages and orders per second for the
pull (HTTP + JSON + inbox insert), orders per second for the posting, and, with ``--resume``,
the same figures for a sync cut off by an outage half-way and resumed from its cursor.

Usage:
    python bench/sync.py --db sqlite --n 5000
    python bench/sync.py --db postgresql --n 5000
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.fernet import Fernet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import drop_database, make_database
from ledgerbridge.connectors.base import dump_json
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.logs import configure_logging
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books, sync
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import connect

TOKEN = "shpat_bench"
PAGE = 250
PATH = "/admin/api/2024-10/orders.json"


@contextmanager
def shopify(orders: list[dict[str, Any]], down: set[int]) -> Iterator[str]:
    """The Admin API; page numbers in ``down`` answer 503 (an outage) until the set is cleared."""
    pages = [dump_json({"orders": orders[i : i + PAGE]}) for i in range(0, len(orders), PAGE)]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            index = int(query.get("page_info", ["0"])[0])
            if index in down:
                body, status, headers = b'{"errors":"Service Unavailable"}', 503, {}
            else:
                body, status = pages[index] if pages else b'{"orders":[]}', 200
                headers = {"X-Shopify-Shop-Api-Call-Limit": "1/40"}
                if index + 1 < len(pages):
                    headers["Link"] = (
                        f'<https://shop.example{PATH}?limit=250&page_info={index + 1}>; rel="next"'
                    )
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--n", type=int, default=5000, help="orders in the shop's history")
    parser.add_argument("--resume", action="store_true", help="cut the sync off half-way first")
    args = parser.parse_args()
    configure_logging("json", level=logging.WARNING)

    day = DemoDay(dt.datetime.now(dt.UTC))
    orders = [day.order(n)[0] for n in range(1, args.n + 1)]
    pages = (args.n + PAGE - 1) // PAGE
    down = {pages // 2} if args.resume else set()
    with tempfile.TemporaryDirectory() as work:
        url, pg_name = make_database(args.db, Path(work))
        try:
            db = connect(url)
            books.init_book(db, base_currency="USD")
            box = SecretBox(Fernet.generate_key())
            with shopify(orders, down) as api:
                add_connection(
                    db,
                    box,
                    name="shop",
                    platform="shopify",
                    secret="s",
                    api_url=api,
                    api_token=TOKEN,
                )
                since = dt.date(2000, 1, 1)
                started = time.perf_counter()
                first = sync.sync_connection(db, box, "shop", since=since, sleep=lambda _: None)
                if args.resume:
                    stopped = first.streams[0]
                    print(
                        f"outage at page {pages // 2 + 1}: stopped after {stopped.pages} pages,"
                        f" {stopped.pulled} orders stored, complete={first.complete}"
                    )
                    down.clear()
                    rest = sync.sync_connection(db, box, "shop", sleep=lambda _: None)
                    print(
                        f"resumed={rest.streams[0].resumed}: {rest.streams[0].pages} more pages,"
                        f" {rest.streams[0].pulled} orders, complete={rest.complete}"
                    )
                pulled = time.perf_counter() - started
            worker = Worker(db, box, StaticRates({}), batch=100)
            started = time.perf_counter()
            outcomes = worker.drain(max_rounds=100_000)
            posted = time.perf_counter() - started
            done = sum(o.status.value == "posted" for o in outcomes)
            print(f"{args.db}: {args.n} orders in {pages} pages")
            print(
                f"  pull + store: {pulled:.2f} s = {args.n / pulled:.0f} orders/s, "
                f"{pages / pulled:.1f} pages/s"
            )
            print(f"  posting:      {posted:.2f} s = {done / posted:.0f} orders/s ({done} posted)")
            db.engine.dispose()
        finally:
            drop_database(pg_name)


if __name__ == "__main__":
    main()
