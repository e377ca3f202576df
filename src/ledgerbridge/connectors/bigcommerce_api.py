"""The BigCommerce REST API: the order detail a webhook leaves out, and the history a sync pages.

A BigCommerce webhook names an order and nothing more, so before one can be posted the worker
reads (``api_url`` = ``https://api.bigcommerce.com/stores/{store_hash}``, header
``X-Auth-Token: <api_token>``):

* ``GET /v2/orders/{id}`` — totals, status, tenders, currency;
* ``GET /v2/orders/{id}/products`` and ``/v2/orders/{id}/taxes`` — lines and tax rows
  (v2 lists page with ``page``/``limit`` and answer **204 No Content** when there is nothing);
* for refunds, ``GET /v3/orders/{id}/payment_actions/refunds`` (``{"data": [...]}``).

Every call goes through :class:`BigCommerceClient`, the shared
:class:`~ledgerbridge.sync.http.ApiClient` with one BigCommerce manner added: a 429 says how
long to wait in ``X-Rate-Limit-Time-Reset-Ms`` rather than ``Retry-After``, so that header is
read as the wait (milliseconds → seconds) when ``Retry-After`` is absent. 5xx and dropped
connections are retried by the ApiClient; 401/403/404 fail at once.

Without an API token nothing can be posted from a BigCommerce webhook: :func:`fetch_extra`
raises :class:`ApiTokenMissing`, which is permanent, so the event goes to the dead-letter queue
naming what is missing; once a token is set it can be replayed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from ledgerbridge.connectors.base import (
    PayloadInvalid,
    PlatformUnavailable,
    load_object,
)
from ledgerbridge.connectors.bigcommerce import ORDER_TOPICS, REFUND_TOPIC
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.sync.http import ApiClient

if TYPE_CHECKING:
    from ledgerbridge.services.connections import OpenConnection

PLATFORM = "bigcommerce"
RATE_RESET_HEADER = "x-rate-limit-time-reset-ms"
PAGE_SIZE = 250


class ApiTokenMissing(LedgerBridgeError):
    """A BigCommerce delivery cannot be posted without reading the order from the API."""

    code = "api_token_missing"
    retryable: ClassVar[bool] = False


def _reset_as_retry_after(response: httpx.Response) -> None:
    """On a 429 without Retry-After, turn BigCommerce's reset window into one (seconds)."""
    if response.status_code != 429 or "retry-after" in response.headers:
        return
    value = response.headers.get(RATE_RESET_HEADER, "")
    try:
        millis = float(value)
    except ValueError:
        return
    if math.isfinite(millis) and millis >= 0:
        response.headers["Retry-After"] = f"{millis / 1000:.3f}"


class BigCommerceClient(ApiClient):
    """ApiClient for one store: base URL, ``X-Auth-Token``, and BigCommerce's 429 header."""

    def __init__(
        self, api_url: str, token: str, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        super().__init__(
            platform=PLATFORM, base_url=api_url, headers={"X-Auth-Token": token}, sleep=sleep
        )
        self._client.event_hooks["response"].append(_reset_as_retry_after)

    def json_or_empty(self, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET JSON; a 204 (BigCommerce v2's "nothing here") is an empty list."""
        response = self.get(url, params=params)
        if response.status_code == 204 or not response.content.strip():
            return []
        return self.json_of(response, url)

    def v2_list(self, url: str, *, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Every item of a v2 list, page by page until a short page or a 204."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            items = self.json_or_empty(url, params={"page": page, "limit": page_size})
            if not isinstance(items, list):
                raise PlatformUnavailable(f"BigCommerce answered {url} without a list")
            found += [item for item in items if isinstance(item, dict)]
            if len(items) < page_size:
                return found
            page += 1

    def order(self, order_id: str) -> dict[str, Any]:
        body = self.json_or_empty(f"/v2/orders/{order_id}")
        if not isinstance(body, dict):
            raise PlatformUnavailable(f"BigCommerce answered order {order_id} without an object")
        return body

    def order_detail(self, order_id: str, order: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``{"order", "products", "taxes"}``: what the connector parses an order from."""
        return {
            "order": dict(order) if order is not None else self.order(order_id),
            "products": self.v2_list(f"/v2/orders/{order_id}/products"),
            "taxes": self.v2_list(f"/v2/orders/{order_id}/taxes"),
        }

    def order_refunds(self, order_id: str) -> list[dict[str, Any]]:
        body = self.json_or_empty(f"/v3/orders/{order_id}/payment_actions/refunds")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise PlatformUnavailable(f"BigCommerce listed order {order_id}'s refunds without data")
        return [item for item in data if isinstance(item, dict)]


def _webhook(body: bytes) -> tuple[str, str | None] | None:
    """(order id, refund id) of a webhook body; None for a pulled resource (already whole)."""
    try:
        root = load_object(body)
    except PayloadInvalid:
        return None  # parse will say what is wrong with it
    data = root.get("data")
    if "scope" not in root or not isinstance(data, dict) or data.get("id") is None:
        return None
    refund = data.get("refund")
    refund_id = refund.get("refund_id") if isinstance(refund, dict) else None
    return str(data["id"]), None if refund_id is None else str(refund_id)


def fetch_extra(connection: OpenConnection, topic: str, body: bytes) -> Mapping[str, Any]:
    """The order (and refunds) a BigCommerce webhook is about, read from the API.

    Raises ApiTokenMissing (permanent), PlatformUnavailable (retry: also when a refund the
    webhook names is not listed yet), PlatformRequestFailed.
    """
    if topic not in ORDER_TOPICS and topic != REFUND_TOPIC:
        return {}
    subject = _webhook(body)
    if subject is None:
        return {}
    order_id, refund_id = subject
    if not connection.api_token or not connection.stored.api_url:
        missing = "API token" if not connection.api_token else "API URL"
        raise ApiTokenMissing(
            f"BigCommerce connection {connection.name!r} has no {missing}: the webhook names only "
            f"order {order_id}, which must be read from the API to be posted. Set the "
            "connection's api_url (https://api.bigcommerce.com/stores/<store_hash>) and "
            "api_token (an API account's access token), then replay this event.",
            field="api_token" if not connection.api_token else "api_url",
        )
    with BigCommerceClient(connection.stored.api_url, connection.api_token) as client:
        if topic != REFUND_TOPIC:
            return client.order_detail(order_id)
        refunds = client.order_refunds(order_id)
        if refund_id is not None and not any(str(r.get("id")) == refund_id for r in refunds):
            raise PlatformUnavailable(
                f"BigCommerce does not list refund {refund_id} of order {order_id} yet",
                retry_after=60.0,
            )
        return {"order": client.order(order_id), "refunds": refunds}
