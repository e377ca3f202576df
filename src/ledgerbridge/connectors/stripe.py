"""Stripe: ``Stripe-Signature`` verification, event ids as dedupe keys, and event → canonical.

Signature (stripe-python ``_webhook.py``): the header is ``t=<unix>,v1=<hex>[,v1=<hex>…]``;
each ``v1`` is hex HMAC-SHA256 of ``"<t>." + raw body`` keyed with the endpoint secret
``whsec_…`` taken as UTF-8 text. Any ``v1`` may match (Stripe signs with every live secret
while one is being rolled). ``v0`` entries are test-mode legacy and are ignored. The timestamp
must lie within ``tolerance`` (300 s, as the SDK) of the injected ``now`` *in both directions*:
the SDK only rejects old timestamps, but a timestamp from the future is as suspect as a stale
one and a correct clock never produces it.

Dedupe key: the event ``id`` (``evt_…``); topic: the event ``type``.

=====================================  ====================================================
``checkout.session.completed``,        OrderPaid (``payment_status`` paid) or OrderPending
``checkout.session.async_payment_      (unpaid, e.g. bank debits still clearing)
succeeded``
``charge.succeeded``,                  OrderPaid for a captured charge, keyed on its
``charge.captured``                    PaymentIntent; ``extra={"post_charges": False}`` turns
                                       charges off for connections that post sessions; a Fee
                                       when the balance transaction is expanded or given
``charge.refunded``                    one Refund per refund listed on the charge
``charge.dispute.created``,            Dispute OPENED once funds are withdrawn, fee from the
``charge.dispute.funds_withdrawn``     withdrawal's balance transaction
``charge.dispute.funds_reinstated``    Dispute WON (+ Adjustment when the fee is refunded)
``charge.dispute.closed``              WON or LOST by the dispute's status
``payout.paid``                        Payout; components and exact fees when
                                       ``extra={"balance_transactions": [...]}`` is given
=====================================  ====================================================

Bodies may be the event envelope or, for history pulled from the API, the bare object
(``/v1/charges/ch_…``) parsed under the topic that would have carried it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from ledgerbridge.connectors.base import (
    Delivery,
    Events,
    ParseResult,
    SignatureInvalid,
    TimestampOutsideTolerance,
    UnsupportedTopic,
    load_object,
    lower_headers,
    require_secret,
    same_signature,
)
from ledgerbridge.connectors.payload import Obj, invalid
from ledgerbridge.connectors.stripe_balance import dispute_stage, payout_paid
from ledgerbridge.connectors.stripe_objects import (
    Source,
    charge_paid,
    charge_refunded,
    session_completed,
)

DEFAULT_TOLERANCE = timedelta(seconds=300)

_PARSERS: dict[str, tuple[str, Callable[[Source, str], Events]]] = {
    "checkout.session.completed": ("checkout.session", lambda s, _: session_completed(s)),
    "checkout.session.async_payment_succeeded": (
        "checkout.session",
        lambda s, _: session_completed(s),
    ),
    "charge.succeeded": ("charge", lambda s, _: charge_paid(s)),
    "charge.captured": ("charge", lambda s, _: charge_paid(s)),
    "charge.refunded": ("charge", lambda s, _: charge_refunded(s)),
    "charge.dispute.created": ("dispute", dispute_stage),
    "charge.dispute.funds_withdrawn": ("dispute", dispute_stage),
    "charge.dispute.funds_reinstated": ("dispute", dispute_stage),
    "charge.dispute.closed": ("dispute", dispute_stage),
    "payout.paid": ("payout", lambda s, _: payout_paid(s)),
}
"""topic → (the Stripe ``object`` type it carries, parser)."""


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """The ``v1`` value Stripe would send for ``body`` signed at ``timestamp``."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(require_secret(secret), message, hashlib.sha256).hexdigest()


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None:
        raise SignatureInvalid("Stripe-Signature has no t=<unix time>")
    if not candidates:
        raise SignatureInvalid("Stripe-Signature has no v1 signature")
    return timestamp, candidates


class StripeConnector:
    """Stripe events and API objects; see the module docstring."""

    platform: ClassVar[str] = "stripe"
    supported_topics: ClassVar[frozenset[str]] = frozenset(_PARSERS)

    def __init__(self, *, tolerance: timedelta = DEFAULT_TOLERANCE) -> None:
        self.tolerance = tolerance

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: datetime,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Raise SignatureInvalid unless a v1 signature matches, then
        TimestampOutsideTolerance unless ``t`` is within the tolerance of ``now``."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        require_secret(secret)
        header = lower_headers(headers).get("stripe-signature")
        if not header:
            raise SignatureInvalid("missing Stripe-Signature header")
        timestamp, candidates = _parse_header(header)
        expected = signature(body, secret, timestamp)
        # Compare against every candidate, so the time taken does not say which one matched.
        matches = [same_signature(expected, candidate) for candidate in candidates]
        if not any(matches):
            raise SignatureInvalid("no Stripe-Signature v1 value matches the body")
        drift = abs(now.timestamp() - timestamp)
        if drift > self.tolerance.total_seconds():
            raise TimestampOutsideTolerance(
                f"Stripe-Signature timestamp is {drift:.0f} s from now "
                f"(tolerance {self.tolerance.total_seconds():.0f} s)"
            )

    def delivery(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Topic = event ``type``, dedupe key = event ``id``."""
        event = Obj(load_object(body))
        data = event.obj("data")
        resource = data.obj("object")
        return Delivery(event.text("type"), event.text("id"), resource.opt_text("id"))

    def parse(
        self, topic: str, body: bytes, *, extra: Mapping[str, Any] | None = None
    ) -> ParseResult:
        """Events for one Stripe event (or bare object); ``extra`` may hold ``post_charges``,
        ``balance_transaction`` (a charge's) and ``balance_transactions`` (a payout's)."""
        if topic not in _PARSERS:
            raise UnsupportedTopic(f"Stripe event type {topic!r} is not posted")
        expected_object, parser = _PARSERS[topic]
        root = Obj(load_object(body))
        if root.raw("object") == "event":
            if root.text("type") != topic:
                raise invalid(root.at("type"), f"is {root.raw('type')!r}, not {topic!r}")
            data = root.obj("data")
            src = Source(
                data.obj("object"),
                root.unix("created"),
                data.opt_obj("previous_attributes"),
                extra or {},
            )
        else:
            src = Source(root, None, None, extra or {})
        kind = src.obj.text("object")
        if kind != expected_object:
            raise invalid(src.obj.at("object"), f"is {kind!r}; {topic} carries {expected_object}")
        events, notices = parser(src, topic)
        return ParseResult(tuple(events), tuple(notices))
