"""The raw-first inbox: verified deliveries, stored byte for byte before anything parses them.

Statuses (``status`` column):

* ``received`` — stored, waiting for the worker;
* ``posted`` — its entries are in the ledger (set in the same transaction as the posting);
* ``ignored`` — verified, but of a topic we do not post (yet); kept so a later version can replay;
* ``failed`` — the last attempt failed; ``next_attempt_at`` says when the next one is due;
* ``dead`` — attempts exhausted or the payload can never post; waits for a person to replay it.

A worker *claims* due rows by setting ``claimed_until`` (a lease): on PostgreSQL with
``FOR UPDATE SKIP LOCKED`` so many workers share the queue without blocking each other; on
SQLite the single writer lock does the same job. A worker that dies mid-event simply lets its
lease expire and another picks the event up; the ledger's unique source keys make the retry safe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select, update

from ledgerbridge.errors import NotFound
from ledgerbridge.store.tables import connections, inbox_events
from ledgerbridge.store.upsert import insert_ignoring


class EventStatus(StrEnum):
    RECEIVED = "received"
    POSTED = "posted"
    IGNORED = "ignored"
    FAILED = "failed"
    DEAD = "dead"


PENDING = (EventStatus.RECEIVED.value, EventStatus.FAILED.value)


@dataclass(frozen=True, slots=True)
class InboxEvent:
    id: int
    connection_id: int
    connection: str
    external_id: str
    topic: str
    status: EventStatus
    headers: dict[str, str]
    body: bytes
    received_at: dt.datetime
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    notices: list[Any]
    posted_at: dt.datetime | None
    detail: bytes | None = None
    """API detail fetched to parse the delivery, as exact JSON, once it posted."""


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _to_event(row: Any) -> InboxEvent:
    body = row.body
    return InboxEvent(
        id=row.id,
        connection_id=row.connection_id,
        connection=row.connection_name,
        external_id=row.external_id,
        topic=row.topic,
        status=EventStatus(row.status),
        headers=dict(row.headers or {}),
        body=body.encode("utf-8") if isinstance(body, str) else bytes(body),
        received_at=_aware(row.received_at),  # type: ignore[arg-type]
        attempts=row.attempts,
        next_attempt_at=_aware(row.next_attempt_at),  # type: ignore[arg-type]
        last_error=row.last_error,
        notices=list(row.notices or []),
        posted_at=_aware(row.posted_at),
        detail=bytes(row.detail) if row.detail is not None else None,
    )


class InboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def store(
        self,
        *,
        connection_id: int,
        external_id: str,
        topic: str,
        status: EventStatus,
        headers: Mapping[str, str],
        body: bytes,
        now: dt.datetime,
    ) -> tuple[int, bool]:
        """Insert unless this delivery is already stored; returns (id, was_duplicate)."""
        values = {
            "connection_id": connection_id,
            "external_id": external_id,
            "topic": topic,
            "status": status.value,
            "headers": dict(headers),
            "body": body,
            "received_at": now,
            "attempts": 0,
            "next_attempt_at": now,
            "notices": [],
        }
        inserted = insert_ignoring(
            self.conn,
            inbox_events,
            [inbox_events.c.connection_id, inbox_events.c.external_id],
            values,
        )
        if inserted is not None:
            return inserted, False
        existing = self.conn.execute(
            select(inbox_events.c.id).where(
                inbox_events.c.connection_id == connection_id,
                inbox_events.c.external_id == external_id,
            )
        ).scalar_one()
        return int(existing), True

    def _select(self) -> Any:
        return select(inbox_events, connections.c.name.label("connection_name")).join(
            connections, connections.c.id == inbox_events.c.connection_id
        )

    def get(self, event_id: int) -> InboxEvent:
        row = self.conn.execute(self._select().where(inbox_events.c.id == event_id)).one_or_none()
        if row is None:
            raise NotFound(f"there is no event {event_id}", field="id")
        return _to_event(row)

    def claim(self, *, now: dt.datetime, lease: dt.timedelta, limit: int) -> list[int]:
        """Lease up to ``limit`` due events to the caller; returns their ids, oldest first."""
        due = (
            select(inbox_events.c.id)
            .where(
                inbox_events.c.status.in_(PENDING),
                inbox_events.c.next_attempt_at <= now,
                or_(inbox_events.c.claimed_until.is_(None), inbox_events.c.claimed_until < now),
            )
            .order_by(inbox_events.c.next_attempt_at, inbox_events.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [int(i) for i in self.conn.execute(due).scalars()]
        if ids:
            self.conn.execute(
                update(inbox_events)
                .where(inbox_events.c.id.in_(ids))
                .values(claimed_until=now + lease)
            )
        return ids

    def lock(self, event_id: int) -> InboxEvent:
        """Re-read a claimed event inside the posting transaction, locking its row."""
        statement = self._select().where(inbox_events.c.id == event_id)
        if self.conn.dialect.name == "postgresql":
            statement = statement.with_for_update(of=inbox_events)
        row = self.conn.execute(statement).one_or_none()
        if row is None:
            raise NotFound(f"there is no event {event_id}", field="id")
        return _to_event(row)

    def mark_posted(
        self,
        event_id: int,
        *,
        now: dt.datetime,
        notices: list[Any],
        detail: bytes | None = None,
    ) -> None:
        self._set(
            event_id,
            status=EventStatus.POSTED.value,
            detail=detail,
            posted_at=now,
            notices=notices,
            last_error=None,
            claimed_until=None,
            attempts=inbox_events.c.attempts + 1,
        )

    def mark_ignored(self, event_id: int, *, reason: str) -> None:
        self._set(event_id, status=EventStatus.IGNORED.value, last_error=reason, claimed_until=None)

    def mark_failed(
        self, event_id: int, *, attempts: int, next_attempt_at: dt.datetime, error: str
    ) -> None:
        self._set(
            event_id,
            status=EventStatus.FAILED.value,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=error,
            claimed_until=None,
        )

    def mark_dead(self, event_id: int, *, attempts: int, error: str) -> None:
        self._set(
            event_id,
            status=EventStatus.DEAD.value,
            attempts=attempts,
            last_error=error,
            claimed_until=None,
        )

    def requeue(self, event_id: int, *, now: dt.datetime) -> None:
        """Make an event due again now (replay), whatever its status except posted."""
        self._set(
            event_id,
            status=EventStatus.RECEIVED.value,
            attempts=0,
            next_attempt_at=now,
            claimed_until=None,
        )

    def _set(self, event_id: int, **values: Any) -> None:
        self.conn.execute(
            update(inbox_events).where(inbox_events.c.id == event_id).values(**values)
        )

    def find(
        self,
        *,
        status: EventStatus | None = None,
        connection: str | None = None,
        limit: int = 100,
        before_id: int | None = None,
    ) -> Sequence[InboxEvent]:
        statement = self._select().order_by(inbox_events.c.id.desc()).limit(limit)
        conditions = []
        if status is not None:
            conditions.append(inbox_events.c.status == status.value)
        if connection is not None:
            conditions.append(connections.c.name == connection)
        if before_id is not None:
            conditions.append(inbox_events.c.id < before_id)
        if conditions:
            statement = statement.where(and_(*conditions))
        return [_to_event(row) for row in self.conn.execute(statement)]

    def ids_with_status(self, status: EventStatus) -> list[int]:
        return [
            int(i)
            for i in self.conn.execute(
                select(inbox_events.c.id).where(inbox_events.c.status == status.value)
            ).scalars()
        ]

    def counts(self) -> dict[tuple[str, str], int]:
        """(connection, status) → number of events."""
        rows = self.conn.execute(
            select(connections.c.name, inbox_events.c.status, func.count())
            .join(connections, connections.c.id == inbox_events.c.connection_id)
            .group_by(connections.c.name, inbox_events.c.status)
        )
        return {(row[0], row[1]): int(row[2]) for row in rows}

    def activity(self) -> dict[str, tuple[dt.datetime | None, int]]:
        """connection → (last delivery stored, events that carry notices for a person)."""
        with_notices = func.sum(
            case((func.json_array_length(inbox_events.c.notices) > 0, 1), else_=0)
        )
        rows = self.conn.execute(
            select(connections.c.name, func.max(inbox_events.c.received_at), with_notices)
            .join(connections, connections.c.id == inbox_events.c.connection_id)
            .group_by(connections.c.name)
        )
        return {row[0]: (_aware(row[1]), int(row[2] or 0)) for row in rows}

    def oldest_pending(self) -> dt.datetime | None:
        value = self.conn.execute(
            select(func.min(inbox_events.c.received_at)).where(inbox_events.c.status.in_(PENDING))
        ).scalar_one_or_none()
        return _aware(value)
