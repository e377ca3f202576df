"""A small Magento 2 REST client: invoices, credit memos, and the orders they belong to.

``api_url`` is the store's REST base including the store code, e.g.
``https://shop.example.com/rest/default``; ``api_token`` is an integration's access token (or
an admin token), sent as ``Authorization: Bearer <token>``.

Lists use Magento's ``searchCriteria`` query syntax; what we ask for is "updated on or after
``since``, by ``entity_id`` ascending, ``page_size`` per page"::

    searchCriteria[filter_groups][0][filters][0][field]=updated_at
    searchCriteria[filter_groups][0][filters][0][value]=2024-01-01 00:00:00
    searchCriteria[filter_groups][0][filters][0][condition_type]=gteq
    searchCriteria[sortOrders][0][field]=entity_id
    searchCriteria[sortOrders][0][direction]=ASC
    searchCriteria[pageSize]=100
    searchCriteria[currentPage]=1

and the answer is ``{"items": […], "search_criteria": {…}, "total_count": T}``. **Trap:** asked
for a ``currentPage`` past the end, Magento answers with the last page again instead of an empty
one, so the end is where ``currentPage × pageSize`` reaches ``total_count``, never "an empty
page". Sorting by ``entity_id`` keeps pages stable while new entities are added at the end.

Every request goes through :class:`~ledgerbridge.sync.http.ApiClient` (429 with Retry-After,
5xx and dropped connections are retried). Magento's error body is ``{"message": "…%1…",
"parameters": […]}``; a refusal is re-raised with the placeholders filled in.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ledgerbridge.connectors.base import (
    PayloadInvalid,
    PlatformRequestFailed,
    dump_json,
    load_json,
)
from ledgerbridge.errors import InvalidInput
from ledgerbridge.sync.http import ApiClient

PAGE_SIZE = 100
_FILTER = "searchCriteria[filter_groups][0][filters][0]"
_BODY = re.compile(r"\(\d{3}\): (.*)$", re.DOTALL)


def magento_client(
    api_url: str, token: str, *, sleep: Callable[[float], None] = time.sleep
) -> ApiClient:
    """An ApiClient for one store's REST API, authenticated with a bearer token."""
    if not api_url:
        raise InvalidInput("a Magento REST URL is required (…/rest/<store code>)", field="api_url")
    if not token:
        raise InvalidInput("a Magento access token is required", field="api_token")
    return ApiClient(
        platform="magento",
        base_url=api_url,
        headers={"Authorization": f"Bearer {token}"},
        sleep=sleep,
    )


def search_params(
    *, field: str, value: str, condition: str, page: int = 1, page_size: int = PAGE_SIZE
) -> dict[str, str]:
    """One filter, sorted by entity_id ascending, one page."""
    return {
        f"{_FILTER}[field]": field,
        f"{_FILTER}[value]": value,
        f"{_FILTER}[condition_type]": condition,
        "searchCriteria[sortOrders][0][field]": "entity_id",
        "searchCriteria[sortOrders][0][direction]": "ASC",
        "searchCriteria[pageSize]": str(page_size),
        "searchCriteria[currentPage]": str(page),
    }


def magento_time(day: dt.date) -> str:
    """Magento's filter format for the start of ``day`` (its timestamps are UTC)."""
    return f"{day.isoformat()} 00:00:00"


def error_message(text: str) -> str:
    """Magento's ``{"message", "parameters"}`` as one sentence; the text itself otherwise."""
    try:
        body = load_json(text.encode("utf-8"))
    except PayloadInvalid:
        return text
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return text
    message: str = body["message"]
    parameters = body.get("parameters")
    if isinstance(parameters, list):
        for index, value in reversed(list(enumerate(parameters, start=1))):
            message = message.replace(f"%{index}", str(value))
    elif isinstance(parameters, dict):
        for name, value in parameters.items():
            message = message.replace(f"%{name}", str(value))
    return message


@dataclass(frozen=True, slots=True)
class SearchPage:
    items: tuple[dict[str, Any], ...]
    total_count: int
    page: int
    page_size: int

    @property
    def last(self) -> bool:
        """True when no page follows (see the module docstring's trap)."""
        return not self.items or self.page * self.page_size >= self.total_count


class MagentoApi:
    """Reads over one ApiClient; orders and an order's invoice ids are cached for its life
    (one sync, or one webhook's enrichment)."""

    def __init__(self, client: ApiClient, *, page_size: int = PAGE_SIZE) -> None:
        self.client = client
        self.page_size = page_size
        self._orders: dict[str, dict[str, Any]] = {}
        self._invoice_ids: dict[str, list[str]] = {}

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        try:
            body = self.client.get_json(path, params=params)
        except PlatformRequestFailed as exc:
            found = _BODY.search(exc.message)
            said = error_message(found.group(1)) if found else exc.message
            raise PlatformRequestFailed(
                f"Magento refused GET {path} ({exc.status}): {said}", status=exc.status
            ) from None
        if not isinstance(body, dict):
            raise PayloadInvalid(f"Magento answered {path} with JSON that is not an object")
        return body

    def search(self, resource: str, *, since: dt.date, page: int) -> SearchPage:
        """One page of ``GET /V1/<resource>`` updated on or after ``since``."""
        params = search_params(
            field="updated_at",
            value=magento_time(since),
            condition="gteq",
            page=page,
            page_size=self.page_size,
        )
        return self._page(f"/V1/{resource}", params, page)

    def _page(self, path: str, params: Mapping[str, str], page: int) -> SearchPage:
        body = self._get(path, params)
        items = body.get("items") or []
        total = body.get("total_count")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise PayloadInvalid(f"Magento answered {path} without a list of items", field="items")
        if isinstance(total, bool) or not isinstance(total, int):
            raise PayloadInvalid(
                f"Magento answered {path} without total_count", field="total_count"
            )
        return SearchPage(tuple(items), total, page, self.page_size)

    def order(self, order_id: str) -> dict[str, Any]:
        """``GET /V1/orders/{id}`` (entity id), once per id."""
        if order_id not in self._orders:
            self._orders[order_id] = self._get(f"/V1/orders/{order_id}")
        return self._orders[order_id]

    def invoice_ids(self, order_id: str) -> list[str]:
        """The entity ids of an order's invoices, oldest first, once per order."""
        if order_id not in self._invoice_ids:
            found: list[str] = []
            page = 1
            while True:
                params = search_params(
                    field="order_id",
                    value=order_id,
                    condition="eq",
                    page=page,
                    page_size=self.page_size,
                )
                listed = self._page("/V1/invoices", params, page)
                found += [str(i["entity_id"]) for i in listed.items if "entity_id" in i]
                if listed.last:
                    break
                page += 1
            self._invoice_ids[order_id] = found
        return self._invoice_ids[order_id]


exact_json = dump_json
