"""The target outbox: posted entries waiting to be written into a user's own accounting tables.

The posting transaction enqueues one row per entry (``enqueue``), so an entry is in the outbox
exactly when it is in the ledger. The target writer (:mod:`ledgerbridge.pipeline.target_writer`)
claims due rows with a lease, exactly like the inbox worker, and marks each one:

* ``pending`` — waiting, or retrying after a failed attempt (``attempts``, ``last_error`` and
  ``next_attempt_at`` say how it went and when the next try is due);
* ``delivered`` — the header and lines are in the target; ``target_table``/``target_ref`` say
  which header row holds them;
* ``failed`` — attempts exhausted or the target refused the rows for good; a person reads
  ``last_error``, fixes the mapping or the target, and requeues it;
* ``skipped`` — the entry's mapping version has no ``target`` section.

A claim's lease is also its token: the exact ``claimed_until`` it wrote (:class:`Claim`). Every
mark applies only while the row is still ``pending`` and still carries that token, and says
whether it did; a writer whose lease ran out and whose row another writer claimed since
changes nothing on the row (and the writer aborts its target transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select, update

from ledgerbridge.errors import NotFound
from ledgerbridge.store.tables import connections, journal_entries, mappings, target_outbox
from ledgerbridge.store.upsert import insert_ignoring


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    entry_id: int
    connection_id: int
    connection: str
    mapping_version: int
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    target_table: str | None
    target_ref: str | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Claim:
    """One leased row. ``token`` is the ``claimed_until`` value this claim wrote: a later
    claim of the same row writes a later one, so the row carries ``token`` exactly as long as
    no other writer has taken it over."""

    id: int
    token: dt.datetime


@dataclass(frozen=True, slots=True)
class TargetLag:
    """How far one connection's target is behind the ledger."""

    pending: int
    oldest_pending_at: dt.datetime | None
    failed: int


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _to_row(row: Any) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        entry_id=row.entry_id,
        connection_id=row.connection_id,
        connection=row.connection_name,
        mapping_version=row.mapping_version,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=_aware(row.next_attempt_at),  # type: ignore[arg-type]
        sent_at=_aware(row.sent_at),
        target_table=row.target_table,
        target_ref=row.target_ref,
        last_error=row.last_error,
        created_at=_aware(row.created_at),  # type: ignore[arg-type]
        delivered_at=_aware(row.delivered_at),
    )


class TargetOutbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def enqueue(
        self, entry_id: int, connection_id: int, mapping_version: int, now: dt.datetime
    ) -> bool:
        """Queue ``entry_id`` for its connection's target; False if it is queued already
        (a second posting of the same entry is a no-op, as in the ledger)."""
        inserted = insert_ignoring(
            self.conn,
            target_outbox,
            [target_outbox.c.entry_id],
            {
                "entry_id": entry_id,
                "connection_id": connection_id,
                "mapping_version": mapping_version,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        return inserted is not None

    def _select(self) -> Any:
        return select(target_outbox, connections.c.name.label("connection_name")).join(
            connections, connections.c.id == target_outbox.c.connection_id
        )

    def get(self, outbox_id: int) -> OutboxRow:
        row = self.conn.execute(self._select().where(target_outbox.c.id == outbox_id)).one_or_none()
        if row is None:
            raise NotFound(f"there is no target outbox row {outbox_id}", field="id")
        return _to_row(row)

    def for_entry(self, entry_id: int) -> OutboxRow | None:
        row = self.conn.execute(
            self._select().where(target_outbox.c.entry_id == entry_id)
        ).one_or_none()
        return _to_row(row) if row is not None else None

    def find(
        self, *, status: OutboxStatus | None = None, connection_id: int | None = None
    ) -> Sequence[OutboxRow]:
        statement = self._select().order_by(target_outbox.c.id)
        if status is not None:
            statement = statement.where(target_outbox.c.status == status.value)
        if connection_id is not None:
            statement = statement.where(target_outbox.c.connection_id == connection_id)
        return [_to_row(row) for row in self.conn.execute(statement)]

    def claim(self, *, now: dt.datetime, lease: dt.timedelta, limit: int) -> list[Claim]:
        """Lease up to ``limit`` due rows to the caller, in posting order. A row is due again
        only once ``claimed_until`` has passed, so a new claim's token is always later than
        the one it replaces (``lease`` must be positive)."""
        if lease <= dt.timedelta(0):
            raise ValueError("a lease must be positive")
        due = (
            select(target_outbox.c.id)
            .where(
                target_outbox.c.status == OutboxStatus.PENDING.value,
                target_outbox.c.next_attempt_at <= now,
                or_(target_outbox.c.claimed_until.is_(None), target_outbox.c.claimed_until < now),
            )
            .order_by(target_outbox.c.entry_id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [int(i) for i in self.conn.execute(due).scalars()]
        token = now + lease
        if ids:
            self.conn.execute(
                update(target_outbox).where(target_outbox.c.id.in_(ids)).values(claimed_until=token)
            )
        return [Claim(i, token) for i in ids]

    def holds(self, claim: Claim) -> bool:
        """Whether ``claim`` is still the row's lease and the row still waits for delivery."""
        found = self.conn.execute(
            select(target_outbox.c.id).where(*self._held(claim))
        ).one_or_none()
        return found is not None

    def mark_sent(self, claim: Claim, *, now: dt.datetime, lease: dt.timedelta) -> Claim | None:
        """Record, just before the target commit, that this attempt may leave rows behind,
        and renew the lease from ``now`` so no other writer claims the row while the target
        commits; returns the renewed claim, or None when the lease was lost (another writer
        claimed the row, or it is no longer pending): the caller must then not commit."""
        renewed = Claim(claim.id, now + lease)
        if self._set(claim, sent_at=now, claimed_until=renewed.token):
            return renewed
        return None

    def mark_delivered(
        self, claim: Claim, *, now: dt.datetime, target_table: str, target_ref: str
    ) -> bool:
        """False when the lease was lost meanwhile (the row is left to its new holder)."""
        return self._set(
            claim,
            status=OutboxStatus.DELIVERED.value,
            delivered_at=now,
            target_table=target_table,
            target_ref=target_ref,
            attempts=target_outbox.c.attempts + 1,
            last_error=None,
            claimed_until=None,
        )

    def mark_retry(
        self, claim: Claim, *, attempts: int, next_attempt_at: dt.datetime, error: str
    ) -> bool:
        return self._set(
            claim,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_error=error,
            claimed_until=None,
        )

    def mark_failed(self, claim: Claim, *, attempts: int, error: str) -> bool:
        """False when the lease was lost: a row another writer delivered stays delivered."""
        return self._set(
            claim,
            status=OutboxStatus.FAILED.value,
            attempts=attempts,
            last_error=error,
            claimed_until=None,
        )

    def mark_skipped(self, claim: Claim, *, reason: str) -> bool:
        return self._set(
            claim, status=OutboxStatus.SKIPPED.value, last_error=reason, claimed_until=None
        )

    def requeue(
        self, *, now: dt.datetime, connection_id: int | None = None, outbox_id: int | None = None
    ) -> int:
        """Make failed rows due again now (after a person fixed the target or the mapping);
        returns how many. Delivered rows are never sent again."""
        conditions = [target_outbox.c.status == OutboxStatus.FAILED.value]
        if connection_id is not None:
            conditions.append(target_outbox.c.connection_id == connection_id)
        if outbox_id is not None:
            conditions.append(target_outbox.c.id == outbox_id)
        result = self.conn.execute(
            update(target_outbox)
            .where(and_(*conditions))
            .values(
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                claimed_until=None,
            )
        )
        return int(result.rowcount)

    def refs_taken(self, target_table: str, *, other_than: int) -> set[str]:
        """The header rows of ``target_table`` that other deliveries already account for."""
        rows = self.conn.execute(
            select(target_outbox.c.target_ref).where(
                target_outbox.c.target_table == target_table,
                target_outbox.c.target_ref.is_not(None),
                target_outbox.c.id != other_than,
            )
        ).scalars()
        return {str(ref) for ref in rows}

    def entry_subject(self, entry_id: int) -> str | None:
        """The platform object an entry is about (its ``subject``), for ``entry.subject``."""
        return self.conn.execute(
            select(journal_entries.c.subject).where(journal_entries.c.id == entry_id)
        ).scalar_one_or_none()

    def lag(self) -> dict[int, TargetLag]:
        """connection id → rows still to deliver, the oldest of them, and rows given up on."""
        waiting = func.sum(case((target_outbox.c.status == OutboxStatus.PENDING.value, 1), else_=0))
        failed = func.sum(case((target_outbox.c.status == OutboxStatus.FAILED.value, 1), else_=0))
        rows = self.conn.execute(
            select(target_outbox.c.connection_id, waiting, failed).group_by(
                target_outbox.c.connection_id
            )
        ).all()
        oldest_rows = self.conn.execute(
            select(target_outbox.c.connection_id, func.min(target_outbox.c.created_at))
            .where(target_outbox.c.status == OutboxStatus.PENDING.value)
            .group_by(target_outbox.c.connection_id)
        ).all()
        oldest_by = {int(r[0]): _aware(r[1]) for r in oldest_rows}
        return {
            int(r[0]): TargetLag(int(r[1] or 0), oldest_by.get(int(r[0])), int(r[2] or 0))
            for r in rows
        }

    def mapping_document(self, connection_id: int, version: int) -> dict[str, Any] | None:
        """The mapping document an entry was posted with (mapping rows never change)."""
        document = self.conn.execute(
            select(mappings.c.document).where(
                mappings.c.connection_id == connection_id, mappings.c.version == version
            )
        ).scalar_one_or_none()
        return dict(document) if document is not None else None

    def _held(self, claim: Claim) -> tuple[Any, ...]:
        return (
            target_outbox.c.id == claim.id,
            target_outbox.c.status == OutboxStatus.PENDING.value,
            target_outbox.c.claimed_until == claim.token,
        )

    def _set(self, claim: Claim, **values: Any) -> bool:
        """Update the row only while ``claim`` holds it; whether it did."""
        result = self.conn.execute(update(target_outbox).where(*self._held(claim)).values(**values))
        return int(result.rowcount) == 1
