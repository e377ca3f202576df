"""A small BigCommerce REST API on 127.0.0.1, speaking the wire format our client reads.

It answers like BigCommerce: ``X-Auth-Token`` or 401; v2 lists paged by ``page``/``limit`` with
**204 No Content** past the last page; v3 refunds as ``{"data": [...], "meta": {"pagination":
{...}}}``; a rate-limited call as 429 with ``X-Rate-Limit-Time-Reset-Ms`` (and no Retry-After).
Sample files can be served byte for byte (``routes``), and faults planned per path (``fail``):
``"429"``, ``"500"`` or ``"drop"`` (the connection closes without an answer).
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any

from .fake_http import Reply, drop, read_request, send
from .fake_http import serve as serve_http

TOKEN = "bc-api-token"
RESET_MS = "1500"
_NUMBER = re.compile(r'"@number:([-0-9.]+)"')


def dumps(payload: Any) -> bytes:
    """JSON with Decimals written as JSON numbers, exactly (v3 sends amounts as numbers)."""

    def mark(value: object) -> str:
        if isinstance(value, Decimal):
            return f"@number:{value}"
        raise TypeError(type(value).__name__)

    return _NUMBER.sub(r"\1", json.dumps(payload, default=mark)).encode()


def rfc2822(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC))


def make_order(
    order_id: int,
    *,
    modified: datetime,
    status_id: int = 11,
    price: str = "20.00",
    quantity: int = 2,
    shipping: str = "5.00",
    tax: str = "3.60",
    method: str = "Stripe",
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """An order that adds up, with its products and taxes, amounts written BigCommerce's way
    (four decimals, as strings)."""

    def four(value: Decimal) -> str:
        return f"{value:.4f}"

    subtotal = Decimal(price) * quantity
    ex_tax = subtotal + Decimal(shipping)
    order = {
        "id": order_id,
        "customer_id": 7,
        "date_created": rfc2822(modified),
        "date_modified": rfc2822(modified),
        "status_id": status_id,
        "status": {11: "Awaiting Fulfillment", 7: "Awaiting Payment", 5: "Cancelled"}.get(
            status_id, "Completed"
        ),
        "subtotal_ex_tax": four(subtotal),
        "shipping_cost_ex_tax": four(Decimal(shipping)),
        "handling_cost_ex_tax": "0.0000",
        "wrapping_cost_ex_tax": "0.0000",
        "total_ex_tax": four(ex_tax),
        "total_inc_tax": four(ex_tax + Decimal(tax)),
        "total_tax": four(Decimal(tax)),
        "discount_amount": "0.0000",
        "payment_method": method,
        "payment_provider_id": f"ch_{order_id}",
        "payment_status": "captured",
        "store_credit_amount": "0.0000",
        "gift_certificate_amount": "0.0000",
        "currency_code": "USD",
        "currency_exchange_rate": "1.0000000000",
        "default_currency_code": "USD",
        "billing_address": {"country_iso2": "US"},
        "order_source": "www",
    }
    products = [
        {
            "id": order_id * 10,
            "order_id": order_id,
            "name": "Mug",
            "sku": "MUG",
            "type": "physical",
            "quantity": quantity,
            "price_ex_tax": four(Decimal(price)),
            "total_ex_tax": four(subtotal),
            "applied_discounts": [],
        }
    ]
    taxes = [
        {
            "id": order_id * 10,
            "order_id": order_id,
            "name": "CA State",
            "class": "Default Tax Class",
            "rate": "8.0000",
            "line_amount": four(Decimal(tax)),
        }
    ]
    return order, products, taxes


def make_refund(
    refund_id: int, order_id: int, *, amount: str, tax: str, created: datetime
) -> dict[str, Any]:
    """A v3 refund object: amounts are JSON numbers there, as BigCommerce documents."""
    return {
        "id": refund_id,
        "order_id": order_id,
        "user_id": 0,
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reason": "damaged",
        "total_amount": Decimal(amount),
        "total_tax": Decimal(tax),
        "uses_merchant_override_values": False,
        "items": [{"item_type": "ORDER", "item_id": order_id, "requested_amount": Decimal(amount)}],
        "payments": [
            {
                "id": refund_id * 100,
                "provider_id": "stripe",
                "amount": Decimal(amount),
                "offline": False,
                "is_declined": False,
                "declined_message": "",
            }
        ],
    }


@dataclass
class FakeBigCommerce:
    """What the server answers, and what it was asked."""

    routes: dict[str, bytes] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    taxes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    faults: list[tuple[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def add(
        self,
        order: dict[str, Any],
        products: list[dict[str, Any]],
        taxes: list[dict[str, Any]],
    ) -> None:
        self.orders[order["id"]] = order
        self.products[order["id"]] = products
        self.taxes[order["id"]] = taxes

    def fail(self, path: str, kind: str) -> None:
        """The next request for ``path`` fails as ``kind`` ("429", "500", "drop")."""
        self.faults.append((path, kind))

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        page = int(query.get("page", ["1"])[0])
        limit = int(query.get("limit", ["50"])[0])
        if path in self.routes:
            listed = path == "/v2/orders" or path.endswith(("/products", "/taxes"))
            return (204, {}, None) if listed and page > 1 else (200, {}, self.routes[path])
        parts = path.strip("/").split("/")
        if path == "/v2/orders":
            since = query.get("min_date_modified", [""])[0]
            chosen = sorted(
                (o for o in self.orders.values() if _modified(o) >= _date(since)),
                key=_modified,
            )
            window = chosen[(page - 1) * limit : page * limit]
            return (200, {}, window) if window else (204, {}, None)
        if parts[:2] == ["v2", "orders"] and len(parts) >= 3:
            order_id = int(parts[2])
            if order_id not in self.orders:
                return (
                    404,
                    {},
                    [{"status": 404, "message": "The requested resource was not found."}],
                )
            if len(parts) == 3:
                return 200, {}, self.orders[order_id]
            rows = {"products": self.products, "taxes": self.taxes}[parts[3]].get(order_id, [])
            window = rows[(page - 1) * limit : page * limit]
            return (200, {}, window) if window else (204, {}, None)
        if path == "/v3/orders/payment_actions/refunds":
            since = query.get("created:min", [""])[0]
            chosen = [r for r in self.refunds if r["created"] >= since]
            pages = max((len(chosen) + limit - 1) // limit, 1)
            window = chosen[(page - 1) * limit : page * limit]
            meta = {
                "pagination": {
                    "total": len(chosen),
                    "count": len(window),
                    "per_page": limit,
                    "current_page": page,
                    "total_pages": pages,
                }
            }
            return 200, {}, {"data": window, "meta": meta}
        if parts[:2] == ["v3", "orders"] and parts[3:] == ["payment_actions", "refunds"]:
            order_id = int(parts[2])
            return 200, {}, {"data": [r for r in self.refunds if r["order_id"] == order_id]}
        return 404, {}, {"status": 404, "title": f"no route {path}"}


def _date(value: str) -> datetime:
    if not value:
        return datetime.min.replace(tzinfo=UTC)
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _modified(order: dict[str, Any]) -> datetime:
    return email.utils.parsedate_to_datetime(order["date_modified"])


@contextmanager
def serve(state: FakeBigCommerce) -> Iterator[str]:
    """Run the fake API; yields its base URL (what a connection's ``api_url`` would be)."""

    def reply(status: int, headers: dict[str, str], payload: Any) -> Reply:
        if payload is not None and not isinstance(payload, bytes):
            payload = dumps(payload)
        return status, {"Content-Type": "application/json", **headers}, payload or b""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        request = read_request(handler)
        state.requests.append(request.target)
        if request.headers.get("x-auth-token") != TOKEN:
            send(handler, reply(401, {}, [{"status": 401, "message": "auth"}]))
            return
        for index, (path, kind) in enumerate(state.faults):
            if path == request.path:
                del state.faults[index]
                if kind == "drop":
                    drop(handler)
                elif kind == "429":
                    send(handler, reply(429, {"X-Rate-Limit-Time-Reset-Ms": RESET_MS}, b""))
                else:
                    send(handler, reply(500, {}, b'{"status": 500}'))
                return
        send(handler, reply(*state.answer(request.path, request.query)))

    with serve_http(answer) as url:
        yield url
