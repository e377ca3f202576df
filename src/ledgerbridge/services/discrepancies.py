"""Resolving what reconciliation flagged: accept it, write it off with an entry, or match by hand.

* ``accept`` — the finding is understood and needs no entry (a deposit that simply arrived late
  and was matched since); it is closed with the person's note.
* ``write-off`` — book the difference: a deposit short of its payout by a bank fee moves the
  shortfall from the bank account to bank fees; a payout that never arrived moves to suspense
  for investigation; money that arrived unannounced is booked from suspense.
* ``match`` — a person pairs a deposit with a payout the matcher could not. The match is
  recorded and *taught*: the deposit's counterparty (or description) becomes a learned rule,
  so the next deposit like it from the same sender is matched the same way, and says so.

Every resolution is an audit record naming who resolved it and why.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.ledger.chart import Role
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.money import Money
from ledgerbridge.services.books import post_in
from ledgerbridge.store.database import Database
from ledgerbridge.store.reconciliation import StoredDiscrepancy
from ledgerbridge.store.unit_of_work import UnitOfWork


class Action(StrEnum):
    ACCEPT = "accept"
    WRITE_OFF = "write-off"
    MATCH = "match"


class AlreadyResolved(LedgerBridgeError):
    code = "already_resolved"
    http_status = 409


def resolve(
    db: Database,
    discrepancy_id: int,
    *,
    action: Action,
    note: str,
    by: str,
    payout: tuple[str, str] | None = None,
    bank_line_id: int | None = None,
    clock: Clock = utcnow,
) -> int | None:
    """Close a discrepancy; returns the id of the entry it booked, if any.

    Raises NotFound, AlreadyResolved, InvalidInput (no note; write-off of a kind that books
    nothing; match without a payout and a line), AlreadyMatched.
    """
    if not note.strip():
        raise InvalidInput("say why (--note)", field="note")
    with UnitOfWork(db) as uow:
        found = uow.reconciliation.discrepancy(discrepancy_id)
        if found.status == "resolved":
            raise AlreadyResolved(f"discrepancy {discrepancy_id} is already resolved")
        now = clock()
        entry_id = None
        if action is Action.WRITE_OFF:
            roles = uow.accounts.roles()
            base = uow.book.require().base_currency
            entry_id = post_in(
                uow, _write_off(found, roles, base, now.date(), note), now=now
            ).entry_id
        elif action is Action.MATCH:
            _match_by_hand(uow, found, payout, bank_line_id, note, now)
        uow.reconciliation.resolve(
            discrepancy_id, action=action.value, note=note, entry_id=entry_id, now=now
        )
        uow.audit.append(
            "discrepancy.resolved",
            {
                "id": discrepancy_id,
                "kind": found.kind,
                "action": action.value,
                "note": note,
                "by": by,
                "entry_id": entry_id,
            },
            now=now,
        )
        uow.commit()
    return entry_id


def _write_off(
    found: StoredDiscrepancy, roles: dict[str, str], base: str, on: dt.date, note: str
) -> JournalEntry:
    if found.currency is None or found.currency != base:
        raise InvalidInput(
            f"a {found.kind} in {found.currency or 'no currency'} cannot be written off in "
            f"the {base} book; resolve it by hand with a manual entry",
            field="action",
        )
    bank, suspense, fees = roles["bank"], roles[Role.SUSPENSE.value], roles[Role.BANK_FEES.value]
    if found.kind == "amount_mismatch" and found.difference_minor is not None:
        amount = Money.from_minor(abs(found.difference_minor), base)
        short = found.difference_minor < 0
        debit, credit = (fees, bank) if short else (bank, suspense)
    elif found.kind == "missing_deposit" and found.expected_minor is not None:
        amount, debit, credit = Money.from_minor(found.expected_minor, base), suspense, bank
    elif found.kind in ("unexpected_deposit", "duplicate_deposit") and found.actual_minor:
        amount, debit, credit = Money.from_minor(found.actual_minor, base), bank, suspense
    else:
        raise InvalidInput(
            f"a {found.kind} books nothing to write off; accept or match it", field="action"
        )
    memo = f"Discrepancy {found.id} ({found.kind}): {note}"
    return JournalEntry(
        date=on,
        description=f"Reconciliation write-off: {found.reason}",
        base_currency=base,
        source=SourceKey("reconciliation", f"discrepancy:{found.id}", "write_off"),
        lines=(
            JournalLine.in_base(debit, Side.DEBIT, amount, memo),
            JournalLine.in_base(credit, Side.CREDIT, amount, memo),
        ),
    )


def _match_by_hand(
    uow: UnitOfWork,
    found: StoredDiscrepancy,
    payout: tuple[str, str] | None,
    bank_line_id: int | None,
    note: str,
    now: dt.datetime,
) -> None:
    payout = payout or (
        (found.payouts[0]["connection"], found.payouts[0]["payout_id"]) if found.payouts else None
    )
    line_id = bank_line_id or (found.bank_line_ids[0] if found.bank_line_ids else None)
    if payout is None or line_id is None:
        raise InvalidInput(
            "a manual match needs --payout CONNECTION:PAYOUT_ID and --line ID", field="payout"
        )
    line = uow.bank.lines([line_id]).get(line_id)
    if line is None:
        raise InvalidInput(f"there is no bank line {line_id}", field="line")
    match_id = uow.reconciliation.add_match(
        method="manual",
        score="1",
        difference_minor=0,
        currency=line.line.amount.currency,
        line_ids=[line_id],
        payouts=[payout],
        now=now,
        note=note,
    )
    pattern = line.line.counterparty or line.line.description
    if pattern.strip():
        uow.reconciliation.add_rule(
            connection=payout[0],
            counterparty=line.line.counterparty,
            descriptor=None if line.line.counterparty else pattern,
            match_id=match_id,
            now=now,
        )


def as_json(found: StoredDiscrepancy) -> dict[str, Any]:
    """One discrepancy as `discrepancies list --json` and the API show it; amounts as strings."""

    def money(minor: int | None) -> str | None:
        if minor is None or found.currency is None:
            return None
        return Money.from_minor(minor, found.currency).format()

    return {
        "id": found.id,
        "kind": found.kind,
        "status": found.status,
        "reason": found.reason,
        "payouts": found.payouts,
        "bank_line_ids": found.bank_line_ids,
        "currency": found.currency,
        "expected": money(found.expected_minor),
        "actual": money(found.actual_minor),
        "difference": money(found.difference_minor),
        "action": found.action,
        "note": found.note,
        "entry_id": found.entry_id,
        "detected_at": found.detected_at.isoformat(),
    }


def listed(db: Database, *, status: str | None) -> list[StoredDiscrepancy]:
    """Discrepancies with ``status`` (``open``, ``resolved``; None for all), oldest first."""
    with UnitOfWork(db, read_only=True) as uow:
        return uow.reconciliation.discrepancies(status=status)
