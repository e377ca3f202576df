"""How far each history sync got, per connection and stream (table ``sync_cursors``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, select, update

from ledgerbridge.store.tables import sync_cursors
from ledgerbridge.store.upsert import insert_ignoring


class SyncStatus(StrEnum):
    RUNNING = "running"
    """Started and not finished: the next sync resumes at ``cursor``."""
    COMPLETE = "complete"
    FAILED = "failed"
    """Stopped by an error (``last_error``); resumable like a running one."""


@dataclass(frozen=True, slots=True)
class SyncCursor:
    connection_id: int
    stream: str
    since: dt.date
    cursor: str | None
    status: SyncStatus
    pulled: int
    started_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
    last_error: str | None

    @property
    def resumable(self) -> bool:
        return self.status is not SyncStatus.COMPLETE


class SyncCursorRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, connection_id: int, stream: str) -> SyncCursor | None:
        row = (
            self.conn.execute(
                select(sync_cursors).where(
                    sync_cursors.c.connection_id == connection_id, sync_cursors.c.stream == stream
                )
            )
            .mappings()
            .one_or_none()
        )
        if row is None:
            return None
        return SyncCursor(
            connection_id=row["connection_id"],
            stream=row["stream"],
            since=row["since"],
            cursor=row["cursor"],
            status=SyncStatus(row["status"]),
            pulled=row["pulled"],
            started_at=row["started_at"],
            updated_at=row["updated_at"],
            finished_at=row["finished_at"],
            last_error=row["last_error"],
        )

    def for_connection(self, connection_id: int) -> list[SyncCursor]:
        streams = self.conn.execute(
            select(sync_cursors.c.stream)
            .where(sync_cursors.c.connection_id == connection_id)
            .order_by(sync_cursors.c.id)
        ).scalars()
        found = [self.get(connection_id, stream) for stream in list(streams)]
        return [cursor for cursor in found if cursor is not None]

    def start(self, connection_id: int, stream: str, *, since: dt.date, now: dt.datetime) -> None:
        """Begin a fresh pass over ``stream`` from ``since`` (forgetting any earlier cursor)."""
        values = {
            "since": since,
            "cursor": None,
            "status": SyncStatus.RUNNING.value,
            "pulled": 0,
            "started_at": now,
            "updated_at": now,
            "finished_at": None,
            "last_error": None,
        }
        inserted = insert_ignoring(
            self.conn,
            sync_cursors,
            [sync_cursors.c.connection_id, sync_cursors.c.stream],
            {"connection_id": connection_id, "stream": stream, **values},
        )
        if inserted is None:
            self.conn.execute(
                update(sync_cursors)
                .where(
                    sync_cursors.c.connection_id == connection_id, sync_cursors.c.stream == stream
                )
                .values(**values)
            )

    def advance(
        self,
        connection_id: int,
        stream: str,
        *,
        cursor: str | None,
        pulled: int,
        now: dt.datetime,
    ) -> None:
        """Record a stored page: where the next one starts (None: the stream is complete)."""
        done = cursor is None
        self.conn.execute(
            update(sync_cursors)
            .where(sync_cursors.c.connection_id == connection_id, sync_cursors.c.stream == stream)
            .values(
                cursor=cursor,
                pulled=sync_cursors.c.pulled + pulled,
                status=(SyncStatus.COMPLETE if done else SyncStatus.RUNNING).value,
                updated_at=now,
                finished_at=now if done else None,
                last_error=None,
            )
        )

    def fail(self, connection_id: int, stream: str, *, error: str, now: dt.datetime) -> None:
        self.conn.execute(
            update(sync_cursors)
            .where(sync_cursors.c.connection_id == connection_id, sync_cursors.c.stream == stream)
            .values(status=SyncStatus.FAILED.value, updated_at=now, last_error=error[:2000])
        )
