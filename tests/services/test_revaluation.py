"""Month-end revaluation: unrealised FX at the period end, reversed on the next day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.fx import FixedRates
from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.manual_entries import entries_from_document, load_document
from ledgerbridge.money import Money
from ledgerbridge.posting.rates import RateUnavailable
from ledgerbridge.services import books, reports, revaluation
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork

MARCH_END, APRIL_FIRST = dt.date(2026, 3, 31), dt.date(2026, 4, 1)
SALE = """
date: 2026-03-10
description: EUR sale still in Stripe at month end
external_id: eur-sale
lines:
  - {account: "1201", debit: "100.00", currency: EUR, base_amount: "109.50"}
  - {account: "4000", credit: "100.00", currency: EUR, base_amount: "109.50"}
"""


@pytest.fixture
def book(db: Database) -> Database:
    books.init_book(db, base_currency="USD")
    books.add_account(
        db, Account("1201", "Stripe clearing", AccountType.ASSET), role="clearing:stripe"
    )
    books.post_entries(db, entries_from_document(load_document(SALE), base_currency="USD"))
    return db


@pytest.fixture
def rates(tmp_path: Path) -> Path:
    path = tmp_path / "rates.csv"
    path.write_text("currency,base,date,rate\nEUR,USD,2026-03-31,1.1000\n")
    return path


class TestRevalue:
    def test_the_gain_is_posted_at_month_end_and_reversed_the_next_day(
        self, book: Database, rates: Path
    ) -> None:
        result = revaluation.revalue(book, FixedRates(rates), as_of=MARCH_END)
        [item] = result.items
        assert (item.held, item.booked, item.revalued) == (
            Money.of("100.00", "EUR"),
            Money.of("109.50", "USD"),
            Money.of("110.00", "USD"),
        )
        at_month_end = reports.trial_balance(book, as_of=MARCH_END)
        assert at_month_end.balance_of("1201") == Money.of("110.00", "USD")
        assert at_month_end.balance_of("7110") == Money.of("-0.50", "USD")  # a gain (credit)
        next_day = reports.trial_balance(book, as_of=APRIL_FIRST)
        assert next_day.balance_of("1201") == Money.of("109.50", "USD")
        assert next_day.balance_of("7110").is_zero()
        with UnitOfWork(book) as uow:
            reversal = uow.entries.get(result.reversal_id or 0)
        assert reversal.entry.date == APRIL_FIRST and reversal.entry.reverses is not None

    def test_running_it_twice_posts_once(self, book: Database, rates: Path) -> None:
        first = revaluation.revalue(book, FixedRates(rates), as_of=MARCH_END)
        second = revaluation.revalue(book, FixedRates(rates), as_of=MARCH_END)
        assert first.created and not second.created
        assert second.entry_id == first.entry_id

    def test_without_a_rate_nothing_is_posted(self, book: Database, tmp_path: Path) -> None:
        empty = tmp_path / "none.csv"
        empty.write_text("currency,base,date,rate\n")
        with pytest.raises(RateUnavailable):
            revaluation.revalue(book, FixedRates(empty), as_of=MARCH_END)
        with UnitOfWork(book) as uow:
            assert uow.entries.count() == 1

    def test_the_command_reports_json(
        self, book: Database, rates: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("LEDGERBRIDGE_FX_PROVIDER", f"fixed:{rates}")
        monkeypatch.chdir(tmp_path)
        (tmp_path / ".ledgerbridge.key").write_text("x" * 43 + "=")
        url = book.engine.url.render_as_string(hide_password=False)
        result = CliRunner().invoke(
            app, ["fx", "revalue", "--as-of", "2026-03-31", "--json", "--database-url", url]
        )
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["balances"][0]["difference"] == "0.50" and data["created"] is True
