"""The journal in a real database: exact amounts, idempotent posting, append-only rows."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledgerbridge.ledger.accounts import Account, AccountType, UnknownAccount
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.money import Money
from ledgerbridge.services import books, reports
from ledgerbridge.store.database import Database
from ledgerbridge.store.entries import CurrencyNotAllowed
from ledgerbridge.store.unit_of_work import UnitOfWork

DAY = dt.date(2026, 11, 2)


def sale(external_id: str, amount: str, currency: str = "USD", base: str = "USD") -> JournalEntry:
    money = Money.of(amount, currency)
    return JournalEntry(
        DAY,
        f"Sale {external_id}",
        base,
        SourceKey("shop", external_id, "order_paid"),
        (
            JournalLine.in_base("1000", Side.DEBIT, money),
            JournalLine.in_base("4000", Side.CREDIT, money),
        ),
    )


@pytest.fixture
def book(db: Database) -> Database:
    books.init_book(db, base_currency="USD")
    return db


class TestPostEntry:
    def test_a_posted_entry_reads_back_identical(self, book: Database) -> None:
        entry = sale("1001", "1234.56")
        result = books.post_entry(book, entry)
        with UnitOfWork(book) as uow:
            assert uow.entries.get(result.entry_id).entry == entry

    def test_posting_the_same_source_twice_returns_the_first_entry(self, book: Database) -> None:
        first = books.post_entry(book, sale("1001", "10.00"))
        second = books.post_entry(book, sale("1001", "10.00"))
        assert first.created and not second.created
        assert second.entry_id == first.entry_id
        with UnitOfWork(book) as uow:
            assert uow.entries.count() == 1

    def test_unknown_account_writes_nothing(self, book: Database) -> None:
        money = Money.of("5.00", "USD")
        entry = JournalEntry(
            DAY,
            "x",
            "USD",
            SourceKey("shop", "9", "order_paid"),
            (
                JournalLine.in_base("1000", Side.DEBIT, money),
                JournalLine.in_base("4999", Side.CREDIT, money),
            ),
        )
        with pytest.raises(UnknownAccount, match="4999"):
            books.post_entry(book, entry)
        with UnitOfWork(book) as uow:
            assert uow.entries.count() == 0

    def test_a_single_currency_account_refuses_other_currencies(self, book: Database) -> None:
        books.add_account(book, Account("1010", "Bank EUR", AccountType.ASSET, "EUR"))
        eur = Money.of("10.00", "EUR")
        usd = Money.of("11.00", "USD")
        entry = JournalEntry(
            DAY,
            "x",
            "USD",
            SourceKey("shop", "9", "order_paid"),
            (
                JournalLine("1010", Side.DEBIT, usd, usd),
                JournalLine("4000", Side.CREDIT, usd, usd),
            ),
        )
        with pytest.raises(CurrencyNotAllowed):
            books.post_entry(book, entry)
        assert eur.currency == "EUR"

    @pytest.mark.parametrize(
        ("amount", "currency"), [("123456789012.34", "USD"), ("1234567", "JPY"), ("12.345", "KWD")]
    )
    def test_amounts_keep_their_exponent_exactly(
        self, book: Database, amount: str, currency: str
    ) -> None:
        money = Money.of(amount, currency)
        base = money if currency == "USD" else Money.of("1.00", "USD")
        entry = JournalEntry(
            DAY,
            "fx",
            "USD",
            SourceKey("shop", currency, "order_paid"),
            (
                JournalLine("1000", Side.DEBIT, money, base, rate=base.amount / money.amount),
                JournalLine("1900", Side.CREDIT, money, base, rate=base.amount / money.amount),
            ),
        )
        result = books.post_entry(book, entry)
        with UnitOfWork(book) as uow:
            line = uow.entries.get(result.entry_id).entry.lines[0]
        assert line.amount == money and str(line.amount.amount) == amount


class TestReversal:
    def test_reversal_nets_every_account_to_zero(self, book: Database) -> None:
        posted = books.post_entry(book, sale("1001", "99.99"))
        books.reverse_entry(book, posted.entry_id, reason="test order")
        tb = reports.trial_balance(book)
        assert all(row.balance.is_zero() for row in tb.rows)
        with UnitOfWork(book) as uow:
            assert uow.entries.get(posted.entry_id).reversed_by is not None

    def test_reversing_twice_posts_one_reversal(self, book: Database) -> None:
        posted = books.post_entry(book, sale("1001", "99.99"))
        first = books.reverse_entry(book, posted.entry_id, reason="a")
        second = books.reverse_entry(book, posted.entry_id, reason="b")
        assert second.entry_id == first.entry_id and not second.created


class TestAppendOnly:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE journal_lines SET amount_minor = 1",
            "DELETE FROM journal_lines",
            "UPDATE journal_entries SET description = 'edited'",
            "DELETE FROM audit_log",
        ],
    )
    def test_the_database_refuses_edits_to_posted_rows(
        self, book: Database, statement: str
    ) -> None:
        books.post_entry(book, sale("1001", "10.00"))
        with pytest.raises(DBAPIError, match="append-only"), book.engine.begin() as conn:
            conn.execute(text(statement))


class TestTrialBalance:
    def test_sums_to_zero_and_respects_as_of(self, book: Database) -> None:
        books.post_entry(book, sale("1", "10.00"))
        later = sale("2", "5.00")
        books.post_entry(
            book,
            JournalEntry(
                DAY + dt.timedelta(days=3), later.description, "USD", later.source, later.lines
            ),
        )
        tb = reports.trial_balance(book)
        assert tb.total_debit == tb.total_credit == Money.of("15.00", "USD")
        assert reports.trial_balance(book, as_of=DAY).balance_of("1000") == Money.of("10.00", "USD")
        data = tb.as_json()
        assert data["accounts"][0] == {
            "code": "1000",
            "name": "Bank",
            "type": "asset",
            "debit": "15.00",
            "credit": "0.00",
            "balance": "15.00",
        }
