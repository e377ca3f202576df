"""A book with three connections, and the real HTTP service in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet

from ledgerbridge.api.app import AppState, create_app
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import Database
from tests.servers import serve_in_thread

SECRETS = {"shop": "shpss_test_secret", "stripe": "whsec_test_secret", "woo": "wc_test_secret"}


@dataclass
class Book:
    db: Database
    box: SecretBox

    def worker(self, **kwargs: object) -> Worker:
        return Worker(self.db, self.box, StaticRates({}), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def book(db: Database) -> Book:
    books.init_book(db, base_currency="USD")
    box = SecretBox(Fernet.generate_key())
    add_connection(db, box, name="stripe", platform="stripe", secret=SECRETS["stripe"])
    stripe_clearing = "1201"
    add_connection(
        db,
        box,
        name="shop",
        platform="shopify",
        secret=SECRETS["shop"],
        settings={"gateway_clearing": {"stripe": stripe_clearing}},
    )
    add_connection(db, box, name="woo", platform="woocommerce", secret=SECRETS["woo"])
    return Book(db, box)


@pytest.fixture
def receiving_server(book: Book) -> Iterator[str]:
    """The HTTP service without a worker: tests post events themselves, step by step."""
    state = AppState(
        db=book.db,
        box=book.box,
        directory=ConnectionDirectory(book.db, book.box),
        metrics=Metrics(),
        max_body_bytes=64 * 1024,
    )
    with serve_in_thread(create_app(state)) as url:
        yield url
