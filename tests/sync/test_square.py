"""Square history sync against a real HTTP server that pages like Square, and Square end to end:
signed webhooks (and the payout entries the worker fetches) through ``receive`` and the worker
into the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.connectors.base import PlatformRequestFailed
from ledgerbridge.connectors.square import SquareConnector, signature
from ledgerbridge.connectors.square_api import payout_entries, square_client
from ledgerbridge.events import OrderPaid, Payout, Refund
from ledgerbridge.ledger.chart import Role
from ledgerbridge.money import Money
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import reports
from ledgerbridge.services.connections import add_connection, update_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.sync.base import SyncSource
from ledgerbridge.sync.registry import puller_for
from ledgerbridge.sync.square import SquarePuller
from tests.sync.fake_http import FakeApi, serving
from tests.sync.ledger_helpers import new_book, pull_all
from tests.sync.square_server import (
    RETRY_AFTER,
    TOKEN,
    SquareData,
    entry,
    envelope,
    payment,
    payout,
    refund,
    square_api,
)

SQUARE = SquareConnector()
SINCE = dt.date(2024, 3, 1)
NOTIFY = "https://books.example.com/webhooks/square"
SIGNATURE_KEY = "square-signature-key"


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def source(url: str, **settings: Any) -> SyncSource:
    return SyncSource("square", "square", url, TOKEN, settings)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def payments(samples: Path) -> list[dict[str, Any]]:
    """Eight payments over eight days; the approved one and the one before SINCE are not filed."""
    made = [
        payment(samples, f"PAY{n}", 1000 + n, fee=30 + n, created=f"2024-03-0{n}T10:00:00.000Z")
        for n in range(1, 8)
    ]
    made[3]["status"] = "APPROVED"
    made.append(payment(samples, "PAY0", 999, created="2024-02-28T10:00:00.000Z"))
    return made


@pytest.fixture
def square(samples: Path) -> Iterator[tuple[str, FakeApi, SquareData]]:
    data = SquareData(
        payments=payments(samples),
        refunds=[
            refund(samples, "REF1", "PAY1", 500, created="2024-03-02T10:00:00.000Z"),
            refund(samples, "REF2", "PAY2", 100, created="2024-03-03T10:00:00.000Z"),
            refund(
                samples, "REF3", "PAY3", 100, created="2024-03-04T10:00:00.000Z", status="PENDING"
            ),
        ],
        payouts=[
            payout(samples, "po_1", 2000, created="2024-03-05T03:00:00Z"),
            payout(samples, "po_2", 1500, created="2024-03-06T03:00:00Z", status="SENT"),
            payout(samples, "po_3", 1500, created="2024-03-07T03:00:00Z", status="FAILED"),
        ],
    )
    with serving(square_api, data) as served:
        yield served


class TestPaging:
    def test_three_pages_survive_a_429_and_a_dropped_connection_and_each_item_comes_once(
        self, square: tuple[str, FakeApi, SquareData]
    ) -> None:
        url, fake, _ = square
        fake.faults = {2: "throttle", 3: "cut"}
        sleeps = Sleeps()
        puller = SquarePuller()
        with puller.client(source(url), sleep=sleeps) as client:
            pulled = pull_all(puller.streams(source(url))[0], client, SINCE)
            assert client.retries == 2
        ids = [json.loads(p.body)["id"] for p in pulled]
        assert ids == ["PAY1", "PAY2", "PAY3", "PAY5", "PAY6", "PAY7"]  # oldest first, once
        assert {p.topic for p in pulled} == {"payment.updated"}
        assert sleeps[0] == float(RETRY_AFTER)  # Square said how long to wait; we waited that
        assert len(sleeps) == 2
        lists = [r for r in fake.requests if r.path == "/v2/payments"]
        assert len(lists) == 5  # three pages, one throttled, one cut short
        first = lists[0].params
        assert first["begin_time"] == "2024-03-01T00:00:00Z" and first["sort_order"] == "ASC"
        assert "cursor" not in first and all("cursor" in r.query for r in lists[1:])
        assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in lists)
        assert all(r.headers["square-version"] for r in lists)

    def test_refunds_and_payouts_are_filed_under_their_webhook_topics(
        self, square: tuple[str, FakeApi, SquareData]
    ) -> None:
        url, _, _ = square
        puller = SquarePuller()
        _, refunds, payouts = puller.streams(source(url))
        with puller.client(source(url), sleep=Sleeps()) as client:
            pulled_refunds = pull_all(refunds, client, SINCE)
            pulled_payouts = pull_all(payouts, client, SINCE)
        assert [(p.topic, json.loads(p.body)["id"]) for p in pulled_refunds] == [
            ("refund.updated", "REF1"),
            ("refund.updated", "REF2"),
        ]
        assert [(p.topic, p.external_id) for p in pulled_payouts] == [
            ("payout.paid", "api:payout.paid:po_1"),
            ("payout.sent", "api:payout.sent:po_2"),
        ]

    def test_a_location_narrows_every_list(self, square: tuple[str, FakeApi, SquareData]) -> None:
        url, fake, _ = square
        where = source(url, location_id="L88917AVBK2S5")
        puller = SquarePuller()
        with puller.client(where, sleep=Sleeps()) as client:
            for stream in puller.streams(where):
                pull_all(stream, client, SINCE)
        assert {r.one("location_id") for r in fake.requests} == {"L88917AVBK2S5"}

    def test_a_wrong_token_is_refused_with_squares_own_words(
        self, square: tuple[str, FakeApi, SquareData]
    ) -> None:
        url, _, _ = square
        wrong = SyncSource("square", "square", url, "EAAAwrong", {})
        puller = SquarePuller()
        with (
            puller.client(wrong, sleep=Sleeps()) as client,
            pytest.raises(PlatformRequestFailed) as caught,
        ):
            puller.streams(wrong)[0].page(client, since=SINCE, cursor=None)
        assert caught.value.status == 401
        assert "This request could not be authorized." in caught.value.message

    def test_pulling_twice_gives_the_same_inbox_keys(
        self, square: tuple[str, FakeApi, SquareData]
    ) -> None:
        url, _, _ = square
        puller = SquarePuller()
        with puller.client(source(url), sleep=Sleeps()) as client:
            stream = puller.streams(source(url))[0]
            assert [p.external_id for p in pull_all(stream, client, SINCE)] == [
                p.external_id for p in pull_all(stream, client, SINCE)
            ]

    def test_the_registry_knows_the_puller(self) -> None:
        assert isinstance(puller_for("square"), SquarePuller)


class TestPulledMatchesWebhook:
    @pytest.mark.parametrize("stream_index", [0, 1, 2], ids=["payments", "refunds", "payouts"])
    def test_each_pulled_item_parses_to_the_events_of_its_webhook(
        self, square: tuple[str, FakeApi, SquareData], stream_index: int
    ) -> None:
        url, _, data = square
        puller = SquarePuller()
        with puller.client(source(url), sleep=Sleeps()) as client:
            pulled = pull_all(puller.streams(source(url))[stream_index], client, SINCE)
        originals = {o["id"]: o for o in [*data.payments, *data.refunds, *data.payouts]}
        assert pulled
        for item in pulled:
            bare = SQUARE.parse(item.topic, item.body).events
            obj = originals[json.loads(item.body)["id"]]
            hooked = SQUARE.parse(
                item.topic, json.dumps(envelope(item.topic, obj, "e1")).encode()
            ).events
            assert [(e.external_id, e.kind) for e in bare] == [
                (e.external_id, e.kind) for e in hooked
            ]
            assert bare == hooked
            assert bare and isinstance(bare[0], OrderPaid | Refund | Payout)


class TestPayoutEntries:
    def test_entries_are_read_across_pages_through_a_429(
        self, samples: Path, square: tuple[str, FakeApi, SquareData]
    ) -> None:
        url, fake, data = square
        data.entries["po_1"] = [
            entry(f"poe_{n}", "po_1", "CHARGE", 1000, 30, f"PAY{n}") for n in range(7)
        ]
        fake.faults = {2: "throttle"}
        sleeps = Sleeps()
        with square_client(url, TOKEN, sleep=sleeps) as client:
            found = payout_entries(client, "po_1")
        assert [e["id"] for e in found] == [f"poe_{n}" for n in range(7)]
        assert sleeps == [float(RETRY_AFTER)]
        assert {r.path for r in fake.requests} == {"/v2/payouts/po_1/payout-entries"}


# --- end to end: signed webhooks → receive → worker → ledger ----------------------------------


@dataclass
class Ledger:
    db: Database
    box: SecretBox

    def deliver(self, topic: str, obj: dict[str, Any], event_id: str) -> int:
        raw = json.dumps(envelope(topic, obj, event_id)).encode()
        return self.deliver_raw(raw)

    def deliver_raw(self, raw: bytes) -> int:
        headers = {"X-Square-HmacSha256-Signature": signature(raw, SIGNATURE_KEY, NOTIFY)}
        now = dt.datetime(2024, 3, 5, tzinfo=dt.UTC)
        directory = ConnectionDirectory(self.db, self.box)
        return receive(self.db, directory, "square", raw, headers, now=now).event_id

    def drain(self, rates: StaticRates | None = None) -> None:
        Worker(self.db, self.box, rates or StaticRates({})).drain()

    def status(self, event_id: int) -> tuple[EventStatus, str | None]:
        with UnitOfWork(self.db) as uow:
            event = uow.inbox.get(event_id)
        return event.status, event.last_error

    def notices(self, event_id: int) -> list[str]:
        with UnitOfWork(self.db) as uow:
            return [n["message"] for n in uow.inbox.get(event_id).notices]

    def settings(self) -> dict[str, Any]:
        with UnitOfWork(self.db) as uow:
            return dict(uow.connections.get("square").settings)

    def balances(self) -> dict[str, Money]:
        with UnitOfWork(self.db) as uow:
            roles = uow.accounts.roles()
            clearing = uow.connections.get("square").clearing_account
        tb = reports.trial_balance(self.db)
        assert tb.total_debit == tb.total_credit
        return {
            "clearing": tb.balance_of(clearing),
            "bank": tb.balance_of(roles[Role.BANK]),
            "fees": tb.balance_of(roles[Role.PROCESSING_FEES]),
            "suspense": tb.balance_of(roles[Role.SUSPENSE]),
        }


def open_ledger(db: Database, api_url: str | None = None) -> Ledger:
    book = new_book(db)
    add_connection(
        db,
        book.box,
        name="square",
        platform="square",
        secret=SIGNATURE_KEY,
        api_url=api_url,
        api_token=TOKEN if api_url else None,
        settings={"notification_url": NOTIFY},
    )
    return Ledger(db, book.box)


def trade(ledger: Ledger, samples: Path) -> list[int]:
    """Two sales (one announced twice), a refund with the fee Square gives back."""
    pay1 = payment(samples, "PAY1", 10000, fee=320)
    return [
        ledger.deliver("payment.created", pay1, "e-1"),
        ledger.deliver("payment.updated", pay1, "e-2"),
        ledger.deliver("payment.updated", payment(samples, "PAY2", 5000, fee=175), "e-3"),
        ledger.deliver(
            "refund.updated", refund(samples, "REF1", "PAY1", 2000, fee_returned=40), "e-4"
        ),
    ]


class TestClearingEndsAtZero:
    def test_with_api_access_the_payout_entries_book_every_fee_once(
        self, db: Database, samples: Path
    ) -> None:
        data = SquareData(
            entries={
                "po_1": [
                    entry("poe_1", "po_1", "CHARGE", 10000, 320, "PAY1"),
                    entry("poe_2", "po_1", "CHARGE", 5000, 175, "PAY2"),
                    entry("poe_3", "po_1", "REFUND", -2000, -40, "REF1"),
                    entry("poe_4", "po_1", "FEE", -500, 0),
                ]
            }
        )
        fake = square_api(data)
        with fake.running() as url:
            ledger = open_ledger(db, url)
            ids = trade(ledger, samples)
            ids.append(ledger.deliver("payout.paid", payout(samples, "po_1", 12045), "e-5"))
            ids.append(
                ledger.deliver("payout.sent", payout(samples, "po_1", 12045, status="SENT"), "e-6")
            )
            ledger.drain()
        assert [ledger.status(i)[0] for i in ids] == [EventStatus.POSTED] * len(ids)
        assert ledger.balances() == {
            "clearing": usd("0.00"),
            "bank": usd("120.45"),
            "fees": usd("9.55"),  # 3.20 + 1.75 − 0.40 returned + 5.00; not the payments' fees too
            "suspense": usd("0.00"),
        }
        asked = [r for r in fake.requests if r.path == "/v2/payouts/po_1/payout-entries"]
        assert asked and all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in asked)

    def test_without_api_access_the_payments_book_the_fees(
        self, db: Database, samples: Path
    ) -> None:
        ledger = open_ledger(db)
        ids = trade(ledger, samples)
        ids.append(ledger.deliver("payout.paid", payout(samples, "po_1", 12545), "e-5"))
        ledger.drain()
        assert [ledger.status(i)[0] for i in ids] == [EventStatus.POSTED] * len(ids)
        assert ledger.balances() == {
            "clearing": usd("0.00"),
            "bank": usd("125.45"),
            "fees": usd("4.55"),  # 3.20 + 1.75 − 0.40 Square gave back on the refund
            "suspense": usd("0.00"),
        }

    def test_a_forged_delivery_never_reaches_the_inbox(self, db: Database, samples: Path) -> None:
        ledger = open_ledger(db)
        raw = json.dumps(envelope("payment.updated", payment(samples, "P", 100), "e")).encode()
        headers = {"X-Square-HmacSha256-Signature": signature(raw, "another-key", NOTIFY)}
        with pytest.raises(Exception, match="does not match"):
            receive(
                db,
                ConnectionDirectory(db, ledger.box),
                "square",
                raw,
                headers,
                now=dt.datetime(2024, 3, 5, tzinfo=dt.UTC),
            )
        with UnitOfWork(db) as uow:
            assert uow.inbox.find(connection="square") == []


def po_1_entries() -> dict[str, list[dict[str, Any]]]:
    """The entries of the payout that settles ``trade``: the same fees the payments carry."""
    return {
        "po_1": [
            entry("poe_1", "po_1", "CHARGE", 10000, 320, "PAY1"),
            entry("poe_2", "po_1", "CHARGE", 5000, 175, "PAY2"),
            entry("poe_3", "po_1", "REFUND", -2000, -40, "REF1"),
        ]
    }


class TestFeeSourceIsFixedPerConnection:
    def test_the_connection_records_where_its_fees_come_from(self, db: Database) -> None:
        ledger = open_ledger(db)
        assert ledger.settings()["fee_source"] == "payments"
        add_connection(
            db,
            ledger.box,
            name="sq2",
            platform="square",
            secret="k",
            api_token=TOKEN,
            settings={"notification_url": NOTIFY},
        )
        with UnitOfWork(db) as uow:
            assert uow.connections.get("sq2").settings["fee_source"] == "payouts"

    def test_adding_a_token_later_does_not_book_the_payments_fees_again(
        self, db: Database, samples: Path
    ) -> None:
        fake = square_api(SquareData(entries=po_1_entries()))
        with fake.running() as url:
            ledger = open_ledger(db)
            ids = trade(ledger, samples)
            ledger.drain()
            # The merchant adds a token for history sync; fees were already booked per payment.
            update_connection(db, ledger.box, "square", api_url=url, api_token=TOKEN)
            ids.append(ledger.deliver("payout.paid", payout(samples, "po_1", 12545), "e-5"))
            ledger.drain()
        assert [ledger.status(i)[0] for i in ids] == [EventStatus.POSTED] * len(ids)
        assert ledger.balances() == {
            "clearing": usd("0.00"),
            "bank": usd("125.45"),
            "fees": usd("4.55"),  # once, from the payments; not 9.10
            "suspense": usd("0.00"),
        }
        assert "fees come from the payments" in " ".join(ledger.notices(ids[-1]))

    def test_switching_to_payouts_on_purpose_books_later_fees_from_the_payout(
        self, db: Database, samples: Path
    ) -> None:
        fake = square_api(SquareData(entries=po_1_entries()))
        with fake.running() as url:
            ledger = open_ledger(db)
            update_connection(
                db,
                ledger.box,
                "square",
                api_url=url,
                api_token=TOKEN,
                settings={"fee_source": "payouts"},
            )
            ids = trade(ledger, samples)
            ids.append(ledger.deliver("payout.paid", payout(samples, "po_1", 12545), "e-5"))
            ledger.drain()
        assert [ledger.status(i)[0] for i in ids] == [EventStatus.POSTED] * len(ids)
        assert ledger.balances()["clearing"] == usd("0.00")
        assert ledger.balances()["fees"] == usd("4.55")
        assert any(r.path == "/v2/payouts/po_1/payout-entries" for r in fake.requests)

    def test_payouts_without_a_token_post_with_unknown_fees_and_say_so(
        self, db: Database, samples: Path
    ) -> None:
        fake = square_api(SquareData(entries=po_1_entries()))
        with fake.running() as url:
            ledger = open_ledger(db, url)
            ids = trade(ledger, samples)
            update_connection(db, ledger.box, "square", api_token="")  # token removed
            ids.append(ledger.deliver("payout.paid", payout(samples, "po_1", 12545), "e-5"))
            ledger.drain()
        assert [ledger.status(i)[0] for i in ids] == [EventStatus.POSTED] * len(ids)
        balances = ledger.balances()
        # No fee is guessed: 4.55 stays in clearing until the payout is read with a token.
        assert (balances["fees"], balances["clearing"]) == (usd("0.00"), usd("4.55"))
        assert "fees are not known" in " ".join(ledger.notices(ids[-1]))
        assert not fake.requests

    def test_a_connection_made_before_the_setting_keeps_the_token_rule(
        self, db: Database, samples: Path
    ) -> None:
        fake = square_api(SquareData(entries=po_1_entries()))
        with fake.running() as url:
            ledger = open_ledger(db, url)
            update_connection(db, ledger.box, "square", settings={"fee_source": None})
            assert "fee_source" not in ledger.settings()
            ids = trade(ledger, samples)
            ids.append(ledger.deliver("payout.paid", payout(samples, "po_1", 12545), "e-5"))
            ledger.drain()
        assert [ledger.status(i)[0] for i in ids] == [EventStatus.POSTED] * len(ids)
        assert ledger.balances()["fees"] == usd("4.55")
        assert ledger.balances()["clearing"] == usd("0.00")


class TestSamplesThroughThePipeline:
    def test_every_sample_posts_waits_or_is_ignored_with_a_reason(
        self, db: Database, samples: Path
    ) -> None:
        ledger = open_ledger(db)
        ids = {
            path.name: ledger.deliver_raw(path.read_bytes())
            for path in sorted((samples / "webhooks/square").glob("event_*.json"))
        }
        ledger.drain(StaticRates({("EUR", "USD"): "1.08"}))
        states = {name: ledger.status(event_id) for name, event_id in ids.items()}
        posted = {n for n, (s, _) in states.items() if s is EventStatus.POSTED}
        ignored = {n for n, (s, _) in states.items() if s is EventStatus.IGNORED}
        assert posted == {
            "event_dispute_created.json",
            "event_payment_updated.json",
            "event_payout_paid.json",
            "event_payout_sent.json",
        }
        assert ignored == {
            "event_order_created.json",
            "event_order_updated.json",
            "event_payment_created.json",  # APPROVED: posted once completed
            "event_refund_created.json",  # PENDING
        }
        status, reason = states["event_refund_updated.json"]
        # Its payment is not among the samples: the refund waits for it, and says so.
        assert status in (EventStatus.FAILED, EventStatus.DEAD)
        assert reason and "has not been posted yet" in reason
        balances = ledger.balances()
        # 1.00 sold, 88.01 withdrawn by the chargeback, EUR 4.57 paid out (at 1.08)
        assert balances["clearing"] == usd("1.00") - usd("88.01") - usd("4.94")
