"""Square: ``x-square-hmacsha256-signature`` verification and webhook events → canonical.

Signature (square-python-sdk ``webhooks_helper.verify_signature``): base64 of HMAC-SHA256
keyed with the subscription's *signature key*, over the **notification URL followed by the raw
body**. The URL is part of what is signed, so it must be configured: the connection setting
``notification_url`` holds the subscription URL exactly as Square has it (scheme, host, path,
query, trailing slash). Without it every delivery is refused. Square signs no timestamp; the
dedupe key guards against replays of one event.

Dedupe key: ``<type>:<event_id>``. A redelivery carries the same type and ``event_id``, so it
dedupes; the type is part of the key because Square's published examples reuse one
``event_id`` for ``refund.created``/``refund.updated`` and ``payout.sent``/``payout.paid``,
and a key of the event id alone would then drop the event that completes the refund.

=================================  ========================================================
``payment.created``,               OrderPaid for a COMPLETED payment, keyed on the payment
``payment.updated``                id (both topics post once); APPROVED/PENDING wait,
                                   FAILED/CANCELED post nothing; Fees from
                                   ``processing_fee``/``app_fee_money`` when the
                                   connection's ``fee_source`` is payments
``refund.created``,                Refund for a COMPLETED refund, on the payment's sale
``refund.updated``
``payout.sent``, ``payout.paid``   Payout (once); exact fees from the payout's entries when
                                   ``fee_source`` is payouts (:mod:`.square_payouts`)
``payout.failed``                  nothing; a notice
``dispute.created``,               Dispute: EVIDENCE_REQUIRED/PROCESSING opened (Square has
``dispute.state.updated``,         withdrawn the funds), WON won, LOST/ACCEPTED lost,
``dispute.state.changed``          inquiries nothing
``order.*``, ``dispute.evidence.*``  accepted, nothing posted: sales post from payments
=================================  ========================================================

Bodies may be the webhook envelope ``{"type", "event_id", "data": {"object": {"payment":
{…}}}}`` or, for history pulled from the API (:mod:`ledgerbridge.sync.square`), the bare object
(``{"id": …, "amount_money": …}``) parsed under the topic a webhook would carry. Key choices
and fee rules are in :mod:`.square_objects` and :mod:`.square_payouts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from ledgerbridge.connectors.base import (
    Delivery,
    Events,
    ParseResult,
    SignatureInvalid,
    UnsupportedTopic,
    hmac_sha256_base64,
    load_object,
    lower_headers,
    require_secret,
    same_signature,
)
from ledgerbridge.connectors.payload import Obj, invalid
from ledgerbridge.connectors.square_objects import (
    Source,
    dispute_stage,
    payment_completed,
    refund_completed,
)
from ledgerbridge.connectors.square_payouts import payout_settled
from ledgerbridge.events import Notice

SIGNATURE_HEADER = "x-square-hmacsha256-signature"
LEGACY_HEADER = "x-square-signature"

_PARSERS: dict[str, tuple[str, Callable[[Source], Events]]] = {
    "payment.created": ("payment", payment_completed),
    "payment.updated": ("payment", payment_completed),
    "refund.created": ("refund", refund_completed),
    "refund.updated": ("refund", refund_completed),
    "payout.sent": ("payout", payout_settled),
    "payout.paid": ("payout", payout_settled),
    "payout.failed": ("payout", payout_settled),
    "dispute.created": ("dispute", dispute_stage),
    "dispute.state.updated": ("dispute", dispute_stage),
    "dispute.state.changed": ("dispute", dispute_stage),
}
"""topic → (the key of the object under ``data.object``, parser)."""

_NOTHING_TO_POST = frozenset(
    {
        "order.created",
        "order.updated",
        "order.fulfillment.updated",
        "dispute.evidence.created",
        "dispute.evidence.deleted",
        "dispute.evidence.added",
        "dispute.evidence.removed",
        "dispute.evidence.file.created",
        "dispute.evidence.file.deleted",
    }
)
"""Topics accepted and stored, but carrying no money movement of their own."""


def signature(body: bytes, signature_key: str, notification_url: str) -> str:
    """The ``x-square-hmacsha256-signature`` Square sends for ``body`` posted to the URL."""
    return hmac_sha256_base64(
        require_secret(signature_key), notification_url.encode("utf-8") + body
    )


def _notification_url(settings: Mapping[str, Any] | None) -> str:
    url = (settings or {}).get("notification_url")
    if not isinstance(url, str) or not url.strip():
        raise SignatureInvalid(
            "Square signs the notification URL with each delivery, and this connection has "
            "none: set its notification_url setting to the webhook subscription's URL"
        )
    return url


def _is_envelope(root: Obj) -> bool:
    return root.has("data") and root.has("type") and root.has("event_id")


class SquareConnector:
    """Square webhook events and API objects; see the module docstring."""

    platform: ClassVar[str] = "square"
    supported_topics: ClassVar[frozenset[str]] = frozenset(_PARSERS) | _NOTHING_TO_POST

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: datetime,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Raise SignatureInvalid unless the signature matches notification URL + body."""
        require_secret(secret)
        url = _notification_url(settings)
        lowered = lower_headers(headers)
        provided = lowered.get(SIGNATURE_HEADER)
        if not provided:
            if LEGACY_HEADER in lowered:
                raise SignatureInvalid(
                    "only the legacy x-square-signature (HMAC-SHA1) was sent; Square's "
                    "x-square-hmacsha256-signature is required"
                )
            raise SignatureInvalid("missing x-square-hmacsha256-signature header")
        if not same_signature(signature(body, secret, url), provided):
            raise SignatureInvalid(
                "x-square-hmacsha256-signature does not match the notification URL and body "
                "(the notification_url setting must equal the subscription URL byte for byte, "
                "and the secret must be the subscription's signature key)"
            )

    def delivery(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Topic = ``type``; dedupe key = ``<type>:<event_id>`` (see the module docstring)."""
        event = Obj(load_object(body))
        topic, event_id = event.text("type"), event.text("event_id")
        data = event.opt_obj("data")
        return Delivery(topic, f"{topic}:{event_id}", data.opt_text("id") if data else None)

    def parse(
        self, topic: str, body: bytes, *, extra: Mapping[str, Any] | None = None
    ) -> ParseResult:
        """Events for one Square event (or bare API object). ``extra`` may hold
        ``fee_source`` and ``payout_entries`` (see :mod:`.square_api`)."""
        if topic not in self.supported_topics:
            raise UnsupportedTopic(f"Square event type {topic!r} is not posted")
        root = Obj(load_object(body))
        envelope = _is_envelope(root)
        if envelope and root.text("type") != topic:
            raise invalid(root.at("type"), f"is {root.raw('type')!r}, not {topic!r}")
        if topic in _NOTHING_TO_POST:
            return ParseResult(
                notices=(Notice(f"Square {topic} carries no money movement; nothing to post"),)
            )
        key, parser = _PARSERS[topic]
        if envelope:
            holder = root.obj("data").obj("object")
            src = Source(holder.obj(key), root.opt_timestamp("created_at"), extra or {})
        else:
            src = Source(root, None, extra or {})
        events, notices = parser(src)
        return ParseResult(tuple(events), tuple(notices))
