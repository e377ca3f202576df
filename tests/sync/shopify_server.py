"""A Shopify Admin REST API on 127.0.0.1 that pages orders the way Shopify does.

Shopify's rules it enforces, so a puller that breaks them fails here as it would in production:

* ``X-Shopify-Access-Token`` must be the app's token (else 401 with Shopify's ``errors`` text);
* the first page takes the filters (``status``, ``updated_at_min``, ``order``); the next page is
  only ever the ``Link: <…page_info=…>; rel="next"`` URL, and a request with ``page_info`` that
  repeats any parameter but ``limit`` is refused with 400, as Shopify refuses it;
* every answer carries ``X-Shopify-Shop-Api-Call-Limit`` (``bucket`` sets it per request);
* a throttled request gets 429 with ``Retry-After: 2.0``.

The server, the recording of requests and the scripted faults are :class:`fake_http.FakeApi`'s.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .fake_http import FakeApi, Reply, Request, json_reply

TOKEN = "shpat_test_token"


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
