"""``/api/v1`` bank statements, reconciliation runs and discrepancies.

Importing a statement, running a reconciliation and resolving a discrepancy change the books, so
they need the write scope and take an ``Idempotency-Key``. A resolution is recorded as made by
the API key's name, as the CLI records the user's.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from ledgerbridge.api.idempotency import IdempotencyKey, idempotent
from ledgerbridge.api.v1_common import (
    MAX_ID,
    BookDate,
    Reader,
    RecordId,
    Storable,
    Writer,
    app_state,
    check_period,
    failures,
    shaped,
)
from ledgerbridge.api.v1_schemas import DiscrepancyList, ImportReport, Reconciliation, Resolution
from ledgerbridge.api.webhooks import read_limited
from ledgerbridge.clock import utcnow
from ledgerbridge.services import discrepancies, reconcile, statements
from ledgerbridge.statements.base import parsers

router = APIRouter()

STATEMENT_MAX_BYTES = 20 * 1024 * 1024
"""20 MiB: a year of a busy account's CAMT.053 statements is a few MiB."""
FORMATS = ["auto", *(p.format for p in parsers())]

_STATEMENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The bank file as it was downloaded: CAMT.053, MT940, OFX/QFX, BAI2 or CSV.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/statements",
    summary="Import a bank statement",
    response_description="What each statement in the file added and skipped.",
    tags=["statements"],
    response_model=ImportReport,
    responses=failures(400, 404, 409, 413),
    openapi_extra=_STATEMENT_BODY,
)
async def import_statement(
    request: Request,
    principal: Writer,
    key: IdempotencyKey,
    fmt: Annotated[
        str, Query(alias="format", description="Or detect it.", json_schema_extra={"enum": FORMATS})
    ] = "auto",
    bank_account: Annotated[
        Annotated[str, Field(max_length=32), Storable] | None,
        Query(description="The ledger account (default: bank)."),
    ] = None,
) -> JSONResponse:
    """Import the file in the body, as `statements import`. Lines already imported are
    skipped; a broken file is refused whole with 400, `error.field` naming the line or element."""
    state = app_state(request)
    data = await read_limited(request, STATEMENT_MAX_BYTES)

    def run() -> dict[str, Any]:
        used, found = statements.import_statement(
            state.db, data, fmt=fmt, bank_account=bank_account, clock=state.clock
        )
        return shaped(ImportReport, {"format": used, "statements": [r.as_json() for r in found]})

    body = {"sha256": hashlib.sha256(data).hexdigest()}
    return await idempotent(request, principal, key, run, body=body)


class Period(BaseModel):
    """What to reconcile; as `reconcile --from --to`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    date_from: BookDate | None = Field(None, alias="from")
    """First date (default: the first of `to`'s month)."""
    date_to: BookDate | None = Field(None, alias="to")
    """Last date (default: today)."""
    window_business_days: int = Field(3, ge=0, le=30)
    """Business days a deposit may arrive before or after its payout's arrival date."""


@router.post(
    "/reconciliations",
    summary="Run a reconciliation",
    tags=["reconciliation"],
    response_description="Matches, discrepancies with reasons, and a summary.",
    response_model=Reconciliation,
    responses=failures(400, 409),
)
async def run_reconciliation(
    request: Request, principal: Writer, key: IdempotencyKey, period: Period | None = None
) -> JSONResponse:
    """Match posted payouts to imported bank deposits in the period and record what does not
    match, as `reconcile --json`. Running it again records nothing twice."""
    period = period or Period()
    state = app_state(request)
    end = period.date_to or utcnow().date()
    start = period.date_from or end.replace(day=1)
    check_period(start, end)

    def run() -> dict[str, Any]:
        report = reconcile.run(
            state.db,
            date_from=start,
            date_to=end,
            window_business_days=period.window_business_days,
            clock=state.clock,
        )
        return shaped(Reconciliation, report.as_json())

    body = period.model_dump(mode="json", by_alias=True)
    return await idempotent(request, principal, key, run, body=body)


@router.get(
    "/discrepancies",
    summary="List discrepancies",
    tags=["reconciliation"],
    response_description="Discrepancies, oldest first.",
    response_model=DiscrepancyList,
    response_model_exclude_unset=True,
    responses=failures(400),
)
async def list_discrepancies(
    request: Request,
    _: Reader,
    status: Annotated[Literal["open", "resolved", "all"], Query()] = "open",
) -> dict[str, Any]:
    """What reconciliation flagged, oldest first, as `discrepancies list --json` (with the
    amounts as strings)."""
    db = app_state(request).db

    found = await run_in_threadpool(
        discrepancies.listed, db, status=None if status == "all" else status
    )
    return {"discrepancies": [discrepancies.as_json(d) for d in found]}


class Resolve(BaseModel):
    """How to close a discrepancy; as `discrepancies resolve`."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    action: discrepancies.Action
    """`accept` (nothing to book), `write-off` (book the difference) or `match` (pair a deposit
    with a payout by hand, which teaches the matcher)."""
    note: Annotated[str, Field(min_length=1, max_length=4000), Storable]
    """Why; kept in the audit trail."""
    payout: (
        Annotated[
            str,
            Field(
                pattern=r"^[^:]+:.+$",
                description="For `match`: CONNECTION:PAYOUT_ID.",
                examples=["stripe-us:po_1Hx"],
            ),
            Storable,
        ]
        | None
    ) = None
    line: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    """For `match`: the bank line id."""

    @field_validator("payout")
    @classmethod
    def _fits(cls, value: str | None) -> str | None:
        if value is not None:
            connection, _, payout_id = value.partition(":")
            if len(connection) > 120 or len(payout_id) > 255:
                raise ValueError("a connection name is at most 120 characters, a payout id 255")
        return value

    def payout_ref(self) -> tuple[str, str] | None:
        if self.payout is None:
            return None
        connection, _, payout_id = self.payout.partition(":")
        return connection, payout_id


@router.post(
    "/discrepancies/{discrepancy_id}/resolve",
    summary="Resolve a discrepancy",
    tags=["reconciliation"],
    response_description="The resolution and the entry it booked, if any.",
    response_model=Resolution,
    responses=failures(400, 404, 409),
)
async def resolve_discrepancy(
    request: Request,
    principal: Writer,
    key: IdempotencyKey,
    discrepancy_id: RecordId,
    resolution: Resolve,
) -> JSONResponse:
    """Close the discrepancy, booking the adjusting entry a write-off needs; the audit trail
    names the API key as who resolved it. 409 when it is already resolved."""
    state = app_state(request)

    def run() -> dict[str, Any]:
        entry_id = discrepancies.resolve(
            state.db,
            discrepancy_id,
            action=resolution.action,
            note=resolution.note,
            by=principal.name,
            payout=resolution.payout_ref(),
            bank_line_id=resolution.line,
            clock=state.clock,
        )
        return shaped(
            Resolution,
            {"id": discrepancy_id, "action": resolution.action.value, "entry_id": entry_id},
        )

    body = resolution.model_dump(mode="json")
    return await idempotent(request, principal, key, run, body=body)
