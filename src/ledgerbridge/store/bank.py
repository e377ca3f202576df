"""Imported bank statements and their lines; a re-imported line is recognised by fingerprint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select

from ledgerbridge.money import Money
from ledgerbridge.reconcile.model import BankLine
from ledgerbridge.store.tables import bank_lines, bank_statements, recon_match_lines
from ledgerbridge.store.upsert import insert_ignoring


@dataclass(frozen=True, slots=True)
class StoredLine:
    id: int
    line: BankLine
    bank_account: str


def _to_line(row: Any) -> StoredLine:
    line = BankLine(
        bank_ref=row.bank_ref,
        booking_date=row.booking_date,
        amount=Money.from_minor(int(row.amount_minor), row.currency),
        description=row.description,
        value_date=row.value_date,
        counterparty=row.counterparty,
        references=tuple(row.refs or ()),
        transaction_code=row.transaction_code,
        account=row.bank_account,
        position=row.position,
    )
    return StoredLine(row.id, line, row.bank_account)


class BankRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_statement(self, **values: Any) -> int:
        result = self.conn.execute(insert(bank_statements).values(**values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def add_line(
        self, statement_id: int, bank_account: str, fingerprint: str, line: BankLine
    ) -> bool:
        """Store a line unless its fingerprint is known; True when it was new."""
        new_id = insert_ignoring(
            self.conn,
            bank_lines,
            [bank_lines.c.fingerprint],
            {
                "statement_id": statement_id,
                "bank_account": bank_account,
                "fingerprint": fingerprint,
                "bank_ref": line.bank_ref,
                "booking_date": line.booking_date,
                "value_date": line.value_date,
                "amount_minor": line.amount.minor,
                "currency": line.amount.currency,
                "description": line.description,
                "counterparty": line.counterparty,
                "refs": list(line.references),
                "transaction_code": line.transaction_code,
                "position": line.position,
            },
        )
        return new_id is not None

    def set_counts(self, statement_id: int, added: int, skipped: int) -> None:
        self.conn.execute(
            bank_statements.update()
            .where(bank_statements.c.id == statement_id)
            .values(lines_added=added, lines_skipped=skipped)
        )

    def unmatched(self, date_from: dt.date, date_to: dt.date) -> list[StoredLine]:
        """Lines booked in the period that no match has used yet, oldest first."""
        used = select(recon_match_lines.c.bank_line_id)
        rows = self.conn.execute(
            select(bank_lines)
            .where(
                bank_lines.c.booking_date >= date_from,
                bank_lines.c.booking_date <= date_to,
                bank_lines.c.id.not_in(used),
            )
            .order_by(bank_lines.c.booking_date, bank_lines.c.id)
        )
        return [_to_line(row) for row in rows]

    def lines(self, ids: Sequence[int]) -> dict[int, StoredLine]:
        if not ids:
            return {}
        rows = self.conn.execute(select(bank_lines).where(bank_lines.c.id.in_(list(ids))))
        return {row.id: _to_line(row) for row in rows}

    def deposit_counts(self) -> tuple[int, int]:
        """(credit lines imported, those matched to a payout), for the match-rate gauge."""
        deposits = self.conn.execute(
            select(func.count()).select_from(bank_lines).where(bank_lines.c.amount_minor > 0)
        ).scalar_one()
        matched = self.conn.execute(
            select(func.count())
            .select_from(
                bank_lines.join(
                    recon_match_lines, recon_match_lines.c.bank_line_id == bank_lines.c.id
                )
            )
            .where(bank_lines.c.amount_minor > 0)
        ).scalar_one()
        return int(deposits), int(matched)
