"""A header that carries the connection's secret (BigCommerce's legacy hooks authenticate with
one) is checked at the door and never stored with the delivery."""

from __future__ import annotations

from pathlib import Path

from ledgerbridge.clock import utcnow
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book


def test_the_auth_header_is_verified_but_not_kept(book: Book, samples: Path) -> None:
    add_connection(
        book.db,
        book.box,
        name="bc",
        platform="bigcommerce",
        secret="bc-hook-secret",
        settings={"auth_header": "X-Shop-Key"},
    )
    body = (samples / "webhooks/bigcommerce/webhook_store_order_created.json").read_bytes()
    headers = {"X-Shop-Key": "bc-hook-secret", "X-Ledgerbridge-Token": "bc-hook-secret"}
    receipt = receive(
        book.db, ConnectionDirectory(book.db, book.box), "bc", body, headers, now=utcnow()
    )
    with UnitOfWork(book.db) as uow:
        stored = uow.inbox.get(receipt.event_id)
    assert stored.body == body
    assert "x-shop-key" not in stored.headers and "x-ledgerbridge-token" not in stored.headers
    assert "bc-hook-secret" not in repr(stored.headers)
