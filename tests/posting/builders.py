"""Small builders for canonical events and readers for posted entries, so a test states only
what matters to its scenario. No connector is involved: events are built directly."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from ledgerbridge.events import (
    CanonicalEvent,
    OrderLine,
    OrderPaid,
    OrderPending,
    OrderSnapshot,
    Payment,
    PaymentKind,
    Refund,
    RefundLine,
    ShippingLine,
    TaxLine,
)
from ledgerbridge.ledger.chart import RETAIL
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side
from ledgerbridge.money import Money
from ledgerbridge.posting import (
    NOTHING_POSTED,
    AccountMap,
    Booking,
    PriorState,
    RateTable,
    StaticRates,
    post,
)

WHEN = dt.datetime(2026, 10, 2, 15, 30, tzinfo=dt.UTC)
DAY = WHEN.date()
SHOP = "shop"
STRIPE = "stripe"

# Codes of the built-in retail chart, named for readable assertions.
BANK, RECEIVABLE, CONVERSION, SUSPENSE = "1000", "1100", "1900", "1999"
SHOP_CLEARING, STRIPE_CLEARING, PAYPAL_CLEARING = "1201", "1202", "1203"
TAX, GIFT_CARDS = "2100", "2200"
SALES, SHIPPING, DISCOUNTS, RETURNS = "4000", "4100", "4200", "4300"
FEES, CHARGEBACKS = "6100", "6200"
FX_REALISED, ROUNDING = "7100", "7900"

ACCOUNTS = AccountMap.from_chart(
    RETAIL,
    extra={"clearing:shop": SHOP_CLEARING, "clearing:stripe": STRIPE_CLEARING},
    gateway_clearing={"paypal": PAYPAL_CLEARING},
)
RATES = StaticRates(
    {("EUR", "USD"): "1.0837", ("GBP", "USD"): "1.2713", ("JPY", "USD"): "0.0067"},
    source="ecb",
)


def m(value: str | int, currency: str = "USD") -> Money:
    return Money.of(value, currency)


def tax(title: str, amount: str, currency: str = "USD", jurisdiction: str | None = None) -> TaxLine:
    return TaxLine(title, m(amount, currency), jurisdiction=jurisdiction)


def line(
    title: str = "Mug",
    quantity: int = 1,
    price: str = "20.00",
    discount: str = "0",
    *,
    taxes: tuple[TaxLine, ...] = (),
    currency: str = "USD",
    sku: str | None = None,
    product_type: str | None = None,
    line_id: str | None = None,
    gift_card: bool = False,
) -> OrderLine:
    gross = m(price, currency).multiply(quantity, rounding="ROUND_HALF_EVEN")
    return OrderLine(
        title, quantity, gross, m(discount, currency), taxes, sku, product_type, line_id, gift_card
    )


def shipping(
    gross: str, discount: str = "0", *, taxes: tuple[TaxLine, ...] = (), currency: str = "USD"
) -> ShippingLine:
    return ShippingLine("Standard", m(gross, currency), m(discount, currency), taxes)


def card(
    amount: str, gateway: str = "shopify_payments", currency: str = "USD", txn: str | None = None
) -> Payment:
    return Payment(gateway, PaymentKind.CARD, m(amount, currency), txn)


def tender(amount: str, kind: PaymentKind, gateway: str, currency: str = "USD") -> Payment:
    return Payment(gateway, kind, m(amount, currency))


def order(
    *lines: OrderLine,
    ships: tuple[ShippingLine, ...] = (),
    payments: tuple[Payment, ...] = (),
    total: str | None = None,
    currency: str = "USD",
    taxes_included: bool = False,
    order_taxes: tuple[TaxLine, ...] = (),
    name: str = "#1001",
) -> OrderSnapshot:
    """An order whose total is computed from its parts unless ``total`` overrides it."""
    parts: list[OrderLine | ShippingLine] = [*lines, *ships]
    computed = sum((p.gross - p.discount for p in parts), Money.zero(currency))
    if not taxes_included:
        taxes = [t for p in parts for t in p.taxes] or list(order_taxes)
        computed = sum((t.amount for t in taxes), computed)
    return OrderSnapshot(
        order_id=name.lstrip("#"),
        name=name,
        currency=currency,
        lines=tuple(lines),
        shipping=ships,
        total=m(total, currency) if total is not None else computed,
        taxes_included=taxes_included,
        payments=payments,
        order_taxes=order_taxes,
        customer="ada@example.com",
    )


def paid(snapshot: OrderSnapshot, at: dt.datetime = WHEN) -> OrderPaid:
    return OrderPaid(snapshot.order_id, at, snapshot)


def pending(snapshot: OrderSnapshot, at: dt.datetime = WHEN) -> OrderPending:
    return OrderPending(snapshot.order_id, at, snapshot)


def refund_line(
    title: str, quantity: int, subtotal: str, tax_amount: str = "0", currency: str = "USD"
) -> RefundLine:
    return RefundLine(title, quantity, m(subtotal, currency), m(tax_amount, currency))


def refund(
    amount: str,
    *lines: RefundLine,
    currency: str = "USD",
    payments: tuple[Payment, ...] = (),
    order_id: str = "1001",
    external_id: str = "r1",
    shipping: str | None = None,
    shipping_tax: str | None = None,
    restocking_fee: str | None = None,
    adjustment: str | None = None,
    fee_refunded: str | None = None,
    taxes_included: bool = False,
) -> Refund:
    def opt(value: str | None) -> Money | None:
        return None if value is None else m(value, currency)

    return Refund(
        external_id,
        WHEN,
        order_id,
        currency,
        m(amount, currency),
        lines,
        shipping=opt(shipping),
        shipping_tax=opt(shipping_tax),
        restocking_fee=opt(restocking_fee),
        adjustment=opt(adjustment),
        taxes_included=taxes_included,
        payments=payments,
        fee_refunded=opt(fee_refunded),
    )


def booked(snapshot: OrderSnapshot, booking: Booking, *entries: JournalEntry) -> PriorState:
    return PriorState(snapshot, booking, entries)


def posted(
    event: CanonicalEvent,
    prior: PriorState = NOTHING_POSTED,
    *,
    connection: str = SHOP,
    base: str = "USD",
    rates: RateTable = RATES,
    accounts: AccountMap = ACCOUNTS,
) -> JournalEntry:
    """The entry ``event`` posts; fails the test when it posts nothing."""
    entry = post_or_none(
        event, prior, connection=connection, base=base, rates=rates, accounts=accounts
    )
    assert entry is not None, f"{event.kind} posted nothing"
    return entry


def post_or_none(
    event: CanonicalEvent,
    prior: PriorState = NOTHING_POSTED,
    *,
    connection: str = SHOP,
    base: str = "USD",
    rates: RateTable = RATES,
    accounts: AccountMap = ACCOUNTS,
) -> JournalEntry | None:
    return post(
        event,
        connection=connection,
        accounts=accounts,
        rates=rates,
        base_currency=base,
        prior=prior,
    )


def balances(*entries: JournalEntry, base: bool = True) -> dict[str, Decimal]:
    """Debit-positive balance per account: in base, or in each line's own currency."""
    result: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        for ln in entry.lines:
            money = ln.base_amount if base else ln.amount
            result[ln.account] += ln.signed(money).amount
    return {account: value for account, value in result.items() if value != 0}


def on(entry: JournalEntry, account: str) -> list[JournalLine]:
    return [ln for ln in entry.lines if ln.account == account]


def only(entry: JournalEntry, account: str) -> JournalLine:
    lines = on(entry, account)
    assert len(lines) == 1, f"expected one line on {account}, got {lines}"
    return lines[0]


def side_total(lines: Iterable[JournalLine], side: Side) -> Decimal:
    return sum((ln.amount.amount for ln in lines if ln.side is side), Decimal(0))


def trial_balance(*entries: JournalEntry) -> Decimal:
    return sum(balances(*entries).values(), Decimal(0))
