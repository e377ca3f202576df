"""BigCommerce history: orders and refunds, paged into the inbox under webhook topics.

Two streams, orders first so every refund finds its order booked:

* ``orders`` — ``GET /v2/orders?min_date_modified=<since>&sort=date_modified:asc&page=N&
  limit=250``. v2 pages by number and answers **204 No Content** past the last page; a short
  page is the last one too. Each order is filed under ``store/order/updated`` with the body
  ``{"order": {…}, "products": […], "taxes": […]}`` (its ``/products`` and ``/taxes`` read as
  the webhook fetcher reads them), which :class:`~ledgerbridge.connectors.bigcommerce.
  BigCommerceConnector` parses exactly like a webhook plus its fetched detail. The inbox key is
  ``api:store/order/updated:<id>:<date_modified>``: an order that changed (paid, cancelled)
  since the last sync is stored again and posts its new event; an unchanged one adds nothing.
* ``refunds`` — ``GET /v3/orders/payment_actions/refunds?created:min=<since>&page=N&limit=250``
  with ``meta.pagination``. A refund names neither currency nor gateway, so each is filed with
  its order: ``{"order": {…}, "refund": {…}}`` under ``store/order/refund/created``, key
  ``api:store/order/refund/created:<refund id>``.

Events carry the platform's ids (order id, refund id), the same as a webhook's, so a backfilled
order and a webhook about it post once. Numbers with a fraction in the API's JSON are written
into the composed body as exact decimal strings.

Page numbers are the cursor; an order modified while a sync runs may move to a later page and
be read twice, which the inbox key absorbs. Rate limits: see
:class:`~ledgerbridge.connectors.bigcommerce_api.BigCommerceClient`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ledgerbridge.connectors.base import PayloadInvalid, dump_json
from ledgerbridge.connectors.bigcommerce_api import PAGE_SIZE, BigCommerceClient
from ledgerbridge.sync.base import Page, Pulled, Stream, SyncSource
from ledgerbridge.sync.http import ApiClient

ORDER_TOPIC = "store/order/updated"
REFUND_TOPIC = "store/order/refund/created"


def compose(parts: dict[str, Any]) -> bytes:
    """The pulled body: JSON, with API decimals kept exact (as strings)."""
    return dump_json(parts, decimals_as_text=True)


def _client(client: ApiClient) -> BigCommerceClient:
    if not isinstance(client, BigCommerceClient):
        raise TypeError("BigCommerce streams need the client of BigCommercePuller.client")
    return client


def _page_number(cursor: str | None) -> int:
    try:
        return max(int(cursor), 1) if cursor else 1
    except ValueError:
        raise PayloadInvalid(
            f"{cursor!r} is not a BigCommerce page number", field="cursor"
        ) from None


@dataclass(frozen=True, slots=True)
class OrdersStream:
    page_size: int = PAGE_SIZE
    name: ClassVar[str] = "orders"

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        api = _client(client)
        number = _page_number(cursor)
        orders = api.json_or_empty(
            "/v2/orders",
            params={
                "min_date_modified": since.isoformat(),
                "sort": "date_modified:asc",
                "page": number,
                "limit": self.page_size,
            },
        )
        if not isinstance(orders, list):
            raise PayloadInvalid("BigCommerce listed orders without a list", field="body")
        items = []
        for index, order in enumerate(orders):
            if not isinstance(order, dict) or order.get("id") is None:
                raise PayloadInvalid("an order without an id", field=f"[{index}].id")
            order_id = str(order["id"])
            detail = api.order_detail(order_id, order)
            version = str(order.get("date_modified") or "")
            items.append(
                Pulled(ORDER_TOPIC, f"api:{ORDER_TOPIC}:{order_id}:{version}", compose(detail))
            )
        more = len(orders) >= self.page_size
        return Page(tuple(items), str(number + 1) if more else None)


@dataclass(frozen=True, slots=True)
class RefundsStream:
    page_size: int = PAGE_SIZE
    name: ClassVar[str] = "refunds"

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        api = _client(client)
        number = _page_number(cursor)
        body = api.json_or_empty(
            "/v3/orders/payment_actions/refunds",
            params={
                "created:min": f"{since.isoformat()}T00:00:00Z",
                "page": number,
                "limit": self.page_size,
            },
        )
        if body == []:
            return Page((), None)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise PayloadInvalid("BigCommerce listed refunds without data", field="data")
        orders: dict[str, dict[str, Any]] = {}
        items = []
        for index, refund in enumerate(data):
            if not isinstance(refund, dict) or refund.get("order_id") is None:
                raise PayloadInvalid("a refund without an order_id", field=f"data[{index}]")
            order_id = str(refund["order_id"])
            if order_id not in orders:
                orders[order_id] = api.order(order_id)
            items.append(
                Pulled(
                    REFUND_TOPIC,
                    f"api:{REFUND_TOPIC}:{refund.get('id')}",
                    compose({"order": orders[order_id], "refund": refund}),
                )
            )
        pagination = _pagination(body)
        current, pages = pagination.get("current_page"), pagination.get("total_pages")
        more = (
            isinstance(current, int) and isinstance(pages, int) and current < pages
            if pagination
            else len(data) >= self.page_size
        )
        count = pagination.get("total")
        return Page(
            tuple(items),
            str(number + 1) if more else None,
            count if isinstance(count, int) else None,
        )


def _pagination(body: Any) -> dict[str, Any]:
    meta = body.get("meta") if isinstance(body, dict) else None
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    return pagination if isinstance(pagination, dict) else {}


@dataclass(frozen=True, slots=True)
class BigCommercePuller:
    """Orders then refunds of one BigCommerce store; ``page_size`` is BigCommerce's maximum
    (250) unless a test wants more pages."""

    page_size: int = PAGE_SIZE
    platform: ClassVar[str] = "bigcommerce"

    def client(self, source: SyncSource, *, sleep: Callable[[float], None]) -> ApiClient:
        return BigCommerceClient(source.api_url, source.api_token, sleep=sleep)

    def streams(self, source: SyncSource) -> Sequence[Stream]:
        return (OrdersStream(self.page_size), RefundsStream(self.page_size))
