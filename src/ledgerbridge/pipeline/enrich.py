"""Detail some events need from the platform's API before they can be posted exactly.

This is the only I/O between reading an inbox row and posting it, and it runs *outside* the
database transaction. Without API credentials it fetches nothing: the connector then posts
what the webhook alone carries and leaves a notice saying what is missing (a connection
without a token must still work).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledgerbridge.connectors import bigcommerce_api
from ledgerbridge.connectors.base import PayloadInvalid, load_object
from ledgerbridge.connectors.square_api import square_extra
from ledgerbridge.connectors.stripe_api import StripeApi
from ledgerbridge.pipeline.prior import booked_order
from ledgerbridge.services.connections import OpenConnection
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.sync.base import SyncSource
from ledgerbridge.sync.magento import webhook_extra as magento_webhook_extra
from ledgerbridge.sync.woocommerce import refund_detail as woocommerce_refund_detail

STRIPE_API = "https://api.stripe.com"


def ledger_extra(
    uow: UnitOfWork, connection: OpenConnection, topic: str, body: bytes
) -> dict[str, Any]:
    """What the ledger itself knows that a delivery leaves out.

    A Shopify refund names neither whether the shop's prices include tax nor, always, its
    currency; the order it refunds does, as it was booked.
    """
    if connection.platform != "shopify" or topic != "refunds/create":
        return {}
    try:
        refund = load_object(body)
    except PayloadInvalid:
        return {}  # parse will say what is wrong with it
    refund = refund.get("refund", refund) if isinstance(refund.get("refund"), dict) else refund
    order_id = refund.get("order_id")
    if order_id is None:
        return {}
    order = booked_order(uow, connection, str(order_id))
    if order is None:
        return {}
    return {"currency": order.currency, "taxes_included": order.taxes_included}


SETTLED_TOPICS = frozenset({"charge.succeeded", "charge.captured", "charge.refunded"})
"""Stripe topics whose balance transactions say at what rate Stripe converted the money."""


def _event_object(body: bytes) -> dict[str, Any]:
    """The Stripe object a body is about: the event's ``data.object``, or the body itself for
    an API object pulled by a sync (``"object": "charge"``, ``"payout"`` …)."""
    whole = load_object(body)
    if whole.get("object") not in (None, "event"):
        return whole
    data = whole.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def _settlements(connection: OpenConnection, body: bytes) -> dict[str, Any]:
    """The balance transactions of a charge's refunds, by refund id (webhooks carry ids only)."""
    refunds = _event_object(body).get("refunds")
    listed = refunds.get("data") if isinstance(refunds, dict) else None
    wanted = {
        r["id"]: r["balance_transaction"]
        for r in listed or []
        if isinstance(r, dict) and isinstance(r.get("balance_transaction"), str)
    }
    if not wanted:
        return {}
    assert connection.api_token is not None
    with StripeApi(connection.stored.api_url or STRIPE_API, connection.api_token) as api:
        return {refund_id: api.balance_transaction(txn) for refund_id, txn in wanted.items()}


def source_of(connection: OpenConnection) -> SyncSource:
    """The connection as API clients see it (URL, token, settings; never the webhook secret)."""
    return SyncSource(
        name=connection.name,
        platform=connection.platform,
        api_url=connection.stored.api_url or "",
        api_token=connection.api_token or "",
        settings=connection.stored.settings,
    )


def _stripe_extra(connection: OpenConnection, topic: str, body: bytes) -> Mapping[str, Any]:
    settings = connection.stored.settings
    extra: dict[str, Any] = {
        "post_charges": bool(settings.get("post_charges", True)),
        # With API access, fees are booked exactly from each payout's balance transactions;
        # without it, from the charges that carry them. Never both.
        "post_charge_fees": connection.api_token is None,
    }
    if topic in SETTLED_TOPICS and connection.api_token:
        extra["balance_transactions_by_source"] = _settlements(connection, body)
        charge = _event_object(body)
        txn = charge.get("balance_transaction")
        if isinstance(txn, str) and topic != "charge.refunded":
            with StripeApi(connection.stored.api_url or STRIPE_API, connection.api_token) as api:
                extra["balance_transaction"] = api.balance_transaction(txn)
    if topic == "payout.paid" and connection.api_token:
        payout_id = _event_object(body).get("id")
        if isinstance(payout_id, str):
            with StripeApi(connection.stored.api_url or STRIPE_API, connection.api_token) as api:
                extra["balance_transactions"] = api.balance_transactions_for_payout(payout_id)
    return extra


Fetcher = Callable[[OpenConnection, str, bytes], Mapping[str, Any]]

PLATFORM_FETCHERS: dict[str, Fetcher] = {
    "bigcommerce": bigcommerce_api.fetch_extra,
    "magento": magento_webhook_extra,
    "square": square_extra,
    "stripe": _stripe_extra,
    "woocommerce": woocommerce_refund_detail,
}
"""Platforms whose deliveries need API detail before they can be parsed, and how to fetch it."""


def fetch_extra(connection: OpenConnection, topic: str, body: bytes) -> Mapping[str, Any]:
    """The ``extra`` mapping the connector's ``parse`` takes for this delivery."""
    fetcher = PLATFORM_FETCHERS.get(connection.platform)
    return fetcher(connection, topic, body) if fetcher is not None else {}
