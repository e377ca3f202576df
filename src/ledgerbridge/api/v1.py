"""``/api/v1``: the JSON API, the same operations as the CLI over the same services.

``Authorization: Bearer <api key>`` on every route: the read scope for reading, write for
changing the books or the inbox, admin for connections. Amounts are strings holding exact
decimals, dates ISO 8601, errors ``{"error": {"code", "message", "field"}}`` (400 naming the
field for bad input, never a 500). Every POST takes an ``Idempotency-Key`` (see
:mod:`ledgerbridge.api.idempotency`).

| module | routes |
|---|---|
| :mod:`.v1_ledger` | trial balance, fx rates, entries, close report |
| :mod:`.v1_events` | events, replays, connections |
| :mod:`.v1_reconcile` | statements, reconciliations, discrepancies |
"""

from __future__ import annotations

from fastapi import APIRouter, Security
from fastapi.security import HTTPBearer

from ledgerbridge.api import v1_events, v1_ledger, v1_reconcile
from ledgerbridge.api.v1_common import failures
from ledgerbridge.api.v1_ledger import RatesNotConfigured

bearer = HTTPBearer(
    scheme_name="ApiKey",
    description="An API key from `ledgerbridge apikeys create --scope read|write|admin`.",
    auto_error=False,
)
"""Documents the scheme in the OpenAPI document; ``require`` in each route does the checking,
so that a missing key is our 401 in our error shape."""

router = APIRouter(
    prefix="/api/v1",
    dependencies=[Security(bearer)],
    # "4XX" also keeps FastAPI from advertising a 422 that this API never sends.
    responses=failures(401, 403, 503, "4XX"),
)
router.include_router(v1_ledger.router)
router.include_router(v1_events.router)
router.include_router(v1_reconcile.router)

__all__ = ["RatesNotConfigured", "router"]
