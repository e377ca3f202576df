"""Month-end revaluation of money held in foreign currencies (unrealised FX gain/loss).

A EUR balance sitting in a gateway's clearing account (sold, not yet paid out) was booked at the
rates of the days it came in. At month end the books should show it at that day's rate: the
difference is an *unrealised* gain or loss. It is posted dated the month end and reversed on
the first day of the next period, so the realised result booked when the money is finally
converted or paid out is never counted twice.

Worked example: a clearing account holds EUR 100.00 booked at USD 109.50. On 31 March the rate is
1.1000, so it is worth USD 110.00: post ``Dr clearing USD 0.50 / Cr unrealised FX 0.50`` dated
31 March, and the same lines with sides swapped dated 1 April.

The adjustment line is in the base currency on the clearing account itself, so the account's
EUR amount is untouched and its base value becomes the revalued one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN
from typing import Any

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.ledger.chart import CLEARING_PREFIX, Role
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.money import Money
from ledgerbridge.posting.rates import RateTable
from ledgerbridge.services.books import post_in
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork

REVALUATION_CONNECTION = "fx"
REVALUED_ROLES = (Role.ACCOUNTS_RECEIVABLE.value,)
"""Besides every clearing account, the monetary accounts revalued at month end."""


@dataclass(frozen=True, slots=True)
class Revalued:
    account: str
    currency: str
    held: Money
    booked: Money
    revalued: Money
    rate: str
    rate_date: dt.date

    @property
    def difference(self) -> Money:
        return self.revalued - self.booked

    def as_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "currency": self.currency,
            "held": self.held.format(),
            "booked": self.booked.format(),
            "revalued": self.revalued.format(),
            "difference": self.difference.format(),
            "rate": self.rate,
            "rate_date": self.rate_date.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class RevaluationResult:
    as_of: dt.date
    items: tuple[Revalued, ...]
    entry_id: int | None
    reversal_id: int | None
    created: bool


def revalue(
    db: Database, rates: RateTable, *, as_of: dt.date, clock: Clock = utcnow
) -> RevaluationResult:
    """Post the unrealised FX adjustment at ``as_of`` and its reversal the next day.

    Idempotent: running it again for the same date posts nothing new. Raises RateUnavailable
    when a needed rate is not known (nothing is posted then), BookNotInitialised.
    """
    with UnitOfWork(db) as uow:
        base = uow.book.require().base_currency
        roles = uow.accounts.roles()
        codes = {code for role, code in roles.items() if role.startswith(CLEARING_PREFIX)}
        codes |= {roles[r] for r in REVALUED_ROLES if r in roles}
        ids = {uow.accounts.get(code).id: code for code in codes}
        unrealised = roles[Role.FX_UNREALISED.value]
        items = []
        for account_id, currency, held_minor, booked_minor in uow.entries.foreign_balances(
            sorted(ids), base, as_of
        ):
            if held_minor == 0 and booked_minor == 0:
                continue
            rate = rates.rate(currency, base, as_of)
            held = Money.from_minor(held_minor, currency)
            revalued = held.convert(rate.value, base, rounding=ROUND_HALF_EVEN)
            items.append(
                Revalued(
                    ids[account_id],
                    currency,
                    held,
                    Money.from_minor(booked_minor, base),
                    revalued,
                    f"{rate.value:f}",
                    rate.date,
                )
            )
        entry = _entry(items, base, unrealised, as_of)
        if entry is None:
            return RevaluationResult(as_of, tuple(items), None, None, False)
        now = clock()
        posted = post_in(uow, entry, now=now)
        reversal = entry.reversal(
            reason="unrealised FX reversed at the start of the next period",
            date=as_of + dt.timedelta(days=1),
        )
        reversed_ = post_in(uow, reversal, now=now)
        uow.commit()
    return RevaluationResult(
        as_of, tuple(items), posted.entry_id, reversed_.entry_id, posted.created
    )


def _entry(
    items: list[Revalued], base: str, unrealised: str, as_of: dt.date
) -> JournalEntry | None:
    lines = []
    for item in items:
        difference = item.difference
        if difference.is_zero():
            continue
        gain = difference.is_positive()
        memo = f"{item.held} revalued at {item.rate} ({item.rate_date})"
        lines += [
            JournalLine.in_base(
                item.account,
                Side.DEBIT if gain else Side.CREDIT,
                abs(difference),
                memo,
                currency=item.currency,
            ),
            JournalLine.in_base(
                unrealised,
                Side.CREDIT if gain else Side.DEBIT,
                abs(difference),
                memo,
                currency=item.currency,
            ),
        ]
    if not lines:
        return None
    return JournalEntry(
        date=as_of,
        description=f"Unrealised FX on foreign-currency balances at {as_of}",
        base_currency=base,
        source=SourceKey(REVALUATION_CONNECTION, f"revaluation:{as_of}", "fx_revaluation"),
        lines=tuple(lines),
    )
