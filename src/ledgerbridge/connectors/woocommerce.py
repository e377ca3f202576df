"""WooCommerce: webhook signatures, content-based dedupe keys, and order status → events.

Signature: ``X-WC-Webhook-Signature`` is base64 HMAC-SHA256 of the raw body. WooCommerce
HTML-entity-decodes the stored secret before signing (``wp_specialchars_decode``), so a secret
saved as ``a&amp;b`` signs with ``a&b``; both spellings are tried. There is no timestamp.

The ping: when a webhook is saved, WooCommerce posts the form body ``webhook_id=<n>`` with no
signature and no topic. It carries no data, so :meth:`WooCommerceConnector.verify` accepts
exactly that body unsigned and :meth:`~WooCommerceConnector.parse` ignores it; answering 2xx
keeps WooCommerce from flagging the new webhook. Anything else must be signed.

Dedupe key: WooCommerce sends no stable event id (``X-WC-Webhook-Delivery-ID`` changes on every
attempt), so the key is the resource, its id, ``date_modified_gmt`` and ``status``: a
redelivered unchanged order is a duplicate, and ``order.created`` followed by an identical
``order.updated`` is stored once.

Order status → events (``order.created``, ``order.updated``, ``order.restored``):

===========================  ==============================================================
processing, completed        OrderPaid. bacs and cheque orders wait on-hold until the merchant
                             confirms the money, so processing means paid. cod orders reach
                             processing before the courier collects; their MANUAL payment is
                             a receivable until the cash lands, which is what COD is.
refunded (and any status     one Refund per entry of the order's ``refunds`` (keyed on the refund
with refunds)                id; WooCommerce writes the total negative, "-10.00"); a refunded
                             order also emits its OrderPaid so imported history stays whole
pending, on-hold             OrderPending
cancelled                    OrderCancelled if it was never paid (``date_paid`` empty); a paid
                             order gives back money only through refunds
failed, checkout-draft       nothing (a notice)
===========================  ==============================================================

``order.deleted`` and ``ping`` are accepted and ignored with a notice: trashing an order in
WooCommerce is housekeeping, not money going back. ``order.refund.created`` (our name; Woo has
no such webhook) parses a refund object from ``GET /orders/<id>/refunds/<id>`` —
see :mod:`~ledgerbridge.connectors.woocommerce_orders`.
"""

from __future__ import annotations

import re
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
from ledgerbridge.connectors.woocommerce_orders import (
    order_refunds,
    order_snapshot,
    refund_event,
    was_paid,
)
from ledgerbridge.events import CanonicalEvent, Notice, OrderCancelled, OrderPaid, OrderPending

PING_TOPIC = "ping"
REFUND_TOPIC = "order.refund.created"
ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
IGNORED_TOPICS = frozenset({PING_TOPIC, "order.deleted"})

PAID = frozenset({"processing", "completed", "refunded"})
PENDING = frozenset({"pending", "on-hold"})
IGNORED_STATUSES = frozenset({"failed", "checkout-draft", "trash"})

_PING = re.compile(rb"webhook_id=(\d{1,20})")
_ENTITIES = (
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&quot;", '"'),
    ("&#039;", "'"),
    ("&#39;", "'"),
    ("&amp;", "&"),
)


def _decoded_secret(secret: str) -> str:
    """``wp_specialchars_decode($secret, ENT_QUOTES)``: &amp; last, so "&amp;lt;" → "&lt;"."""
    for entity, char in _ENTITIES:
        secret = secret.replace(entity, char)
    return secret


def signature(body: bytes, secret: str) -> str:
    """The ``X-WC-Webhook-Signature`` WooCommerce sends for ``body`` signed with ``secret``."""
    return hmac_sha256_base64(require_secret(secret), body)


def is_ping(body: bytes) -> bool:
    return _PING.fullmatch(body.strip()) is not None


class WooCommerceConnector:
    """WooCommerce order webhooks and REST resources; see the module docstring."""

    platform: ClassVar[str] = "woocommerce"
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
        """Raise SignatureInvalid unless the body is signed with ``secret`` (or is the bare,
        unsigned ping). ``now`` is unused: WooCommerce signs no timestamp."""
        require_secret(secret)
        provided = lower_headers(headers).get("x-wc-webhook-signature")
        if not provided:
            if is_ping(body):
                return
            raise SignatureInvalid("missing X-WC-Webhook-Signature header")
        expected = {signature(body, secret), signature(body, _decoded_secret(secret))}
        if not any([same_signature(candidate, provided) for candidate in sorted(expected)]):
            raise SignatureInvalid("X-WC-Webhook-Signature does not match the body")

    def delivery(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Topic from ``X-WC-Webhook-Topic`` (``ping`` for the ping); key as documented above."""
        match = _PING.fullmatch(body.strip())
        if match:
            webhook_id = match.group(1).decode()
            return Delivery(PING_TOPIC, f"ping:{webhook_id}", webhook_id)
        topic = lower_headers(headers).get("x-wc-webhook-topic")
        if not topic:
            raise PayloadInvalid("missing X-WC-Webhook-Topic header", field="X-WC-Webhook-Topic")
        resource = Obj(load_object(body))
        resource_id = resource.text("id")
        version = resource.opt_text("date_modified_gmt") or resource.opt_text("date_modified")
        kind = topic.rsplit(".", 1)[0]
        key = (
            f"{kind}:{resource_id}:{version}:{resource.opt_text('status') or ''}"
            if version
            else f"{topic}:{resource_id}"
        )
        return Delivery(topic, key, resource_id)

    def parse(
        self, topic: str, body: bytes, *, extra: Mapping[str, Any] | None = None
    ) -> ParseResult:
        """Events for one delivery. A refund object needs ``extra={"currency": …}`` (it names
        none) and may take ``order_id`` and ``payment_method`` from its order; an order may
        take ``refunds`` (full refund objects for the ids its ``refunds`` list names)."""
        if topic not in self.supported_topics:
            raise UnsupportedTopic(f"WooCommerce topic {topic!r} is not posted")
        if topic == PING_TOPIC:
            return ParseResult((), (Notice("WooCommerce webhook ping; nothing to post"),))
        root = Obj(load_object(body))
        if topic == "order.deleted":
            return ParseResult(
                (),
                (
                    Notice(
                        f"WooCommerce order {root.text('id')} was deleted; the ledger keeps "
                        "it (cancel or refund the order to change the books)",
                        {"order_id": root.text("id")},
                    ),
                ),
            )
        if topic == REFUND_TOPIC:
            refunds, notices = refund_event(root, extra or {})
            return ParseResult(tuple(refunds), tuple(notices))
        events, notices = _order_events(root, extra or {})
        return ParseResult(tuple(events), tuple(notices))


def _order_events(
    order: Obj, extra: Mapping[str, Any]
) -> tuple[list[CanonicalEvent], list[Notice]]:
    status = order.text("status")
    order_id = order.text("id")
    if status in IGNORED_STATUSES:
        return [], [
            Notice(
                f"WooCommerce order {order_id} is {status}; nothing to post",
                {"order_id": order_id, "status": status},
            )
        ]
    if status == "cancelled":
        return _cancelled(order, order_id, extra)
    if status not in PAID | PENDING:
        raise invalid(order.at("status"), f"unknown order status {status!r}")
    snapshot, notices = order_snapshot(order)
    events: list[CanonicalEvent]
    if status in PENDING:
        events = [
            OrderPending(
                order_id, order.first_timestamp("date_created_gmt", "date_created"), snapshot
            )
        ]
    else:
        paid_at = order.first_timestamp(
            "date_paid_gmt", "date_paid", "date_created_gmt", "date_created"
        )
        events = [OrderPaid(order_id, paid_at, snapshot)]
    refunds, refund_notices = order_refunds(order, snapshot, extra)
    return [*events, *refunds], notices + refund_notices


def _cancelled(
    order: Obj, order_id: str, extra: Mapping[str, Any]
) -> tuple[list[CanonicalEvent], list[Notice]]:
    when = order.first_timestamp("date_modified_gmt", "date_modified", "date_created_gmt")
    if not was_paid(order):
        return [OrderCancelled(order_id, when, order_id)], []
    snapshot, notices = order_snapshot(order)
    refunds, refund_notices = order_refunds(order, snapshot, extra)
    return [*refunds], [
        *notices,
        *refund_notices,
        Notice(
            f"WooCommerce order {order_id} was cancelled after payment; only its refunds "
            "move money",
            {"order_id": order_id},
        ),
    ]
