"""Reconciliation runs: the payouts the ledger expects against the bank lines imported.

A run loads (1) every payout the ledger posted whose arrival date falls in the period (widened by
the matching window) and that no earlier run matched, and (2) every imported bank line in the
same span not yet matched; hands both to the pure matcher; and records its matches and findings.
The unique keys of the match tables make the database refuse a line or payout used twice, and a
finding's key makes a daily run report each discrepancy once.

A matched deposit needs no new entry: the payout entry already moved the money from clearing to
the bank account; the match confirms it arrived. A deposit that differs is both a match and an
``amount_mismatch``, resolved by a person (``discrepancies resolve``), which books the adjusting
entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.money import Money
from ledgerbridge.reconcile.learned import LearnedRule
from ledgerbridge.reconcile.matching import match
from ledgerbridge.reconcile.model import Discrepancy, ExpectedDeposit, Match
from ledgerbridge.services.books import post_in
from ledgerbridge.store.bank import StoredLine
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork

DEFAULT_WINDOW_BUSINESS_DAYS = 3
RECEIVABLE_WINDOW_BUSINESS_DAYS = 30
"""Customers paying by bank transfer or cash on delivery pay when they pay: their deposits are
looked for over a month, in a second pass over the lines no payout explained."""
RECEIVABLE_PREFIX = "receivable:"
CALENDAR_SLACK_DAYS = 7
"""Calendar days added on each side of the period when loading candidates: covers the business-
day window across weekends and holidays."""


@dataclass
class RunReport:
    date_from: dt.date
    date_to: dt.date
    matches: list[dict[str, Any]] = field(default_factory=list)
    discrepancies: list[dict[str, Any]] = field(default_factory=list)
    deposits: int = 0
    matched_deposits: int = 0
    open_discrepancies: int = 0
    new_discrepancies: int = 0

    def as_json(self) -> dict[str, Any]:
        rate = (
            Decimal(self.matched_deposits) / Decimal(self.deposits) if self.deposits else Decimal(1)
        )
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "matches": self.matches,
            "discrepancies": self.discrepancies,
            "summary": {
                "deposits": self.deposits,
                "matched": self.matched_deposits,
                "auto_match_rate": f"{rate.quantize(Decimal('0.0001'))}",
                "discrepancies": len(self.discrepancies),
                "new_discrepancies": self.new_discrepancies,
                "open_discrepancies": self.open_discrepancies,
            },
        }


def expected_deposits(
    uow: UnitOfWork, date_from: dt.date, date_to: dt.date
) -> list[ExpectedDeposit]:
    """Payouts posted to the bank, arriving in the span, not matched yet."""
    matched = uow.reconciliation.matched_payouts()
    bank = uow.accounts.roles().get("bank")
    platforms = {c.name: c.platform for c in uow.connections.all()}
    found = []
    for posted in uow.entries.find(
        date_from=date_from - dt.timedelta(days=CALENDAR_SLACK_DAYS), date_to=date_to
    ):
        entry = posted.entry
        if entry.source.kind != "payout":
            continue
        key = (entry.source.connection, entry.source.external_id)
        if key in matched:
            continue
        for line in entry.lines:
            if line.account != bank or line.side.value != "debit":
                continue
            arrival = line.dimensions.get("arrival_date")
            expected_date = dt.date.fromisoformat(arrival) if arrival else entry.date
            if not date_from - dt.timedelta(days=CALENDAR_SLACK_DAYS) <= expected_date <= date_to:
                continue
            reference = line.dimensions.get("bank_reference")
            found.append(
                ExpectedDeposit(
                    payout_id=entry.source.external_id,
                    connection=entry.source.connection,
                    amount=line.amount,
                    expected_date=expected_date,
                    references=tuple(r for r in (entry.source.external_id, reference) if r),
                    descriptor=platforms.get(
                        entry.source.connection, entry.source.connection
                    ).upper(),
                )
            )
    return found


def open_receivables(uow: UnitOfWork, date_to: dt.date, base: str) -> list[ExpectedDeposit]:
    """Orders still owed by customers who pay the bank directly (booked to receivable)."""
    receivable = uow.accounts.roles().get("accounts_receivable")
    owed: dict[tuple[str, str], list[Any]] = {}
    for posted in uow.entries.find(date_to=date_to):
        entry = posted.entry
        for line in entry.lines:
            if line.account != receivable or line.amount.currency != base:
                continue
            subject = str(entry.dimensions.get("order_id") or entry.source.external_id)
            item = owed.setdefault(
                (entry.source.connection, subject),
                [Decimal(0), entry.date, entry.dimensions.get("order_name")],
            )
            item[0] += line.amount.amount if line.side.value == "debit" else -line.amount.amount
    return [
        ExpectedDeposit(
            payout_id=f"{RECEIVABLE_PREFIX}{subject}",
            connection=connection,
            amount=Money(amount, base),
            expected_date=first,
            references=tuple(str(r) for r in (name, subject) if r),
        )
        for (connection, subject), (amount, first, name) in sorted(owed.items())
        if amount > 0
    ]


def run(
    db: Database,
    *,
    date_from: dt.date,
    date_to: dt.date,
    window_business_days: int = DEFAULT_WINDOW_BUSINESS_DAYS,
    known_bank_fees: tuple[Money, ...] = (),
    clock: Clock = utcnow,
) -> RunReport:
    """Match and record; returns the report in the interface's shape."""
    slack = dt.timedelta(days=CALENDAR_SLACK_DAYS)
    with UnitOfWork(db) as uow:
        uow.book.require()
        expected = expected_deposits(uow, date_from, date_to + slack)
        stored = uow.bank.unmatched(date_from - slack, date_to + slack)
        rules = [
            LearnedRule(p, c, f"learned rule {i}")
            for p, c, i in uow.reconciliation.rules()
            if any(ch.isalnum() for ch in p)
        ]
        result = match(
            expected,
            [s.line for s in stored],
            window_business_days=window_business_days,
            known_bank_fees=known_bank_fees,
            learned=rules,
        )
        report = RunReport(date_from, date_to)
        by_payout = {e.payout_id: e for e in expected}
        now = clock()
        in_period = [s for s in stored if date_from <= s.line.booking_date <= date_to]
        report.deposits = sum(1 for s in in_period if s.line.amount.is_positive())
        for found in result.matches:
            report.matches.append(_record_match(uow, found, stored, by_payout, now))
        taken = {i for found in result.matches for i in found.line_indexes}
        settled = _settle_receivables(uow, stored, taken, date_to + slack, now)
        report.matches += settled
        explained = taken | {i for m in settled for i in m.pop("_lines")}
        report.matched_deposits = sum(
            1 for m in report.matches if date_from <= dt.date.fromisoformat(m["date"]) <= date_to
        )
        for finding in result.discrepancies:
            if (
                finding.kind.value == "unexpected_deposit"
                and set(finding.line_indexes) <= explained
            ):
                continue  # a customer's direct payment, settled in the second pass
            entry, new = _record_discrepancy(uow, finding, stored, by_payout, now)
            report.discrepancies.append(entry)
            report.new_discrepancies += int(new)
        report.open_discrepancies = len(uow.reconciliation.discrepancies(status="open"))
        uow.audit.append(
            "reconciliation.run",
            {
                "from": date_from,
                "to": date_to,
                "matches": len(report.matches),
                "new_discrepancies": report.new_discrepancies,
            },
            now=now,
        )
        uow.commit()
    return report


def _settle_receivables(
    uow: UnitOfWork, stored: list[StoredLine], taken: set[int], date_to: dt.date, now: dt.datetime
) -> list[dict[str, Any]]:
    """Second pass: deposits no payout explained, against open receivables; each match posts
    ``Dr bank / Cr accounts receivable`` for the money that arrived."""
    base = uow.book.require().base_currency
    owed = open_receivables(uow, date_to, base)
    left = [i for i, s in enumerate(stored) if i not in taken and s.line.amount.is_positive()]
    if not owed or not left:
        return []
    result = match(
        owed, [stored[i].line for i in left], window_business_days=RECEIVABLE_WINDOW_BUSINESS_DAYS
    )
    roles = uow.accounts.roles()
    by_id = {e.payout_id: e for e in owed}
    shown = []
    for found in result.matches:
        lines = [left[i] for i in found.line_indexes]
        remapped = Match(
            tuple(lines), found.payout_ids, found.method, found.score, found.difference
        )
        item = _record_match(uow, remapped, stored, by_id, now)
        for index in lines:
            line = stored[index].line
            for payout_id in found.payout_ids[:1]:
                expected = by_id[payout_id]
                post_in(
                    uow,
                    JournalEntry(
                        date=line.booking_date,
                        description=f"Customer payment received for {payout_id}",
                        base_currency=base,
                        source=SourceKey(
                            expected.connection,
                            f"{payout_id}:{stored[index].id}",
                            "receivable_settled",
                        ),
                        lines=(
                            JournalLine.in_base(
                                roles["bank"], Side.DEBIT, line.amount, line.description
                            ),
                            JournalLine.in_base(
                                roles["accounts_receivable"],
                                Side.CREDIT,
                                line.amount,
                                line.description,
                            ),
                        ),
                    ),
                    now=now,
                )
        shown.append({**item, "_lines": lines})
    return shown


def _record_match(
    uow: UnitOfWork,
    found: Match,
    stored: list[StoredLine],
    by_payout: dict[str, ExpectedDeposit],
    now: dt.datetime,
) -> dict[str, Any]:
    lines = [stored[i] for i in found.line_indexes]
    payouts = [by_payout[p] for p in found.payout_ids]
    uow.reconciliation.add_match(
        method=found.method.value,
        score=f"{found.score:f}",
        difference_minor=found.difference.minor,
        currency=found.difference.currency,
        line_ids=[s.id for s in lines],
        payouts=[(p.connection, p.payout_id) for p in payouts],
        now=now,
    )
    first = lines[0].line
    total = sum((s.line.amount.amount for s in lines), start=Decimal(0))
    return {
        "bank_ref": first.bank_ref,
        "date": first.booking_date.isoformat(),
        "amount": Money(total, first.amount.currency).format(),
        "currency": first.amount.currency,
        "payouts": [{"connection": p.connection, "payout_id": p.payout_id} for p in payouts],
        "method": found.method.value,
        "score": f"{found.score:f}",
        "difference": found.difference.format(),
    }


def _record_discrepancy(
    uow: UnitOfWork,
    finding: Discrepancy,
    stored: list[StoredLine],
    by_payout: dict[str, ExpectedDeposit],
    now: dt.datetime,
) -> tuple[dict[str, Any], bool]:
    line_ids = [stored[i].id for i in finding.line_indexes]
    payouts = [
        {"connection": by_payout[p].connection, "payout_id": p}
        for p in finding.payout_ids
        if p in by_payout
    ]
    money = finding.expected or finding.actual or finding.difference
    key = "|".join(
        [
            finding.kind.value,
            *sorted(f"{p['connection']}:{p['payout_id']}" for p in payouts),
            *(str(i) for i in sorted(line_ids)),
        ]
    )
    new_id = uow.reconciliation.add_discrepancy(
        key=key[:255],
        now=now,
        kind=finding.kind.value,
        reason=finding.reason,
        payouts=payouts,
        bank_line_ids=line_ids,
        currency=money.currency if money else None,
        expected_minor=finding.expected.minor if finding.expected else None,
        actual_minor=finding.actual.minor if finding.actual else None,
        difference_minor=finding.difference.minor if finding.difference else None,
    )
    shown: dict[str, Any] = {"kind": finding.kind.value, "reason": finding.reason}
    if payouts:
        shown["payout_id"] = payouts[0]["payout_id"]
        shown["connection"] = payouts[0]["connection"]
    if line_ids:
        shown["bank_ref"] = stored[finding.line_indexes[0]].line.bank_ref
    for name in ("expected", "actual", "difference"):
        value = getattr(finding, name)
        if value is not None:
            shown[name] = value.format()
    return shown, new_id is not None
