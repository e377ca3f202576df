"""Stripe history (charges, disputes, payouts): paged through a real Stripe-speaking API on
127.0.0.1, posted through the inbox, and the same objects delivered again as signed events
post nothing twice."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.connectors.base import PlatformRequestFailed
from ledgerbridge.connectors.stripe import StripeConnector, signature
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive
from ledgerbridge.services import reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.sync.base import Pulled, SyncSource
from ledgerbridge.sync.registry import puller_for
from ledgerbridge.sync.stripe import STREAMS, StripePuller
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock

from .fake_http import FakeApi, serving
from .ledger_helpers import entry_sources, pull_all, settle, store, unsettled
from .stripe_server import CREATED, KEY, StripeData, stripe_api, stripe_data

SINCE = dt.date(2024, 3, 1)
SECRET = "whsec_history_secret"
CHARGES, DISPUTES, PAYOUTS = STREAMS

EXPECTED = {
    ("charge.succeeded", "api:charge.succeeded:ch_a"),
    ("charge.succeeded", "api:charge.succeeded:ch_b"),
    ("charge.succeeded", "api:charge.succeeded:ch_c"),
    ("charge.refunded", "api:charge.refunded:ch_c:1000"),
    ("charge.succeeded", "api:charge.succeeded:ch_d"),
    ("charge.refunded", "api:charge.refunded:ch_d:1500"),
    ("charge.dispute.funds_withdrawn", "api:charge.dispute.funds_withdrawn:dp_1"),
    ("charge.dispute.funds_withdrawn", "api:charge.dispute.funds_withdrawn:dp_2"),
    ("charge.dispute.closed", "api:charge.dispute.closed:dp_2"),
    ("payout.paid", "api:payout.paid:po_1"),
    ("payout.paid", "api:payout.paid:po_3"),
}
"""Failed and uncaptured charges, the inquiry and the payout in transit post nothing: not filed."""


@pytest.fixture
def stripe(samples: Path) -> Iterator[tuple[str, FakeApi, StripeData]]:
    with serving(stripe_api, stripe_data(samples)) as served:
        yield served


def source(url: str, key: str = KEY) -> SyncSource:
    return SyncSource("stripe-api", "stripe", url, key)


def pull_everything(url: str, waits: list[float] | None = None) -> list[Pulled]:
    puller = StripePuller()
    sleep = waits.append if waits is not None else (lambda s: None)
    with puller.client(source(url), sleep=sleep) as client:
        return [i for s in puller.streams(source(url)) for i in pull_all(s, client, SINCE)]


def test_every_object_is_pulled_once_through_a_429_and_a_dropped_connection(
    stripe: tuple[str, FakeApi, StripeData],
) -> None:
    url, fake, _ = stripe
    fake.faults = {2: "throttle", 3: "drop", 7: "drop"}
    waits: list[float] = []
    items = pull_everything(url, waits)
    assert waits == [1.0, 2.0, 1.0]  # Retry-After: 1, then backoff doubling, then afresh
    keys = [i.external_id for i in items]
    assert len(keys) == len(set(keys))
    assert {(i.topic, i.external_id) for i in items} == EXPECTED
    charges = [r for r in fake.requests if r.path == "/v1/charges"]
    assert len(charges) >= 3  # six charges, two a page: three pages at least
    assert charges[0].query["created[gte]"] == [str(CREATED)]
    assert "starting_after" not in charges[0].query
    assert charges[-1].query["starting_after"] == ["ch_c"]  # newest first: a..f reversed
    assert "data.refunds" in charges[0].query["expand[]"]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in fake.requests)
    payouts = [r for r in fake.requests if r.path == "/v1/payouts"]
    assert all(r.query["status"] == ["paid"] for r in payouts)


def test_a_cursor_from_the_middle_resumes_with_the_objects_not_yet_pulled(
    stripe: tuple[str, FakeApi, StripeData],
) -> None:
    url, _, _ = stripe
    puller = StripePuller()
    with puller.client(source(url), sleep=lambda s: None) as client:
        everything = pull_all(CHARGES, client, SINCE)
        first = CHARGES.page(client, since=SINCE, cursor=None)
    assert first.cursor == "ch_e"
    with puller.client(source(url), sleep=lambda s: None) as client:
        rest = pull_all(CHARGES, client, SINCE, cursor=first.cursor)
    assert [*first.items, *rest] == everything
    assert {i.external_id for i in rest} == {
        "api:charge.succeeded:ch_a",
        "api:charge.succeeded:ch_b",
        "api:charge.succeeded:ch_c",
        "api:charge.refunded:ch_c:1000",
        "api:charge.succeeded:ch_d",
        "api:charge.refunded:ch_d:1500",
    }


def test_a_refused_key_stops_with_stripes_message(stripe: tuple[str, FakeApi, StripeData]) -> None:
    url, fake, _ = stripe
    with (
        StripePuller().client(source(url, "sk_test_revoked"), sleep=lambda s: None) as client,
        pytest.raises(PlatformRequestFailed, match="Invalid API Key"),
    ):
        CHARGES.page(client, since=SINCE, cursor=None)
    assert len(fake.requests) == 1


def test_a_further_refund_is_stored_again(stripe: tuple[str, FakeApi, StripeData]) -> None:
    url, _, data = stripe
    before = {i.external_id for i in pull_everything(url)}
    charge_c = next(c for c in data.charges if c["id"] == "ch_c")
    second = dict(charge_c["refunds"]["data"][0], id="re_c2", amount=500)
    charge_c["refunds"]["data"].insert(0, second)
    charge_c["amount_refunded"] = 1500
    after = {i.external_id for i in pull_everything(url)}
    assert after - before == {"api:charge.refunded:ch_c:1500"}


def event(item: Pulled, data: StripeData, index: int) -> bytes:
    """The event Stripe would have delivered for the same object: the object as stored, not
    expanded (the worker fetches what it needs), refunds listed as older API versions do."""
    obj = json.loads(item.body)
    stored = {o["id"]: o for o in [*data.charges, *data.disputes, *data.payouts]}[obj["id"]]
    return json.dumps(
        {
            "id": f"evt_history_{index:03d}",
            "object": "event",
            "api_version": "2020-08-27",
            "type": item.topic,
            "created": stored["created"],
            "data": {"object": stored},
        }
    ).encode()


def summary(events: tuple[Any, ...]) -> list[tuple[str, str, str, str]]:
    """Type, key and money of each event (an API object has no event time, so not the date)."""
    return sorted(
        (
            type(e).__name__,
            e.external_id,
            str(getattr(e, "amount", None) or e.order.total),
            str(getattr(e, "fee", None) or getattr(e, "fees", "")),
        )
        for e in events
    )


def fetched(item: Pulled, data: StripeData) -> dict[str, Any]:
    """What the worker reads from the API for a webhook of a connection with an API key."""
    obj = json.loads(item.body)
    txns = data.balance_transactions
    if obj["object"] != "charge":
        return {}
    return {
        "balance_transaction": txns[f"txn_{obj['id']}"],
        "balance_transactions_by_source": {
            r["id"]: txns[f"txn_{r['id']}"] for r in obj["refunds"]["data"]
        },
    }


def test_each_pulled_object_parses_to_the_events_its_webhook_gives(
    stripe: tuple[str, FakeApi, StripeData],
) -> None:
    url, _, data = stripe
    connector = StripeConnector()
    kinds: Counter[str] = Counter()
    keyed = {"post_charge_fees": False}  # with an API key, fees come from payouts
    for index, item in enumerate(pull_everything(url)):
        pulled = connector.parse(item.topic, item.body, extra=keyed)
        webhook = event(item, data, index)
        delivered = connector.parse(item.topic, webhook, extra=keyed | fetched(item, data))
        assert summary(pulled.events) == summary(delivered.events), item.external_id
        kinds.update(e.kind for e in pulled.events)
    # 4 sales, 2 refunds, dispute 1 opened, dispute 2 opened and won (fee refunded), 2 payouts
    assert kinds == Counter(
        {"order_paid": 4, "refund": 2, "dispute": 3, "adjustment": 1, "payout": 2}
    )


def test_history_and_webhooks_post_every_entry_once(
    book: Book, stripe: tuple[str, FakeApi, StripeData]
) -> None:
    url, fake, data = stripe
    stored = add_connection(
        book.db,
        book.box,
        name="stripe-api",
        platform="stripe",
        secret=SECRET,
        api_url=url,
        api_token=KEY,
    )
    clock = FakeClock()
    puller = puller_for("stripe")
    with puller.client(source(url), sleep=lambda s: None) as client:
        items = [i for s in puller.streams(source(url)) for i in pull_all(s, client, SINCE)]
    assert len(store(book, stored.id, items, clock())) == len(EXPECTED)
    settle(book, clock)
    assert unsettled(book, "stripe-api") == []
    after_sync = entry_sources(book, "stripe-api")
    assert set(after_sync.values()) == {1}
    assert Counter(kind for _, kind in after_sync) == Counter(
        {"order_paid": 4, "refund": 2, "dispute.opened": 2, "dispute.won": 1, "adjustment": 1}
        | {"payout": 2}
    )

    directory = ConnectionDirectory(book.db, book.box)
    for index, item in enumerate(items):
        body = event(item, data, index)
        stamp = int(clock().timestamp())
        headers = {"Stripe-Signature": f"t={stamp},v1={signature(body, SECRET, stamp)}"}
        receive(book.db, directory, "stripe-api", body, headers, now=clock())
    settle(book, clock)
    assert unsettled(book, "stripe-api") == []
    assert entry_sources(book, "stripe-api") == after_sync  # the webhooks added nothing
    # the webhooks' deliveries read the balance transactions from the same API
    assert any(r.path.startswith("/v1/balance_transactions") for r in fake.requests)
    assert store(book, stored.id, items, clock()) == []  # a second sync stores nothing new

    balance = reports.trial_balance(book.db)
    assert balance.total_debit == balance.total_credit
    assert balance.total_debit.is_positive()
