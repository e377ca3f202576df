"""PayPal history: the Transaction Search API, window by window, into the inbox under the topics
PayPal's webhooks would carry.

``GET /v1/reporting/transactions?start_date=&end_date=&fields=all&page_size=&page=`` lists every
balance movement, but PayPal allows at most 31 days per query, so the stream walks 31-day
windows from ``since`` to now and pages each window up to its ``total_pages``. The cursor is
``<window start>|<window end>|<page>`` (ISO times), so a resumed sync asks for exactly the page
it had not stored, with the same window.

Each row becomes at most one item, by its ``transaction_event_code``:

* ``T00xx`` with a positive amount (a payment received: ``T0006`` checkout, ``T0003``
  preapproved, ``T0007`` website payments …): the real capture from
  ``GET /v2/payments/captures/{id}``, under ``PAYMENT.CAPTURE.COMPLETED``; the same body a
  webhook carries, so it parses to the same events (OrderPaid keyed on the capture id, its fee,
  its conversion). A capture the v2 API does not know (404, older website payments) is filed as
  its row, which the connector reads too.
* ``T1107`` (refund): ``GET /v2/payments/refunds/{id}`` under ``PAYMENT.CAPTURE.REFUNDED``
  (or the row, on 404).
* ``T04xx`` (withdrawal to the bank, which has no webhook): the row under the pseudo-topic
  ``ledgerbridge.withdrawal``; the connector makes it a Payout for reconciliation.

Everything else (holds, currency conversions between balances, fees billed apart) is skipped.
Dedupe keys are ``api:<topic>:<id>:<status>``: a payment seen pending and later completed is a
new item, and the completed one posts.

Credentials: the connection's ``api_token`` is ``"<client_id>:<secret>"`` of a PayPal REST app
with the *Transaction search* permission; ``api_url`` defaults to ``https://api-m.paypal.com``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.connectors.base import PayloadInvalid, PlatformRequestFailed, dump_json
from ledgerbridge.connectors.paypal_api import (
    DEFAULT_API,
    ClientCredentials,
    credentials,
    paypal_client,
    transactions,
)
from ledgerbridge.connectors.paypal_transactions import WITHDRAWAL_TOPIC
from ledgerbridge.sync.base import Page, Pulled, Stream, SyncSource
from ledgerbridge.sync.http import ApiClient

WINDOW = dt.timedelta(days=31)
PAGE_SIZE = 100
CAPTURE_TOPIC = "PAYMENT.CAPTURE.COMPLETED"
REFUND_TOPIC = "PAYMENT.CAPTURE.REFUNDED"
REFUND_CODES = frozenset({"T1107"})


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cursor(start: dt.datetime, end: dt.datetime, page: int) -> str:
    return f"{_stamp(start)}|{_stamp(end)}|{page}"


def _read_cursor(cursor: str) -> tuple[dt.datetime, dt.datetime, int]:
    try:
        start, end, page = cursor.split("|")
        return (
            dt.datetime.fromisoformat(start),
            dt.datetime.fromisoformat(end),
            int(page),
        )
    except ValueError:
        raise PayloadInvalid(f"PayPal sync cursor {cursor!r} is not start|end|page") from None


class TransactionStream:
    """Captures, refunds and withdrawals from the transaction search; see the module docstring."""

    name = "transactions"

    def __init__(self, *, clock: Clock = utcnow, page_size: int = PAGE_SIZE) -> None:
        self.clock = clock
        self.page_size = page_size

    def page(self, client: ApiClient, *, since: dt.date, cursor: str | None) -> Page:
        if cursor is None:
            start = dt.datetime.combine(since, dt.time(), dt.UTC)
            end, number = self._window_end(start), 1
        else:
            start, end, number = _read_cursor(cursor)
        answer = transactions(client, start=start, end=end, page=number, page_size=self.page_size)
        rows = answer.get("transaction_details") or []
        if not isinstance(rows, list):
            raise PayloadInvalid("PayPal's transaction_details is not a list")
        items = tuple(
            item for row in rows if isinstance(row, dict) for item in self._pulled(client, row)
        )
        pages = answer.get("total_pages")
        if isinstance(pages, int) and number < pages:
            return Page(items, _cursor(start, end, number + 1))
        if end - start < WINDOW:
            return Page(items, None)  # a window cut short by "now" is the last one
        return Page(items, _cursor(end, self._window_end(end), 1))

    def _window_end(self, start: dt.datetime) -> dt.datetime:
        """31 days on, or now if that is sooner (whole seconds, as the cursor keeps them)."""
        return min(start + WINDOW, self.clock().replace(microsecond=0))

    def _pulled(self, client: ApiClient, row: dict[str, Any]) -> Sequence[Pulled]:
        info = row.get("transaction_info")
        if not isinstance(info, dict):
            return ()
        code = str(info.get("transaction_event_code") or "").upper()
        txn_id, status = info.get("transaction_id"), str(info.get("transaction_status") or "")
        if not isinstance(txn_id, str) or not txn_id:
            return ()
        if code.startswith("T04"):
            return (self._item(WITHDRAWAL_TOPIC, txn_id, status, _row_bytes(row)),)
        if code in REFUND_CODES:
            body = _resource(client, f"/v2/payments/refunds/{txn_id}") or _row_bytes(row)
            return (self._item(REFUND_TOPIC, txn_id, status, body),)
        if code.startswith("T00") and _received(info):
            body = _resource(client, f"/v2/payments/captures/{txn_id}") or _row_bytes(row)
            return (self._item(CAPTURE_TOPIC, txn_id, status, body),)
        return ()

    @staticmethod
    def _item(topic: str, txn_id: str, status: str, body: bytes) -> Pulled:
        return Pulled(topic, f"api:{topic}:{txn_id}:{status or '-'}", body)


def _received(info: dict[str, Any]) -> bool:
    """A payment *into* the account: its amount is above zero (a sent payment is negative)."""
    amount = info.get("transaction_amount")
    value = amount.get("value") if isinstance(amount, dict) else None
    try:
        return isinstance(value, str) and Decimal(value) > 0
    except ArithmeticError:
        return False


def _row_bytes(row: dict[str, Any]) -> bytes:
    return dump_json(row, decimals_as_text=True)


def _resource(client: ApiClient, path: str) -> bytes | None:
    """The resource's JSON bytes as PayPal sent them; None when the v2 API does not know it."""
    try:
        response = client.get(path)
    except PlatformRequestFailed as exc:
        if exc.status == 404:
            return None
        raise
    client.json_of(response, path)  # refuse a body that is not JSON here, not in the worker
    return response.content


class PayPalPuller:
    """PayPal's history via the transaction search (OAuth client credentials)."""

    platform = "paypal"

    def __init__(self, *, clock: Clock = utcnow, page_size: int = PAGE_SIZE) -> None:
        self.clock = clock
        self.page_size = page_size

    def client(self, source: SyncSource, *, sleep: Callable[[float], None]) -> ApiClient:
        client_id, secret = credentials(source.api_token)
        base_url = source.api_url or DEFAULT_API
        auth = ClientCredentials(base_url, client_id, secret)
        return paypal_client(base_url, auth, sleep=sleep)

    def streams(self, source: SyncSource) -> Sequence[Stream]:
        return (TransactionStream(clock=self.clock, page_size=self.page_size),)
