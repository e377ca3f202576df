"""Journal entries: what a user building one is refused, and what a reversal gives back.

The entries here are small and readable on purpose: a 120.00 USD sale split into sales, tax and
a processing fee, and a EUR sale on a USD book that passes through the currency-conversion
account. Random entries are in ``test_trial_balance.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from ledgerbridge.errors import InvalidInput
from ledgerbridge.ledger.entries import (
    JournalEntry,
    JournalLine,
    Side,
    SourceKey,
    UnbalancedEntry,
    residuals,
)
from ledgerbridge.money import Money
from tests.strategies import nonzero, trial_balance

D, C = Side.DEBIT, Side.CREDIT
DAY = dt.date(2026, 10, 4)
SOURCE = SourceKey("stripe-us", "ch_3Nx", "order_paid")


def usd(value: str) -> Money:
    return Money.of(value, "USD")


def eur(value: str) -> Money:
    return Money.of(value, "EUR")


def entry(*lines: JournalLine, base: str = "USD", **extra: object) -> JournalEntry:
    return JournalEntry(DAY, "Order #1001", base, SOURCE, lines, **extra)  # type: ignore[arg-type]


def sale() -> JournalEntry:
    """A 120.00 USD card sale: 100.00 sales, 20.00 tax, 3.78 fee netted from clearing."""
    return entry(
        JournalLine.in_base("1200", D, usd("116.22"), memo="net of fee"),
        JournalLine.in_base("6100", D, usd("3.78"), memo="stripe fee"),
        JournalLine.in_base("4000", C, usd("100.00"), order="1001"),
        JournalLine.in_base("2100", C, usd("20.00")),
    )


def eur_line(account: str, side: Side, amount: str, base: str) -> JournalLine:
    return JournalLine(
        account,
        side,
        eur(amount),
        usd(base),
        rate=Decimal("1.0857"),
        rate_date=dt.date(2026, 10, 3),
        rate_source="ecb",
    )


def eur_sale() -> JournalEntry:
    """100.00 EUR into EUR clearing on a USD book, through the currency-conversion account."""
    return entry(
        eur_line("1210", D, "100.00", "108.57"),
        eur_line("1900", C, "100.00", "108.57"),
        JournalLine.in_base("1900", D, usd("108.57")),
        JournalLine.in_base("4000", C, usd("108.57")),
    )


class TestJournalLine:
    @pytest.mark.parametrize("amount", ["0.00", "-1.00"])
    def test_a_zero_or_negative_amount_is_refused(self, amount: str) -> None:
        with pytest.raises(InvalidInput, match="must be positive") as caught:
            JournalLine.in_base("1200", D, usd(amount))
        assert caught.value.field == "amount"

    def test_a_negative_base_amount_is_refused(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            JournalLine("1210", D, eur("1.00"), usd("-1.08"), rate=Decimal("1.08"))
        assert caught.value.field == "base_amount"

    def test_a_zero_base_amount_is_allowed_for_a_tiny_foreign_amount(self) -> None:
        line = JournalLine("1210", D, Money.of(1, "JPY"), usd("0.00"), rate=Decimal("0.0067"))
        assert line.base_amount.is_zero()

    @pytest.mark.parametrize("rate", [Decimal(0), Decimal(-1), 1])
    def test_a_rate_that_is_not_a_positive_decimal_is_refused(self, rate: Decimal) -> None:
        with pytest.raises(InvalidInput, match="rate"):
            JournalLine("1210", D, eur("1.00"), usd("1.08"), rate=rate)

    def test_a_side_given_as_text_becomes_the_enum(self) -> None:
        line = JournalLine.in_base("1200", "credit", usd("1.00"))  # type: ignore[arg-type]
        assert line.side is Side.CREDIT

    def test_in_base_sets_rate_one_and_keeps_memo_and_dimensions(self) -> None:
        line = JournalLine.in_base("4000", C, usd("5.00"), "gift wrap", sku="GW-1")
        assert (line.base_amount, line.rate, line.memo) == (usd("5.00"), Decimal(1), "gift wrap")
        assert dict(line.dimensions) == {"sku": "GW-1"}

    def test_signed_makes_debits_positive_and_credits_negative(self) -> None:
        assert JournalLine.in_base("1200", D, usd("5.00")).signed(usd("5.00")) == usd("5.00")
        assert JournalLine.in_base("4000", C, usd("5.00")).signed(usd("5.00")) == usd("-5.00")

    def test_each_side_knows_its_opposite(self) -> None:
        assert (D.opposite, C.opposite) == (C, D)


class TestSourceKey:
    def test_it_prints_as_connection_kind_and_id(self) -> None:
        assert str(SOURCE) == "stripe-us/order_paid/ch_3Nx"

    @pytest.mark.parametrize("part", ["connection", "external_id", "kind"])
    def test_an_empty_part_is_refused_naming_it(self, part: str) -> None:
        parts = {"connection": "c", "external_id": "e", "kind": "k", part: "  "}
        with pytest.raises(InvalidInput) as caught:
            SourceKey(**parts)
        assert caught.value.field == f"source.{part}"


class TestJournalEntry:
    def test_a_balanced_entry_is_built_and_totals_both_sides(self) -> None:
        built = sale()
        assert built.total(D) == built.total(C) == usd("120.00")
        assert len(built.lines) == 4

    def test_lines_given_as_a_list_are_held_as_a_tuple(self) -> None:
        lines = list(sale().lines)
        built = JournalEntry(DAY, "x", "USD", SOURCE, lines)  # type: ignore[arg-type]
        lines.pop()
        assert isinstance(built.lines, tuple)
        assert len(built.lines) == 4

    def test_debits_exceeding_credits_are_refused_with_the_residual(self) -> None:
        with pytest.raises(UnbalancedEntry, match=r"debits exceed credits by 0\.01 USD") as caught:
            entry(
                JournalLine.in_base("1200", D, usd("120.01")),
                JournalLine.in_base("4000", C, usd("120.00")),
            )
        assert caught.value.residual == usd("0.01")
        assert caught.value.code == "unbalanced_entry"
        assert caught.value.field == "lines"

    def test_credits_exceeding_debits_give_a_negative_residual(self) -> None:
        with pytest.raises(UnbalancedEntry, match=r"credits exceed debits by 5\.00 USD") as caught:
            entry(
                JournalLine.in_base("1200", D, usd("100.00")),
                JournalLine.in_base("4000", C, usd("105.00")),
            )
        assert caught.value.residual == usd("-5.00")

    def test_a_foreign_currency_imbalance_is_named_in_that_currency(self) -> None:
        with pytest.raises(UnbalancedEntry) as caught:
            entry(
                eur_line("1210", D, "100.00", "108.57"),
                eur_line("1900", C, "99.99", "108.57"),
            )
        assert caught.value.residual == eur("0.01")

    def test_an_imbalance_only_in_base_is_named_in_the_base_currency(self) -> None:
        with pytest.raises(UnbalancedEntry) as caught:
            entry(
                eur_line("1210", D, "100.00", "108.57"),
                eur_line("1900", C, "100.00", "108.56"),
            )
        assert caught.value.residual == usd("0.01")

    def test_residuals_list_each_currency_then_base_once(self) -> None:
        lines = [
            eur_line("1210", D, "100.00", "108.57"),
            eur_line("1900", C, "99.00", "107.00"),
            JournalLine.in_base("1900", D, usd("2.00")),
        ]
        assert residuals(lines) == [eur("1.00"), usd("2.00"), usd("3.57")]
        assert residuals(sale().lines) == []

    def test_a_base_currency_line_must_have_base_amount_equal_to_amount(self) -> None:
        with pytest.raises(InvalidInput, match="base currency") as caught:
            entry(
                JournalLine("1200", D, usd("10.00"), usd("10.01")),
                JournalLine.in_base("4000", C, usd("10.00")),
            )
        assert caught.value.field == "lines[0].base_amount"

    def test_a_base_currency_line_must_have_rate_one(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            entry(
                JournalLine.in_base("1200", D, usd("10.00")),
                JournalLine("4000", C, usd("10.00"), usd("10.00"), rate=Decimal("1.01")),
            )
        assert caught.value.field == "lines[1].base_amount"

    def test_a_base_amount_outside_the_book_currency_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="book is in USD") as caught:
            entry(
                JournalLine("1210", D, eur("10.00"), Money.of("11.00", "CHF")),
                JournalLine("1900", C, eur("10.00"), Money.of("11.00", "CHF")),
            )
        assert caught.value.field == "lines[0].base_amount"

    @pytest.mark.parametrize("count", [0, 1])
    def test_fewer_than_two_lines_are_refused(self, count: int) -> None:
        lines = (JournalLine.in_base("1200", D, usd("1.00")),)[:count]
        with pytest.raises(InvalidInput, match="at least two lines"):
            entry(*lines)

    def test_a_two_currency_sale_through_conversion_balances(self) -> None:
        built = eur_sale()
        assert built.total(D) == built.total(C) == usd("217.14")
        assert residuals(built.lines) == []
        assert nonzero(trial_balance([built])) == {
            "1210": Decimal("108.57"),
            "4000": Decimal("-108.57"),
        }

    def test_the_same_sale_without_the_conversion_pair_is_refused(self) -> None:
        with pytest.raises(UnbalancedEntry) as caught:
            entry(
                eur_line("1210", D, "100.00", "108.57"),
                JournalLine.in_base("4000", C, usd("108.57")),
            )
        assert caught.value.residual == eur("100.00")


class TestImmutability:
    def test_an_entry_cannot_be_changed(self) -> None:
        built = sale()
        with pytest.raises(dataclasses.FrozenInstanceError):
            built.description = "edited"  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            built.lines = ()  # type: ignore[misc]

    def test_a_line_cannot_be_changed(self) -> None:
        line = sale().lines[0]
        with pytest.raises(dataclasses.FrozenInstanceError):
            line.amount = usd("1000.00")  # type: ignore[misc]

    def test_dimensions_are_read_only_and_detached_from_the_callers_dict(self) -> None:
        given = {"channel": "web"}
        built = entry(*sale().lines, dimensions=given)
        given["channel"] = "pos"
        assert built.dimensions["channel"] == "web"
        with pytest.raises(TypeError):
            built.dimensions["channel"] = "pos"  # type: ignore[index]
        with pytest.raises(TypeError):
            built.lines[2].dimensions["order"] = "1002"  # type: ignore[index]


class TestReversal:
    def test_every_side_is_swapped_and_amounts_kept(self) -> None:
        original = eur_sale()
        reversal = original.reversal(reason="order cancelled")
        for before, after in zip(original.lines, reversal.lines, strict=True):
            assert after.side is before.side.opposite
            assert (after.account, after.amount, after.base_amount) == (
                before.account,
                before.amount,
                before.base_amount,
            )
            assert (after.rate, after.rate_date, after.rate_source) == (
                before.rate,
                before.rate_date,
                before.rate_source,
            )

    def test_it_links_back_to_the_original_source(self) -> None:
        reversal = sale().reversal(reason="order cancelled")
        assert reversal.reverses == SOURCE
        assert reversal.source == SourceKey("stripe-us", "ch_3Nx", "order_paid.reversal")
        assert reversal.source != SOURCE
        assert reversal.description == "Reversal of stripe-us/order_paid/ch_3Nx: order cancelled"

    def test_it_keeps_the_date_unless_given_one(self) -> None:
        assert sale().reversal(reason="x").date == DAY
        later = dt.date(2026, 11, 1)
        assert sale().reversal(reason="x", date=later).date == later

    @pytest.mark.parametrize("build", [sale, eur_sale], ids=["usd", "eur-on-usd"])
    def test_original_and_reversal_net_to_zero_on_every_account(self, build: object) -> None:
        original: JournalEntry = build()  # type: ignore[operator]
        assert nonzero(trial_balance([original])) != {}
        assert nonzero(trial_balance([original, original.reversal(reason="x")])) == {}

    def test_reversing_a_reversal_restores_the_original_lines(self) -> None:
        original = sale()
        twice = original.reversal(reason="x").reversal(reason="y")
        assert twice.lines == original.lines
