"""The exported books agree with our own: bean-check accepts them, account by account."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from beancount import loader
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.export.beancount import account_names
from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.manual_entries import entries_from_document, load_document
from ledgerbridge.services import books, reports
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork
from tests.export.test_beancount import bean_check, weights_by_account

REPO = Path(__file__).resolve().parents[2]
EUR_SALE = """
date: 2026-11-05
description: "Order #2001 paid in EUR, converted at 1.0850"
external_id: eur-2001
lines:
  - {account: "1201", debit: "100.00", currency: EUR, rate: "1.0850"}
  - {account: "1900", credit: "100.00", currency: EUR, rate: "1.0850"}
  - {account: "1900", debit: "108.50"}
  - {account: "4000", credit: "108.50"}
"""


@pytest.fixture
def book(db: Database) -> Database:
    books.init_book(db, base_currency="USD")
    books.add_account(
        db, Account("1201", "Stripe clearing", AccountType.ASSET), role="clearing:stripe"
    )
    for text in ((REPO / "examples/worked-example.yaml").read_text(), EUR_SALE):
        books.post_entries(db, entries_from_document(load_document(text), base_currency="USD"))
    books.reverse_entry(db, 2, reason="fee charged twice")
    return db


@pytest.mark.slow
def test_the_beancount_export_passes_bean_check_and_agrees_with_the_trial_balance(
    book: Database, tmp_path: Path
) -> None:
    text = reports.export(book, "beancount")
    path = tmp_path / "books.beancount"
    path.write_text(text)
    checked = bean_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    theirs = weights_by_account(entries, "USD")
    with UnitOfWork(book) as uow:
        names = account_names([s.account for s in uow.accounts.all()])
    tb = reports.trial_balance(book)
    ours = {names[row.code]: row.balance.amount for row in tb.rows}
    assert {k: v for k, v in theirs.items() if v} == {k: v for k, v in ours.items() if v}


def test_the_csv_export_has_one_row_per_line_with_exact_amounts(book: Database) -> None:
    rows = list(csv.DictReader(io.StringIO(reports.export(book, "csv"))))
    with UnitOfWork(book) as uow:
        lines = sum(len(p.entry.lines) for p in uow.entries.find())
    assert len(rows) == lines
    assert {r["debit"] for r in rows if r["currency"] == "EUR"} >= {"100.00"}


def test_export_from_the_command_line_and_an_unknown_format(book: Database) -> None:
    runner = CliRunner()
    url = book.engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["export", "--format", "ledger", "--database-url", url])
    assert result.exit_code == 0
    assert "Stripe clearing" in result.stdout
    bad = runner.invoke(app, ["export", "--format", "xlsx", "--database-url", url])
    assert bad.exit_code == 2
    assert "unknown export format 'xlsx'" in bad.stderr
