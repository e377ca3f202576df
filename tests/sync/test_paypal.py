"""PayPal history: the transaction search paged through a fake PayPal on 127.0.0.1 (31-day windows,
``total_pages``, a 429 and a dropped connection on the way), captures and refunds fetched as the
webhook carries them, and withdrawals as payouts; then the whole money path on both databases:
signed webhooks in, history pulled, and the PayPal clearing account back at exactly 0.00."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledgerbridge.api.app import AppState, create_app
from ledgerbridge.api.metrics import Metrics
from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import PayloadInvalid, PlatformRequestFailed
from ledgerbridge.events import OrderPaid, Payout
from ledgerbridge.money import Money
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.services.sync import sync_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.sync.base import Pulled, SyncSource
from ledgerbridge.sync.http import ApiClient
from ledgerbridge.sync.paypal import PayPalPuller, TransactionStream
from ledgerbridge.sync.registry import puller_for
from tests.servers import free_port, serve_in_thread

from .ledger_helpers import new_book
from .paypal_server import (
    API_TOKEN,
    NOW,
    FakePayPal,
    Pki,
    capture,
    refund,
    row,
    running,
    webhook,
)

SINCE = dt.date(2025, 1, 1)
WEBHOOK_ID = "1JE4291016473214C"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def paypal(pki: Pki) -> Iterator[FakePayPal]:
    with running(FakePayPal(certs=dict(pki.chains))) as fake:
        yield fake


def history(fake: FakePayPal) -> None:
    """January to March: three sales, a refund, a pending sale, a payment sent, a withdrawal."""
    fake.captures["CAP1"] = capture("CAP1", "100.00", "3.98", when="2025-01-05T10:00:00Z")
    fake.captures["CAP2"] = capture("CAP2", "40.00", "1.65", when="2025-01-20T10:00:00Z")
    fake.refunds["REF1"] = refund("REF1", "CAP1", "20.00", "0.60", when="2025-02-10T10:00:00Z")
    fake.rows += [
        row("CAP1", "T0006", "100.00", fee="-3.98", when="2025-01-05T10:00:00+0000"),
        row("CAP2", "T0006", "40.00", fee="-1.65", when="2025-01-20T10:00:00+0000"),
        row("OLD3", "T0007", "12.00", fee="-0.65", when="2025-01-25T10:00:00+0000"),
        row("SENT", "T0001", "-5.00", when="2025-01-26T10:00:00+0000"),
        row("PEND", "T0006", "9.00", status="P", when="2025-01-27T10:00:00+0000"),
        row(
            "REF1", "T1107", "-20.00", fee="0.60", reference="CAP1", when="2025-02-10T10:00:00+0000"
        ),
        row("WD1", "T0400", "-130.00", when="2025-02-20T10:00:00+0000"),
    ]


def clock(at: dt.datetime = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)) -> Any:
    return lambda: at


def pull_all(
    fake: FakePayPal, *, page_size: int = 2
) -> tuple[list[Pulled], ApiClient, list[float]]:
    """Page the transaction stream until its cursor is None, as the sync engine does."""
    waits: list[float] = []
    source = SyncSource("pp", "paypal", fake.url, API_TOKEN)
    puller = PayPalPuller(clock=clock(), page_size=page_size)
    client = puller.client(source, sleep=waits.append)
    (stream,) = puller.streams(source)
    pulled: list[Pulled] = []
    cursor: str | None = None
    while True:
        page = stream.page(client, since=SINCE, cursor=cursor)
        pulled += page.items
        if page.cursor is None:
            return pulled, client, waits
        assert page.cursor != cursor
        cursor = page.cursor


def events_of(item: Pulled) -> tuple[Any, ...]:
    return connector_for("paypal").parse(item.topic, item.body).events


class TestTransactionStream:
    def test_paging_through_windows_survives_a_429_and_a_dropped_connection(
        self, paypal: FakePayPal
    ) -> None:
        history(paypal)
        paypal.failures["/v1/reporting/transactions"] = ["429", "drop"]
        pulled, client, waits = pull_all(paypal)
        by_key = {item.external_id: item.topic for item in pulled}
        assert by_key == {
            "api:PAYMENT.CAPTURE.COMPLETED:CAP1:S": "PAYMENT.CAPTURE.COMPLETED",
            "api:PAYMENT.CAPTURE.COMPLETED:CAP2:S": "PAYMENT.CAPTURE.COMPLETED",
            "api:PAYMENT.CAPTURE.COMPLETED:OLD3:S": "PAYMENT.CAPTURE.COMPLETED",
            "api:PAYMENT.CAPTURE.COMPLETED:PEND:P": "PAYMENT.CAPTURE.COMPLETED",
            "api:PAYMENT.CAPTURE.REFUNDED:REF1:S": "PAYMENT.CAPTURE.REFUNDED",
            "api:ledgerbridge.withdrawal:WD1:S": "ledgerbridge.withdrawal",
        }
        assert 7.0 in waits  # PayPal's Retry-After was honoured
        assert client.retries == 2
        assert paypal.tokens_issued == 1

    def test_each_query_spans_at_most_31_days_and_the_last_ends_now(
        self, paypal: FakePayPal
    ) -> None:
        asked: list[tuple[str, str]] = []
        original = paypal.search

        def recording(query: dict[str, list[str]]) -> dict[str, Any]:
            asked.append((query["start_date"][0], query["end_date"][0]))
            return original(query)

        paypal.search = recording  # type: ignore[method-assign]
        pull_all(paypal)
        spans = [
            dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)
            for start, end in asked
        ]
        assert max(spans) <= dt.timedelta(days=31)
        assert asked[0][0] == "2025-01-01T00:00:00Z"
        assert asked[-1][1] == "2025-03-10T00:00:00Z"
        assert all(a[1] == b[0] for a, b in itertools.pairwise(asked))

    def test_a_pulled_capture_parses_to_the_same_events_as_its_webhook(
        self, paypal: FakePayPal
    ) -> None:
        history(paypal)
        pulled = {item.external_id: item for item in pull_all(paypal)[0]}
        hook = webhook("PAYMENT.CAPTURE.COMPLETED", paypal.captures["CAP1"], event_id="WH-C1")
        assert (
            events_of(pulled["api:PAYMENT.CAPTURE.COMPLETED:CAP1:S"])
            == connector_for("paypal").parse("PAYMENT.CAPTURE.COMPLETED", hook).events
        )
        refund_hook = webhook("PAYMENT.CAPTURE.REFUNDED", paypal.refunds["REF1"], event_id="WH-R1")
        assert (
            events_of(pulled["api:PAYMENT.CAPTURE.REFUNDED:REF1:S"])
            == connector_for("paypal").parse("PAYMENT.CAPTURE.REFUNDED", refund_hook).events
        )

    def test_a_capture_unknown_to_the_v2_api_is_read_from_its_row_on_the_same_key(
        self, paypal: FakePayPal
    ) -> None:
        history(paypal)
        pulled = {item.external_id: item for item in pull_all(paypal)[0]}
        paid, fee = events_of(pulled["api:PAYMENT.CAPTURE.COMPLETED:OLD3:S"])
        assert isinstance(paid, OrderPaid) and paid.external_id == "OLD3"
        assert (paid.order.total, fee.amount) == (Money.of("12.00", "USD"), Money.of("0.65", "USD"))
        assert paypal.hits("/v2/payments/captures/OLD3") == 1

    def test_a_withdrawal_is_a_payout_and_a_pending_sale_waits_for_its_completion(
        self, paypal: FakePayPal
    ) -> None:
        history(paypal)
        pulled = {item.external_id: item for item in pull_all(paypal)[0]}
        (payout,) = events_of(pulled["api:ledgerbridge.withdrawal:WD1:S"])
        assert isinstance(payout, Payout) and payout.amount == Money.of("130.00", "USD")
        pending = pulled["api:PAYMENT.CAPTURE.COMPLETED:PEND:P"]
        assert events_of(pending) == ()  # the row says P: PayPal has not completed it

    def test_wrong_credentials_stop_the_sync_in_plain_words(self, paypal: FakePayPal) -> None:
        source = SyncSource("pp", "paypal", paypal.url, "AZ-client:wrong")
        puller = PayPalPuller(clock=clock())
        (stream,) = puller.streams(source)
        with (
            puller.client(source, sleep=lambda _: None) as client,
            pytest.raises(PlatformRequestFailed) as caught,
        ):
            stream.page(client, since=SINCE, cursor=None)
        assert caught.value.status == 401 and "invalid_client" in caught.value.message

    def test_a_damaged_cursor_is_refused(self, paypal: FakePayPal) -> None:
        stream = TransactionStream(clock=clock())
        source = SyncSource("pp", "paypal", paypal.url, API_TOKEN)
        with (
            PayPalPuller().client(source, sleep=lambda _: None) as client,
            pytest.raises(PayloadInvalid),
        ):
            stream.page(client, since=SINCE, cursor="yesterday")

    def test_the_registry_knows_paypal(self) -> None:
        assert isinstance(puller_for("paypal"), PayPalPuller)


# --- the whole path on both databases ------------------------------------------------------


@pytest.fixture
def ledger(db: Database, paypal: FakePayPal, pki: Pki) -> tuple[Database, SecretBox, str]:
    box = new_book(db).box
    stored = add_connection(
        db,
        box,
        name="paypal",
        platform="paypal",
        secret=WEBHOOK_ID,
        api_url=paypal.url,
        api_token=API_TOKEN,
        settings={"paypal_cert_origins": [paypal.url], "paypal_ca_bundle": str(pki.bundle)},
    )
    return db, box, stored.clearing_account


def deliver(
    db: Database, box: SecretBox, pki: Pki, paypal: FakePayPal, topic: str, resource: Any, n: int
) -> None:
    body = webhook(topic, resource, event_id=f"WH-E2E-{n}")
    headers = pki.headers(body, WEBHOOK_ID, paypal.cert_url("good"), transmission_id=f"t-{n}")
    receive(db, ConnectionDirectory(db, box), "paypal", body, headers, now=NOW)


def test_sale_fee_refund_and_withdrawal_leave_the_paypal_clearing_at_zero(
    ledger: tuple[Database, SecretBox, str], paypal: FakePayPal, pki: Pki
) -> None:
    db, box, clearing = ledger
    sale = capture("CAP9", "100.00", "3.98", when="2025-02-01T10:00:00Z")
    back = refund("REF9", "CAP9", "20.00", "0.60", when="2025-02-03T10:00:00Z")
    deliver(db, box, pki, paypal, "PAYMENT.CAPTURE.COMPLETED", sale, 1)
    deliver(db, box, pki, paypal, "PAYMENT.CAPTURE.REFUNDED", back, 2)
    worker = Worker(db, box, StaticRates({}), clock=lambda: NOW)
    worker.drain()
    held = reports.trial_balance(db).balance_of(clearing)
    assert held == Money.of("76.62", "USD")  # 100.00 − 3.98 − 20.00 + 0.60: what PayPal holds

    # The withdrawal has no webhook: the history sync brings it, with the sale and refund again.
    paypal.captures["CAP9"], paypal.refunds["REF9"] = sale, back
    paypal.rows += [
        row("CAP9", "T0006", "100.00", fee="-3.98", when="2025-02-01T10:00:00+0000"),
        row(
            "REF9", "T1107", "-20.00", fee="0.60", reference="CAP9", when="2025-02-03T10:00:00+0000"
        ),
        row("WD9", "T0400", "-76.62", when="2025-02-05T10:00:00+0000"),
    ]
    paypal.failures["/v1/reporting/transactions"] = ["429", "drop"]
    report = sync_connection(
        db, box, "paypal", since=dt.date(2025, 2, 1), clock=lambda: NOW, sleep=lambda _: None
    )
    assert report.complete and report.streams[0].new == 3
    worker.drain()

    tb = reports.trial_balance(db)
    assert tb.balance_of(clearing) == Money.of("0.00", "USD")
    assert tb.balance_of("1000") == Money.of("76.62", "USD")  # bank
    assert tb.balance_of("6100") == Money.of("3.38", "USD")  # fees: 3.98 kept, 0.60 returned
    assert tb.balance_of("4000") == Money.of("-100.00", "USD")  # sales
    assert tb.balance_of("4300") == Money.of("20.00", "USD")  # returns
    assert tb.total_debit == tb.total_credit
    with UnitOfWork(db) as uow:
        entries = uow.entries.find()
        inbox = uow.inbox.find(limit=100)
    assert len(entries) == 4  # sale, fee, refund, payout: the pulled copies posted nothing twice
    assert {event.status for event in inbox} == {EventStatus.POSTED}
    assert len(inbox) == 5  # two webhooks, three pulled resources


def test_the_ingress_answers_202_401_and_503_as_paypal_expects(
    ledger: tuple[Database, SecretBox, str], paypal: FakePayPal, pki: Pki
) -> None:
    db, box, _ = ledger
    unreachable = f"http://127.0.0.1:{free_port()}"
    add_connection(
        db,
        box,
        name="paypal-down",
        platform="paypal",
        secret=WEBHOOK_ID,
        settings={"paypal_cert_origins": [unreachable], "paypal_ca_bundle": str(pki.bundle)},
    )
    state = AppState(
        db=db,
        box=box,
        directory=ConnectionDirectory(db, box),
        metrics=Metrics(),
        max_body_bytes=64 * 1024,
        clock=lambda: NOW,
    )
    body = webhook("PAYMENT.CAPTURE.COMPLETED", capture("CAP5", "5.00", "0.50"), event_id="WH-5")
    good = pki.headers(body, WEBHOOK_ID, paypal.cert_url("good"))
    forged = pki.headers(body, "ANOTHER-WEBHOOK", paypal.cert_url("good"))
    down = pki.headers(body, WEBHOOK_ID, f"{unreachable}/v1/notifications/certs/good")
    with serve_in_thread(create_app(state)) as url:
        stored = httpx.post(f"{url}/webhooks/paypal", content=body, headers=good)
        refused = httpx.post(f"{url}/webhooks/paypal", content=body, headers=forged)
        outage = httpx.post(f"{url}/webhooks/paypal-down", content=body, headers=down)
    assert stored.status_code == 202 and stored.json()["topic"] == "PAYMENT.CAPTURE.COMPLETED"
    assert refused.status_code == 401
    assert "does not match" in refused.json()["error"]["message"]
    assert outage.status_code == 503  # PayPal delivers again later
    assert outage.json()["error"]["code"] == "platform_unavailable"


def test_a_dispute_and_the_reversal_that_ends_it_take_the_money_once(
    ledger: tuple[Database, SecretBox, str], paypal: FakePayPal, pki: Pki
) -> None:
    db, box, clearing = ledger
    case = {
        "dispute_id": "PP-D-1",
        "create_time": "2025-02-02T10:00:00.000Z",
        "update_time": "2025-02-02T10:00:00.000Z",
        "disputed_transactions": [{"seller_transaction_id": "CAP7"}],
        "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        "status": "OPEN",
        "dispute_amount": {"currency_code": "USD", "value": "50.00"},
    }
    reversal = refund("REV7", "CAP7", "50.00", "0.00", when="2025-02-20T10:00:00Z")
    deliver(db, box, pki, paypal, "PAYMENT.CAPTURE.COMPLETED", capture("CAP7", "50.00", "2.04"), 1)
    deliver(db, box, pki, paypal, "CUSTOMER.DISPUTE.CREATED", case, 2)
    deliver(db, box, pki, paypal, "PAYMENT.CAPTURE.REVERSED", reversal, 3)
    resolved = case | {
        "status": "RESOLVED",
        "dispute_outcome": {"outcome_code": "RESOLVED_BUYER_FAVOUR"},
    }
    deliver(db, box, pki, paypal, "CUSTOMER.DISPUTE.RESOLVED", resolved, 4)
    Worker(db, box, StaticRates({}), clock=lambda: NOW).drain()
    tb = reports.trial_balance(db)
    assert tb.balance_of("6200") == Money.of("50.00", "USD")  # chargebacks, booked once
    assert tb.balance_of(clearing) == Money.of("-2.04", "USD")  # 50.00 − 2.04 fee − 50.00
