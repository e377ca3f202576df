"""Readable builders for matcher tests: payouts and bank lines in one line each.

Dates default to Monday 2026-10-05 (``MON``); amounts are USD strings unless a currency is
given. ``run`` calls the matcher and returns a :class:`Outcome` that answers the questions the
tests ask ("what did line 2 match?", "which discrepancies name payout B?") without index
arithmetic in every test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledgerbridge.money import Money
from ledgerbridge.reconcile.matching import match
from ledgerbridge.reconcile.model import (
    BankLine,
    Discrepancy,
    DiscrepancyKind,
    ExpectedDeposit,
    Match,
    MatchResult,
)

MON = dt.date(2026, 10, 5)
TUE, WED, THU, FRI = (MON + dt.timedelta(days=n) for n in range(1, 5))
NEXT_MON = MON + dt.timedelta(days=7)
STRIPE = "STRIPE TRANSFER"


def money(amount: str, currency: str = "USD") -> Money:
    return Money.of(amount, currency)


def payout(
    payout_id: str,
    amount: str,
    due: dt.date = MON,
    *,
    currency: str = "USD",
    connection: str = "stripe-us",
    descriptor: str | None = STRIPE,
    references: tuple[str, ...] = (),
) -> ExpectedDeposit:
    return ExpectedDeposit(
        payout_id, connection, money(amount, currency), due, references, descriptor
    )


def line(
    amount: str,
    booked: dt.date = MON,
    description: str = STRIPE,
    *,
    currency: str = "USD",
    bank_ref: str | None = None,
    references: tuple[str, ...] = (),
    value_date: dt.date | None = None,
    counterparty: str | None = None,
    position: int = 0,
) -> BankLine:
    return BankLine(
        bank_ref,
        booked,
        money(amount, currency),
        description,
        value_date=value_date,
        counterparty=counterparty,
        references=references,
        position=position,
    )


@dataclass(frozen=True)
class Outcome:
    result: MatchResult

    @property
    def matches(self) -> tuple[Match, ...]:
        return self.result.matches

    def of_line(self, index: int) -> Match | None:
        return next((m for m in self.matches if index in m.line_indexes), None)

    def of_payout(self, payout_id: str) -> Match | None:
        return next((m for m in self.matches if payout_id in m.payout_ids), None)

    def kinds(self) -> list[DiscrepancyKind]:
        return [d.kind for d in self.result.discrepancies]

    def only(self, kind: DiscrepancyKind) -> Discrepancy:
        found = [d for d in self.result.discrepancies if d.kind == kind]
        assert len(found) == 1, f"expected one {kind}, got {self.result.discrepancies}"
        return found[0]

    def pairs(self) -> set[tuple[str, tuple[int, ...]]]:
        return {(p, m.line_indexes) for m in self.matches for p in m.payout_ids}


def run(expected: Sequence[ExpectedDeposit], lines: Sequence[BankLine], **options: Any) -> Outcome:
    return Outcome(match(expected, lines, **options))
