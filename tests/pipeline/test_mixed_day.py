"""One business day across all seven platforms, in one USD book, through the real paths.

Every platform has two sales, a refund, its fees where it charges them, and (where it pays out
at all) a payout that settles only part of what it holds. The figures are written once, in
``DAY``; the payloads are built from them (:mod:`tests.pipeline.mixed_day_platforms`), and the
balances the ledger must show are computed from them here, never read back from the ledger.
Runs on SQLite and PostgreSQL (the ``db`` fixture).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ledgerbridge.connectors.shopify import signature as shopify_signature
from ledgerbridge.ledger.chart import Role
from ledgerbridge.money import Money
from ledgerbridge.pipeline.ingest import topic_headers
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services import books, reports
from ledgerbridge.services.connections import add_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.pipeline.conftest import Book
from tests.pipeline.mixed_day_platforms import (
    SECRETS,
    SQUARE_URL,
    Day,
    Ledger,
    at,
    bigcommerce_day,
    magento_day,
    paypal_day,
    shopify_day,
    shopify_order,
    square_day,
    stripe_day,
    woocommerce_day,
)
from tests.pipeline.test_worker import FakeClock
from tests.sync.bigcommerce_server import TOKEN as BIGCOMMERCE_TOKEN
from tests.sync.bigcommerce_server import FakeBigCommerce, serve
from tests.sync.ledger_helpers import entry_sources, settle, unsettled
from tests.sync.magento_server import TOKEN as MAGENTO_TOKEN
from tests.sync.magento_server import FakeMagento, serve_magento
from tests.sync.paypal_server import API_TOKEN as PAYPAL_TOKEN
from tests.sync.paypal_server import FakePayPal, Pki, running
from tests.sync.stripe_server import KEY as STRIPE_KEY
from tests.sync.stripe_server import StripeData, stripe_api

DAY = {
    # Shopify Payments withholds fees from its payouts: the day books the fee of the one sale
    # the payout settles (150.00 − 4.65 = 145.35); the second sale's fee comes with its payout.
    "shopify": Day(
        sales=("150.00", "90.00"), refunds=("30.00",), fees=("4.65",), payouts=("145.35",)
    ),
    # A store: its gateway charges the fees and pays out, so neither appears here.
    "woocommerce": Day(sales=("50.00", "120.00"), refunds=("40.00",)),
    # With API access Stripe's fees are booked from each payout's balance transactions: the
    # payout settles the first charge (120.00 − 3.78 = 116.22).
    "stripe": Day(
        sales=("120.00", "80.00"), refunds=("20.00",), fees=("3.78",), payouts=("116.22",)
    ),
    "bigcommerce": Day(sales=("70.00", "110.00"), refunds=("25.00",)),
    # Without API access Square's fees come with each payment; the payout moves its net.
    "square": Day(
        sales=("100.00", "50.00"), refunds=("10.00",), fees=("3.20", "1.75"), payouts=("90.00",)
    ),
    # PayPal keeps a fee on each capture and gives 0.45 back on the refund.
    "paypal": Day(
        sales=("100.00", "60.00"),
        refunds=("15.00",),
        fees=("3.98", "2.39", "-0.45"),
        payouts=("130.00",),
    ),
    "magento": Day(sales=("90.00", "65.00"), refunds=("32.50",)),
}
STRIPE_UNSETTLED_FEES = ("2.62",)
"""Stripe's fee on the second charge (80.00 × 2.9 % + 0.30): kept by Stripe, booked with the
payout that will settle that charge, not today."""
PAYPAL_CAPTURE_FEES = ("3.98", "2.39")


def usd(amount: Decimal | str) -> Money:
    return Money.of(amount, "USD")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki.create(tmp_path_factory.mktemp("pki"))


@dataclass
class MixedDay:
    book: Book
    ledger: Ledger
    clock: FakeClock


@pytest.fixture
def day(db: Database, samples: Path, pki: Pki) -> Iterator[MixedDay]:
    """The book, one connection per platform, the fake platform APIs, and the day delivered
    and drained."""
    books.init_book(db, base_currency="USD")
    box = SecretBox(Fernet.generate_key())
    ledger = Ledger(db, box)
    stripe_data = StripeData(page_size=10)
    bigcommerce = FakeBigCommerce()
    magento = FakeMagento()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with ExitStack() as stack:
        stripe_url = stack.enter_context(stripe_api(stripe_data).running())
        bigcommerce_url = stack.enter_context(serve(bigcommerce))
        magento_url = stack.enter_context(serve_magento(magento))
        paypal = stack.enter_context(running(FakePayPal(certs=dict(pki.chains))))

        def connect(name: str, **kwargs: object) -> None:
            add_connection(db, box, name=name, platform=name, **kwargs)  # type: ignore[arg-type]

        connect("shopify", secret=SECRETS["shopify"])
        connect("woocommerce", secret=SECRETS["woocommerce"])
        connect("stripe", secret=SECRETS["stripe"], api_url=stripe_url, api_token=STRIPE_KEY)
        connect(
            "bigcommerce",
            secret=SECRETS["bigcommerce"],
            api_url=bigcommerce_url,
            api_token=BIGCOMMERCE_TOKEN,
        )
        connect("square", secret=SECRETS["square"], settings={"notification_url": SQUARE_URL})
        connect(
            "paypal",
            secret=SECRETS["paypal"],
            api_url=paypal.url,
            api_token=PAYPAL_TOKEN,
            settings={"paypal_cert_origins": [paypal.url], "paypal_ca_bundle": str(pki.bundle)},
        )
        connect("magento", secret=public.decode(), api_url=magento_url, api_token=MAGENTO_TOKEN)

        shopify_day(ledger, DAY["shopify"])
        woocommerce_day(ledger, DAY["woocommerce"])
        stripe_day(ledger, DAY["stripe"], stripe_data, STRIPE_UNSETTLED_FEES)
        bigcommerce_day(ledger, DAY["bigcommerce"], bigcommerce)
        square_day(ledger, DAY["square"], samples)
        report = paypal_day(ledger, DAY["paypal"], paypal, pki, PAYPAL_CAPTURE_FEES)
        assert report.complete, report
        magento_day(ledger, DAY["magento"], magento, private)

        book, clock = Book(db, box), FakeClock()
        settle(book, clock)
        yield MixedDay(book, ledger, clock)


def balances(db: Database) -> tuple[reports.TrialBalance, dict[str, str], dict[str, str]]:
    with UnitOfWork(db) as uow:
        roles = uow.accounts.roles()
        clearing = {name: uow.connections.get(name).clearing_account for name in DAY}
    return reports.trial_balance(db), roles, clearing


def test_nothing_is_left_unposted_and_the_books_balance(day: MixedDay) -> None:
    for name in DAY:
        assert unsettled(day.book, name) == [], name
    tb = reports.trial_balance(day.book.db)
    assert tb.total_debit == tb.total_credit
    assert tb.total_debit.is_positive()


def test_each_clearing_holds_sales_less_refunds_fees_and_payouts(day: MixedDay) -> None:
    tb, _, clearing = balances(day.book.db)
    held = {platform: tb.balance_of(account) for platform, account in clearing.items()}
    assert held == {platform: usd(figures.held) for platform, figures in DAY.items()}
    assert all(money.is_positive() for money in held.values())  # nothing trivially settled


def test_revenue_is_the_days_sales_and_returns_are_its_refunds(day: MixedDay) -> None:
    tb, roles, _ = balances(day.book.db)
    sales = sum((Day.sum(d.sales) for d in DAY.values()), Decimal("0.00"))
    refunds = sum((Day.sum(d.refunds) for d in DAY.values()), Decimal("0.00"))
    fees = sum((Day.sum(d.fees) for d in DAY.values()), Decimal("0.00"))
    payouts = sum((Day.sum(d.payouts) for d in DAY.values()), Decimal("0.00"))
    assert tb.balance_of(roles[Role.SALES]) == usd(-sales)  # credited
    assert tb.balance_of(roles[Role.SALES_RETURNS]) == usd(refunds)
    revenue = tb.balance_of(roles[Role.SALES]) + tb.balance_of(roles[Role.SALES_RETURNS])
    assert revenue == usd(refunds - sales)  # net revenue, as the chart books it
    for untouched in (Role.SHIPPING_INCOME, Role.DISCOUNTS, Role.SALES_TAX_PAYABLE):
        assert tb.balance_of(roles[untouched]) == usd("0.00"), untouched
    assert tb.balance_of(roles[Role.PROCESSING_FEES]) == usd(fees)
    assert tb.balance_of(roles[Role.BANK]) == usd(payouts)
    assert tb.balance_of(roles[Role.SUSPENSE]) == usd("0.00")
    assert tb.balance_of(roles[Role.ROUNDING]) == usd("0.00")


def test_redelivered_webhooks_post_nothing_twice(day: MixedDay) -> None:
    book, ledger = day.book, day.ledger
    before = {name: entry_sources(book, name) for name in DAY}
    tb_before = reports.trial_balance(book.db)
    assert all(set(sources.values()) == {1} for sources in before.values())

    # The same deliveries again, byte for byte: every one is recognised as a duplicate.
    for sent in ledger.sent:
        receipt = ledger.post(sent.connection, sent.body, sent.headers, verified=False)
        assert receipt.duplicate, (sent.connection, receipt.topic)
    # The same things under another topic: new deliveries, which must post nothing new.
    raw = json.dumps(shopify_order(5001, DAY["shopify"].sales[0], at(9))).encode()
    headers = {
        **topic_headers("shopify", "orders/paid"),
        "X-Shopify-Hmac-Sha256": shopify_signature(raw, SECRETS["shopify"]),
        "X-Shopify-Webhook-Id": "wh-mixed-paid-again",
    }
    assert not ledger.post("shopify", raw, headers, verified=False).duplicate
    report = ledger.sync("paypal")  # the captures, the refund and the withdrawal once more
    assert report.complete
    settle(book, day.clock)

    for name in DAY:
        assert unsettled(book, name) == [], name
    assert {name: entry_sources(book, name) for name in DAY} == before
    tb_after = reports.trial_balance(book.db)
    assert tb_after.total_debit == tb_before.total_debit
    assert Counter(p.entry.source.connection for p in reports.journal(book.db)) == Counter(
        {name: sum(sources.values()) for name, sources in before.items()}
    )
