"""Journal entries: balanced, immutable, and traceable to the event that caused them.

Invariants, checked when an entry is built (and again by the store and by property tests):

* every line has a side and a strictly positive amount in its own currency;
* for each transaction currency, the debits equal the credits;
* in the book's base currency, the debits equal the credits;
* a line already in the base currency has ``base_amount == amount`` and rate 1.

A cross-currency movement (EUR clearing settled into a USD bank) therefore goes through a
currency-conversion account, one pair of lines per currency, so that each currency balances on
its own and the base-currency difference is the realised FX result.

Corrections are never edits: :meth:`JournalEntry.reversal` returns a new entry with every side
swapped, linked to the original by its source key.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.money import Money


class Side(StrEnum):
    DEBIT = "debit"
    """Left side: increases assets and expenses."""
    CREDIT = "credit"
    """Right side: increases liabilities, equity and revenue."""

    @property
    def opposite(self) -> Side:
        return Side.CREDIT if self is Side.DEBIT else Side.DEBIT


class UnbalancedEntry(LedgerBridgeError):
    """Debits and credits differ; ``residual`` says by how much and in which currency."""

    code = "unbalanced_entry"

    def __init__(self, message: str, *, residual: Money) -> None:
        super().__init__(message, field="lines")
        self.residual = residual


@dataclass(frozen=True, slots=True)
class SourceKey:
    """What caused an entry; unique in the ledger, which makes posting idempotent.

    ``connection`` is the store or gateway connection name (``"manual"`` for hand entries),
    ``external_id`` the platform's id for the thing (order, refund, payout …) and ``kind`` what
    happened to it (``order_paid``, ``refund``, ``payout`` …).
    """

    connection: str
    external_id: str
    kind: str

    def __post_init__(self) -> None:
        for name in ("connection", "external_id", "kind"):
            if not str(getattr(self, name)).strip():
                raise InvalidInput(f"source {name} must not be empty", field=f"source.{name}")

    def __str__(self) -> str:
        return f"{self.connection}/{self.kind}/{self.external_id}"


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One side of an entry: ``amount`` in the transaction currency, ``base_amount`` in the book's.

    ``rate`` is base units per transaction unit, with the date it was published for and where it
    came from, so that a report never recomputes history with today's rates.
    """

    account: str
    side: Side
    amount: Money
    base_amount: Money
    rate: Decimal = Decimal(1)
    rate_date: dt.date | None = None
    rate_source: str | None = None
    memo: str = ""
    dimensions: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))
        if not self.amount.is_positive():
            raise InvalidInput(
                f"line on {self.account}: amount must be positive, got {self.amount}",
                field="amount",
            )
        if self.base_amount.amount < 0:
            raise InvalidInput(
                f"line on {self.account}: base amount must not be negative", field="base_amount"
            )
        if not isinstance(self.rate, Decimal) or self.rate <= 0:
            raise InvalidInput(f"line on {self.account}: rate must be a positive Decimal")
        object.__setattr__(self, "dimensions", _frozen(self.dimensions))

    @classmethod
    def in_base(
        cls, account: str, side: Side, amount: Money, memo: str = "", **dims: Any
    ) -> JournalLine:
        """A line whose transaction currency is the base currency (rate 1)."""
        return cls(account, side, amount, amount, memo=memo, dimensions=dims)

    def swapped(self) -> JournalLine:
        return JournalLine(
            self.account,
            self.side.opposite,
            self.amount,
            self.base_amount,
            self.rate,
            self.rate_date,
            self.rate_source,
            self.memo,
            self.dimensions,
        )

    def signed(self, money: Money) -> Money:
        """``money`` with the debit-positive sign convention of the trial balance."""
        return money if self.side is Side.DEBIT else -money


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A balanced set of lines, dated, described, and tied to its :class:`SourceKey`."""

    date: dt.date
    description: str
    base_currency: str
    source: SourceKey
    lines: tuple[JournalLine, ...]
    reverses: SourceKey | None = None
    dimensions: Mapping[str, Any] = field(default_factory=dict)
    mapping_version: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "dimensions", _frozen(self.dimensions))
        if len(self.lines) < 2:
            raise InvalidInput("an entry needs at least two lines", field="lines")
        for index, line in enumerate(self.lines):
            if line.base_amount.currency != self.base_currency:
                raise InvalidInput(
                    f"line {index} base amount is in {line.base_amount.currency}, "
                    f"the book is in {self.base_currency}",
                    field=f"lines[{index}].base_amount",
                )
            if line.amount.currency == self.base_currency and (
                line.base_amount != line.amount or line.rate != 1
            ):
                raise InvalidInput(
                    f"line {index} is in the base currency, so its base amount must equal "
                    "its amount at rate 1",
                    field=f"lines[{index}].base_amount",
                )
        for residual in residuals(self.lines):
            raise UnbalancedEntry(
                f"entry {self.source} does not balance: debits exceed credits by {residual}"
                if residual.amount > 0
                else f"entry {self.source} does not balance: credits exceed debits by {-residual}",
                residual=residual,
            )

    def reversal(self, *, reason: str, date: dt.date | None = None) -> JournalEntry:
        """The entry that cancels this one: same lines, sides swapped, linked back to it."""
        return JournalEntry(
            date=date or self.date,
            description=f"Reversal of {self.source}: {reason}",
            base_currency=self.base_currency,
            source=SourceKey(
                self.source.connection, self.source.external_id, f"{self.source.kind}.reversal"
            ),
            lines=tuple(line.swapped() for line in self.lines),
            reverses=self.source,
            dimensions=self.dimensions,
            mapping_version=self.mapping_version,
        )

    def total(self, side: Side) -> Money:
        """Sum of one side in the base currency."""
        amounts = [line.base_amount for line in self.lines if line.side is side]
        return sum(amounts[1:], amounts[0]) if amounts else Money.zero(self.base_currency)


def residuals(lines: Iterable[JournalLine]) -> list[Money]:
    """Debit minus credit, per transaction currency and in base; only the non-zero ones.

    The base-currency residual is listed last, tagged by its currency, so an entry whose
    transaction currency is the base currency reports one figure, not two.
    """
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    base: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        sign = 1 if line.side is Side.DEBIT else -1
        per_currency[line.amount.currency] += sign * line.amount.amount
        base[line.base_amount.currency] += sign * line.base_amount.amount
    found = [Money(v, c) for c, v in sorted(per_currency.items()) if v != 0]
    found += [Money(v, c) for c, v in base.items() if v != 0 and Money(v, c) not in found]
    return found
