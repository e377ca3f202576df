"""The worked multi-currency example: a EUR sale on a USD book, refunded in part, paid out by
Stripe in USD at Stripe's own rates. The clearing account ends at zero and the difference
between our reference rates and Stripe's sits in realised FX gain/loss, to the cent."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from ledgerbridge.fx import FixedRates
from ledgerbridge.money import Money
from ledgerbridge.pipeline.worker import Worker
from ledgerbridge.services import reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.connectors.test_stripe_api import FakeStripe
from tests.connectors.test_stripe_api import server as stripe_server  # noqa: F401 - fixture
from tests.pipeline.conftest import Book
from tests.pipeline.test_worker import FakeClock, deliver

SALE, REFUND, PAYOUT = (dt.datetime(2026, 3, d, 10, tzinfo=dt.UTC) for d in (2, 4, 6))


def ts(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def charge(refunds: list[dict[str, object]] | None = None) -> dict[str, object]:
    obj: dict[str, object] = {
        "id": "ch_eur_1",
        "object": "charge",
        "amount": 10000,
        "amount_captured": 10000,
        "amount_refunded": 3000 if refunds else 0,
        "captured": True,
        "currency": "eur",
        "created": ts(SALE),
        "paid": True,
        "status": "succeeded",
        "payment_intent": "pi_eur_1",
        "balance_transaction": {
            "id": "txn_charge",
            "object": "balance_transaction",
            "amount": 10800,
            "currency": "usd",
            "exchange_rate": Decimal("1.08"),
            "fee": 343,
            "net": 10457,
            "created": ts(SALE),
            "type": "charge",
        },
    }
    if refunds is not None:
        obj["refunds"] = {"object": "list", "data": refunds, "has_more": False}
    return obj


def event(event_id: str, kind: str, obj: dict[str, object], when: dt.datetime) -> dict[str, object]:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": ts(when),
        "data": {"object": obj},
    }


def test_a_eur_sale_refunded_in_part_and_paid_out_in_usd(book: Book, tmp_path: Path) -> None:
    rates = tmp_path / "ecb.csv"
    rates.write_text(
        "currency,base,date,rate\nEUR,USD,2026-03-02,1.0950\nEUR,USD,2026-03-04,1.0900\n"
    )
    refund = {
        "id": "re_eur_1",
        "object": "refund",
        "amount": 3000,
        "currency": "eur",
        "created": ts(REFUND),
        "status": "succeeded",
        "charge": "ch_eur_1",
        "balance_transaction": {
            "id": "txn_refund",
            "object": "balance_transaction",
            "amount": -3210,
            "currency": "usd",
            "exchange_rate": Decimal("1.07"),
            "fee": 0,
            "net": -3210,
            "created": ts(REFUND),
            "type": "refund",
        },
    }
    payout = {
        "id": "po_usd_1",
        "object": "payout",
        "amount": 7247,
        "currency": "usd",
        "arrival_date": ts(PAYOUT),
        "created": ts(PAYOUT),
        "status": "paid",
    }
    clock = FakeClock()
    deliver(book, "stripe", "", event("evt_1", "charge.succeeded", charge(), SALE), clock)
    deliver(book, "stripe", "", event("evt_2", "charge.refunded", charge([refund]), REFUND), clock)
    deliver(book, "stripe", "", event("evt_3", "payout.paid", payout, PAYOUT), clock)
    outcomes = Worker(book.db, book.box, FixedRates(rates), clock=clock).drain()
    assert [o.status for o in outcomes] == [EventStatus.POSTED] * 3, [o.error for o in outcomes]

    tb = reports.trial_balance(book.db)
    usd = lambda amount: Money.of(amount, "USD")  # noqa: E731
    assert tb.balance_of("1201") == usd("0.00")  # Stripe clearing: nothing left in transit
    assert tb.balance_of("4000") == usd("-109.50")  # EUR 100.00 at ECB 1.0950
    assert tb.balance_of("4300") == usd("32.70")  # EUR 30.00 back at ECB 1.0900
    assert tb.balance_of("6100") == usd("3.43")  # Stripe's fee, in USD
    assert tb.balance_of("1000") == usd("72.47")  # the payout
    # Stripe converted at 1.08 (loss 1.50) and refunded at 1.07 (gain 0.60): net loss 0.90
    assert tb.balance_of("7100") == usd("0.90")
    assert tb.balance_of("1900") == usd("0.00")  # the conversion account passes money through
    assert tb.total_debit == tb.total_credit

    with UnitOfWork(book.db) as uow:
        lines = [line for p in uow.entries.find() for line in p.entry.lines]
    eur = [line for line in lines if line.amount.currency == "EUR"]
    assert eur and all(line.rate_source == "fixed:ecb.csv" and line.rate_date for line in eur)
    clearing_eur = sum(
        (line.amount.amount if line.side.value == "debit" else -line.amount.amount)
        for line in eur
        if line.account == "1201"
    )
    assert clearing_eur == 0  # and no euros are left in the clearing account either


def test_with_api_access_the_conversion_rate_is_fetched_from_stripe(
    book: Book,
    tmp_path: Path,
    stripe_server: tuple[str, FakeStripe],  # noqa: F811
) -> None:
    url, fake = stripe_server
    settled = charge()["balance_transaction"]
    fake.answer = lambda _query: (200, {}, json.dumps(settled, default=str).encode())
    add_connection(
        book.db,
        book.box,
        name="stripe-api",
        platform="stripe",
        secret="whsec_x",
        api_url=url,
        api_token="sk_test_fx",
    )
    rates = tmp_path / "ecb.csv"
    rates.write_text("currency,base,date,rate\nEUR,USD,2026-03-02,1.0950\n")
    webhook = {**charge(), "balance_transaction": "txn_charge"}  # webhooks carry only the id
    clock = FakeClock()
    deliver(book, "stripe-api", "", event("evt_api", "charge.succeeded", webhook, SALE), clock)
    [outcome] = Worker(book.db, book.box, FixedRates(rates), clock=clock).drain()
    assert outcome.status is EventStatus.POSTED, outcome.error
    assert [request[0] for request in fake.requests] == ["/v1/balance_transactions/txn_charge"]
    with UnitOfWork(book.db) as uow:
        kinds = [uow.entries.get(i).entry.source.kind for i in outcome.entry_ids]
        clearing = uow.connections.get("stripe-api").clearing_account
    assert kinds == ["order_paid", "conversion"]  # the fee waits for the payout's breakdown
    tb = reports.trial_balance(book.db)
    assert tb.balance_of(clearing) == Money.of("108.00", "USD")  # what Stripe holds, in USD
