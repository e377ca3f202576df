"""Every public webhook sample for Shopify, Stripe and WooCommerce goes through the real path:
stored raw, parsed, posted, or refused with a reason a person can act on. Nothing crashes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive, topic_headers
from ledgerbridge.services import reports
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock

# sample file -> (connection, topic); topics are those the platform would deliver it under
SHOPIFY = {
    "api_order.json": "orders/create",
    "api_refund.json": "refunds/create",
    "api_shopify_payments_payout.json": "shopify_payments/payout",
    "api_transaction.json": "order_transactions/create",
}
ZEROED_EVENT_ID = re.compile(rb'"evt_0+"')
WOO = {
    "v3_order_create_response.json": "order.created",
    "v3_order_update_response.json": "order.updated",
    "v3_order_retrieve_response.json": "order.updated",
    "v3_webhook_create_response.json": "webhook.created",
}


def ingest_all(book: Book, samples: Path, clock: FakeClock) -> dict[str, int]:
    directory = ConnectionDirectory(book.db, book.box)
    ids: dict[str, int] = {}
    deliveries: list[tuple[str, str, str, bytes]] = []
    for name, topic in SHOPIFY.items():
        deliveries.append(
            (f"shopify/{name}", "shop", topic, (samples / "webhooks/shopify" / name).read_bytes())
        )
    for index, path in enumerate(sorted((samples / "webhooks/stripe").glob("event_*.json"))):
        # These samples had their ids zeroed when published, so every one says
        # evt_000…; real Stripe event ids are unique, so give each its own.
        body = ZEROED_EVENT_ID.sub(f'"evt_sample_{index:04d}"'.encode(), path.read_bytes(), count=1)
        deliveries.append((f"stripe/{path.name}", "stripe", "", body))
    for name, topic in WOO.items():
        deliveries.append(
            (
                f"woocommerce/{name}",
                "woo",
                topic,
                (samples / "webhooks/woocommerce" / name).read_bytes(),
            )
        )
    platforms = {"shop": "shopify", "stripe": "stripe", "woo": "woocommerce"}
    for label, connection, topic, body in deliveries:
        receipt = receive(
            book.db,
            directory,
            connection,
            body,
            topic_headers(platforms[connection], topic),
            now=clock(),
            verified=True,
        )
        ids[label] = receipt.event_id
    return ids


def test_every_sample_posts_or_is_refused_with_a_reason(book: Book, samples: Path) -> None:
    clock = FakeClock()
    ids = ingest_all(book, samples, clock)
    worker = book.worker(clock=clock)
    for _ in range(12):  # let out-of-order events retry until they post or give up
        worker.drain()
        clock.advance(3600)
    with UnitOfWork(book.db) as uow:
        states = {label: uow.inbox.get(event_id) for label, event_id in ids.items()}
    report = {label: (e.status.value, e.last_error) for label, e in states.items()}
    assert all(
        e.status in (EventStatus.POSTED, EventStatus.IGNORED, EventStatus.DEAD)
        for e in states.values()
    ), json.dumps(report, indent=1)
    for label in (
        "shopify/api_shopify_payments_payout.json",
        "stripe/event_charge.succeeded.json",
        "stripe/event_charge.refunded.json",
        "stripe/event_charge.dispute.funds_withdrawn.json",
        "stripe/event_payout.paid.json",
        "stripe/event_checkout.session.completed.payment_mode.json",
        "woocommerce/v3_order_create_response.json",
    ):
        assert states[label].status is EventStatus.POSTED, (label, report[label])
    for label in (
        "stripe/event_balance.available.json",
        "stripe/event_transfer.paid.json",
        "woocommerce/v3_webhook_create_response.json",
    ):
        assert states[label].status is EventStatus.IGNORED, (label, report[label])
    for label, event in states.items():
        if event.status is EventStatus.DEAD:
            assert event.last_error, f"{label} is dead without a reason"
    tb = reports.trial_balance(book.db)
    assert tb.total_debit == tb.total_credit
    assert tb.total_debit.is_positive()
