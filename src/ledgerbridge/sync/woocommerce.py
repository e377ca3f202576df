"""WooCommerce order history from the REST API (``/wp-json/wc/v3``), filed as ``order.updated``.

One stream, ``orders``: ``GET /wp-json/wc/v3/orders?modified_after=…&dates_are_gmt=true&
orderby=modified&order=asc&per_page=100&page=N``. WooCommerce pages by number and says how many
there are in ``X-WP-TotalPages`` (and how many orders in ``X-WP-Total``); the stored cursor is
the next page number. Authentication is the REST API key pair over HTTPS as HTTP basic auth:
the connection's ``api_token`` is ``"ck_…:cs_…"`` (a key with Read permission suffices).

Every order is filed under ``order.updated``, the topic WooCommerce's own webhook carries: the
connector posts by order status (paid, pending, cancelled, refunds listed on the order), so one
topic serves every state. The inbox key is the one the connector gives the same order delivered
by webhook (resource, id, ``date_modified_gmt``, status): an order pulled in a state a webhook
already stored is not stored twice, and a changed order is stored again.

Refunds: an order lists its refunds only as ``{"id", "total"}``, which the connector posts as a
refund of the whole amount with a notice. :func:`refund_detail` fetches
``GET /orders/<id>/refunds`` (exact lines, tax and shipping) as the ``extra`` of such an order,
for webhooks and pulled orders alike; it is a fetcher for the worker's enrichment
(``PLATFORM_FETCHERS["woocommerce"]``).

Paging by number while orders change: an order modified during the sync moves to the last page
and may be missed on this pass; the next sync starts a day before this one began and finds it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from ledgerbridge.connectors.base import PayloadInvalid, load_object
from ledgerbridge.connectors.base import dump_json as json_bytes
from ledgerbridge.connectors.woocommerce import WooCommerceConnector
from ledgerbridge.errors import InvalidInput
from ledgerbridge.services.connections import OpenConnection
from ledgerbridge.sync.base import Page, Pulled, Stream, SyncSource
from ledgerbridge.sync.http import ApiClient

API_PATH = "/wp-json/wc/v3"
PAGE_SIZE = 100
TOPIC = "order.updated"
_CONNECTOR = WooCommerceConnector()


def key_pair(api_token: str, name: str) -> tuple[str, str]:
    """``"ck_…:cs_…"`` → (consumer key, consumer secret)."""
    key, sep, secret = api_token.partition(":")
    if not sep or not key or not secret:
        raise InvalidInput(
            f"connection {name!r}: api_token must be the REST key pair 'ck_…:cs_…'",
            field="api_token",
        )
    return key, secret


def _count(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def order_item(order: Mapping[str, Any]) -> Pulled:
    body = json_bytes(order)
    headers = {"X-WC-Webhook-Topic": TOPIC}
    return Pulled(TOPIC, _CONNECTOR.delivery(body, headers).external_id, body, headers)


class OrdersStream:
    """Every order modified on or after ``since``, oldest modification first."""

    name: ClassVar[str] = "orders"

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        number = int(cursor) if cursor is not None and cursor.isdigit() else 1
        params: dict[str, str | int] = {
            "modified_after": f"{since.isoformat()}T00:00:00",
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": PAGE_SIZE,
            "page": number,
        }
        path = f"{API_PATH}/orders"
        response = client.get(path, params=params)
        orders = client.json_of(response, path)
        if not isinstance(orders, list):
            raise PayloadInvalid("WooCommerce answered without a list of orders", field="body")
        items = []
        for index, order in enumerate(orders):
            if not isinstance(order, dict):
                raise PayloadInvalid(f"[{index}]: expected an order object", field=f"[{index}]")
            items.append(order_item(order))
        pages = _count(response.headers, "x-wp-totalpages")
        more = number < pages if pages is not None else len(orders) == PAGE_SIZE
        return Page(
            tuple(items),
            str(number + 1) if more else None,
            total=_count(response.headers, "x-wp-total"),
        )


class WooCommercePuller:
    """WooCommerce history: ``api_url`` is the store (``https://shop.example``)."""

    platform: ClassVar[str] = "woocommerce"

    def client(self, source: SyncSource, *, sleep: Callable[[float], None]) -> ApiClient:
        if not source.api_url:
            raise InvalidInput(
                f"connection {source.name!r} needs api_url, the store's address", field="api_url"
            )
        return ApiClient(
            platform="woocommerce",
            base_url=source.api_url,
            auth=key_pair(source.api_token, source.name),
            sleep=sleep,
        )

    def streams(self, source: SyncSource) -> Sequence[Stream]:
        return (OrdersStream(),)


def refund_detail(connection: OpenConnection, topic: str, body: bytes) -> Mapping[str, Any]:
    """``{"refunds": [...]}`` from ``GET /orders/<id>/refunds`` for an order that lists refunds,
    so the connector posts their lines and tax instead of one lump; ``{}`` without API access
    or refunds. Raises PlatformUnavailable / PlatformRequestFailed (the worker retries)."""
    if not topic.startswith("order.") or not connection.api_token or not connection.stored.api_url:
        return {}
    try:
        order = load_object(body)
    except PayloadInvalid:
        return {}  # parse says what is wrong with it
    if not order.get("refunds") or order.get("id") in (None, ""):
        return {}
    # Two attempts: the worker, not this fetch, waits out a longer outage (it retries the event).
    with ApiClient(
        platform="woocommerce",
        base_url=connection.stored.api_url,
        auth=key_pair(connection.api_token, connection.name),
        max_attempts=2,
    ) as client:
        path = f"{API_PATH}/orders/{order['id']}/refunds"
        refunds = client.get_json(path, params={"per_page": PAGE_SIZE})
    if not isinstance(refunds, list):
        raise PayloadInvalid("WooCommerce answered without a list of refunds", field="body")
    return {"refunds": refunds}
