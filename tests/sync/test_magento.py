"""Magento history sync against a fake Magento REST API on 127.0.0.1 (``magento_server``).

The streams are paged to the end the way the sync engine pages them (cursor until None),
through the trap (Magento repeats the last page), a 429 with Retry-After and a connection cut
mid-page; every pulled item parses to the events of the webhook it stands for, and history
pulled next to webhooks posts each invoice and credit memo once.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ledgerbridge.connectors.base import PlatformRequestFailed, load_object
from ledgerbridge.connectors.magento import CREDITMEMO_TOPIC, INVOICE_TOPIC, MagentoConnector
from ledgerbridge.connectors.magento_api import MagentoApi, magento_client
from ledgerbridge.ledger.chart import clearing_role
from ledgerbridge.money import Money
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.posting.rates import StaticRates
from ledgerbridge.services import reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.services.sync import sync_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.sync.base import Pulled, SyncSource
from ledgerbridge.sync.magento import MagentoPuller
from ledgerbridge.sync.registry import puller_for
from tests.connectors.helpers import body

from .ledger_helpers import new_book
from .ledger_helpers import pull_all as pull_stream
from .magento_server import TOKEN, FakeMagento, creditmemo, invoice, order, serve_magento

SINCE = dt.date(2024, 3, 1)
NOW = dt.datetime(2024, 3, 6, tzinfo=dt.UTC)
magento = MagentoConnector()


def history(samples: Path) -> FakeMagento:
    """Five invoices updated since March (two of them one order's partial captures), one from
    last year, and two credit memos: one made on invoice 7, one from order 13's page."""
    invoices = [
        invoice(samples, 7, 12, updated_at="2024-03-02 10:00:01"),
        invoice(samples, 8, 12, updated_at="2024-03-02 11:00:00"),
        invoice(samples, 9, 13, updated_at="2024-03-03 09:00:00"),
        invoice(samples, 10, 14, updated_at="2024-03-04 09:00:00"),
        invoice(samples, 11, 15, updated_at="2024-03-04 12:00:00"),
        invoice(samples, 2, 11, updated_at="2023-12-30 09:00:00"),
    ]
    memos = [
        creditmemo(samples, 21, invoices[0], invoice_id=7),
        creditmemo(samples, 22, invoices[2], invoice_id=None),
    ]
    orders = {str(n): order(n, "braintree") for n in (11, 12, 13, 14, 15)}
    return FakeMagento(invoices=invoices, creditmemos=memos, orders=orders)


@pytest.fixture
def fake(samples: Path) -> Iterator[tuple[str, FakeMagento]]:
    state = history(samples)
    with serve_magento(state) as url:
        yield url, state


def pull_all(
    url: str, *, token: str = TOKEN, sleeps: list[float] | None = None
) -> dict[str, list[Pulled]]:
    """Every stream paged until its cursor is None, as the sync engine does (with a bound, so
    a stream that never ends fails the test instead of hanging it)."""
    puller = MagentoPuller(page_size=2)
    source = SyncSource("magento", "magento", url, token)
    pulled: dict[str, list[Pulled]] = {}
    with puller.client(source, sleep=(sleeps if sleeps is not None else []).append) as client:
        for stream in puller.streams(source):
            pulled[stream.name] = pull_stream(stream, client, SINCE)
    return pulled


def entity_ids(items: list[Pulled], kind: str) -> list[int]:
    return [load_object(item.body)[kind]["entity_id"] for item in items]


class TestPaging:
    def test_invoices_page_to_total_count_and_never_past_it(
        self, fake: tuple[str, FakeMagento]
    ) -> None:
        url, state = fake
        pulled = pull_all(url)
        assert entity_ids(pulled["invoices"], "invoice") == [7, 8, 9, 10, 11]  # not last year's
        assert state.pages_asked("/V1/invoices") == [1, 2, 3]
        assert {item.topic for item in pulled["invoices"]} == {INVOICE_TOPIC}
        assert len({item.external_id for item in pulled["invoices"]}) == 5

    def test_magento_repeats_the_last_page_when_asked_past_the_end(
        self, fake: tuple[str, FakeMagento]
    ) -> None:
        """Why the streams stop by total_count: an empty page never comes."""
        url, _ = fake
        with magento_client(url, TOKEN) as client:
            api = MagentoApi(client, page_size=2)
            last = api.search("invoices", since=SINCE, page=3)
            past = api.search("invoices", since=SINCE, page=4)
        assert past.items == last.items != ()
        assert last.last and last.total_count == 5

    def test_a_429_with_retry_after_is_waited_out(self, fake: tuple[str, FakeMagento]) -> None:
        url, state = fake
        state.faults[("/V1/invoices", 2)] = ["429"]
        sleeps: list[float] = []
        pulled = pull_all(url, sleeps=sleeps)
        assert 7.0 in sleeps
        assert entity_ids(pulled["invoices"], "invoice") == [7, 8, 9, 10, 11]
        assert state.pages_asked("/V1/invoices") == [1, 2, 2, 3]

    def test_a_connection_cut_mid_page_is_asked_again(self, fake: tuple[str, FakeMagento]) -> None:
        url, state = fake
        state.faults[("/V1/creditmemos", 1)] = ["drop"]
        pulled = pull_all(url)
        assert entity_ids(pulled["creditmemos"], "creditmemo") == [21, 22]
        assert state.pages_asked("/V1/creditmemos") == [1, 1]

    def test_the_bearer_token_is_sent_and_a_refusal_reads_as_magento_wrote_it(
        self, fake: tuple[str, FakeMagento]
    ) -> None:
        url, state = fake
        pull_all(url)
        assert set(state.authorizations) == {f"Bearer {TOKEN}"}
        with pytest.raises(PlatformRequestFailed) as refused:
            pull_all(url, token="expired")
        assert refused.value.status == 401
        assert "isn't authorized to access Magento_Sales::sales" in refused.value.message

    def test_registered_for_the_sync_command(self) -> None:
        assert isinstance(puller_for("magento"), MagentoPuller)


class TestPulledBodies:
    def test_each_order_is_fetched_once_per_sync(self, fake: tuple[str, FakeMagento]) -> None:
        url, state = fake
        pulled = pull_all(url)
        assert [load_object(i.body)["order"]["increment_id"] for i in pulled["invoices"]] == [
            "000000012",
            "000000012",
            "000000013",
            "000000014",
            "000000015",
        ]
        assert len(state.asked("/V1/orders/12")) == 1  # two invoices and a credit memo
        assert len(state.asked("/V1/orders/13")) == 1

    def test_a_credit_memo_without_invoice_carries_its_orders_invoices(
        self, fake: tuple[str, FakeMagento]
    ) -> None:
        url, _ = fake
        memos = {
            load_object(i.body)["creditmemo"]["entity_id"]: i for i in pull_all(url)["creditmemos"]
        }
        assert "invoice_ids" not in load_object(memos[21].body)
        assert load_object(memos[22].body)["invoice_ids"] == ["9"]
        refund = magento.parse(CREDITMEMO_TOPIC, memos[22].body).events[0]
        assert refund.order_id == "invoice:9"  # type: ignore[union-attr]

    def test_every_pulled_item_parses_to_the_events_of_its_webhook(
        self, fake: tuple[str, FakeMagento]
    ) -> None:
        url, _ = fake
        pulled = pull_all(url)
        for kind, items in (("invoice", pulled["invoices"]), ("creditmemo", pulled["creditmemos"])):
            for item in items:
                data = load_object(item.body)
                hook = body({"eventName": item.topic, "data": {kind: data[kind]}})
                extra = {k: v for k, v in data.items() if k != kind}
                from_api = magento.parse(item.topic, item.body)
                from_hook = magento.parse(item.topic, hook, extra=extra)
                assert from_api.events and from_api.events == from_hook.events


# --- history and webhooks side by side, posted (SQLite and PostgreSQL) ----------------------


def sign(data: bytes, private: rsa.RSAPrivateKey) -> dict[str, str]:
    signature = private.sign(base64.b64encode(data), padding.PKCS1v15(), hashes.SHA256())
    return {"x-adobe-commerce-webhook-signature": base64.b64encode(signature).decode()}


def test_history_and_webhooks_post_each_invoice_and_credit_memo_once(
    db: Database, fake: tuple[str, FakeMagento]
) -> None:
    url, state = fake
    state.orders["12"] = order(12, "checkmo")  # paid by cheque: a receivable, not clearing
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    box = new_book(db).box
    add_connection(
        db,
        box,
        name="magento",
        platform="magento",
        secret=public.decode(),
        api_url=url,
        api_token=TOKEN,
    )
    directory = ConnectionDirectory(db, box)
    # Commerce's webhooks for invoice 7 and its credit memo: no order inside, so the worker
    # fetches it from the API before parsing (the connection has a token).
    hooks: list[dict[str, Any]] = [
        {"eventName": INVOICE_TOPIC, "data": {"invoice": state.invoices[0]}},
        {"eventName": CREDITMEMO_TOPIC, "data": {"creditmemo": state.creditmemos[0]}},
    ]
    for hook in hooks:
        raw = body(hook)
        receive(db, directory, "magento", raw, sign(raw, private), now=NOW)
    Worker(db, box, StaticRates({}), clock=lambda: NOW).drain()
    waits: list[float] = []
    first = sync_connection(db, box, "magento", since=SINCE, clock=lambda: NOW, sleep=waits.append)
    again = sync_connection(db, box, "magento", since=SINCE, clock=lambda: NOW, sleep=waits.append)
    assert first.complete and again.complete
    assert [(s.stream, s.pulled, s.new) for s in first.streams] == [
        ("invoices", 5, 5),  # webhook deliveries are keyed apart from pulled ones
        ("creditmemos", 2, 2),
    ]
    assert sum(s.new for s in again.streams) == 0  # the same history adds nothing
    Worker(db, box, StaticRates({}), clock=lambda: NOW).drain()

    with UnitOfWork(db) as uow:
        posted = uow.entries.find(source_connection="magento")
        roles = uow.accounts.roles()
    keys = sorted(p.entry.source.external_id for p in posted)
    assert keys == sorted(
        [
            "invoice:7",
            "invoice:8",
            "invoice:9",
            "invoice:10",
            "invoice:11",
            "creditmemo:21",
            "creditmemo:22",
        ]
    )
    tb = reports.trial_balance(db)
    assert tb.total_debit == tb.total_credit
    # Order 12 (invoices 7 and 8, credit memo 21) by cheque, the webhooks' order fetched from
    # the API: owed until the bank shows it. Orders 13-15 through braintree: in clearing.
    usd = "USD"
    assert tb.balance_of(roles["accounts_receivable"]) == Money.of("308.00", usd)
    assert tb.balance_of(roles[clearing_role("magento")]) == Money.of("473.00", usd)
