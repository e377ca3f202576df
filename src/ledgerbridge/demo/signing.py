"""Sign a body the way each platform does, so the demo (and the tests) speak the real wire format.

* Shopify: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(secret, body)).
* WooCommerce: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, body)).
* Stripe: ``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import uuid


def _b64(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_headers(
    body: bytes,
    secret: str,
    topic: str,
    *,
    event_id: str | None = None,
    shop: str = "demo.myshopify.com",
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": _b64(secret, body),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": "2025-10",
    }


def woocommerce_headers(body: bytes, secret: str, topic: str) -> dict[str, str]:
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": _b64(secret, body),
        "X-WC-Webhook-Delivery-ID": str(uuid.uuid4().int % 10**6),
        "X-WC-Webhook-Source": "https://demo.example/",
    }


def stripe_headers(body: bytes, secret: str, *, now: dt.datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    signed = f"{timestamp}.".encode() + body
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Stripe-Signature": f"t={timestamp},v1={signature}"}


def headers_for(
    platform: str, body: bytes, secret: str, topic: str, *, now: dt.datetime
) -> dict[str, str]:
    if platform == "shopify":
        return shopify_headers(body, secret, topic)
    if platform == "woocommerce":
        return woocommerce_headers(body, secret, topic)
    if platform == "stripe":
        return stripe_headers(body, secret, now=now)
    raise ValueError(f"the demo cannot sign for {platform}")
