"""The CSV export read back with ``csv.DictReader``: every amount and text comes back exactly."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.export.csv import CSV_COLUMNS, to_csv
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side
from ledgerbridge.money import Money
from tests.export import sample_book as book
from tests.strategies import journal_entries, slow_inputs


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def pairs(entries: list[JournalEntry]) -> list[tuple[JournalEntry, JournalLine]]:
    return [(entry, line) for entry in entries for line in entry.lines]


def assert_round_trip(entries: list[JournalEntry]) -> None:
    """Each row rebuilds its line's amounts, rate and texts exactly."""
    rows = read(to_csv(entries))
    assert len(rows) == sum(len(e.lines) for e in entries)
    for row, (entry, line) in zip(rows, pairs(entries), strict=True):
        side = Side(row["side"])
        amount = row["debit"] if side is Side.DEBIT else row["credit"]
        base = row["base_debit"] if side is Side.DEBIT else row["base_credit"]
        assert (side, row["account"]) == (line.side, line.account)
        assert Money.of(amount, row["currency"]) == line.amount
        assert Money.of(base, entry.base_currency) == line.base_amount
        assert amount == line.amount.format()
        assert Decimal(row["rate"]) == line.rate
        assert (row["source"], row["date"]) == (str(entry.source), entry.date.isoformat())
        assert (row["description"], row["memo"]) == (entry.description, line.memo)


class TestToCsv:
    def test_the_header_is_the_documented_columns(self) -> None:
        header = to_csv([]).splitlines()[0]
        assert header.split(",") == list(CSV_COLUMNS)
        assert CSV_COLUMNS[:5] == ("source", "date", "description", "account", "side")

    def test_every_line_of_the_sample_book_round_trips_exactly(self) -> None:
        assert_round_trip(book.entries())

    def test_a_debit_row_fills_debit_and_leaves_credit_empty(self) -> None:
        rows = read(to_csv(book.entries()))
        eur_debit = next(r for r in rows if r["account"] == "1210" and r["side"] == "debit")
        assert eur_debit == {
            "source": "shopify-eu/order_paid/1002",
            "date": "2026-10-05",
            "description": "Commande n° 1002 (Zürich)",
            "account": "1210",
            "side": "debit",
            "debit": "100.00",
            "credit": "",
            "currency": "EUR",
            "base_debit": "108.57",
            "base_credit": "",
            "rate": "1.0857",
            "rate_date": "2026-10-02",
            "rate_source": "ecb",
            "memo": "",
        }

    def test_a_credit_row_fills_credit_and_a_base_line_has_rate_one(self) -> None:
        rows = read(to_csv(book.entries()))
        opening_credit = rows[1]
        assert (opening_credit["debit"], opening_credit["credit"]) == ("", "5000.00")
        assert (opening_credit["base_debit"], opening_credit["base_credit"]) == ("", "5000.00")
        assert (opening_credit["rate"], opening_credit["rate_date"]) == ("1", "")

    def test_amounts_are_written_at_their_currency_exponent(self) -> None:
        rows = read(to_csv(book.entries()))
        yen = next(r for r in rows if r["currency"] == "JPY")
        assert (yen["debit"], yen["base_debit"]) == ("1500", "10.05")

    def test_quotes_commas_newlines_and_unicode_survive(self) -> None:
        rows = read(to_csv(book.entries()))
        assert rows[2]["description"] == book.CARD_SALE_DESCRIPTION
        assert rows[2]["memo"] == 'net of "fee"\nsecond line'

    def test_debits_equal_credits_in_base_for_every_entry(self) -> None:
        totals: dict[str, Decimal] = {}
        for row in read(to_csv(book.entries())):
            value = Decimal(row["base_debit"] or "0") - Decimal(row["base_credit"] or "0")
            totals[row["source"]] = totals.get(row["source"], Decimal(0)) + value
        assert len(totals) == len(book.entries())
        assert set(totals.values()) == {Decimal(0)}

    def test_rows_keep_the_order_given(self) -> None:
        entries = list(reversed(book.entries()))
        sources = [r["source"] for r in read(to_csv(entries))]
        assert sources[0] == str(entries[0].source)
        assert sources[-1] == str(entries[-1].source)

    @slow_inputs
    @given(st.lists(journal_entries(), max_size=4))
    def test_any_book_round_trips_exactly(self, entries: list[JournalEntry]) -> None:
        assert_round_trip(entries)
