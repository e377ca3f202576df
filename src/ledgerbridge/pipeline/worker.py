"""The posting worker: claim due inbox events, parse, post, mark — one transaction per event.

For each claimed event:

1. read the raw delivery and its connection (short read, no locks held);
2. fetch what the platform's API must add (:mod:`.enrich`), outside any transaction;
3. parse it with the connector into canonical events;
4. in ONE transaction: lock the inbox row, skip it if another worker already posted it, look up
   the connection's mapping version in force (so a new version applies from the next event,
   without a restart), load what the ledger holds about each event's subject, apply the mapping
   and the posting rules, post the entries (idempotent on their source keys), queue each new
   entry for the mapping's target tables when it has one, and mark the row posted;
5. on failure, roll that transaction back and record the attempt: retryable failures come back
   after a backoff (:mod:`.retry`), permanent ones and exhausted ones go to the dead-letter queue.

Nothing is lost: a crash at any step leaves the row ``received``/``failed`` with an expired
lease, and the unique source keys make the retry post each entry once.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import UnsupportedTopic, dump_json
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.mapping.apply import post_mapped
from ledgerbridge.pipeline.enrich import fetch_extra, ledger_extra
from ledgerbridge.pipeline.ingest import ConnectionDirectory
from ledgerbridge.pipeline.loop import PollingLoop, drain
from ledgerbridge.pipeline.prior import account_map, load_prior, subject_of
from ledgerbridge.pipeline.retry import RetryPolicy
from ledgerbridge.posting.rates import RateTable
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services.books import post_in
from ledgerbridge.services.mapping import MappingCache, mapping_input
from ledgerbridge.store.database import Database, StoreUnavailable
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork

log = structlog.get_logger("ledgerbridge.worker")
CONNECTION_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class Outcome:
    event_id: int
    status: EventStatus
    entry_ids: tuple[int, ...] = ()
    error: str | None = None
    connection: str | None = None
    received_at: dt.datetime | None = None
    """When the delivery was stored; with ``finished_at`` it gives receive→posted latency."""
    finished_at: dt.datetime | None = None


def is_retryable(exc: BaseException) -> bool:
    """Transient by nature (store, network, rates, an event that arrived early) or unknown."""
    if isinstance(exc, LedgerBridgeError):
        return bool(getattr(exc, "retryable", False)) or isinstance(exc, StoreUnavailable)
    return True  # a bug or an outage we did not foresee: retry, then dead-letter


class Worker:
    """Posts inbox events. ``lease`` bounds how long a crashed worker's claimed events wait
    before another worker takes them over; ``batch`` events are claimed at a time, so a batch
    must comfortably finish within the lease (a late finish is safe, merely redundant)."""

    def __init__(
        self,
        db: Database,
        box: SecretBox,
        rates: RateTable,
        *,
        clock: Clock = utcnow,
        policy: RetryPolicy | None = None,
        lease: dt.timedelta = dt.timedelta(seconds=10),
        batch: int = 20,
        rng: random.Random | None = None,
        on_processed: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self.rates = rates
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.lease = lease
        self.batch = batch
        self.rng = rng or random.Random()
        self.on_processed = on_processed
        # Open connections (secrets decrypted), re-read after a few seconds: the same cache the
        # ingress uses, so a changed connection reaches both the same way.
        self.directory = ConnectionDirectory(db, box, ttl_s=CONNECTION_TTL_S)
        self.mappings = MappingCache()

    def claim(self) -> list[int]:
        with UnitOfWork(self.db, durable=False) as uow:
            ids = uow.inbox.claim(now=self.clock(), lease=self.lease, limit=self.batch)
            uow.commit()
        return ids

    def run_once(self) -> list[Outcome]:
        """Claim one batch of due events and process each; returns what happened."""
        return [self.process(event_id) for event_id in self.claim()]

    def drain(self, *, max_rounds: int = 1000) -> list[Outcome]:
        """Process until nothing is due (tests and ``ingest``); retries not yet due wait."""
        return drain(self.run_once, max_rounds=max_rounds)

    def process(self, event_id: int) -> Outcome:
        bound = log.bind(event_id=event_id)
        try:
            outcome = self._post(event_id)
        except UnsupportedTopic as exc:
            outcome = self._ignore(event_id, exc.message)
        except Exception as exc:  # every failure is recorded, none is lost
            outcome = self._failed(event_id, exc)
        if self.on_processed is not None:
            self.on_processed(outcome)
        bound = bound.bind(connection=outcome.connection)
        if outcome.status is EventStatus.POSTED:
            bound.info("event posted", entries=list(outcome.entry_ids))
        elif outcome.status in (EventStatus.FAILED, EventStatus.DEAD):
            bound.warning("event not posted", status=outcome.status.value, error=outcome.error)
        return outcome

    def _post(self, event_id: int) -> Outcome:
        with UnitOfWork(self.db, read_only=True) as uow:
            event = uow.inbox.get(event_id)
            connection = self.directory.get(event.connection)
            known = ledger_extra(uow, connection, event.topic, event.body)
        if event.status in (EventStatus.POSTED, EventStatus.IGNORED):
            return Outcome(event_id, event.status)
        connector = connector_for(connection.platform)
        fetched = fetch_extra(connection, event.topic, event.body)
        extra = {**known, **fetched}
        parsed = connector.parse(event.topic, event.body, extra=extra)
        notices = [{"message": n.message, **dict(n.details)} for n in parsed.notices]
        with UnitOfWork(self.db, durable=False) as uow:
            locked = uow.inbox.lock(event_id)
            if locked.status is EventStatus.POSTED:
                return Outcome(event_id, EventStatus.POSTED)
            now = self.clock()
            if not parsed.events:
                uow.inbox.mark_ignored(event_id, reason="the delivery carries nothing to post")
                uow.commit()
                return Outcome(event_id, EventStatus.IGNORED)
            base = uow.book.require().base_currency
            mapping = self.mappings.active(uow, connection.stored.id)
            accounts = account_map(uow, connection, mapping)
            raw = (
                mapping_input(connection.platform, event.body, fetched)
                if mapping is not None
                else None
            )
            entry_ids: list[int] = []
            for canonical in parsed.events:
                entry, mapped_notices = post_mapped(
                    canonical,
                    raw,
                    mapping,
                    connection=connection.name,
                    accounts=accounts,
                    rates=self.rates,
                    base_currency=base,
                    prior=load_prior(uow, connection, canonical, mapping),
                )
                notices += [{"message": n.message, **dict(n.details)} for n in mapped_notices]
                if entry is not None:
                    result = post_in(
                        uow, entry, now=now, event_id=event_id, subject=subject_of(canonical)
                    )
                    entry_ids.append(result.entry_id)
                    if result.created and mapping is not None and mapping.document.target:
                        uow.outbox.enqueue(
                            entry_id=result.entry_id,
                            connection_id=connection.stored.id,
                            mapping_version=mapping.version,
                            now=now,
                        )
            uow.inbox.mark_posted(
                event_id, now=now, notices=notices, detail=dump_json(fetched) if fetched else None
            )
            uow.commit()
        return Outcome(
            event_id,
            EventStatus.POSTED,
            tuple(entry_ids),
            connection=connection.name,
            received_at=event.received_at,
            finished_at=self.clock(),
        )

    def _ignore(self, event_id: int, reason: str) -> Outcome:
        with UnitOfWork(self.db) as uow:
            uow.inbox.mark_ignored(event_id, reason=reason)
            uow.commit()
        return Outcome(event_id, EventStatus.IGNORED, error=reason)

    def _failed(self, event_id: int, exc: Exception) -> Outcome:
        message = (
            exc.message if isinstance(exc, LedgerBridgeError) else f"{type(exc).__name__}: {exc}"
        )
        if not isinstance(exc, LedgerBridgeError):
            log.exception("unexpected failure while posting", event_id=event_id)
        with UnitOfWork(self.db) as uow:
            event = uow.inbox.get(event_id)
            attempts = event.attempts + 1
            if not is_retryable(exc) or self.policy.exhausted(attempts):
                uow.inbox.mark_dead(event_id, attempts=attempts, error=message)
                status = EventStatus.DEAD
            else:
                wait = self.policy.delay(
                    attempts, rng=self.rng, at_least_s=float(getattr(exc, "retry_after", 0) or 0)
                )
                uow.inbox.mark_failed(
                    event_id, attempts=attempts, next_attempt_at=self.clock() + wait, error=message
                )
                status = EventStatus.FAILED
            uow.commit()
        return Outcome(event_id, status, error=message, connection=event.connection)


class WorkerLoop(PollingLoop):
    """Runs a :class:`Worker` in a background thread: woken at once when an event is stored,
    and every ``poll_s`` seconds for retries and for events other processes stored."""

    def __init__(self, worker: Worker, *, poll_s: float = 0.5) -> None:
        super().__init__("worker", worker.run_once, poll_s=poll_s)
        self.worker = worker
