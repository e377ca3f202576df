"""``/api/v1`` read side of the books: trial balance, journal, entries, rates, month-end close.

Each route calls the service the matching CLI command calls and answers its ``--json`` shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from ledgerbridge.api.v1_common import (
    BookDate,
    Reader,
    RecordId,
    Storable,
    app_state,
    check_period,
    failures,
)
from ledgerbridge.api.v1_schemas import CloseReport, Entry, FxRates, Journal, TrialBalance
from ledgerbridge.clock import utcnow
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.fx import rates_on
from ledgerbridge.services import close, reports
from ledgerbridge.store.unit_of_work import UnitOfWork

router = APIRouter()

MONTH = r"^(19|2\d)\d\d-(0[1-9]|1[0-2])$"


class RatesNotConfigured(LedgerBridgeError):
    code = "rates_not_configured"
    http_status = 503


@router.get(
    "/trial-balance",
    summary="Trial balance",
    tags=["ledger"],
    response_description="Every account's debits, credits and balance.",
    response_model=TrialBalance,
    response_model_exclude_unset=True,
    responses=failures(400),
)
async def trial_balance(
    request: Request, _: Reader, as_of: BookDate | None = None
) -> dict[str, Any]:
    """Debits, credits and balance per account in the base currency, as
    `report trial-balance --json`; `as_of` is the last date included."""
    tb = await run_in_threadpool(reports.trial_balance, app_state(request).db, as_of=as_of)
    return tb.as_json()


@router.get(
    "/fx/rates",
    summary="Exchange rates on a date",
    tags=["fx"],
    response_description="The rate of each currency and the date it was published.",
    response_model=FxRates,
    response_model_exclude_unset=True,
    responses=failures(400, 503),
)
async def fx_rates(
    request: Request,
    _: Reader,
    date: BookDate | None = None,
    currency: Annotated[
        list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] | None,
        Query(description="Only these currencies (ISO 4217 codes)."),
    ] = None,
) -> dict[str, Any]:
    """Rates into the base currency on a date (default today) with the publication date used,
    as `fx rates --json`. 503 when the service runs without a rate provider."""
    state = app_state(request)
    on = date or utcnow().date()
    rates = state.rates
    if rates is None:
        raise RatesNotConfigured("this service was started without an exchange-rate provider")

    def lookup() -> dict[str, Any]:
        with UnitOfWork(state.db, read_only=True) as uow:
            base = uow.book.require().base_currency
        found = rates_on(rates, base, on, currency)
        return {
            "base_currency": base,
            "date": on.isoformat(),
            "rates": [r.as_json() for r in found],
        }

    return await run_in_threadpool(lookup)


@router.get(
    "/entries",
    summary="Journal: every entry in a period",
    tags=["ledger"],
    response_description="The entries, oldest first.",
    response_model=Journal,
    response_model_exclude_unset=True,
    responses=failures(400),
)
async def journal(
    request: Request,
    _: Reader,
    date_from: Annotated[BookDate | None, Query(alias="from", description="First date.")] = None,
    date_to: Annotated[BookDate | None, Query(alias="to", description="Last date.")] = None,
    dimension: Annotated[
        list[Annotated[str, Field(max_length=300), Storable]] | None,
        Query(
            description="Only entries recording KEY:VALUE on the entry or one of its lines; "
            "repeat to require several.",
            examples=["store:eu-main"],
        ),
    ] = None,
) -> dict[str, Any]:
    """Every entry with its lines, oldest first, as `report journal --json`."""
    check_period(date_from, date_to)
    wanted = reports.dimension_filter(dimension or [], separator=":", option="dimension")
    db = app_state(request).db
    found = await run_in_threadpool(
        reports.journal, db, date_from=date_from, date_to=date_to, dimensions=wanted
    )
    return reports.journal_json(found, date_from, date_to, wanted)


@router.get(
    "/entries/{entry_id}",
    summary="One entry",
    tags=["ledger"],
    response_description="The entry with its lines.",
    response_model=Entry,
    response_model_exclude_unset=True,
    responses=failures(400, 404),
)
async def entry(request: Request, _: Reader, entry_id: RecordId) -> dict[str, Any]:
    """One entry with its lines and the entry that reverses it, as `entries show --json`."""
    db = app_state(request).db

    def load() -> dict[str, Any]:
        with UnitOfWork(db, read_only=True) as uow:
            posted = uow.entries.get(entry_id)
        # The journal's form of one entry is the one shape of an entry everywhere.
        shown: dict[str, Any] = reports.journal_json([posted], None, None)["entries"][0]
        return shown

    return await run_in_threadpool(load)


@router.get(
    "/close-report",
    summary="Month-end close report",
    tags=["ledger"],
    response_description="What moved through clearing and bank, and what is left to do.",
    response_model=CloseReport,
    response_model_exclude_unset=True,
    responses=failures(400),
)
async def close_report(
    request: Request,
    _: Reader,
    month: Annotated[str, Query(pattern=MONTH, description="YYYY-MM.", examples=["2026-10"])],
) -> dict[str, Any]:
    """Per clearing and bank account: opening, movements by cause, closing; the month's match
    rate; the open items left to clear. As `close report --json`."""
    return await run_in_threadpool(close.close_report, app_state(request).db, month)
