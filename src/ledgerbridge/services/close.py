"""Month-end close: what moved through each clearing and bank account, and what is left to do.

For every clearing account (one per connection) and the bank account: the opening balance, the
month's movements by what caused them (sales, refunds, fees, payouts or deposits, disputes,
conversions, other), and the closing balance, which for a clearing account is exactly the money
still in transit. Then the month's auto-match rate and the open items a person must still clear
(open discrepancies, events that could not post): the figure the close time depends on.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from ledgerbridge.errors import InvalidInput
from ledgerbridge.ledger.chart import CLEARING_PREFIX
from ledgerbridge.money import Money
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.tables import bank_lines, recon_match_lines
from ledgerbridge.store.unit_of_work import UnitOfWork

CATEGORIES = {
    "order_paid": "sales",
    "order_pending": "sales",
    "order_edited": "sales",
    "order_cancelled": "sales",
    "refund": "refunds",
    "fee": "fees",
    "payout": "payouts",
    "conversion": "conversions",
    "write_off": "adjustments",
    "adjustment": "adjustments",
}
"""Entry kind → column of the close report; dispute stages go to ``disputes``."""


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    try:
        start = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput(f"--month {month!r} is not YYYY-MM", field="month") from None
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, following - dt.timedelta(days=1)


def _category(kind: str) -> str:
    if kind.startswith("dispute"):
        return "disputes"
    return CATEGORIES.get(kind.removesuffix(".reversal"), "other")


def close_report(db: Database, month: str) -> dict[str, Any]:
    start, end = month_bounds(month)
    with UnitOfWork(db, read_only=True) as uow:
        base = uow.book.require().base_currency
        roles = uow.accounts.roles()
        accounts = {
            code: role
            for role, code in roles.items()
            if role.startswith(CLEARING_PREFIX) or role == "bank"
        }
        opening = {
            r.code: r.balance
            for r in uow.entries.trial_balance(base, start - dt.timedelta(days=1))
            if r.code in accounts
        }
        moves: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for posted in uow.entries.find(date_from=start, date_to=end):
            column = _category(posted.entry.source.kind)
            for line in posted.entry.lines:
                if line.account in accounts:
                    signed = line.base_amount.amount * (1 if line.side.value == "debit" else -1)
                    name = (
                        "deposits"
                        if column == "payouts" and accounts[line.account] == "bank"
                        else column
                    )
                    moves[line.account][name] += signed
        names = {s.account.code: s.account.name for s in uow.accounts.all()}
        deposits, matched = _match_rate(uow, start, end)
        open_items = uow.reconciliation.discrepancies(status="open")
        counts = uow.inbox.counts()
    zero = Money.zero(base)
    rows = []
    for code in sorted(accounts):
        movement = {k: Money(v, base) for k, v in moves[code].items()}
        closing = opening.get(code, zero) + sum(movement.values(), zero)
        rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "kind": "bank" if accounts[code] == "bank" else "clearing",
                "opening": opening.get(code, zero).format(),
                **{k: m.format() for k, m in sorted(movement.items())},
                "closing": closing.format(),
            }
        )
    stuck = sum(
        n for (_, s), n in counts.items() if s in (EventStatus.DEAD.value, EventStatus.FAILED.value)
    )
    rate = Decimal(matched) / Decimal(deposits) if deposits else Decimal(1)
    return {
        "month": month,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "base_currency": base,
        "accounts": rows,
        "reconciliation": {
            "deposits": deposits,
            "matched": matched,
            "auto_match_rate": f"{rate.quantize(Decimal('0.0001'))}",
        },
        "open_items": {
            "discrepancies": [{"id": d.id, "kind": d.kind, "reason": d.reason} for d in open_items],
            "events_needing_attention": stuck,
            "total": len(open_items) + stuck,
        },
    }


def _match_rate(uow: UnitOfWork, start: dt.date, end: dt.date) -> tuple[int, int]:
    in_month = (
        (bank_lines.c.booking_date >= start)
        & (bank_lines.c.booking_date <= end)
        & (bank_lines.c.amount_minor > 0)
    )
    deposits = uow.connection.execute(
        select(func.count()).select_from(bank_lines).where(in_month)
    ).scalar_one()
    matched = uow.connection.execute(
        select(func.count())
        .select_from(
            bank_lines.join(recon_match_lines, recon_match_lines.c.bank_line_id == bank_lines.c.id)
        )
        .where(in_month)
    ).scalar_one()
    return int(deposits), int(matched)
