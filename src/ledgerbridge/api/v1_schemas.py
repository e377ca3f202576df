"""The response shapes of ``/api/v1``, as the published interface and the CLI's ``--json`` give
them: amounts are strings holding exact decimals, dates and times ISO 8601 strings.

These models document what the services return and check it on the way out; they never build
it. Values pass through as the services wrote them (a date string stays that string), and
fields the services add later pass through too (see :class:`~ledgerbridge.api.v1_common.Shape`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ledgerbridge.api.v1_common import Shape
from ledgerbridge.store.inbox import EventStatus

Amount = Annotated[
    str, Field(description="An exact decimal amount, as a string.", examples=["1234.50"])
]
IsoDate = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2026-11-30"])]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


# --- ledger ----------------------------------------------------------------------------------


class AccountBalance(Shape):
    code: str
    name: str
    type: Literal["asset", "liability", "equity", "revenue", "expense"]
    debit: Amount
    credit: Amount
    balance: Amount
    """Debit minus credit, in the base currency."""


class TrialBalance(Shape):
    base_currency: str
    as_of: IsoDate | None
    accounts: list[AccountBalance]
    total_debit: Amount
    total_credit: Amount


class Rate(Shape):
    currency: str
    rate: str
    """Units of the base currency per unit of ``currency``, exact."""
    rate_date: IsoDate
    """The publication date actually used (the last one on or before the date asked)."""
    source: str


class FxRates(Shape):
    base_currency: str
    date: IsoDate
    rates: list[Rate]


class Source(Shape):
    """What an entry was posted from; unique per entry, so nothing is posted twice."""

    connection: str
    external_id: str
    kind: str


class Line(Shape):
    account: str
    side: Literal["debit", "credit"]
    amount: Amount
    currency: str
    base_amount: Amount
    rate: str
    rate_date: IsoDate | None
    rate_source: str | None
    memo: str
    dimensions: dict[str, Any]


class PostedEntry(Shape):
    id: int
    date: IsoDate
    description: str
    base_currency: str
    source: Source
    reverses: Source | None
    mapping_version: int | None
    dimensions: dict[str, Any]
    lines: list[Line]


class Entry(PostedEntry):
    reversed_by: int | None
    """The id of the entry that reverses this one, if any."""


class Journal(Shape):
    from_: IsoDate | None = Field(alias="from")
    to: IsoDate | None
    entries: list[Entry]


class CloseAccount(Shape):
    """One clearing or bank account over the month; a movement column appears only when the
    account moved that way."""

    code: str
    name: str
    kind: Literal["bank", "clearing"]
    opening: Amount
    sales: Amount | None = None
    refunds: Amount | None = None
    fees: Amount | None = None
    payouts: Amount | None = None
    deposits: Amount | None = None
    disputes: Amount | None = None
    conversions: Amount | None = None
    adjustments: Amount | None = None
    other: Amount | None = None
    closing: Amount
    """For a clearing account: exactly the money still in transit."""


class MatchRate(Shape):
    deposits: int
    matched: int
    auto_match_rate: str


class OpenDiscrepancy(Shape):
    id: int
    kind: str
    reason: str


class OpenItems(Shape):
    discrepancies: list[OpenDiscrepancy]
    events_needing_attention: int
    total: int


class CloseReport(Shape):
    month: str
    from_: IsoDate = Field(alias="from")
    to: IsoDate
    base_currency: str
    accounts: list[CloseAccount]
    reconciliation: MatchRate
    open_items: OpenItems


# --- events and connections ------------------------------------------------------------------


class EventSummary(Shape):
    id: int
    connection: str
    topic: str
    external_id: str
    status: EventStatus
    received_at: Timestamp
    attempts: int
    next_attempt_at: Timestamp | None
    """When a failed event is tried again; null in every other status."""
    last_error: str | None
    posted_at: Timestamp | None


class EventList(Shape):
    events: list[EventSummary]


class EventDetail(EventSummary):
    headers: dict[str, str]
    body: str
    """The raw body as received (undecodable bytes replaced)."""
    notices: list[Any]
    """What was missing when it posted (a fee that could not be fetched, ...)."""
    entries: list[PostedEntry]


class Replayed(Shape):
    replayed: list[int]
    """The ids of the events made due again now."""


class ConnectionStatus(Shape):
    name: str
    platform: str
    clearing_account: str
    api_access: bool
    api_url: str | None
    last_event_at: Timestamp | None
    events: dict[str, int]
    """Event counts by status."""
    waiting: int
    dead: int
    with_notices: int


class ConnectionList(Shape):
    connections: list[ConnectionStatus]


class ConnectionCreated(Shape):
    name: str
    platform: str
    clearing_account: str
    webhook_path: str
    """Where the platform should send its webhooks."""


# --- statements and reconciliation -----------------------------------------------------------


class ImportedStatement(Shape):
    account: str | None
    currency: str
    lines: int
    added: int
    skipped: int
    """Lines already imported before (from this file or an overlapping one)."""
    total: Amount
    balance_gap: Amount | None
    """Opening balance plus lines minus closing balance, when the file states both."""


class ImportReport(Shape):
    format: str
    statements: list[ImportedStatement]


class PayoutRef(Shape):
    connection: str
    payout_id: str


class Match(Shape):
    bank_ref: str | None
    date: IsoDate
    amount: Amount
    currency: str
    payouts: list[PayoutRef]
    method: str
    score: str
    difference: Amount


class Finding(Shape):
    kind: Literal[
        "missing_deposit",
        "unexpected_deposit",
        "amount_mismatch",
        "duplicate_deposit",
        "currency_mismatch",
    ]
    reason: str
    payout_id: str | None = None
    connection: str | None = None
    bank_ref: str | None = None
    expected: Amount | None = None
    actual: Amount | None = None
    difference: Amount | None = None


class RunSummary(Shape):
    deposits: int
    matched: int
    auto_match_rate: str
    discrepancies: int
    new_discrepancies: int
    open_discrepancies: int


class Reconciliation(Shape):
    from_: IsoDate = Field(alias="from")
    to: IsoDate
    matches: list[Match]
    discrepancies: list[Finding]
    summary: RunSummary


class Discrepancy(Shape):
    id: int
    kind: str
    status: Literal["open", "resolved"]
    reason: str
    payouts: list[PayoutRef]
    bank_line_ids: list[int]
    currency: str | None
    expected: Amount | None
    actual: Amount | None
    difference: Amount | None
    action: str | None
    note: str | None
    entry_id: int | None
    """The adjusting entry a write-off booked."""
    detected_at: Timestamp


class DiscrepancyList(Shape):
    discrepancies: list[Discrepancy]


class Resolution(Shape):
    id: int
    action: str
    entry_id: int | None
