"""Importing bank statements: parse, fingerprint, store each line once, report the balance.

A line's *fingerprint* is a hash of what the bank says about it (account, bank reference,
booking date, amount, currency, description, counterparty, references) plus how many identical
lines came before it in the same statement. Re-importing the same file, or an overlapping one,
adds nothing twice; two real lines that share a bank id (some banks reuse an OFX FITID for a
fee and a credit) differ in amount or text and are both kept; two fully identical lines in one
statement (two equal card payments on one day) are told apart by their occurrence number.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.ledger.chart import Role
from ledgerbridge.reconcile.model import BankLine, Statement
from ledgerbridge.statements import parse_statement
from ledgerbridge.statements.base import detect, parser_for
from ledgerbridge.statements.csv_profile import CsvProfile
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ImportedStatement:
    account: str | None
    currency: str
    lines: int
    added: int
    skipped: int
    total: str
    balance_gap: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "currency": self.currency,
            "lines": self.lines,
            "added": self.added,
            "skipped": self.skipped,
            "total": self.total,
            "balance_gap": self.balance_gap,
        }


def _identity(bank_account: str, line: BankLine) -> str:
    return json.dumps(
        [
            bank_account,
            line.bank_ref,
            line.booking_date.isoformat(),
            str(line.amount.amount),
            line.amount.currency,
            line.description,
            line.counterparty,
            list(line.references),
        ],
        ensure_ascii=False,
    )


def fingerprints(bank_account: str, statement: Statement) -> list[str]:
    """One fingerprint per line, in order (see the module docstring)."""
    seen: Counter[str] = Counter()
    found = []
    for line in statement.lines:
        identity = _identity(bank_account, line)
        found.append(hashlib.sha256(f"{identity}#{seen[identity]}".encode()).hexdigest())
        seen[identity] += 1
    return found


def import_statement(
    db: Database,
    data: bytes,
    *,
    fmt: str = "auto",
    bank_account: str | None = None,
    profile: CsvProfile | None = None,
    clock: Clock = utcnow,
) -> tuple[str, list[ImportedStatement]]:
    """Import a bank file; returns the format and what each statement added.

    The whole file is refused (StatementInvalid, naming the line or element) before anything
    is written. Raises UnknownAccount for an unknown ``bank_account``.
    """
    statements = parse_statement(data, format=fmt, profile=profile)
    used = detect(data).format if fmt == "auto" else parser_for(fmt).format
    digest = hashlib.sha256(data).hexdigest()
    reports = []
    with UnitOfWork(db) as uow:
        uow.book.require()
        code = bank_account or uow.accounts.roles().get(Role.BANK.value, "")
        uow.accounts.get(code)
        now = clock()
        for statement in statements:
            gap = statement.balance_gap
            statement_id = uow.bank.add_statement(
                bank_account=code,
                format=used,
                file_sha256=digest,
                statement_ref=statement.statement_id,
                account=statement.account,
                currency=statement.currency,
                opening_minor=statement.opening_balance.minor
                if statement.opening_balance
                else None,
                closing_minor=statement.closing_balance.minor
                if statement.closing_balance
                else None,
                balance_gap_minor=gap.minor if gap is not None else None,
                period_start=statement.period_start,
                period_end=statement.period_end,
                lines_added=0,
                lines_skipped=0,
                imported_at=now,
            )
            added = sum(
                uow.bank.add_line(statement_id, code, fingerprint, line)
                for fingerprint, line in zip(
                    fingerprints(code, statement), statement.lines, strict=True
                )
            )
            skipped = len(statement.lines) - added
            uow.bank.set_counts(statement_id, added, skipped)
            total = sum((line.amount.amount for line in statement.lines), start=0)
            reports.append(
                ImportedStatement(
                    statement.account,
                    statement.currency,
                    len(statement.lines),
                    added,
                    skipped,
                    f"{total:f}" if statement.lines else "0",
                    gap.format() if gap is not None else None,
                )
            )
        uow.audit.append(
            "statement.imported",
            {
                "sha256": digest,
                "format": used,
                "bank_account": code,
                "statements": [r.as_json() for r in reports],
            },
            now=now,
        )
        uow.commit()
    return used, reports
