"""A small Stripe REST client: the balance transactions a payout settled.

Why it exists: a ``payout.paid`` webhook says how much reached the bank but not what it was
made of. ``GET /v1/balance_transactions?payout=po_…`` lists every charge, refund, dispute and
fee the payout settled, which turns the payout's fees from "booked elsewhere" into exact
figures (pass the result as ``extra={"balance_transactions": …}`` to
:meth:`~ledgerbridge.connectors.stripe.StripeConnector.parse`). Stripe only lists by payout
for automatic payouts.

Paging follows Stripe's list format: ``{"object": "list", "data": […], "has_more": bool}``,
asking for ``limit=100`` and the next page with ``starting_after=<last id>``. Authentication
is the secret key as a bearer token.

Errors are typed for the worker: 429, 5xx, timeouts and connection failures raise
:class:`~ledgerbridge.connectors.base.PlatformUnavailable` (retryable, with ``retry_after``
from the ``Retry-After`` header); other 4xx raise
:class:`~ledgerbridge.connectors.base.PlatformRequestFailed` carrying Stripe's message.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import httpx

from ledgerbridge.connectors.base import (
    PayloadInvalid,
    PlatformRequestFailed,
    PlatformUnavailable,
    load_json,
)
from ledgerbridge.errors import InvalidInput

PAGE_SIZE = 100


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None


def _error_message(response: httpx.Response) -> str:
    try:
        body = load_json(response.content)
    except PayloadInvalid:
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message) if message else response.text[:200]


class StripeApi:
    """Stripe API reads that connectors need. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 20.0,
        stripe_version: str | None = None,
    ) -> None:
        if not api_key:
            raise InvalidInput("a Stripe API key is required", field="api_key")
        headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        if stripe_version:
            headers["Stripe-Version"] = stripe_version
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, str | int]) -> dict[str, Any]:
        try:
            response = self._client.get(path, params=params)
        except httpx.TransportError as exc:
            raise PlatformUnavailable(f"Stripe could not be reached: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise PlatformUnavailable(
                f"Stripe answered {response.status_code}: {_error_message(response)}",
                retry_after=_retry_after(response),
            )
        if response.status_code >= 400:
            raise PlatformRequestFailed(
                f"Stripe refused {path} ({response.status_code}): {_error_message(response)}",
                status=response.status_code,
            )
        try:
            body = load_json(response.content)
        except PayloadInvalid:
            raise PlatformUnavailable("Stripe answered with a body that is not JSON") from None
        if not isinstance(body, dict):
            raise PlatformUnavailable("Stripe answered with JSON that is not an object")
        return body

    def balance_transaction(self, transaction_id: str) -> dict[str, Any]:
        """One balance transaction (``GET /v1/balance_transactions/{id}``): the amount a charge
        or refund settled at in the balance currency, its fee and the exchange rate used."""
        body = self._get(f"/v1/balance_transactions/{transaction_id}", {})
        if body.get("object") != "balance_transaction":
            raise PlatformUnavailable(f"Stripe answered for {transaction_id} with another object")
        return body

    def balance_transactions_for_payout(self, payout_id: str) -> list[dict[str, Any]]:
        """Every balance transaction of an automatic payout, oldest page first as Stripe
        pages them. Raises PlatformUnavailable (retry) or PlatformRequestFailed."""
        if not payout_id:
            raise InvalidInput("a payout id is required", field="payout_id")
        params: dict[str, str | int] = {"payout": payout_id, "limit": PAGE_SIZE}
        found: list[dict[str, Any]] = []
        seen_cursors: set[str] = set()
        while True:
            page = self._get("/v1/balance_transactions", params)
            if not isinstance(page.get("data"), list):
                raise PlatformUnavailable("Stripe answered without a list of data")
            items = [item for item in page["data"] if isinstance(item, dict)]
            found.extend(items)
            if page.get("has_more") is not True:
                return found
            cursor = items[-1].get("id") if items else None
            if not isinstance(cursor, str) or cursor in seen_cursors:
                raise PlatformUnavailable("Stripe said has_more but gave no new page cursor")
            seen_cursors.add(cursor)
            params["starting_after"] = cursor
