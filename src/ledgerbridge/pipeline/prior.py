"""What the worker loads from the ledger before it calls a posting rule.

Rules are pure (see :mod:`ledgerbridge.posting.prior`), so the worker gathers, per event:

* the **account map**: every role the chart assigns, plus the connection's gateway routing,
  plus the active mapping's defaults and rules (:mod:`ledgerbridge.mapping`);
* the **subject** of the event: the platform object it is about (order id, dispute id, payout
  id), stored on each entry so the next event about the same object can find it;
* the **prior state**: the subject's entries so far, how the order was booked (pending or paid),
  and the order snapshot it was booked with. The snapshot is not stored twice: it is re-parsed
  from the raw delivery that posted it, which the inbox keeps byte for byte, and shaped by the
  mapping in force now (its field overrides), so an edit compares like with like.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import PayloadInvalid, load_json
from ledgerbridge.events import (
    Adjustment,
    CanonicalEvent,
    Dispute,
    Fee,
    OrderCancelled,
    OrderEdited,
    OrderPaid,
    OrderPending,
    OrderSnapshot,
    Payout,
    Refund,
)
from ledgerbridge.mapping.apply import apply_fields, with_mapping
from ledgerbridge.mapping.document import ActiveMapping
from ledgerbridge.posting.accounts import AccountMap
from ledgerbridge.posting.prior import NOTHING_POSTED, Booking, PriorState, dispute_stages
from ledgerbridge.services.connections import OpenConnection
from ledgerbridge.store.entries import PostedEntry
from ledgerbridge.store.unit_of_work import UnitOfWork

ORDER_KINDS = ("order_paid", "order_pending", "order_edited")


def account_map(
    uow: UnitOfWork, connection: OpenConnection, mapping: ActiveMapping | None = None
) -> AccountMap:
    routing = connection.stored.settings.get("gateway_clearing") or {}
    accounts = AccountMap.of(uow.accounts.roles(), gateway_clearing=dict(routing))
    if mapping is None:
        return accounts
    return with_mapping(accounts, mapping.document, connection.name)


def subject_of(event: CanonicalEvent) -> str:
    if isinstance(event, OrderPaid | OrderPending | OrderEdited):
        return event.order.order_id
    if isinstance(event, OrderCancelled | Refund):
        return event.order_id
    if isinstance(event, Dispute):
        return event.dispute_id
    return event.external_id


def load_prior(
    uow: UnitOfWork,
    connection: OpenConnection,
    event: CanonicalEvent,
    mapping: ActiveMapping | None = None,
) -> PriorState:
    if isinstance(event, Payout | Fee | Adjustment):
        return NOTHING_POSTED  # their rules need no history
    subject = subject_of(event)
    if not uow.entries.has_subject(connection.name, subject):
        return NOTHING_POSTED  # the common case: the first event about an order
    posted = uow.entries.find(source_connection=connection.name, subject=subject)
    entries = tuple(p.entry for p in posted)
    if isinstance(event, Dispute):
        return PriorState(entries=entries, disputes=dispute_stages(entries))
    order_entries = [
        p for p in posted if p.entry.source.kind in ORDER_KINDS and p.entry.reverses is None
    ]
    if not order_entries:
        return PriorState(entries=entries)
    booking = (
        Booking.PAID
        if any(p.entry.source.kind == "order_paid" for p in order_entries)
        else Booking.PENDING
    )
    snapshot = _booked_snapshot(uow, connection, order_entries[-1], subject_of(event), mapping)
    if snapshot is None:
        return PriorState(entries=entries)
    return PriorState(order=snapshot, booking=booking, entries=entries)


def booked_order(
    uow: UnitOfWork, connection: OpenConnection, order_id: str
) -> OrderSnapshot | None:
    """The snapshot an order was last booked with, if it was booked at all."""
    posted = uow.entries.find(source_connection=connection.name, subject=order_id)
    order_entries = [
        p for p in posted if p.entry.source.kind in ORDER_KINDS and p.entry.reverses is None
    ]
    if not order_entries:
        return None
    return _booked_snapshot(uow, connection, order_entries[-1], order_id)


def _booked_snapshot(
    uow: UnitOfWork,
    connection: OpenConnection,
    posted: PostedEntry,
    order_id: str,
    mapping: ActiveMapping | None = None,
) -> OrderSnapshot | None:
    """The order as the delivery that posted ``posted`` described it (and ``mapping`` shapes
    it)."""
    event_id = uow.entries.event_id_of(posted.id)
    if event_id is None:
        return None
    stored = uow.inbox.get(event_id)
    # Parsed with the API detail it was posted with (a BigCommerce webhook is only an id).
    extra = load_json(stored.detail) if stored.detail else {}
    parsed = connector_for(connection.platform).parse(stored.topic, stored.body, extra=extra)
    for candidate in parsed.events:
        if isinstance(candidate, OrderPaid | OrderPending | OrderEdited) and (
            candidate.order.order_id == order_id
        ):
            if mapping is None:
                return candidate.order
            shaped = apply_fields(mapping.document, candidate, _raw(stored.body))
            assert isinstance(shaped, OrderPaid | OrderPending | OrderEdited)
            return shaped.order
    return None


def _raw(body: bytes) -> Any:
    """The delivery's JSON for mapping expressions (it parsed once, so it reads again)."""
    try:
        return load_json(body)
    except PayloadInvalid:
        return None
