"""Inspecting and replaying inbox events (the dead-letter queue is the ``dead`` status)."""

from __future__ import annotations

from typing import Any

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.ledger.serialize import entry_dict
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus, InboxEvent
from ledgerbridge.store.unit_of_work import UnitOfWork


class AlreadyPostedEvent(LedgerBridgeError):
    code = "event_already_posted"
    http_status = 409


def event_summary(event: InboxEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "connection": event.connection,
        "topic": event.topic,
        "external_id": event.external_id,
        "status": event.status.value,
        "received_at": event.received_at.isoformat(),
        "attempts": event.attempts,
        "next_attempt_at": event.next_attempt_at.isoformat()
        if event.status is EventStatus.FAILED
        else None,
        "last_error": event.last_error,
        "posted_at": event.posted_at.isoformat() if event.posted_at else None,
    }


def list_events(
    db: Database,
    *,
    status: EventStatus | None = None,
    connection: str | None = None,
    limit: int = 100,
) -> list[InboxEvent]:
    with UnitOfWork(db) as uow:
        if connection is not None:
            uow.connections.get(connection)  # UnknownConnection names a typo
        return list(uow.inbox.find(status=status, connection=connection, limit=limit))


def show_event(db: Database, event_id: int) -> dict[str, Any]:
    """The event, its headers and body, its notices and the entries it posted."""
    with UnitOfWork(db) as uow:
        event = uow.inbox.get(event_id)
        entries = uow.entries.find(event_id=event_id)
    return {
        **event_summary(event),
        "headers": event.headers,
        "body": event.body.decode("utf-8", errors="replace"),
        "notices": event.notices,
        "entries": [entry_dict(p.entry, p.id) for p in entries],
    }


def replay(
    db: Database, event_ids: list[int] | None = None, *, dead: bool = False, clock: Clock = utcnow
) -> list[int]:
    """Make events due again now: one by id (any status but posted), or every dead letter.

    Raises NotFound, AlreadyPostedEvent. The replay is recorded in the audit trail.
    """
    with UnitOfWork(db) as uow:
        ids = list(event_ids or [])
        if dead:
            ids += uow.inbox.ids_with_status(EventStatus.DEAD)
        now = clock()
        for event_id in ids:
            event = uow.inbox.get(event_id)
            if event.status is EventStatus.POSTED:
                raise AlreadyPostedEvent(
                    f"event {event_id} is already posted; reverse its entries instead"
                )
            uow.inbox.requeue(event_id, now=now)
        if ids:
            uow.audit.append("events.replayed", {"event_ids": ids}, now=now)
        uow.commit()
    return ids
