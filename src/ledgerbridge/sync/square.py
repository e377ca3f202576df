"""Square history from the REST API: payments, refunds and payouts, as bare API objects.

Each stream lists with ``begin_time`` (``since`` at 00:00 UTC, RFC 3339) and
``sort_order=ASC``, and pages with Square's ``cursor`` (the stored cursor; the same query
travels with every page, as Square requires). The client (:mod:`ledgerbridge.connectors.square_api`)
sends the access token as a bearer token and a ``Square-Version``; a connection's
``location_id`` setting narrows every list to one location (Square's default is the main one).

The connector parses a bare object under the topic a webhook about it would carry, so a pulled
resource posts exactly what its webhook posts, under the same keys:

===============================  ===========================================================
``GET /v2/payments``             COMPLETED payments as ``payment.updated`` → OrderPaid keyed
                                 on the payment id (and its Fees without payout entries)
``GET /v2/refunds``              COMPLETED refunds as ``refund.updated`` → Refund
``GET /v2/payouts``              SENT/PAID payouts as ``payout.sent``/``payout.paid`` → Payout
                                 (the worker fetches the payout's entries for exact fees)
===============================  ===========================================================

Payments and refunds that are not COMPLETED are not filed: they post nothing yet. The inbox key
of a payment or refund carries its ``updated_at``, so a fee Square adjusts later is stored again
and its new Fee posts; the sale itself is keyed on the payment and posts once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ledgerbridge.connectors.base import PayloadInvalid
from ledgerbridge.connectors.square_api import (
    DEFAULT_API_URL,
    PAGE_SIZE,
    list_page,
    object_bytes,
    square_client,
)
from ledgerbridge.sync.base import Page, Pulled, Stream, SyncSource
from ledgerbridge.sync.http import ApiClient


def rfc3339_midnight(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _text(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadInvalid(f"{path}.{key}: is required", field=f"{path}.{key}")
    return value


def payment_item(payment: Mapping[str, Any], path: str) -> Pulled | None:
    payment_id = _text(payment, "id", path)
    if payment.get("status") != "COMPLETED":
        return None
    version = payment.get("updated_at") or ""
    key = f"api:payment.updated:{payment_id}:{version}"
    return Pulled("payment.updated", key, object_bytes(payment))


def refund_item(refund: Mapping[str, Any], path: str) -> Pulled | None:
    refund_id = _text(refund, "id", path)
    if refund.get("status") != "COMPLETED":
        return None
    version = refund.get("updated_at") or ""
    return Pulled(
        "refund.updated", f"api:refund.updated:{refund_id}:{version}", object_bytes(refund)
    )


def payout_item(payout: Mapping[str, Any], path: str) -> Pulled | None:
    payout_id = _text(payout, "id", path)
    status = payout.get("status")
    if status not in ("SENT", "PAID"):
        return None
    topic = f"payout.{str(status).lower()}"
    return Pulled(topic, f"api:{topic}:{payout_id}", object_bytes(payout))


@dataclass(frozen=True, slots=True)
class SquareStream:
    """One Square list endpoint, paged by cursor."""

    name: str
    path: str
    key: str
    """The list's key in the answer (``payments``, ``refunds``, ``payouts``)."""
    item: Callable[[Mapping[str, Any], str], Pulled | None]
    location_id: str | None = None

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        params: dict[str, Any] = {
            "begin_time": rfc3339_midnight(since),
            "sort_order": "ASC",
            "limit": PAGE_SIZE,
        }
        if self.location_id:
            params["location_id"] = self.location_id
        if cursor:
            params["cursor"] = cursor
        objects, following = list_page(client, self.path, self.key, params)
        pulled = (self.item(obj, f"{self.key}[{index}]") for index, obj in enumerate(objects))
        return Page(tuple(item for item in pulled if item is not None), following)


class SquarePuller:
    """Square payments, refunds and payouts; see the module docstring."""

    platform: ClassVar[str] = "square"

    def client(self, source: SyncSource, *, sleep: Callable[[float], None]) -> ApiClient:
        return square_client(
            source.api_url or DEFAULT_API_URL,
            source.api_token,
            settings=source.settings,
            sleep=sleep,
        )

    def streams(self, source: SyncSource) -> Sequence[Stream]:
        location = source.settings.get("location_id")
        where = location if isinstance(location, str) and location else None
        return (
            SquareStream("payments", "/v2/payments", "payments", payment_item, where),
            SquareStream("refunds", "/v2/refunds", "refunds", refund_item, where),
            SquareStream("payouts", "/v2/payouts", "payouts", payout_item, where),
        )
