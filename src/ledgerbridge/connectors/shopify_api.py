"""A small Shopify Admin REST client: the Shopify Payments payouts that reached the bank.

Shopify sends no webhook when it pays out, so the expected deposits of a Shopify Payments store
come from ``GET /admin/api/<version>/shopify_payments/payouts.json?status=paid&date_min=…``.
Paging follows Shopify's cursor scheme: the next page's URL is in the ``Link`` header with
``rel="next"`` (``page_info=…``); other query parameters must not be repeated with it.
Authentication is the app's access token in ``X-Shopify-Access-Token``.

Errors are typed for the worker: 429 (with ``Retry-After``), 5xx and connection failures raise
PlatformUnavailable (retryable); other 4xx raise PlatformRequestFailed.
"""

from __future__ import annotations

import datetime as dt
import re
from types import TracebackType
from typing import Any, Self

import httpx

from ledgerbridge.connectors.base import (
    PayloadInvalid,
    PlatformRequestFailed,
    PlatformUnavailable,
    load_json,
)

API_VERSION = "2024-10"
PAGE_SIZE = 250
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class ShopifyApi:
    def __init__(self, base_url: str, token: str, *, timeout: float = 20.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"X-Shopify-Access-Token": token, "Accept": "application/json"},
            timeout=timeout,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._client.close()

    def _get(self, url: str, params: dict[str, str | int] | None) -> httpx.Response:
        try:
            response = self._client.get(url, params=params)
        except httpx.TransportError as exc:
            raise PlatformUnavailable(f"Shopify could not be reached: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("retry-after", "")
            raise PlatformUnavailable(
                f"Shopify answered {response.status_code}",
                retry_after=float(retry) if retry.replace(".", "", 1).isdigit() else None,
            )
        if response.status_code >= 400:
            raise PlatformRequestFailed(
                f"Shopify refused {url} ({response.status_code})", status=response.status_code
            )
        return response

    def paid_payouts(self, *, since: dt.date) -> list[dict[str, Any]]:
        """Every payout with status ``paid`` dated on or after ``since``, oldest page first."""
        url = f"/admin/api/{API_VERSION}/shopify_payments/payouts.json"
        params: dict[str, str | int] | None = {
            "status": "paid",
            "date_min": since.isoformat(),
            "limit": PAGE_SIZE,
        }
        found: list[dict[str, Any]] = []
        while True:
            response = self._get(url, params)
            try:
                body = load_json(response.content)
            except PayloadInvalid:
                raise PlatformUnavailable("Shopify answered with a body that is not JSON") from None
            payouts = body.get("payouts") if isinstance(body, dict) else None
            if not isinstance(payouts, list):
                raise PlatformUnavailable("Shopify answered without a list of payouts")
            found.extend(p for p in payouts if isinstance(p, dict))
            following = _NEXT.search(response.headers.get("link", ""))
            if following is None:
                return found
            url, params = following.group(1), None
