"""PayPal's alternative verification asks PayPal's API, so the ingress hands the connection's
API credentials to the connector: a delivery PayPal vouches for is stored, one it refuses is not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledgerbridge.connectors.base import SignatureInvalid
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book
from tests.sync.paypal_server import API_TOKEN, NOW, FakePayPal, Pki, capture, running, webhook

WEBHOOK_ID = "8PT597110X687430LKGECATA"
BODY = webhook("PAYMENT.CAPTURE.COMPLETED", capture("3C6793", "100.00", "3.98"), event_id="WH-9")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def paypal(pki: Pki) -> Iterator[FakePayPal]:
    with running(FakePayPal(certs=dict(pki.chains))) as fake:
        yield fake


def test_a_delivery_paypals_api_vouches_for_is_stored_and_a_refused_one_is_not(
    book: Book, pki: Pki, paypal: FakePayPal
) -> None:
    add_connection(
        book.db,
        book.box,
        name="pp",
        platform="paypal",
        secret=WEBHOOK_ID,
        api_url=paypal.url,
        api_token=API_TOKEN,
        settings={"verification": "api"},
    )
    directory = ConnectionDirectory(book.db, book.box)
    headers = pki.headers(BODY, WEBHOOK_ID, "https://api.paypal.com/v1/notifications/certs/x")
    receipt = receive(book.db, directory, "pp", BODY, headers, now=NOW)
    assert not receipt.duplicate
    assert paypal.verify_requests[0]["webhook_id"] == WEBHOOK_ID

    paypal.verdict = "FAILURE"
    other = BODY.replace(b"WH-9", b"WH-10")
    with pytest.raises(SignatureInvalid):
        receive(book.db, directory, "pp", other, headers, now=NOW)
    with UnitOfWork(book.db) as uow:
        stored = uow.inbox.find(connection="pp", limit=10)
    assert [e.id for e in stored] == [receipt.event_id]
    assert API_TOKEN not in repr(stored[0].headers)
