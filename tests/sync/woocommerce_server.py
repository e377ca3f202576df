"""A WooCommerce REST API (``/wp-json/wc/v3``) on 127.0.0.1: orders by page, and their refunds.

As WooCommerce answers: a JSON array per page, ``X-WP-Total`` and ``X-WP-TotalPages`` headers,
``page``/``per_page`` paging, ``modified_after`` with ``dates_are_gmt`` and ``orderby=modified``;
HTTP basic auth with the REST key pair, refused with WordPress's error JSON
(``{"code", "message", "data": {"status"}}``). A throttled request gets 429 with
``Retry-After`` (the host's limiter; WooCommerce itself sends none). The orders are the two of
the public "list all orders" sample and variants of them in the other statuses a shop has; the
refunds are the public "list all refunds" sample.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fake_http import FakeApi, Reply, Request, json_reply

CONSUMER_KEY = "ck_4e1b0c3a9f6d2e8b7a5c1d0e9f8a7b6c5d4e3f2a"
CONSUMER_SECRET = "cs_0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"
API_TOKEN = f"{CONSUMER_KEY}:{CONSUMER_SECRET}"
ORDERS = "/wp-json/wc/v3/orders"


@dataclass
class WooData:
    orders: list[dict[str, Any]]
    refunds: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Refund objects by order id (``GET /orders/<id>/refunds``)."""
    page_size: int = 3
    """Orders per page, whatever ``per_page`` asks (so a few orders make several pages)."""


def woo_data(samples: Path) -> WooData:
    """Seven orders: processing, completed with two refunds (the samples), on-hold, cancelled
    unpaid, failed, completed, and refunded in full."""
    folder = samples / "webhooks/woocommerce"
    processing, completed = json.loads((folder / "v3_orders_list_response.json").read_text())
    refunds = json.loads((folder / "v3_order_refunds_list_response.json").read_text())

    def variant(base: dict[str, Any], order_id: int, status: str, day: int, **kw: Any) -> Any:
        order = copy.deepcopy(base)
        stamp = f"2024-04-{day:02d}T10:00:00"
        order.update(
            id=order_id,
            number=str(order_id),
            status=status,
            date_modified=stamp,
            date_modified_gmt=stamp,
            **kw,
        )
        return order

    unpaid = {"date_paid": None, "date_paid_gmt": None}
    data = WooData(
        [
            variant(processing, 727, "processing", 1),
            variant(completed, 723, "completed", 2),
            variant(processing, 730, "on-hold", 3, **unpaid),
            variant(processing, 731, "cancelled", 4, **unpaid),
            variant(processing, 732, "failed", 5, **unpaid),
            variant(processing, 733, "completed", 6),
            variant(
                completed,
                734,
                "refunded",
                7,
                refunds=[{"id": 736, "reason": "", "total": "-39.00"}],
            ),
        ]
    )
    data.refunds[723] = refunds
    data.refunds[734] = [
        dict(copy.deepcopy(refunds[0]), id=736, amount="39.00", refunded_payment=True)
    ]
    return data


def _error(status: int, code: str, message: str) -> Reply:
    return json_reply(status, {"code": code, "message": message, "data": {"status": status}})


def woo_api(data: WooData) -> FakeApi:
    expected = "Basic " + base64.b64encode(API_TOKEN.encode()).decode()

    def orders(request: Request) -> Reply:
        if request.one("orderby") != "modified" or request.one("order") != "asc":
            return _error(400, "rest_invalid_param", "expected orderby=modified&order=asc")
        since = request.one("modified_after") or ""
        chosen = sorted(
            (o for o in data.orders if o["date_modified_gmt"] >= since),
            key=lambda o: str(o["date_modified_gmt"]),
        )
        number = int(request.one("page") or 1)
        start = (number - 1) * data.page_size
        pages = -(-len(chosen) // data.page_size)
        headers = {"X-WP-Total": str(len(chosen)), "X-WP-TotalPages": str(pages)}
        return json_reply(200, chosen[start : start + data.page_size], headers)

    def route(request: Request) -> Reply:
        if request.headers.get("authorization") != expected:
            return _error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if request.path == ORDERS:
            return orders(request)
        parts = request.path.removeprefix(ORDERS + "/").split("/")
        if len(parts) == 2 and parts[1] == "refunds" and parts[0].isdigit():
            found = data.refunds.get(int(parts[0]), [])
            return json_reply(200, found, {"X-WP-Total": str(len(found)), "X-WP-TotalPages": "1"})
        return _error(
            404, "rest_no_route", "No route was found matching the URL and request method."
        )

    return FakeApi(
        route,
        json_reply(
            429, {"code": "too_many_requests", "message": "Slow down"}, {"Retry-After": "3"}
        ),
    )
