"""Shopify: webhook signatures, dedupe keys, and topic → canonical event.

Signature: ``X-Shopify-Hmac-Sha256`` is base64 HMAC-SHA256 of the raw body keyed with the app's
client secret (the Events API sends the same headers without the ``X-`` prefix; both are read).
Nothing in it is dated, so there is no timestamp tolerance; replays are caught by the dedupe key.
During a secret rotation Shopify may sign with the old secret for up to an hour: the caller
verifies against each secret it holds.

Dedupe key: ``X-Shopify-Event-Id``, else ``X-Shopify-Webhook-Id``, else the body's
``id`` + ``updated_at``; always prefixed with the topic, because one Shopify event can fire
several topics (``orders/create`` and ``orders/paid``) and each must be stored.

Topics (the order decisions are documented at :data:`PAID_STATUSES`):

=====================  =========================================================================
``orders/create``      OrderPaid when ``financial_status`` is paid (or already refunded),
                       OrderPending when pending/authorized/partially_paid, nothing when voided
``orders/paid``        OrderPaid
``orders/updated``     OrderEdited, revision = ``updated_at``
``orders/cancelled``   OrderCancelled for an unpaid order; nothing for a paid one (its money
                       goes back through ``refunds/create``, which carries the amounts)
``refunds/create``     Refund (see :mod:`~ledgerbridge.connectors.shopify_refunds`)
``shopify_payments/    Payout from a Shopify Payments payout resource (Admin API pull; Shopify
payout``               sends no webhook for payouts)
=====================  =========================================================================

Admin REST resources (``{"order": …}``, ``{"refund": …}``, ``{"payout": …}``) parse under the
same topics, so history pulled from the API posts exactly like live deliveries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from ledgerbridge.connectors.base import (
    Delivery,
    ParseResult,
    PayloadInvalid,
    SignatureInvalid,
    UnsupportedTopic,
    hmac_sha256_base64,
    load_object,
    lower_headers,
    require_secret,
    same_signature,
)
from ledgerbridge.connectors.payload import Obj, invalid
from ledgerbridge.connectors.shopify_orders import order_snapshot
from ledgerbridge.connectors.shopify_refunds import payout_events, refund_events
from ledgerbridge.events import (
    CanonicalEvent,
    Notice,
    OrderCancelled,
    OrderEdited,
    OrderPaid,
    OrderPending,
)

PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})
"""The customer paid in full. Refunded states still mean a sale happened (an order imported
after its refund); the refunds post separately from ``refunds/create``."""

PENDING_STATUSES = frozenset({"pending", "authorized", "partially_paid"})
"""Placed but not paid in full: an authorization is not money in the clearing account yet, and
a partial payment leaves the order open. ``orders/paid`` follows when the rest is captured."""

VOID_STATUSES = frozenset({"voided", "expired"})
"""The authorization was released or lapsed: nothing was ever collected."""

ORDER_TOPICS = frozenset({"orders/create", "orders/paid", "orders/updated", "orders/cancelled"})
REFUND_TOPIC = "refunds/create"
PAYOUT_TOPIC = "shopify_payments/payout"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """``x-shopify-<name>`` or, from the Events API, ``shopify-<name>``."""
    return headers.get(f"x-shopify-{name}") or headers.get(f"shopify-{name}") or None


def signature(body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value Shopify would send for ``body``."""
    return hmac_sha256_base64(require_secret(secret), body)


class ShopifyConnector:
    """Shopify webhooks and Admin REST resources; see the module docstring."""

    platform: ClassVar[str] = "shopify"
    supported_topics: ClassVar[frozenset[str]] = ORDER_TOPICS | {REFUND_TOPIC, PAYOUT_TOPIC}

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: datetime,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Raise SignatureInvalid unless the body is signed with ``secret``. ``now`` is unused:
        Shopify signs no timestamp."""
        expected = signature(body, secret)
        provided = _header(lower_headers(headers), "hmac-sha256")
        if provided is None:
            raise SignatureInvalid("missing X-Shopify-Hmac-Sha256 header")
        if not same_signature(expected, provided):
            raise SignatureInvalid("X-Shopify-Hmac-Sha256 does not match the body")

    def delivery(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Topic from ``X-Shopify-Topic``; dedupe key as in the module docstring."""
        lowered = lower_headers(headers)
        topic = _header(lowered, "topic")
        if topic is None:
            raise PayloadInvalid("missing X-Shopify-Topic header", field="X-Shopify-Topic")
        root = Obj(load_object(body))
        resource = _unwrap(root)
        resource_id = resource.opt_text("id")
        event_id = _header(lowered, "event-id")
        webhook_id = _header(lowered, "webhook-id")
        if event_id:
            key = f"{topic}:event:{event_id}"
        elif webhook_id:
            key = f"{topic}:webhook:{webhook_id}"
        elif resource_id is not None:
            version = resource.opt_text("updated_at") or resource.opt_text("created_at")
            key = f"{topic}:{resource_id}:{version or ''}"
        else:
            # No id we know how to read (a topic we do not post): the bytes are the identity.
            key = f"{topic}:sha256:{hashlib.sha256(body).hexdigest()}"
        return Delivery(topic=topic, external_id=key, resource_id=resource_id)

    def parse(
        self, topic: str, body: bytes, *, extra: Mapping[str, Any] | None = None
    ) -> ParseResult:
        """Events for one delivery; ``extra`` may hold ``transactions`` (orders),
        ``currency`` and ``taxes_included`` (refunds)."""
        if topic not in self.supported_topics:
            raise UnsupportedTopic(f"Shopify topic {topic!r} is not posted")
        root = Obj(load_object(body))
        given = extra or {}
        events: list[CanonicalEvent]
        if topic == REFUND_TOPIC:
            refunds, notices = refund_events(root, given)
            events = [*refunds]
        elif topic == PAYOUT_TOPIC:
            payouts, notices = payout_events(root)
            events = [*payouts]
        else:
            events, notices = _order_events(topic, _unwrap(root), given)
        return ParseResult(tuple(events), tuple(notices))


def _unwrap(root: Obj) -> Obj:
    """The resource inside an Admin API wrapper (``{"order": {…}}``), or the body itself."""
    for key in ("order", "refund", "payout"):
        if isinstance(root.raw(key), dict) and len(root.data) == 1:
            return root.obj(key)
    return root


def _order_events(
    topic: str, order: Obj, extra: Mapping[str, Any]
) -> tuple[list[CanonicalEvent], list[Notice]]:
    order_id = order.text("id")
    status = order.opt_text("financial_status") or ""
    if topic == "orders/cancelled":
        return _cancelled(order, order_id, status)
    snapshot, notices = order_snapshot(order, extra)
    placed = order.first_timestamp("processed_at", "created_at")
    if topic == "orders/updated":
        revision = order.text("updated_at")
        edited = OrderEdited(
            f"{order_id}@{revision}", order.timestamp("updated_at"), snapshot, revision
        )
        return [edited], notices
    if topic == "orders/paid" or status in PAID_STATUSES:
        return [OrderPaid(order_id, placed, snapshot)], notices
    if status in PENDING_STATUSES:
        return [OrderPending(order_id, placed, snapshot)], notices
    if status in VOID_STATUSES:
        return [], [
            *notices,
            Notice(
                f"order {snapshot.name} is {status}: nothing was collected",
                {"order_id": order_id, "financial_status": status},
            ),
        ]
    raise invalid(order.at("financial_status"), f"unknown financial status {status!r}")


def _cancelled(order: Obj, order_id: str, status: str) -> tuple[list[CanonicalEvent], list[Notice]]:
    if status in PAID_STATUSES:
        return [], [
            Notice(
                f"order {order_id} was cancelled after payment ({status}); money that went back is "
                "posted from its refunds/create deliveries, so the sale itself is not reversed",
                {"order_id": order_id, "financial_status": status},
            )
        ]
    cancelled_at = order.first_timestamp("cancelled_at", "updated_at")
    return [OrderCancelled(order_id, cancelled_at, order_id, order.opt_text("cancel_reason"))], []
