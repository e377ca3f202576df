"""``/api/v1``: the JSON API. Amounts are strings holding exact decimals, dates ISO 8601.

The first routes are the read side the CLI already has: the trial balance and exchange rates.
The rest of the CLI's operations arrive with the operations work (see the interface).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ledgerbridge.api.auth import require
from ledgerbridge.apikeys import Principal, Scope
from ledgerbridge.clock import utcnow
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.fx import rates_on
from ledgerbridge.services import reports
from ledgerbridge.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1")


class RatesNotConfigured(LedgerBridgeError):
    code = "rates_not_configured"
    http_status = 503


Reader = Annotated[Principal, Depends(require(Scope.READ))]


@router.get("/trial-balance")
async def trial_balance(
    request: Request, _: Reader, as_of: dt.date | None = None
) -> dict[str, Any]:
    """The trial balance in the book's base currency, as `report trial-balance --json`."""
    db = request.app.state.ledgerbridge.db
    tb = await run_in_threadpool(reports.trial_balance, db, as_of=as_of)
    return tb.as_json()


@router.get("/fx/rates")
async def fx_rates(
    request: Request,
    _: Reader,
    date: dt.date | None = None,
    currency: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """Rates in the base currency on a date, with the publication date used, as `fx rates`."""
    state = request.app.state.ledgerbridge
    on = date or utcnow().date()

    if state.rates is None:
        raise RatesNotConfigured("this service was started without an exchange-rate provider")

    def lookup() -> dict[str, Any]:
        with UnitOfWork(state.db, read_only=True) as uow:
            base = uow.book.require().base_currency
        found = rates_on(state.rates, base, on, currency)
        return {
            "base_currency": base,
            "date": on.isoformat(),
            "rates": [r.as_json() for r in found],
        }

    return await run_in_threadpool(lookup)
