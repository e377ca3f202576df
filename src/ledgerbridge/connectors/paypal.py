"""PayPal: webhook signatures by certificate (or by PayPal's API), event ids as dedupe keys,
and events → canonical.

The connection's ``secret`` is **the id of the webhook** registered in the PayPal app: PayPal
signs it into every delivery but never sends it (see :mod:`.paypal_verify`). Settings:
``verification`` (``"offline"``, the default, or ``"api"``), ``paypal_cert_origins`` and
``paypal_ca_bundle`` (see :mod:`.paypal_certs`). ``api_url``/``api_token`` (``client_id:secret``)
are the REST app, used by the history sync and by API verification.

Dedupe key: the event ``id`` (``WH-…``); topic: ``event_type``.

==============================================  ==============================================
``PAYMENT.CAPTURE.COMPLETED``,                  OrderPaid for the gross, keyed on the capture
``PAYMENT.SALE.COMPLETED`` (legacy)             id (one line: PayPal's capture knows no items);
                                                Fee ``<capture>:fee`` from
                                                ``seller_receivable_breakdown.paypal_fee`` (v1:
                                                ``transaction_fee``); platform fees; a
                                                Conversion when PayPal credited the balance in
                                                another currency (``receivable_amount``,
                                                ``exchange_rate``)
``PAYMENT.CAPTURE.REFUNDED``,                   Refund keyed on the refund id, against the
``PAYMENT.SALE.REFUNDED`` (legacy)              capture; PayPal's returned fee
                                                (``seller_payable_breakdown.paypal_fee``) as
                                                ``fee_refunded``; a Conversion for a balance in
                                                another currency
``PAYMENT.CAPTURE.REVERSED``,                   Dispute LOST keyed on the capture, so it meets
``PAYMENT.SALE.REVERSED`` (legacy)              the case's own resolution (see
                                                :mod:`.paypal_disputes` for why)
``CUSTOMER.DISPUTE.CREATED`` / ``UPDATED``      Dispute OPENED (PayPal holds the funds)
``CUSTOMER.DISPUTE.RESOLVED``                   Dispute LOST (buyer favour) or WON (seller
                                                favour, protection payout, cancelled)
``PAYMENT.CAPTURE.PENDING`` / ``DENIED`` /      nothing (a notice): no money moved yet
``DECLINED``, ``PAYMENT.SALE.PENDING`` /
``DENIED``
``ledgerbridge.withdrawal`` (pulled only)       Payout for a ``T04xx`` transaction search row
==============================================  ==============================================

Bodies may be the webhook envelope or, for pulled history, the bare API resource (a v2 capture
or refund) or a transaction search row, parsed under the topic that would have carried it.
Every other verified event type (``PAYMENT.PAYOUTSBATCH.*`` — the merchant paying others —,
``CHECKOUT.ORDER.*``, authorizations) is stored as ignored, so a later parser can replay it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from ledgerbridge.connectors.base import (
    Delivery,
    Events,
    ParseResult,
    UnsupportedTopic,
    load_object,
    require_secret,
)
from ledgerbridge.connectors.payload import Obj, invalid
from ledgerbridge.connectors.paypal_certs import CertificateStore
from ledgerbridge.connectors.paypal_disputes import capture_reversed, dispute_stage
from ledgerbridge.connectors.paypal_objects import (
    Source,
    capture_completed,
    refund_completed,
)
from ledgerbridge.connectors.paypal_transactions import (
    WITHDRAWAL_TOPIC,
    capture_row,
    is_row,
    refund_row,
    withdrawal,
)
from ledgerbridge.connectors.paypal_verify import ApiVerifier, Transmission, verify_offline
from ledgerbridge.events import Notice


def _nothing(reason: str) -> Callable[[Source, str], Events]:
    def parser(src: Source, topic: str) -> Events:
        resource_id = src.obj.opt_text("id") or "?"
        return [], [Notice(f"{topic} {resource_id}: {reason}", {"resource": resource_id})]

    return parser


_NOT_YET = _nothing("no money moved (pending or denied); nothing posted")

_PARSERS: dict[str, Callable[[Source, str], Events]] = {
    "PAYMENT.CAPTURE.COMPLETED": lambda s, _: capture_completed(s),
    "PAYMENT.SALE.COMPLETED": lambda s, _: capture_completed(s),
    "PAYMENT.CAPTURE.REFUNDED": lambda s, _: refund_completed(s),
    "PAYMENT.SALE.REFUNDED": lambda s, _: refund_completed(s),
    "PAYMENT.CAPTURE.REVERSED": lambda s, _: capture_reversed(s),
    "PAYMENT.SALE.REVERSED": lambda s, _: capture_reversed(s),
    "CUSTOMER.DISPUTE.CREATED": dispute_stage,
    "CUSTOMER.DISPUTE.UPDATED": dispute_stage,
    "CUSTOMER.DISPUTE.RESOLVED": dispute_stage,
    "PAYMENT.CAPTURE.PENDING": _NOT_YET,
    "PAYMENT.CAPTURE.DENIED": _NOT_YET,
    "PAYMENT.CAPTURE.DECLINED": _NOT_YET,
    "PAYMENT.SALE.PENDING": _NOT_YET,
    "PAYMENT.SALE.DENIED": _NOT_YET,
}
_ROW_PARSERS: dict[str, Callable[[Obj], Events]] = {
    "PAYMENT.CAPTURE.COMPLETED": capture_row,
    "PAYMENT.CAPTURE.REFUNDED": refund_row,
    WITHDRAWAL_TOPIC: withdrawal,
}
"""Topics under which a transaction search row may be filed, and how it is read."""


class PayPalConnector:
    """PayPal webhooks and API resources; see the module docstring."""

    platform: ClassVar[str] = "paypal"
    supported_topics: ClassVar[frozenset[str]] = frozenset(_PARSERS) | {WITHDRAWAL_TOPIC}

    def __init__(
        self, *, certificates: CertificateStore | None = None, api: ApiVerifier | None = None
    ) -> None:
        self.certificates = certificates or CertificateStore()
        self.api = api or ApiVerifier()

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: datetime,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Raise SignatureInvalid (with the reason) unless PayPal signed this body for this
        webhook id; PlatformUnavailable when the certificate or PayPal cannot be reached."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        webhook_id = require_secret(secret).decode("utf-8")
        settings = settings or {}
        sent = Transmission.of(headers)
        if settings.get("verification", "offline") == "api":
            self.api.verify(body, sent, webhook_id, settings)
        else:
            verify_offline(self.certificates, body, sent, webhook_id, now=now, settings=settings)

    def delivery(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Topic = ``event_type``, dedupe key = event ``id``."""
        event = Obj(load_object(body))
        resource = event.opt_obj("resource")
        resource_id = (
            (resource.opt_text("id") or resource.opt_text("dispute_id")) if resource else None
        )
        return Delivery(event.text("event_type"), event.text("id"), resource_id)

    def parse(
        self, topic: str, body: bytes, *, extra: Mapping[str, Any] | None = None
    ) -> ParseResult:
        """Events for one PayPal event, bare API resource or transaction search row. PayPal's
        webhooks carry everything posting needs, so ``extra`` is not used."""
        if topic not in self.supported_topics:
            raise UnsupportedTopic(f"PayPal event type {topic!r} is not posted")
        root = Obj(load_object(body))
        if is_row(root):
            if topic not in _ROW_PARSERS:
                raise invalid("transaction_info", f"a transaction search row is not a {topic}")
            events, notices = _ROW_PARSERS[topic](root)
            return ParseResult(tuple(events), tuple(notices))
        if topic == WITHDRAWAL_TOPIC:
            raise invalid("transaction_info", "is required for a withdrawal")
        if root.has("event_type"):
            if root.text("event_type") != topic:
                raise invalid(
                    root.at("event_type"), f"is {root.raw('event_type')!r}, not {topic!r}"
                )
            src = Source(root.obj("resource"), root.opt_timestamp("create_time"))
        else:
            src = Source(root, None)
        events, notices = _PARSERS[topic](src, topic)
        return ParseResult(tuple(events), tuple(notices))
