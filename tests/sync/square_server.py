"""A Square REST API on 127.0.0.1 that lists and pages the way Square does.

Square's rules it enforces, so a client that breaks them fails here as it would in production:

* ``Authorization: Bearer <token>`` must be the account's access token, and every request
  must name a ``Square-Version``; otherwise 401 / 400 in Square's error format
  ``{"errors": [{"category", "code", "detail"}]}``;
* lists answer ``{"<items>": [...], "cursor": "…"}``; the next page is asked for with
  ``cursor=`` and the *same* query as the first page (a changed query is refused with 400, as
  Square refuses it); the last page has no cursor, and an empty list has no key at all;
* ``begin_time`` filters on ``created_at`` and ``sort_order=ASC`` is honoured;
* a throttled request gets 429 with ``Retry-After`` in the same error format.

:func:`square_api` serves the data as a :class:`fake_http.FakeApi`, so misbehaviour is scripted
by request number (``"throttle"``; ``"cut"`` starts the answer and closes the socket half-way
through its body).
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .fake_http import FakeApi, Reply, Request, json_reply

TOKEN = "EAAAsquare_test_token"
RETRY_AFTER = "7"


def error(
    status: int, category: str, code: str, detail: str, headers: dict[str, str] | None = None
) -> Reply:
    return json_reply(
        status, {"errors": [{"category": category, "code": code, "detail": detail}]}, headers
    )


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class SquareData:
    """What the account holds."""

    payments: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    payouts: list[dict[str, Any]] = field(default_factory=list)
    entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Payout id → its payout entries."""
    page_size: int = 3
    """Items per page, whatever ``limit`` asks, so a few items make several pages."""

    def route(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return error(
                401,
                "AUTHENTICATION_ERROR",
                "UNAUTHORIZED",
                "This request could not be authorized.",
            )
        if not request.headers.get("square-version"):
            return error(
                400, "INVALID_REQUEST_ERROR", "MISSING_REQUIRED_PARAMETER", "Square-Version"
            )
        lists = {
            "/v2/payments": ("payments", self.payments),
            "/v2/refunds": ("refunds", self.refunds),
            "/v2/payouts": ("payouts", self.payouts),
        }
        if request.path in lists:
            key, items = lists[request.path]
            return self._page(request, key, _listed(items, request.params))
        parts = request.path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["v2", "payouts"] and parts[3] == "payout-entries":
            if parts[2] not in self.entries:
                return error(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", f"Payout {parts[2]}")
            return self._page(request, "payout_entries", self.entries[parts[2]])
        return error(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", f"No route {request.path}")

    def _page(self, request: Request, key: str, items: list[dict[str, Any]]) -> Reply:
        query = {k: v for k, v in request.params.items() if k != "cursor"}
        offset = 0
        if "cursor" in request.params:
            offset, first_query = json.loads(base64.urlsafe_b64decode(request.params["cursor"]))
            if first_query != query:
                return error(
                    400,
                    "INVALID_REQUEST_ERROR",
                    "INVALID_CURSOR",
                    "The cursor was issued for a different query.",
                )
        page = items[offset : offset + self.page_size]
        body: dict[str, Any] = {key: page} if page else {}
        if offset + self.page_size < len(items):
            body["cursor"] = base64.urlsafe_b64encode(
                json.dumps([offset + self.page_size, query]).encode()
            ).decode()
        return json_reply(200, body)


def square_api(data: SquareData) -> FakeApi:
    """Serve ``data``; a throttled request is told to come back after ``RETRY_AFTER`` seconds."""
    throttled = error(
        429,
        "RATE_LIMIT_ERROR",
        "RATE_LIMITED",
        "Too many requests.",
        {"Retry-After": RETRY_AFTER},
    )
    return FakeApi(data.route, throttled)


def _listed(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """Square's filters: ``begin_time`` on ``created_at``, ``sort_order`` (default DESC)."""
    begin = query.get("begin_time")
    chosen = [i for i in items if begin is None or _utc(i["created_at"]) >= _utc(begin)]
    return sorted(
        chosen,
        key=lambda i: _utc(i["created_at"]),
        reverse=query.get("sort_order", "DESC") != "ASC",
    )


# --- Square objects in the shapes of the public samples ------------------------------------

SQUARE_SAMPLES = "webhooks/square"


def sample_object(samples: Path, name: str, *keys: str) -> dict[str, Any]:
    """The object at ``keys`` inside a Square sample file (``data``/``object``/``payment``)."""
    found: Any = json.loads((samples / SQUARE_SAMPLES / name).read_text())
    for key in keys:
        found = found[key]
    return copy.deepcopy(found)


def usd(minor: int, key: str = "currency") -> dict[str, Any]:
    return {"amount": minor, key: "USD"}


def payment(
    samples: Path,
    payment_id: str,
    amount: int,
    *,
    fee: int | None = None,
    created: str = "2024-03-01T10:00:00.000Z",
    status: str = "COMPLETED",
) -> dict[str, Any]:
    """A card payment like ``api_get_payment_response.json``, with its own id and figures."""
    p = sample_object(samples, "api_get_payment_response.json", "payment")
    p.update(
        id=payment_id,
        order_id=f"order-{payment_id}",
        status=status,
        created_at=created,
        updated_at=created,
        amount_money=usd(amount),
        approved_money=usd(amount),
        total_money=usd(amount),
        receipt_number=payment_id[:4],
    )
    p["processing_fee"] = (
        [{"amount_money": usd(fee), "effective_at": created, "type": "INITIAL"}] if fee else []
    )
    return p


def refund(
    samples: Path,
    refund_id: str,
    payment_id: str,
    amount: int,
    *,
    fee_returned: int | None = None,
    created: str = "2024-03-02T10:00:00.000Z",
    status: str = "COMPLETED",
) -> dict[str, Any]:
    """A refund like the one in ``event_refund_updated.json``; ``order_id`` is Square's return
    order, never the payment's order."""
    r = sample_object(samples, "event_refund_updated.json", "data", "object", "refund")
    r.update(
        id=refund_id,
        payment_id=payment_id,
        order_id=f"return-order-{refund_id}",
        status=status,
        created_at=created,
        updated_at=created,
        amount_money=usd(amount),
    )
    r["processing_fee"] = (
        [{"amount_money": usd(-fee_returned), "effective_at": created, "type": "INITIAL"}]
        if fee_returned
        else []
    )
    return r


def payout(
    samples: Path,
    payout_id: str,
    amount: int,
    *,
    created: str = "2024-03-04T03:00:00Z",
    status: str = "PAID",
) -> dict[str, Any]:
    """A payout like the one in ``event_payout_paid.json``, in USD."""
    p = sample_object(samples, "event_payout_paid.json", "data", "object", "payout")
    p.update(
        id=payout_id,
        status=status,
        created_at=created,
        updated_at=created,
        arrival_date=created[:10],
        amount_money=usd(amount, "currency_code"),
    )
    return p


def entry(
    entry_id: str, payout_id: str, kind: str, gross: int, fee: int, source: str | None = None
) -> dict[str, Any]:
    """A payout entry as ``api_list_payout_entries_response.json`` shows them."""
    e: dict[str, Any] = {
        "id": entry_id,
        "payout_id": payout_id,
        "effective_at": "2024-03-03T23:31:49Z",
        "type": kind,
        "gross_amount_money": usd(gross, "currency_code"),
        "fee_amount_money": usd(fee, "currency_code"),
        "net_amount_money": usd(gross - fee, "currency_code"),
    }
    if kind == "CHARGE" and source:
        e["type_charge_details"] = {"payment_id": source}
    if kind == "REFUND" and source:
        e["type_refund_details"] = {"payment_id": "unknown", "refund_id": source}
    return e


def envelope(topic: str, obj: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The webhook Square would send about ``obj`` (``payment.updated`` → ``payment`` …)."""
    key = topic.split(".", maxsplit=1)[0]
    return {
        "merchant_id": "6SSW7HV8K2ST5",
        "type": topic,
        "event_id": event_id,
        "created_at": obj.get("updated_at") or obj.get("created_at"),
        "data": {"type": key, "id": obj["id"], "object": {key: obj}},
    }
