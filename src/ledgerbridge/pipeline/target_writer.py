"""The target writer: deliver outbox rows into the users' own accounting tables.

The posting transaction enqueues every entry whose mapping has a ``target``
(:meth:`ledgerbridge.store.outbox.TargetOutbox.enqueue`); this writer, in its own thread or
process, claims due rows with a lease and for each one:

1. reads the entry and the mapping version it was posted with (short read, no locks held);
2. reflects the target's two tables (never altering them) and writes the header and its
   lines in ONE target transaction, exactly once (see :mod:`.target_delivery`);
3. marks the row delivered on our side, with the header row it landed in.

A target that cannot be reached keeps its rows ``pending`` with growing waits
(:class:`~ledgerbridge.pipeline.retry.RetryPolicy`); sync status shows them as target lag.
After ``max_attempts`` a row is ``failed``, as is at once a row the target refuses for good
(a value that does not fit, a constraint): visible in ``connections list``, never dropped, and
requeued with :func:`requeue_failed` once fixed.

A delivery that outlives its lease (blocked on a lock in the target, say) may find that another
writer has claimed the row since. Every mark is conditional on the claim
(:class:`~ledgerbridge.store.outbox.Claim`), and the mark taken just before the target commit
aborts the target transaction when the claim is gone, so the late writer writes nothing and
touches nothing: its outcome says ``lease_lost`` and is not counted as a failure.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.mapping.target import (
    TargetSection,
    TargetUnreachable,
    parse_target,
    target_connection,
    target_engine,
)
from ledgerbridge.mapping.target_columns import ReflectedTable, reflect
from ledgerbridge.mapping.target_context import entry_document, line_document
from ledgerbridge.pipeline.loop import PollingLoop, drain
from ledgerbridge.pipeline.retry import RetryPolicy
from ledgerbridge.pipeline.target_delivery import DeliveryRefused, EntryRows, deliver
from ledgerbridge.store.database import Database
from ledgerbridge.store.outbox import Claim, OutboxRow, OutboxStatus
from ledgerbridge.store.unit_of_work import UnitOfWork

log = structlog.get_logger("ledgerbridge.target")

TARGET_RETRY = RetryPolicy(max_attempts=24, base_s=2.0, cap_s=3600.0)
"""An ERP is often down for a night of maintenance: waits double from 2 s to an hour, so a
row keeps trying for 7 to 14 hours before it is failed and waits for a person."""


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    outbox_id: int
    entry_id: int
    status: OutboxStatus
    written: bool = False
    """True when this attempt wrote rows; False for a redelivery found already in place."""
    ref: str | None = None
    error: str | None = None
    lease_lost: bool = False
    """True when another writer claimed the row while this one worked on it: this attempt
    left the row (and, unless ``written``, the target) as it found them; ``status`` is the
    row's status as the other writer left it."""


LEASE_LOST = "another writer took this row over after its lease ran out"


class _LeaseLost(Exception):
    """Raised just before the target commit when the claim is gone; the target transaction
    rolls back."""


def _permanent(exc: BaseException) -> bool:
    """A refusal or a broken mapping: waiting will not change the answer."""
    return isinstance(exc, DeliveryRefused | InvalidInput)


def _message(exc: BaseException) -> str:
    if isinstance(exc, LedgerBridgeError):
        return exc.message
    if isinstance(exc, TargetUnreachable):
        return str(exc)
    if isinstance(exc, SQLAlchemyError):
        detail = " ".join(str(getattr(exc, "orig", None) or exc).split())
        return f"the target database failed: {detail}"
    return f"{type(exc).__name__}: {exc}"


class TargetDispatcher:
    """Delivers due outbox rows. ``lease`` bounds how long a crashed writer's rows wait
    before another writer takes them over; a delivery must finish well within it (a late
    finish writes nothing: the marks are conditional on the claim, and losing it before the
    target commit rolls the target transaction back)."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = utcnow,
        policy: RetryPolicy | None = None,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        batch: int = 20,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy or TARGET_RETRY
        self.lease = lease
        self.batch = batch
        self.rng = rng or random.Random()
        self._engines: dict[str, Engine] = {}
        self._tables: dict[tuple[str, str, str | None], ReflectedTable] = {}

    def claim(self) -> list[Claim]:
        with UnitOfWork(self.db) as uow:
            claims = uow.outbox.claim(now=self.clock(), lease=self.lease, limit=self.batch)
            uow.commit()
        return claims

    def run_once(self) -> list[TargetOutcome]:
        """Claim one batch of due rows and deliver each; returns what happened. The target's
        tables are reflected afresh for every batch, so a changed target is seen at once."""
        self._tables.clear()
        return [self.process(claim) for claim in self.claim()]

    def drain(self, *, max_rounds: int = 1000) -> list[TargetOutcome]:
        """Deliver until nothing is due (tests); retries not yet due wait."""
        return drain(self.run_once, max_rounds=max_rounds)

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    def process(self, claim: Claim) -> TargetOutcome:
        try:
            outcome = self._deliver(claim)
        except _LeaseLost:
            outcome = self._lost(claim, written=False)
        except Exception as exc:  # every failure is recorded on the row, none is lost
            outcome = self._failed(claim, exc)
        bound = log.bind(outbox_id=claim.id, entry_id=outcome.entry_id)
        if outcome.lease_lost:
            bound.warning("target row taken over by another writer", written=outcome.written)
        elif outcome.status is OutboxStatus.DELIVERED:
            bound.info("entry written to target", ref=outcome.ref, written=outcome.written)
        elif outcome.error is not None:
            bound.warning(
                "entry not written to target", status=outcome.status.value, error=outcome.error
            )
        return outcome

    def _deliver(self, claim: Claim) -> TargetOutcome:
        with UnitOfWork(self.db, read_only=True) as uow:
            row = uow.outbox.get(claim.id)
            if not uow.outbox.holds(claim):
                return TargetOutcome(
                    row.id, row.entry_id, row.status, error=LEASE_LOST, lease_lost=True
                )
            posted = uow.entries.get(row.entry_id)
            subject = uow.outbox.entry_subject(row.entry_id)
            document = uow.outbox.mapping_document(row.connection_id, row.mapping_version)
        section_data = (document or {}).get("target")
        if not section_data:
            return self._skip(claim, row, f"mapping version {row.mapping_version} has no target")
        section = parse_target(section_data)
        rows = EntryRows(
            entry_document(
                posted.entry, entry_id=posted.id, created_at=posted.created_at, subject=subject
            ),
            [line_document(line, n) for n, line in enumerate(posted.entry.lines, start=1)],
        )
        taken: set[str] = set()
        recheck = row.sent_at is not None and section.key is None
        if recheck:
            with UnitOfWork(self.db, read_only=True) as uow:
                taken = uow.outbox.refs_taken(section.label, other_than=row.id)
        held = [claim]
        with target_connection(self._engine(section.url), section.url) as conn:
            header, lines = self._reflect(conn, section)
            written = deliver(
                conn,
                section,
                header,
                lines,
                rows,
                recheck=recheck,
                taken=taken,
                before_commit=lambda: held.append(self._mark_sent(claim)),
            )
        with UnitOfWork(self.db) as uow:
            marked = uow.outbox.mark_delivered(
                held[-1], now=self.clock(), target_table=section.label, target_ref=written.ref
            )
            uow.commit()
        if not marked:
            # The target committed, but the renewed lease ran out before this mark and another
            # writer claimed the row: sent_at is set, so it adopts these rows (without a key) or
            # finds the key, and writes nothing again.
            return self._lost(claim, written=written.inserted)
        return TargetOutcome(
            row.id, row.entry_id, OutboxStatus.DELIVERED, written=written.inserted, ref=written.ref
        )

    def _engine(self, url: str) -> Engine:
        if url not in self._engines:
            self._engines[url] = target_engine(url)
        return self._engines[url]

    def _reflect(
        self, conn: Connection, section: TargetSection
    ) -> tuple[ReflectedTable, ReflectedTable]:
        found = []
        for mapped in (section.header, section.lines):
            cache_key = (section.url, mapped.table, mapped.schema)
            if cache_key not in self._tables:
                table = reflect(conn, mapped.table, mapped.schema)
                if table is None:
                    raise DeliveryRefused(
                        f"the target has no table {mapped.table}; fix the mapping or the "
                        "target and requeue"
                    )
                self._tables[cache_key] = table
            found.append(self._tables[cache_key])
        conn.rollback()  # reflection opened a transaction; the delivery begins its own
        return found[0], found[1]

    def _mark_sent(self, claim: Claim) -> Claim:
        """Note the coming target commit and renew the lease; raises _LeaseLost (rolling the
        target transaction back) when another writer holds the row now."""
        with UnitOfWork(self.db) as uow:
            renewed = uow.outbox.mark_sent(claim, now=self.clock(), lease=self.lease)
            uow.commit()
        if renewed is None:
            raise _LeaseLost
        return renewed

    def _lost(self, claim: Claim, *, written: bool) -> TargetOutcome:
        with UnitOfWork(self.db, read_only=True) as uow:
            row = uow.outbox.get(claim.id)
        return TargetOutcome(
            row.id, row.entry_id, row.status, written=written, error=LEASE_LOST, lease_lost=True
        )

    def _skip(self, claim: Claim, row: OutboxRow, reason: str) -> TargetOutcome:
        with UnitOfWork(self.db) as uow:
            marked = uow.outbox.mark_skipped(claim, reason=reason)
            uow.commit()
        if not marked:
            return self._lost(claim, written=False)
        return TargetOutcome(row.id, row.entry_id, OutboxStatus.SKIPPED, error=reason)

    def _failed(self, claim: Claim, exc: Exception) -> TargetOutcome:
        message = _message(exc)
        if not isinstance(exc, LedgerBridgeError | TargetUnreachable | SQLAlchemyError):
            log.exception("unexpected failure while writing to a target", outbox_id=claim.id)
        with UnitOfWork(self.db) as uow:
            row = uow.outbox.get(claim.id)
            attempts = row.attempts + 1
            if _permanent(exc) or self.policy.exhausted(attempts):
                marked = uow.outbox.mark_failed(claim, attempts=attempts, error=message)
                status = OutboxStatus.FAILED
            else:
                wait = self.policy.delay(attempts, rng=self.rng)
                marked = uow.outbox.mark_retry(
                    claim,
                    attempts=attempts,
                    next_attempt_at=self.clock() + wait,
                    error=message,
                )
                status = OutboxStatus.PENDING
            uow.commit()
        if not marked:
            # Another writer holds (or has finished) the row; what went wrong here is not its
            # outcome, e.g. the unique key it already wrote.
            return self._lost(claim, written=False)
        return TargetOutcome(claim.id, row.entry_id, status, error=message)


def requeue_failed(db: Database, *, connection: str | None = None, clock: Clock = utcnow) -> int:
    """Make failed target rows (of one connection, or all) due again now, once the mapping or
    the target is fixed; returns how many. Rows that did land are recognised and not written
    twice. Raises UnknownConnection."""
    with UnitOfWork(db) as uow:
        connection_id = uow.connections.get(connection).id if connection else None
        count = uow.outbox.requeue(now=clock(), connection_id=connection_id)
        uow.commit()
    return count


class TargetLoop(PollingLoop):
    """Runs a :class:`TargetDispatcher` in a background thread: every ``poll_s`` seconds, and
    at once when woken (the posting worker may wake it after a commit)."""

    def __init__(self, dispatcher: TargetDispatcher, *, poll_s: float = 1.0) -> None:
        super().__init__("target", dispatcher.run_once, poll_s=poll_s)
        self.dispatcher = dispatcher

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        self.dispatcher.close()
