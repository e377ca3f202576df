"""Shopify order history from the Admin REST API, filed under the webhook topics it replaces.

One stream, ``orders``: ``GET /admin/api/2024-10/orders.json?status=any&updated_at_min=…&
limit=250&order=updated_at asc``, then the ``Link: <…page_info=…>; rel="next"`` header. Shopify's
cursor rule: a request with ``page_info`` may repeat no other parameter except ``limit`` (the
filter and order travel inside the cursor), so the stored cursor is the ``page_info`` value alone.
Authentication is the app's Admin API access token in ``X-Shopify-Access-Token``; the scope
``read_orders`` (and ``read_all_orders`` for orders older than 60 days).

Each order becomes what its webhooks would have posted (see
:mod:`ledgerbridge.connectors.shopify`):

==============================  =================================================================
financial_status paid,          ``orders/paid`` → OrderPaid, also when cancelled afterwards: a
partially_refunded, refunded    paid order's money goes back through its refunds, never the
                                cancellation
pending, authorized,            ``orders/create`` → OrderPending
partially_paid
cancelled and not paid          ``orders/create`` then ``orders/cancelled``, so a pending booking
                                is reversed exactly as the two webhooks would have done
voided, expired                 ``orders/create`` (posts nothing; the connector says why)
each of ``order["refunds"]``    ``refunds/create`` with the refund object → Refund
==============================  =================================================================

Inbox keys are ``api:<topic>:<id>``; ``orders/create`` adds the financial status, so an order
pulled while authorised and again once voided is stored in each state. The entries themselves
are keyed on the order and refund ids (the same as the webhooks'), so an order that also
arrived by webhook posts once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from ledgerbridge.connectors.base import PayloadInvalid
from ledgerbridge.connectors.base import dump_json as json_bytes
from ledgerbridge.connectors.shopify import PAID_STATUSES, REFUND_TOPIC
from ledgerbridge.connectors.shopify_api import API_VERSION
from ledgerbridge.errors import InvalidInput
from ledgerbridge.sync.base import Page, Pulled, Stream, SyncSource
from ledgerbridge.sync.http import ApiClient

PAGE_SIZE = 250
ORDERS_PATH = f"/admin/api/{API_VERSION}/orders.json"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_page_info(link: str | None) -> str | None:
    """The ``page_info`` of the ``rel="next"`` URL in a ``Link`` header; None on the last page."""
    for part in (link or "").split(","):
        match = _NEXT.search(part)
        if match:
            values = parse_qs(urlsplit(match.group(1)).query).get("page_info")
            return values[0] if values else None
    return None


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def order_items(order: Mapping[str, Any], path: str) -> list[Pulled]:
    """The webhook deliveries an order stands for, in the order they should post."""
    order_id = _text(order.get("id"))
    if order_id is None:
        raise PayloadInvalid(f"{path}.id: is required", field=f"{path}.id")
    status = _text(order.get("financial_status")) or ""
    body = json_bytes({"order": order})
    items: list[Pulled] = []
    if status in PAID_STATUSES:
        items.append(Pulled("orders/paid", f"api:orders/paid:{order_id}", body))
    else:
        key = f"api:orders/create:{order_id}:{status}"
        items.append(Pulled("orders/create", key, body))
        if order.get("cancelled_at"):
            items.append(Pulled("orders/cancelled", f"api:orders/cancelled:{order_id}", body))
    refunds = order.get("refunds") or []
    if not isinstance(refunds, list):
        raise PayloadInvalid(f"{path}.refunds: expected a list", field=f"{path}.refunds")
    for index, refund in enumerate(refunds):
        refund_id = _text(refund.get("id")) if isinstance(refund, dict) else None
        if refund_id is None:
            where = f"{path}.refunds[{index}].id"
            raise PayloadInvalid(f"{where}: is required", field=where)
        items.append(
            Pulled(REFUND_TOPIC, f"api:{REFUND_TOPIC}:{refund_id}", json_bytes({"refund": refund}))
        )
    return items


class OrdersStream:
    """Every order updated on or after ``since``, oldest update first, with its refunds."""

    name: ClassVar[str] = "orders"

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        params: dict[str, str | int]
        if cursor is None:
            params = {
                "status": "any",
                "updated_at_min": f"{since.isoformat()}T00:00:00Z",
                "limit": PAGE_SIZE,
                "order": "updated_at asc",
            }
        else:
            params = {"limit": PAGE_SIZE, "page_info": cursor}
        response = client.get(ORDERS_PATH, params=params)
        listing = client.json_of(response, ORDERS_PATH)
        orders = listing.get("orders") if isinstance(listing, dict) else None
        if not isinstance(orders, list):
            raise PayloadInvalid("Shopify answered without a list of orders", field="orders")
        items: list[Pulled] = []
        for index, order in enumerate(orders):
            if not isinstance(order, dict):
                raise PayloadInvalid(
                    f"orders[{index}]: expected an object", field=f"orders[{index}]"
                )
            items += order_items(order, f"orders[{index}]")
        return Page(tuple(items), next_page_info(response.headers.get("link")))


class ShopifyPuller:
    """Shopify history: ``api_url`` is ``https://{shop}.myshopify.com``, ``api_token`` the
    Admin API access token."""

    platform: ClassVar[str] = "shopify"

    def client(self, source: SyncSource, *, sleep: Callable[[float], None]) -> ApiClient:
        if not source.api_url:
            raise InvalidInput(
                f"connection {source.name!r} needs api_url https://<shop>.myshopify.com",
                field="api_url",
            )
        return ApiClient(
            platform="shopify",
            base_url=source.api_url,
            headers={"X-Shopify-Access-Token": source.api_token},
            sleep=sleep,
        )

    def streams(self, source: SyncSource) -> Sequence[Stream]:
        return (OrdersStream(),)
