"""Adobe Commerce (Magento 2): webhook signatures, dedupe keys, invoices and credit memos.

Magento Open Source sends no webhooks; its history comes from the REST API
(:mod:`ledgerbridge.sync.magento`). Adobe Commerce's Webhooks module can also post observer
events to us. Both arrive here and parse to the same events.

Signature: ``x-adobe-commerce-webhook-signature`` is base64 of an **RSA-SHA256** (PKCS#1 v1.5)
signature over **base64 of the raw body**, made with the key pair generated in the Commerce
admin (Stores > Configuration > Adobe Services > Webhooks). Adobe's page calls it "HMAC
SHA256", but its own sample verifies with the public key, so the connection's ``secret`` holds
that PEM public key (``-----BEGIN PUBLIC KEY-----``…; ``\\n`` escapes are accepted for keys
pasted on one line). There is no timestamp, so ``now`` is unused.

Payload forms ``parse`` accepts for each topic (``entity`` is ``invoice``, ``creditmemo`` or
``order``):

* a webhook: ``{"eventName": "observer.sales_order_invoice_pay", "data": {"invoice": {…}}}``;
* what the sync pulls: ``{"invoice": {…}, "order": {…}}`` and ``{"creditmemo": {…},
  "order": {…}, "invoice_ids": [3, 5]}`` (the order gives currency detail and the payment
  method; ``invoice_ids`` are the order's invoices, for a credit memo that names none);
* a bare REST object (``GET /V1/invoices/{id}``).

``extra`` (from the API, before parse) may give ``order`` and ``invoice_ids`` the same way. What
posts is decided in :mod:`.magento_orders`: paid invoices → OrderPaid, refunded credit memos →
Refund. An order on its own posts nothing, on purpose: its invoices carry the money, and an
OrderPending for a cheque or bank-transfer order could not be settled by an invoice, which is
booked under its own key. Order topics are accepted and left with a notice.

Dedupe key: Commerce sends no delivery id, so the key is the entity, its id, ``updated_at`` and
``state``: an unchanged entity delivered twice is stored once, and an invoice that goes from
open to paid is stored again (and then posts).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ledgerbridge.connectors.base import (
    Delivery,
    ParseResult,
    SignatureInvalid,
    UnsupportedTopic,
    load_object,
    lower_headers,
)
from ledgerbridge.connectors.magento_orders import (
    creditmemo_refund,
    entity_of,
    invoice_paid,
)
from ledgerbridge.connectors.payload import Obj, invalid
from ledgerbridge.events import CanonicalEvent, Notice

SIGNATURE_HEADER = "x-adobe-commerce-webhook-signature"
INVOICE_TOPIC = "observer.sales_order_invoice_pay"
"""The topic pulled invoices are filed under."""
CREDITMEMO_TOPIC = "observer.sales_order_creditmemo_save_after"
"""The topic pulled credit memos are filed under."""
INVOICE_TOPICS = frozenset(
    {
        INVOICE_TOPIC,
        "observer.sales_order_invoice_register",
        "observer.sales_order_invoice_save_after",
        "observer.sales_order_invoice_save_commit_after",
    }
)
CREDITMEMO_TOPICS = frozenset(
    {
        CREDITMEMO_TOPIC,
        "observer.sales_order_creditmemo_refund",
        "observer.sales_order_creditmemo_save_commit_after",
    }
)
ORDER_TOPICS = frozenset(
    {
        "observer.sales_order_place_after",
        "observer.sales_order_save_after",
        "observer.sales_order_save_commit_after",
        "observer.checkout_submit_all_after",
    }
)
_ENTITY = (
    {t: "invoice" for t in INVOICE_TOPICS}
    | {t: "creditmemo" for t in CREDITMEMO_TOPICS}
    | {t: "order" for t in ORDER_TOPICS}
)
_DEFAULT_TOPIC = {"invoice": INVOICE_TOPIC, "creditmemo": CREDITMEMO_TOPIC}
_CREDITMEMO_FIELDS = ("adjustment_positive", "adjustment_negative", "creditmemo_status")


def topic_entity(topic: str) -> str | None:
    """``invoice``, ``creditmemo`` or ``order`` for a supported topic; None otherwise."""
    return _ENTITY.get(topic)


@lru_cache(maxsize=64)
def public_key(secret: str) -> rsa.RSAPublicKey:
    """The RSA public key in ``secret``; SignatureInvalid when there is none."""
    text = secret.strip().replace("\\n", "\n")
    if not text:
        raise SignatureInvalid("no webhook public key is configured for this connection")
    try:
        key = load_pem_public_key(text.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureInvalid(
            "the connection's secret is not a PEM public key; paste the public key from "
            "the Commerce admin (Stores > Configuration > Adobe Services > Webhooks)"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid("the connection's public key is not an RSA key")
    return key


def _root(body: bytes) -> dict[str, Any]:
    root = load_object(body)
    data = root.get("data")
    if "eventName" in root and isinstance(data, dict):
        return data
    return root


def entity_kind(root: Mapping[str, Any]) -> str | None:
    """Which entity an unwrapped payload is about: ``invoice``, ``creditmemo`` or ``order``."""
    for kind in ("creditmemo", "invoice"):
        if isinstance(root.get(kind), dict):
            return kind
    if isinstance(root.get("order"), dict):
        return "order"
    if "entity_id" not in root:
        return None
    if any(key in root for key in _CREDITMEMO_FIELDS):
        return "creditmemo"
    if "order_id" in root:
        return "invoice"
    return "order" if "payment" in root else None


class MagentoConnector:
    """Adobe Commerce / Magento 2 webhooks and REST objects; see the module docstring."""

    platform: ClassVar[str] = "magento"
    supported_topics: ClassVar[frozenset[str]] = INVOICE_TOPICS | CREDITMEMO_TOPICS | ORDER_TOPICS

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: datetime,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Raise SignatureInvalid unless the body is signed by the key pair whose public key
        is the connection's secret."""
        key = public_key(secret)
        provided = lower_headers(headers).get(SIGNATURE_HEADER)
        if not provided:
            raise SignatureInvalid(f"missing {SIGNATURE_HEADER} header")
        try:
            signature = base64.b64decode(provided, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureInvalid(f"{SIGNATURE_HEADER} is not base64") from None
        try:
            key.verify(signature, base64.b64encode(body), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the body") from None

    def delivery(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Topic from ``eventName`` (or the entity the payload holds); key as documented."""
        outer = load_object(body)
        root = _root(body)
        kind = entity_kind(root)
        named = outer.get("eventName")
        if named is not None and not isinstance(named, str):
            raise invalid("eventName", "expected the name of a Commerce event")
        topic = named or _DEFAULT_TOPIC.get(kind or "", "observer.sales_order_save_after")
        if kind is None or _ENTITY.get(topic, kind) != kind:
            digest = hashlib.sha256(body).hexdigest()[:32]
            return Delivery(topic, f"{topic}:{digest}")
        entity = entity_of(root, kind)
        entity_id = entity.text("entity_id")
        version = entity.opt_text("updated_at") or entity.opt_text("created_at") or ""
        state = entity.opt_text("state") or ""
        return Delivery(topic, f"{kind}:{entity_id}:{version}:{state}", entity_id)

    def parse(
        self, topic: str, body: bytes, *, extra: Mapping[str, Any] | None = None
    ) -> ParseResult:
        """Events for one delivery or pulled object; ``extra`` may add ``order`` and
        ``invoice_ids`` (see the module docstring)."""
        kind = _ENTITY.get(topic)
        if kind is None:
            raise UnsupportedTopic(f"Adobe Commerce event {topic!r} is not posted")
        root = _root(body)
        if kind == "order":
            placed = entity_of(root, "order")
            number = placed.opt_text("increment_id") or placed.opt_text("entity_id") or "?"
            return ParseResult(
                (),
                (
                    Notice(
                        f"Magento order #{number} posts when it is invoiced; nothing to post",
                        {"order_id": placed.opt_text("entity_id")},
                    ),
                ),
            )
        order = _order(root, extra or {})
        events: list[CanonicalEvent]
        if kind == "invoice":
            paid, notices = invoice_paid(entity_of(root, "invoice"), order)
            events = list(paid)
        else:
            ids = _invoice_ids(root, extra or {})
            refunds, notices = creditmemo_refund(entity_of(root, "creditmemo"), order, ids)
            events = list(refunds)
        return ParseResult(tuple(events), tuple(notices))


def _order(root: Mapping[str, Any], extra: Mapping[str, Any]) -> Obj | None:
    if isinstance(root.get("order"), dict):
        return Obj(root["order"], "order")
    found = extra.get("order")
    return Obj(found, "extra.order") if isinstance(found, dict) else None


def _invoice_ids(root: Mapping[str, Any], extra: Mapping[str, Any]) -> list[str]:
    listed = root.get("invoice_ids", extra.get("invoice_ids"))
    if listed is None:
        return []
    if not isinstance(listed, list) or not all(
        isinstance(i, int | str) and not isinstance(i, bool) for i in listed
    ):
        raise invalid("invoice_ids", "expected a list of invoice ids")
    return [str(i) for i in listed]
