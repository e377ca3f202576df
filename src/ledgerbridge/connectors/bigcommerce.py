"""BigCommerce: webhook authentication, dedupe keys, and order/refund detail → events.

Authentication. BigCommerce's legacy webhooks (``store/order/*``) carry **no signature**;
they are authenticated by the custom ``headers`` object set when the hook is created, which
BigCommerce echoes on every callback. So the connection's secret is the value of one such
header, named by the connection setting ``auth_header`` (default ``X-Ledgerbridge-Token``), and
is compared in constant time. If the delivery carries the Standard Webhooks headers
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``), as BigCommerce's HTTPS webhooks
do, those are verified instead: ``v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>``,
several allowed space-separated, timestamp within ±5 minutes of ``now``. The key is the app's
client secret as raw bytes; a secret written ``whsec_<base64>`` (the Standard Webhooks form)
is base64-decoded first.

The body names only the order: ``{"scope": "store/order/created", "data": {"type": "order",
"id": 250}, "hash", "created_at", …}``. Posting needs the order itself, so the worker's
fetcher (:func:`ledgerbridge.connectors.bigcommerce_api.fetch_extra`) reads it from the REST
API and passes it as ``extra``. A backfill files the same detail as the body itself; both
shapes are read alike:

* order topics: ``{"order": {…v2 order…}, "products": […], "taxes": […]}``
* ``store/order/refund/created``: ``{"order": {…}, "refund": {…v3 refund…}}`` (or
  ``"refunds": […]`` for every refund of the order)

Dedupe key: ``<scope>:<hash>``. The ``hash`` identifies the event; the scope is kept in front
because BigCommerce's reference examples reuse one hash across scopes. Without a hash the key
is ``<scope>:<id>:<created_at>``.

``store/order/archived`` and ``store/order/message/created`` are accepted and post nothing:
archiving hides an order in the control panel and a message is correspondence; neither moves
money. See :mod:`.bigcommerce_orders` and :mod:`.bigcommerce_refunds` for how an order's and a
refund's figures are read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from ledgerbridge.connectors.base import (
    Delivery,
    ParseResult,
    SignatureInvalid,
    TimestampOutsideTolerance,
    UnsupportedTopic,
    load_object,
    lower_headers,
    require_secret,
    same_signature,
)
from ledgerbridge.connectors.bigcommerce_orders import order_events
from ledgerbridge.connectors.bigcommerce_refunds import refund_events
from ledgerbridge.connectors.payload import Obj, invalid
from ledgerbridge.events import Notice

DEFAULT_AUTH_HEADER = "X-Ledgerbridge-Token"
TOLERANCE_S = 300
ORDER_TOPICS = frozenset(
    {"store/order/created", "store/order/updated", "store/order/statusUpdated"}
)
REFUND_TOPIC = "store/order/refund/created"
IGNORED_TOPICS = frozenset({"store/order/archived", "store/order/message/created"})
STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def standard_key(secret: str) -> bytes:
    """The HMAC key for a Standard Webhooks signature: ``whsec_<base64>`` decoded, or the
    client secret's own bytes (what BigCommerce's sample ends up using)."""
    key = require_secret(secret)
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            raise SignatureInvalid("the whsec_ secret is not valid base64") from None
    return key


def standard_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """``v1,<base64>``: the Standard Webhooks signature of one delivery."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _verify_standard(body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> None:
    webhook_id, timestamp, provided = (headers[name] for name in STANDARD_HEADERS)
    expected = standard_signature(secret, webhook_id, timestamp, body)
    candidates = [part for part in provided.split() if part.startswith("v1,")]
    if not any([same_signature(expected, candidate) for candidate in candidates]):
        raise SignatureInvalid("webhook-signature does not match the body")
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureInvalid("webhook-timestamp is not a Unix timestamp") from None
    if abs(now.timestamp() - sent) > TOLERANCE_S:
        raise TimestampOutsideTolerance(
            f"webhook-timestamp {sent} is more than {TOLERANCE_S} s from now"
        )


def _verify_header(headers: Mapping[str, str], secret: str, settings: Mapping[str, Any]) -> None:
    name = str(settings.get("auth_header") or DEFAULT_AUTH_HEADER)
    provided = headers.get(name.lower())
    if not provided:
        raise SignatureInvalid(
            f"missing {name} header (set it in the webhook's headers when creating the hook)"
        )
    if not same_signature(secret, provided):
        raise SignatureInvalid(f"{name} header does not match this connection's secret")


class BigCommerceConnector:
    """BigCommerce order webhooks and REST detail; see the module docstring."""

    platform: ClassVar[str] = "bigcommerce"
    supported_topics: ClassVar[frozenset[str]] = ORDER_TOPICS | IGNORED_TOPICS | {REFUND_TOPIC}

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: datetime,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Standard Webhooks signature when its headers are present, else the auth header."""
        require_secret(secret)
        lowered = lower_headers(headers)
        if all(lowered.get(name) for name in STANDARD_HEADERS):
            _verify_standard(body, lowered, secret, now)
        else:
            _verify_header(lowered, secret, settings or {})

    def delivery(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Topic from ``scope``; key as the module docstring says."""
        root = Obj(load_object(body))
        if not root.has("scope") and root.has("order"):
            # a pulled resource handed in by an operator; the sync gives its own key
            order = root.obj("order")
            return Delivery("store/order/updated", f"api:order:{order.text('id')}", None)
        scope = root.text("scope")
        resource_id = root.obj("data").text("id")
        event_hash = root.opt_text("hash")
        key = (
            f"{scope}:{event_hash}"
            if event_hash
            else f"{scope}:{resource_id}:{root.opt_text('created_at') or ''}"
        )
        return Delivery(scope, key, resource_id)

    def parse(
        self, topic: str, body: bytes, *, extra: Mapping[str, Any] | None = None
    ) -> ParseResult:
        """Events for one delivery (webhook + fetched ``extra``) or one pulled resource."""
        if topic not in self.supported_topics:
            raise UnsupportedTopic(f"BigCommerce topic {topic!r} is not posted")
        root = Obj(load_object(body))
        if topic in IGNORED_TOPICS:
            subject = _subject(root)
            return ParseResult(
                (),
                (Notice(f"BigCommerce {topic} for order {subject}; nothing to post", {}),),
            )
        detail = _detail(root, extra)
        if topic == REFUND_TOPIC:
            wanted = _refund_id(root)
            events, notices = refund_events(detail, wanted)
        else:
            events, notices = order_events(detail)
        return ParseResult(tuple(events), tuple(notices))


def _subject(root: Obj) -> str:
    data = root.opt_obj("data")
    if data is not None and data.has("id"):
        return data.text("id")
    order = root.opt_obj("order")
    return order.text("id") if order is not None else "?"


def _detail(root: Obj, extra: Mapping[str, Any] | None) -> Obj:
    """The pulled body itself, or for a webhook the detail the fetcher put in ``extra``."""
    if not root.has("scope"):
        return root
    if not extra or extra.get("order") is None:
        order_id = root.obj("data").text("id")
        raise invalid(
            "extra.order",
            f"a BigCommerce webhook names only order {order_id}; its detail must be fetched "
            "from the API first (the connection needs an API token)",
        )
    return Obj(extra, "extra")


def _refund_id(root: Obj) -> str | None:
    """The refund a webhook is about, if it says (``data.refund.refund_id``)."""
    if not root.has("scope"):
        return None
    refund = root.obj("data").opt_obj("refund")
    return refund.opt_text("refund_id") if refund is not None else None
