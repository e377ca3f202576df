"""Square's REST API as the worker and the history sync read it.

Why it exists: a ``payout.sent``/``payout.paid`` webhook says what reached the bank, not what
it was made of. ``GET /v2/payouts/{payout_id}/payout-entries`` lists every charge, refund, fee
and adjustment the payout settled, with Square's fee on each, which turns the payout's fees
into exact figures (:mod:`.square_payouts`).

Wire format: every request carries ``Authorization: Bearer <access token>`` and
``Square-Version`` (the API version the payload shapes were read against; a connection may set
its own with the ``square_version`` setting). Lists answer ``{"<items>": [...], "cursor": "…"}``
and the next page is asked for with ``cursor=<that value>``; the last page has no cursor, and
an empty result has no list at all. Errors answer ``{"errors": [{"category", "code",
"detail"}]}``. Every call goes through :class:`~ledgerbridge.sync.http.ApiClient`, which retries
429 (honouring ``Retry-After``), 5xx and dropped connections.

Connection settings: ``api_url`` (default ``https://connect.squareup.com``; the sandbox is
``https://connect.squareupsandbox.com``), ``api_token`` (an access token with
PAYMENTS_READ and PAYOUTS_READ), optional ``location_id`` (lists default to the main
location), ``square_version`` and ``fee_source`` (``payments`` or ``payouts``, recorded when
the connection is made; see :func:`.square_objects.fee_source`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ledgerbridge.connectors.base import PayloadInvalid, PlatformUnavailable, dump_json, load_object
from ledgerbridge.connectors.square_objects import fee_source
from ledgerbridge.errors import InvalidInput
from ledgerbridge.sync.http import ApiClient

if TYPE_CHECKING:
    from ledgerbridge.services.connections import OpenConnection

DEFAULT_API_URL = "https://connect.squareup.com"
SQUARE_VERSION = "2025-01-23"
PAGE_SIZE = 100
PAYOUT_TOPICS = frozenset({"payout.sent", "payout.paid"})


def square_client(
    api_url: str | None,
    token: str,
    *,
    settings: Mapping[str, Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ApiClient:
    """An ApiClient for one Square account; raises InvalidInput without a token."""
    if not token:
        raise InvalidInput("a Square access token is required", field="api_token")
    version = (settings or {}).get("square_version") or SQUARE_VERSION
    return ApiClient(
        platform="square",
        base_url=api_url or DEFAULT_API_URL,
        headers={"Authorization": f"Bearer {token}", "Square-Version": str(version)},
        sleep=sleep,
    )


def list_page(
    client: ApiClient, path: str, key: str, params: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a Square list: its items and the cursor of the next page (None: last)."""
    body = client.get_json(path, params=params)
    if not isinstance(body, dict):
        raise PayloadInvalid(f"Square answered {path} with JSON that is not an object")
    items = body.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise PayloadInvalid(f"Square answered {path} without a list of {key}", field=key)
    cursor = body.get("cursor")
    if cursor is not None and (not isinstance(cursor, str) or not cursor):
        raise PayloadInvalid(
            f"Square answered {path} with a cursor that is not text", field="cursor"
        )
    return items, cursor or None


def payout_entries(client: ApiClient, payout_id: str) -> list[dict[str, Any]]:
    """Every entry of a payout, all pages. Raises PlatformUnavailable, PlatformRequestFailed,
    PayloadInvalid."""
    if not payout_id:
        raise InvalidInput("a payout id is required", field="payout_id")
    path = f"/v2/payouts/{payout_id}/payout-entries"
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        items, cursor = list_page(client, path, "payout_entries", params)
        found.extend(items)
        if cursor is None:
            return found
        if cursor in seen:
            raise PlatformUnavailable(f"Square repeated the cursor of {path}; paging stopped")
        seen.add(cursor)


def object_bytes(item: Mapping[str, Any]) -> bytes:
    """One API object as JSON bytes for the inbox. Square money is integer minor units; a
    fraction anywhere else (read as Decimal) is written back as a string, never a float."""

    return dump_json(item, decimals_as_text=True)


def _payout_id(body: bytes) -> str | None:
    try:
        root = load_object(body)
    except PayloadInvalid:
        return None  # parse says what is wrong with it
    data = root.get("data")
    if isinstance(data, dict):
        holder = data.get("object")
        payout = holder.get("payout") if isinstance(holder, dict) else None
        root = payout if isinstance(payout, dict) else {}
    payout_id = root.get("id")
    return payout_id if isinstance(payout_id, str) and payout_id else None


def square_extra(connection: OpenConnection, topic: str, body: bytes) -> Mapping[str, Any]:
    """The ``extra`` a Square delivery is parsed with.

    The connection's ``fee_source`` says whether payments or payouts book the fees, never
    both; with payouts and an API token, a payout's entries are fetched here. Without a token
    they cannot be, and the payout says its fees are not known rather than guessing them.
    """
    token = connection.api_token
    source = fee_source(connection.stored.settings, has_token=bool(token))
    extra: dict[str, Any] = {"fee_source": source}
    fetch = source == "payouts" and token and topic in PAYOUT_TOPICS
    payout_id = _payout_id(body) if fetch else None
    if token and payout_id:
        stored = connection.stored
        with square_client(stored.api_url, token, settings=stored.settings) as client:
            extra["payout_entries"] = payout_entries(client, payout_id)
    return extra
