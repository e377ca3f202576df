"""Properties that hold for every valid order, refund and conversion, checked on random ones:
random lines, quantities, discounts, tax rates, shipping, split tenders, and currencies with 0,
2 and 3 decimals at random rates."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledgerbridge.events import (
    OrderLine,
    OrderSnapshot,
    Payment,
    PaymentKind,
    RefundLine,
    ShippingLine,
    TaxLine,
)
from ledgerbridge.ledger.entries import JournalEntry, Side, residuals
from ledgerbridge.money import Money, quantum
from ledgerbridge.posting import Booking, StaticRates
from ledgerbridge.posting.conversion import side_to_base
from tests.posting.builders import (
    DISCOUNTS,
    GIFT_CARDS,
    PAYPAL_CLEARING,
    RECEIVABLE,
    RETURNS,
    SALES,
    SHIPPING,
    SHOP_CLEARING,
    TAX,
    booked,
    paid,
    posted,
    refund,
)

D = Decimal
BASES = ["USD", "JPY", "KWD"]
CURRENCIES = ["USD", "EUR", "JPY", "KWD"]
TAX_RATES = [D(0), D("0.05"), D("0.08875"), D("0.20")]
TENDERS = {
    ("shopify_payments", PaymentKind.CARD): SHOP_CLEARING,
    ("paypal", PaymentKind.CARD): PAYPAL_CLEARING,
    ("gift_card", PaymentKind.GIFT_CARD): GIFT_CARDS,
    ("bacs", PaymentKind.MANUAL): RECEIVABLE,
}
rates = st.decimals(min_value=D("0.0001"), max_value=D("500"), places=4)
settings.register_profile("posting", deadline=None, max_examples=150)
settings.load_profile("posting")


def _tax(taxable: Money, rate: Decimal, included: bool) -> Money:
    exact = taxable.amount - taxable.amount / (1 + rate) if included else taxable.amount * rate
    return Money.of(exact, taxable.currency, rounding=ROUND_HALF_EVEN)


@st.composite
def order_lines(draw: st.DrawFn, currency: str, included: bool, gift_cards: bool) -> OrderLine:
    index = draw(st.integers(0, 9))
    quantity = draw(st.integers(1, 5))
    gross = Money.from_minor(draw(st.integers(0, 50_000)) * quantity, currency)
    discount = Money.from_minor(draw(st.integers(0, gross.minor)), currency)
    gift = gift_cards and draw(st.integers(0, 4)) == 0
    rate = D(0) if gift else draw(st.sampled_from(TAX_RATES))
    taxes = (TaxLine(f"Tax {rate}", _tax(gross - discount, rate, included)),) if rate else ()
    return OrderLine(
        f"Item {index}",
        quantity,
        gross,
        discount,
        taxes,
        sku=f"SKU-{index}",
        line_id=f"L{index}-{draw(st.uuids())}",
        gift_card=gift,
    )


@st.composite
def shipping_lines(draw: st.DrawFn, currency: str, included: bool) -> ShippingLine:
    gross = Money.from_minor(draw(st.integers(0, 3_000)), currency)
    discount = Money.from_minor(draw(st.integers(0, gross.minor)), currency)
    rate = draw(st.sampled_from(TAX_RATES))
    taxes = (TaxLine(f"Tax {rate}", _tax(gross - discount, rate, included)),) if rate else ()
    return ShippingLine(f"Ship {draw(st.integers(0, 3))}", gross, discount, taxes)


def _owed(
    lines: tuple[OrderLine, ...], ships: tuple[ShippingLine, ...], included: bool, currency: str
) -> Money:
    parts: list[OrderLine | ShippingLine] = [*lines, *ships]
    owed = sum((p.gross - p.discount for p in parts), Money.zero(currency))
    if not included:
        owed = sum((t.amount for p in parts for t in p.taxes), owed)
    return owed


@st.composite
def orders(
    draw: st.DrawFn, currency: str, *, gift_cards: bool = True, drift: bool = True
) -> OrderSnapshot:
    """A valid order: its total may drift from the sum of its parts by rounding, never more."""
    included = draw(st.booleans())
    lines = tuple(
        draw(st.lists(order_lines(currency, included, gift_cards), min_size=1, max_size=5))
    )
    ships = tuple(draw(st.lists(shipping_lines(currency, included), max_size=2)))
    parts = len(lines) + len(ships)
    nudge = draw(st.integers(-parts, parts)) if drift else 0
    total = _owed(lines, ships, included, currency) + Money.from_minor(nudge, currency)
    if total.minor <= 0:
        total = _owed(lines, ships, included, currency)
    assume(total.is_positive())  # an order of free items books nothing (see test_orders)
    tenders = draw(st.lists(st.sampled_from(sorted(TENDERS)), min_size=1, max_size=3))
    weights = draw(st.lists(st.integers(1, 100), min_size=len(tenders), max_size=len(tenders)))
    payments = tuple(
        Payment(gateway, kind, part)
        for (gateway, kind), part in zip(tenders, total.allocate(weights), strict=True)
    )
    return OrderSnapshot(
        "1001", "#1001", currency, lines, ships, total, taxes_included=included, payments=payments
    )


@st.composite
def books(draw: st.DrawFn) -> tuple[str, str, StaticRates]:
    """A base currency, a transaction currency, and a random rate between them."""
    base, currency = draw(st.sampled_from(BASES)), draw(st.sampled_from(CURRENCIES))
    table = {} if currency == base else {(currency, base): draw(rates)}
    return base, currency, StaticRates(table)


def _debits_per_account(entry: JournalEntry) -> dict[str, Money]:
    found: dict[str, Money] = {}
    for ln in entry.lines:
        if ln.side is Side.DEBIT:
            found[ln.account] = found.get(ln.account, Money.zero(ln.amount.currency)) + ln.amount
    return found


class TestEveryPaidOrder:
    @given(st.data())
    def test_balances_per_currency_and_in_base_with_positive_lines(
        self, data: st.DataObject
    ) -> None:
        base, currency, table = data.draw(books())
        entry = posted(paid(data.draw(orders(currency))), base=base, rates=table)
        assert residuals(entry.lines) == []
        assert all(ln.amount.is_positive() for ln in entry.lines)
        assert all(ln.base_amount.currency == base for ln in entry.lines)

    @given(st.data())
    def test_each_tender_account_is_debited_exactly_what_was_paid_into_it(
        self, data: st.DataObject
    ) -> None:
        base, currency, table = data.draw(books())
        snapshot = data.draw(orders(currency))
        entry = posted(paid(snapshot), base=base, rates=table)
        expected: dict[str, Money] = defaultdict(lambda: Money.zero(currency))
        for payment in snapshot.payments:
            expected[TENDERS[(payment.gateway, payment.kind)]] += payment.amount
        debits = _debits_per_account(entry)
        for account, amount in expected.items():
            if amount.is_positive():
                assert debits[account] == amount


class TestOrderAndRefund:
    @given(st.data())
    def test_an_order_and_a_refund_of_some_lines_net_to_the_unrefunded_part(
        self, data: st.DataObject
    ) -> None:
        base, currency, table = data.draw(books())
        snapshot = data.draw(orders(currency, gift_cards=False, drift=False))
        returned = data.draw(
            st.lists(st.sampled_from(snapshot.lines), unique_by=lambda x: x.line_id)
        )
        back = [
            RefundLine(ln.title, ln.quantity, ln.gross - ln.discount, _line_tax(ln))
            for ln in returned
        ]
        amount = sum(
            (
                r.subtotal + (Money.zero(currency) if snapshot.taxes_included else r.tax)
                for r in back
            ),
            Money.zero(currency),
        )
        sale = posted(paid(snapshot), base=base, rates=table)
        entries = [sale]
        if amount.is_positive():
            entries.append(
                posted(
                    refund(
                        amount.format(),
                        *back,
                        currency=currency,
                        taxes_included=snapshot.taxes_included,
                    ),
                    booked(snapshot, Booking.PAID),
                    base=base,
                    rates=table,
                )
            )
        net = _in_own_currency(entries)
        kept = [ln for ln in snapshot.lines if ln not in returned]
        kept_tax = sum((_line_tax(ln) for ln in kept), Money.zero(currency))
        ship_tax = sum((t.amount for s in snapshot.shipping for t in s.taxes), Money.zero(currency))
        kept_net = sum((ln.gross - ln.discount for ln in kept), Money.zero(currency))
        if snapshot.taxes_included:
            kept_net -= kept_tax
        ship_tax_inside = ship_tax if snapshot.taxes_included else Money.zero(currency)
        ship_gross = sum((s.gross for s in snapshot.shipping), Money.zero(currency))
        ship_net = sum((s.gross - s.discount for s in snapshot.shipping), Money.zero(currency))
        income = net[SALES] + net[DISCOUNTS] + net[RETURNS] + net[SHIPPING]
        assert income == -(kept_net + ship_net - ship_tax_inside).amount
        assert net[SHIPPING] == -(ship_gross - ship_tax_inside).amount
        assert net[TAX] == -(kept_tax + ship_tax).amount


def _line_tax(line: OrderLine) -> Money:
    return sum((t.amount for t in line.taxes), Money.zero(line.gross.currency))


def _in_own_currency(entries: list[JournalEntry]) -> dict[str, Decimal]:
    net: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        for ln in entry.lines:
            net[ln.account] += ln.signed(ln.amount).amount
    return net


class TestConversion:
    @given(
        st.lists(st.integers(1, 10**9), min_size=1, max_size=8),
        st.integers(1, 8),
        rates,
        st.sampled_from(CURRENCIES),
        st.sampled_from(BASES),
        st.data(),
    )
    def test_conversion_never_loses_a_minor_unit(
        self,
        debits: list[int],
        pieces: int,
        rate: Decimal,
        currency: str,
        base: str,
        data: st.DataObject,
    ) -> None:
        total = Money.from_minor(sum(debits), currency)
        weights = data.draw(st.lists(st.integers(1, 50), min_size=pieces, max_size=pieces))
        credits = [c.amount for c in total.allocate(weights) if c.is_positive()]
        debit_side = [Money.from_minor(d, currency).amount for d in debits]
        exact = total.amount * rate
        once = exact.quantize(quantum(base), ROUND_HALF_EVEN)
        for side in (debit_side, credits):
            converted = side_to_base(side, rate, base)
            assert sum(converted) == once
            assert all(b >= 0 for b in converted)
            for amount, b in zip(side, converted, strict=True):
                assert abs(b - amount * rate) <= D("1.5") * quantum(base)
