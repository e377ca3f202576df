"""The values reconciliation works with: bank lines, expected deposits, matches, discrepancies.

Pure data, shared by the statement parsers (which produce :class:`BankLine`), the matcher
(which pairs them with :class:`ExpectedDeposit` values) and the service that stores results.

Sign convention for bank lines: money *into* the account is positive, money out is negative,
whatever sign or debit/credit mark the bank file used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ledgerbridge.money import Money


@dataclass(frozen=True, slots=True)
class BankLine:
    """One booked line of a bank statement."""

    bank_ref: str | None
    """The bank's own reference for the entry (CAMT ``AcctSvcrRef``/``NtryRef``, MT940 bank
    reference, OFX ``FITID``, BAI2 bank reference, a CSV column); None when the file has none."""
    booking_date: dt.date
    amount: Money
    """Signed: positive for money in, negative for money out."""
    description: str = ""
    value_date: dt.date | None = None
    counterparty: str | None = None
    references: tuple[str, ...] = ()
    """Every other reference the bank gives (end-to-end id, remittance information, customer
    reference), in file order: where a payout id may appear, whole or truncated."""
    transaction_code: str | None = None
    """The bank's transaction type code (BAI2 type, MT940 GVC/SWIFT code, CAMT BkTxCd)."""
    account: str | None = None
    """The account the statement is for (IBAN or account number), as the file names it."""
    position: int = 0
    """Position of the line within its statement (0-based), to tell apart two real lines that
    share a bank reference."""


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement (a file may hold several: accounts, days, currencies)."""

    account: str | None
    currency: str
    lines: tuple[BankLine, ...]
    statement_id: str | None = None
    opening_balance: Money | None = None
    closing_balance: Money | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None

    @property
    def balance_gap(self) -> Money | None:
        """opening + Σ lines − closing; None when a balance is missing, zero when it agrees."""
        if self.opening_balance is None or self.closing_balance is None:
            return None
        moved = sum((line.amount.amount for line in self.lines), Decimal(0))
        return Money(
            self.opening_balance.amount + moved - self.closing_balance.amount, self.currency
        )


@dataclass(frozen=True, slots=True)
class ExpectedDeposit:
    """Money the ledger expects to land in the bank: a payout (or a receivable paid directly)."""

    payout_id: str
    connection: str
    amount: Money
    expected_date: dt.date
    """The arrival date the platform announced."""
    references: tuple[str, ...] = ()
    """Identifiers that may show up in the bank's reference fields (payout id, trace id,
    statement descriptor)."""
    descriptor: str | None = None
    """What the bank usually prints for this gateway's deposits (e.g. "STRIPE TRANSFER")."""


class MatchMethod(StrEnum):
    REFERENCE = "reference"
    """The payout id (or a truncation of it) appears in the bank line's references."""
    AMOUNT_DATE = "amount_date"
    """Same amount, within the business-day window, and no better candidate."""
    MANY_TO_ONE = "many_to_one"
    """Several payouts paid in one deposit."""
    ONE_TO_MANY = "one_to_many"
    """One payout split over several deposits."""
    DESCRIPTOR = "descriptor"
    """The gateway's descriptor matches fuzzily, amount and window agree."""
    BANK_FEE = "bank_fee"
    """The deposit is the payout less a known bank fee."""
    LEARNED = "learned"
    """A person matched a deposit like this before; the same rule applied again."""
    MANUAL = "manual"
    """Matched by a person."""


class DiscrepancyKind(StrEnum):
    MISSING_DEPOSIT = "missing_deposit"
    UNEXPECTED_DEPOSIT = "unexpected_deposit"
    AMOUNT_MISMATCH = "amount_mismatch"
    DUPLICATE_DEPOSIT = "duplicate_deposit"
    CURRENCY_MISMATCH = "currency_mismatch"
    AMBIGUOUS = "ambiguous"
    """Two candidates are equally good: nothing is auto-matched, a person decides."""


@dataclass(frozen=True, slots=True)
class Match:
    """Bank lines (by index into the matcher's input) paired with payouts (by id)."""

    line_indexes: tuple[int, ...]
    payout_ids: tuple[str, ...]
    method: MatchMethod
    score: Decimal
    """0 to 1: how sure the matcher is."""
    difference: Money
    """Σ bank amounts − Σ expected amounts (zero for an exact match)."""


@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: DiscrepancyKind
    reason: str
    """Plain words a person can act on."""
    payout_ids: tuple[str, ...] = ()
    line_indexes: tuple[int, ...] = ()
    expected: Money | None = None
    actual: Money | None = None
    difference: Money | None = None


@dataclass(frozen=True, slots=True)
class MatchResult:
    matches: tuple[Match, ...] = ()
    discrepancies: tuple[Discrepancy, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
