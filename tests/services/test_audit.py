"""`audit verify` finds any edit made behind the ledger's back and names where it is."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledgerbridge.services import audit, books
from ledgerbridge.store.database import Database
from tests.store.test_entries import sale


@pytest.fixture
def book(db: Database) -> Database:
    books.init_book(db, base_currency="USD")
    for i in range(3):
        books.post_entry(db, sale(str(i), f"{i + 1}0.00"))
    return db


def tamper(db: Database, table: str, statement: str) -> None:
    """What an intruder with database access does: switch off the guard, then edit."""
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            conn.execute(text(f"DROP TRIGGER {table}_no_update"))
            conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        conn.execute(text(statement))


class TestVerify:
    def test_an_untouched_book_verifies(self, book: Database) -> None:
        report = audit.verify(book)
        assert report.ok
        assert (report.records, report.entries) == (4, 3)

    def test_an_edited_line_amount_is_named_by_entry(self, book: Database) -> None:
        tamper(
            book, "journal_lines", "UPDATE journal_lines SET amount_minor = 1 WHERE entry_id = 2"
        )
        report = audit.verify(book)
        assert not report.ok
        assert report.problems[0].where == "entry 2"
        assert "differs" in report.problems[0].reason

    def test_an_edited_audit_payload_is_named_by_record(self, book: Database) -> None:
        tamper(
            book,
            "audit_log",
            "UPDATE audit_log SET payload = replace(payload, '10.00', '11.00') WHERE seq = 2"
            if book.dialect == "sqlite"
            else "UPDATE audit_log SET payload = convert_to(replace(convert_from(payload, 'UTF8'),"
            " '10.00', '11.00'), 'UTF8') WHERE seq = 2",
        )
        report = audit.verify(book)
        assert report.problems[0].where == "audit record 2"
        assert "do not match its hash" in report.problems[0].reason

    def test_a_deleted_entry_is_reported(self, book: Database) -> None:
        tamper(book, "journal_lines", "DELETE FROM journal_lines WHERE entry_id = 3")
        tamper(book, "journal_entries", "DELETE FROM journal_entries WHERE id = 3")
        report = audit.verify(book)
        assert [p.where for p in report.problems] == ["entry 3"]
        assert "gone" in report.problems[0].reason

    def test_a_removed_audit_record_breaks_the_chain(self, book: Database) -> None:
        tamper(book, "audit_log", "DELETE FROM audit_log WHERE seq = 3")
        report = audit.verify(book)
        assert report.problems[0].where == "audit record 4"
        assert "missing" in report.problems[0].reason
