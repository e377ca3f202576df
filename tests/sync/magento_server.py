"""A fake Magento 2 REST API on 127.0.0.1 that speaks Magento's wire format, and builders for
the invoices, credit memos and orders it serves (made from the public samples at test time).

What it does like Magento:

* ``GET /rest/default/V1/invoices`` and ``…/V1/creditmemos`` with ``searchCriteria`` (one
  filter: ``gteq`` on a timestamp or ``eq``; sorted by ``entity_id``; ``pageSize`` and
  ``currentPage``), answering ``{"items", "search_criteria", "total_count"}``. A
  ``currentPage`` past the end answers **the last page again**, as Magento does.
* ``GET /rest/default/V1/orders/{id}``; 404 ``{"message": …}`` for an unknown id.
* ``Authorization: Bearer <token>`` required; else 401 with ``{"message", "parameters"}``.

Faults are scripted per (path, page): ``"429"`` answers 429 with ``Retry-After: 7``; ``"drop"``
sends the headers and half the body, then closes the connection.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from .fake_http import Reply, Request, cut_short, json_reply, read_request, send, serve

PREFIX = "/rest/default"
TOKEN = "magento-integration-token"
_FILTER = "searchCriteria[filter_groups][0][filters][0]"


@dataclass
class FakeMagento:
    invoices: list[dict[str, Any]] = field(default_factory=list)
    creditmemos: list[dict[str, Any]] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    """(path without prefix, page; 0 for an order) → faults to answer, in order."""
    requests: list[Request] = field(default_factory=list)
    """Every request, its path without the prefix."""
    token: str = TOKEN

    @property
    def authorizations(self) -> list[str | None]:
        return [r.headers.get("authorization") for r in self.requests]

    def asked(self, path: str) -> list[dict[str, str]]:
        return [r.params for r in self.requests if r.path == path]

    def pages_asked(self, path: str, field: str = "updated_at") -> list[int]:
        """Pages of ``path`` asked for with a filter on ``field``, in order."""
        return [
            int(q.get("searchCriteria[currentPage]", "1"))
            for q in self.asked(path)
            if q.get(f"{_FILTER}[field]") == field
        ]


def _search(entities: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    name = query.get(f"{_FILTER}[field]")
    value = query.get(f"{_FILTER}[value]", "")
    condition = query.get(f"{_FILTER}[condition_type]", "eq")
    found = [e for e in entities if name is None or _matches(e.get(name), value, condition)]
    found.sort(key=lambda e: int(e["entity_id"]))
    size = int(query.get("searchCriteria[pageSize]", "20"))
    pages = max(1, -(-len(found) // size))
    page = min(int(query.get("searchCriteria[currentPage]", "1")), pages)  # the trap
    return {
        "items": found[(page - 1) * size : page * size],
        "search_criteria": {"page_size": size, "current_page": page},
        "total_count": len(found),
    }


def _matches(actual: Any, value: str, condition: str) -> bool:
    if condition == "gteq":
        return str(actual) >= value
    return str(actual) == value


def _answer(state: FakeMagento, request: Request) -> Reply:
    if request.path == "/V1/invoices":
        return json_reply(200, _search(state.invoices, request.params))
    if request.path == "/V1/creditmemos":
        return json_reply(200, _search(state.creditmemos, request.params))
    if request.path.startswith("/V1/orders/"):
        order = state.orders.get(request.path.rsplit("/", 1)[1])
        if order is not None:
            return json_reply(200, order)
    message = "The entity that was requested doesn't exist. Verify the entity and try again."
    return json_reply(404, {"message": message})


@contextmanager
def serve_magento(state: FakeMagento) -> Iterator[str]:
    """Run the fake on a free port; yields the REST base URL (``…/rest/default``)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        seen = read_request(handler)
        request = Request(seen.path.removeprefix(PREFIX), seen.query, seen.headers)
        state.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {state.token}":
            message = "The consumer isn't authorized to access %resources."
            resources = {"resources": "Magento_Sales::sales"}
            send(handler, json_reply(401, {"message": message, "parameters": resources}))
            return
        page = int(request.params.get("searchCriteria[currentPage]", "0"))
        pending = state.faults.get((request.path, page), [])
        fault = pending.pop(0) if pending else None
        if fault == "429":
            send(handler, json_reply(429, {"message": "Too many requests"}, {"Retry-After": "7"}))
        elif fault == "drop":
            cut_short(handler, _answer(state, request))
        else:
            send(handler, _answer(state, request))

    with serve(answer, keep_alive=False) as url:
        yield url + PREFIX


# --- entities built from the public samples ------------------------------------------------


def magento_sample(samples: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((samples / "webhooks" / "magento" / name).read_bytes())
    return data


def invoice(
    samples: Path,
    entity_id: int,
    order_id: int,
    *,
    updated_at: str = "2024-03-02 10:00:01",
    sample: str = "api_get_invoice.json",
    state: int = 2,
) -> dict[str, Any]:
    """The sample invoice (165.00: seven priced lines and 5.00 shipping) as invoice
    ``entity_id`` of order ``order_id``."""
    found = copy.deepcopy(magento_sample(samples, sample))
    found.update(
        entity_id=entity_id,
        increment_id=f"{entity_id:09d}",
        order_id=order_id,
        created_at=updated_at,
        updated_at=updated_at,
        state=state,
    )
    return found


def order(order_id: int, method: str = "checkmo", *, currency: str = "USD") -> dict[str, Any]:
    """An order as ``GET /V1/orders/{id}`` shows what an invoice lacks: number, payment."""
    return {
        "entity_id": order_id,
        "increment_id": f"{order_id:09d}",
        "order_currency_code": currency,
        "base_currency_code": "USD",
        "customer_email": "jdoe@example.com",
        "customer_id": 3,
        "state": "processing",
        "payment": {"method": method, "entity_id": order_id, "parent_id": order_id},
        "billing_address": {"country_id": "US", "address_type": "billing"},
    }


def creditmemo(
    samples: Path,
    entity_id: int,
    paid: dict[str, Any],
    *,
    invoice_id: int | None,
    updated_at: str = "2024-03-05 09:30:00",
) -> dict[str, Any]:
    """The credit memo Magento makes for ``api_order_refund_request.json`` against the invoice
    ``paid``: the requested items at their invoiced price, with the request's shipping and
    adjustments. ``invoice_id=None`` is a refund made from the order page (names no invoice)."""
    request = magento_sample(samples, "api_order_refund_request.json")
    args = request["arguments"]
    by_item = {item["order_item_id"]: item for item in paid["items"]}
    items = []
    for wanted in request["items"]:
        source = by_item[wanted["order_item_id"]]
        row = source["price"] * wanted["qty"]
        items.append(
            {
                "entity_id": 100 + wanted["order_item_id"],
                "order_item_id": wanted["order_item_id"],
                "parent_id": entity_id,
                "name": source["name"],
                "sku": source["sku"],
                "price": source["price"],
                "qty": wanted["qty"],
                "row_total": row,
                "tax_amount": 0,
                "discount_amount": 0,
            }
        )
    subtotal = sum(item["row_total"] for item in items)
    grand = (
        subtotal
        + args["shipping_amount"]
        + args["adjustment_positive"]
        - args["adjustment_negative"]
    )
    return {
        "entity_id": entity_id,
        "increment_id": f"{entity_id:09d}",
        "order_id": paid["order_id"],
        "invoice_id": invoice_id,
        "order_currency_code": paid["order_currency_code"],
        "base_currency_code": paid["base_currency_code"],
        "state": 2,
        "creditmemo_status": 2,
        "subtotal": subtotal,
        "shipping_amount": args["shipping_amount"],
        "shipping_tax_amount": 0,
        "tax_amount": 0,
        "discount_amount": 0,
        "adjustment_positive": args["adjustment_positive"],
        "adjustment_negative": args["adjustment_negative"],
        "adjustment": args["adjustment_positive"] - args["adjustment_negative"],
        "grand_total": grand,
        "created_at": updated_at,
        "updated_at": updated_at,
        "items": items,
    }
