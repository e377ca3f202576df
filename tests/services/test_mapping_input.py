"""What mapping expressions see: the platform's resource, the same for a webhook and for the
same resource pulled by a history sync; names in a document are text; a target's password is
never shown to readers."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ledgerbridge.clock import utcnow
from ledgerbridge.connectors.base import dump_json
from ledgerbridge.demo.store import DemoDay
from ledgerbridge.errors import InvalidInput
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive, topic_headers
from ledgerbridge.services import reports
from ledgerbridge.services.mapping import load_document, mapping_input, set_mapping, show
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book

CHARGE = {"id": "ch_1", "object": "charge", "metadata": {"mc": "M-77"}}
RESOURCE_FORMS = {
    "shopify": ({"id": 1, "source_name": "pos"}, {"order": {"id": 1, "source_name": "pos"}}),
    "stripe": ({"object": "event", "type": "charge.succeeded", "data": {"object": CHARGE}}, CHARGE),
    "square": (
        {
            "type": "payment.updated",
            "data": {"type": "payment", "object": {"payment": {"id": "P"}}},
        },
        {"id": "P"},
    ),
    "paypal": ({"event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {"id": "C"}}, {"id": "C"}),
    "woocommerce": ({"id": 7, "status": "processing"}, {"id": 7, "status": "processing"}),
}


@pytest.mark.parametrize("platform", sorted(RESOURCE_FORMS))
def test_a_webhook_and_its_pulled_resource_give_expressions_the_same_document(
    platform: str,
) -> None:
    webhook, pulled = RESOURCE_FORMS[platform]
    seen = mapping_input(platform, dump_json(webhook))
    assert seen == mapping_input(platform, dump_json(pulled))
    resource = webhook if platform in ("shopify", "woocommerce") else pulled
    assert seen == resource


def test_id_only_webhooks_are_read_through_what_the_worker_fetched() -> None:
    fetched = {"order": {"id": 250, "channel_id": 1}, "products": []}
    bigcommerce = {"scope": "store/order/created", "data": {"type": "order", "id": 250}}
    assert mapping_input("bigcommerce", dump_json(bigcommerce), fetched) == fetched
    assert mapping_input("bigcommerce", dump_json(fetched)) == fetched  # the pulled form
    magento = {"eventName": "observer.sales_order_invoice_pay", "data": {"invoice": {"id": 3}}}
    merged = mapping_input("magento", dump_json(magento), {"order": {"id": 9}})
    assert merged == {"invoice": {"id": 3}, "order": {"id": 9}}


def test_a_pulled_shopify_order_gets_the_dimensions_its_webhook_would(book: Book) -> None:
    set_mapping(book.db, "shop", {"dimensions": {"channel": "source_name"}})
    day = DemoDay(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC))
    webhook_order, pulled_order = day.order(1)[0], day.order(2)[0]
    webhook_order["source_name"] = pulled_order["source_name"] = "pos"
    directory = ConnectionDirectory(book.db, book.box)
    receive(
        book.db,
        directory,
        "shop",
        dump_json(webhook_order),
        topic_headers("shopify", "orders/paid"),
        now=utcnow(),
        verified=True,
    )
    with UnitOfWork(book.db) as uow:
        uow.inbox.store(
            connection_id=uow.connections.get("shop").id,
            external_id="api:orders/paid:2",
            topic="orders/paid",
            status=EventStatus.RECEIVED,
            headers={},
            body=dump_json({"order": pulled_order}),
            now=utcnow(),
        )
        uow.commit()
    book.worker().drain()
    entries = reports.journal(book.db)
    assert len(entries) == 2
    assert [p.entry.dimensions.get("channel") for p in entries] == ["pos", "pos"]


def test_yaml_keys_that_are_not_text_are_refused_by_path() -> None:
    with pytest.raises(InvalidInput) as raised:
        load_document("dimensions:\n  1: \"'x'\"\n  a: \"'y'\"\n")
    assert raised.value.field == "dimensions.1" and "must be text" in raised.value.message
    with pytest.raises(InvalidInput):
        load_document("accounts:\n  - when: {true: x}\n    role: sales\n    account: '4000'\n")


def test_a_targets_password_is_not_shown(book: Book) -> None:
    document = {"target": {"url": "postgresql+psycopg://erp:s3cret@db.example/erp"}}
    with UnitOfWork(book.db) as uow:
        uow.mappings.add(
            uow.connections.get("shop").id,
            document,
            sha256="0" * 64,
            created_by="t",
            now=utcnow(),
        )
        uow.commit()
    shown = show(book.db, "shop")["mappings"][0]["document"]
    assert "s3cret" not in json.dumps(shown)
    assert shown["target"]["url"] == "postgresql+psycopg://erp:***@db.example/erp"
