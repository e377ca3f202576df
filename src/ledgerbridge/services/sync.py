"""History sync: pull a connection's platform history into the inbox, resumably.

For each stream of the platform's puller (:mod:`ledgerbridge.sync`), page by page:

1. ask the platform for the page at the stored cursor (outside any transaction; the API client
   waits out 429s and retries dropped connections);
2. in ONE transaction, store every pulled resource in the inbox under its topic and dedupe key
   (a resource already there, from a webhook or an earlier sync, is skipped) and move the cursor
   to the next page;
3. the worker posts the new inbox rows as it posts webhooks.

Because step 2 is atomic, a sync interrupted anywhere (platform down for longer than the client's
retries, Ctrl-C, a crash) resumes at the first page it had not stored: run the same command again.
Because entries are idempotent on their source keys, a resource that also arrived by webhook
posts once, whichever came first.

Where a sync starts: ``since`` when given (a fresh pass); otherwise an unfinished pass resumes;
otherwise the last complete pass's start minus one day of overlap (clocks and late updates), or
:data:`DEFAULT_LOOKBACK` for a connection never synced.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.connectors import connector_for
from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.pipeline.enrich import source_of
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services.connections import OpenConnection, list_connections, open_connection
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.sync_cursors import SyncCursorRepository
from ledgerbridge.store.unit_of_work import UnitOfWork
from ledgerbridge.sync.base import Page, Stream
from ledgerbridge.sync.http import ApiClient
from ledgerbridge.sync.registry import puller_for, syncable_platforms

log = structlog.get_logger("ledgerbridge.sync")

DEFAULT_LOOKBACK = dt.timedelta(days=30)
OVERLAP = dt.timedelta(days=1)


class CursorStuck(LedgerBridgeError):
    """The platform handed back the cursor we asked with: paging would never end."""

    code = "sync_cursor_stuck"
    exit_code = 1


@dataclass
class StreamReport:
    stream: str
    since: dt.date
    resumed: bool = False
    pages: int = 0
    pulled: int = 0
    new: int = 0
    """Pulled resources the inbox did not hold yet."""
    complete: bool = False
    error: str | None = None
    event_ids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "since": self.since.isoformat(),
            "resumed": self.resumed,
            "pages": self.pages,
            "pulled": self.pulled,
            "new": self.new,
            "complete": self.complete,
            "error": self.error,
        }


@dataclass
class SyncReport:
    connection: str
    platform: str
    streams: list[StreamReport] = field(default_factory=list)
    requests: int = 0
    retries: int = 0

    @property
    def complete(self) -> bool:
        return all(stream.complete for stream in self.streams)

    @property
    def event_ids(self) -> list[int]:
        return [event_id for stream in self.streams for event_id in stream.event_ids]

    def as_json(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "platform": self.platform,
            "complete": self.complete,
            "requests": self.requests,
            "retries": self.retries,
            "streams": [stream.as_json() for stream in self.streams],
        }


ProgressHook = Callable[[str, int, int | None], None]
"""Called after each stored page with (stream, items in the page, stream total if known)."""


def syncable(db: Database, box: SecretBox) -> list[OpenConnection]:
    """Connections a catch-up can pull: a platform with a puller, and API credentials."""
    platforms = syncable_platforms()
    opened = [open_connection(stored, box) for stored in list_connections(db)]
    return [c for c in opened if c.platform in platforms and c.api_token]


def sync_connection(
    db: Database,
    box: SecretBox,
    name: str,
    *,
    since: dt.date | None = None,
    clock: Clock = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    progress: ProgressHook | None = None,
    on_stored: Callable[[int], None] | None = None,
) -> SyncReport:
    """Pull ``name``'s history into the inbox; see the module docstring.

    Raises UnknownConnection, SyncUnsupported (no puller for the platform), InvalidInput (no API
    credentials). Platform errors do not raise: they stop the sync, are recorded on the stream's
    cursor and in the report (``complete`` False), and the next run resumes.
    """
    with UnitOfWork(db, read_only=True) as uow:
        stored = uow.connections.get(name)
    connection = open_connection(stored, box)
    puller = puller_for(connection.platform)
    if not connection.api_token:
        raise InvalidInput(
            f"connection {name!r} has no API token; history is read through the platform's "
            "API (connections add --api-token)",
            field="api_token",
        )
    source = source_of(connection)
    report = SyncReport(connection=name, platform=connection.platform)
    client = puller.client(source, sleep=sleep)
    try:
        for stream in puller.streams(source):
            stream_report = _start(db, connection, stream.name, since=since, clock=clock)
            report.streams.append(stream_report)
            _pull(db, connection, stream, stream_report, client, clock, progress, on_stored)
            if not stream_report.complete:
                break  # later streams may depend on this one (refunds on orders): stop here
    finally:
        report.requests, report.retries = client.requests, client.retries
        client.close()
    log.info("sync finished", **report.as_json())
    return report


def _start(
    db: Database, connection: OpenConnection, stream: str, *, since: dt.date | None, clock: Clock
) -> StreamReport:
    """Resume an unfinished pass, or begin a new one at the right date."""
    now = clock()
    with UnitOfWork(db) as uow:
        cursors = SyncCursorRepository(uow.connection)
        state = cursors.get(connection.stored.id, stream)
        if state is not None and state.resumable and (since is None or since == state.since):
            return StreamReport(stream=stream, since=state.since, resumed=True)
        if since is None:
            if state is not None and state.finished_at is not None:
                since = state.started_at.date() - OVERLAP
            else:
                since = now.date() - DEFAULT_LOOKBACK
        cursors.start(connection.stored.id, stream, since=since, now=now)
        uow.commit()
    return StreamReport(stream=stream, since=since)


def _pull(
    db: Database,
    connection: OpenConnection,
    stream: Stream,
    report: StreamReport,
    client: ApiClient,
    clock: Clock,
    progress: ProgressHook | None,
    on_stored: Callable[[int], None] | None,
) -> None:
    with UnitOfWork(db, read_only=True) as uow:
        state = SyncCursorRepository(uow.connection).get(connection.stored.id, stream.name)
    cursor = state.cursor if state is not None else None
    while True:
        try:
            page = stream.page(client, since=report.since, cursor=cursor)
            if page.cursor is not None and page.cursor == cursor:
                raise CursorStuck(
                    f"{connection.platform} returned the same {stream.name} cursor twice"
                )
        except LedgerBridgeError as exc:
            report.error = f"{exc.code}: {exc.message}"
            with UnitOfWork(db) as uow:
                SyncCursorRepository(uow.connection).fail(
                    connection.stored.id, stream.name, error=report.error, now=clock()
                )
                uow.commit()
            log.warning(
                "sync stopped", connection=connection.name, stream=stream.name, error=report.error
            )
            return
        _store_page(db, connection, stream.name, page, report, clock, on_stored)
        if progress is not None:
            progress(stream.name, len(page.items), page.total)
        if page.cursor is None:
            report.complete = True
            return
        cursor = page.cursor


def _store_page(
    db: Database,
    connection: OpenConnection,
    stream: str,
    page: Page,
    report: StreamReport,
    clock: Clock,
    on_stored: Callable[[int], None] | None,
) -> None:
    supported = connector_for(connection.platform).supported_topics
    now = clock()
    new_ids: list[int] = []
    with UnitOfWork(db) as uow:
        for item in page.items:
            status = EventStatus.RECEIVED if item.topic in supported else EventStatus.IGNORED
            event_id, duplicate = uow.inbox.store(
                connection_id=connection.stored.id,
                external_id=item.external_id,
                topic=item.topic,
                status=status,
                headers=dict(item.headers),
                body=item.body,
                now=now,
            )
            if not duplicate and status is EventStatus.RECEIVED:
                new_ids.append(event_id)
        SyncCursorRepository(uow.connection).advance(
            connection.stored.id, stream, cursor=page.cursor, pulled=len(page.items), now=now
        )
        if on_stored is not None:
            uow.after_commit(_announce(on_stored, new_ids))
        uow.commit()
    report.pages += 1
    report.pulled += len(page.items)
    report.new += len(new_ids)
    report.event_ids.extend(new_ids)


def _announce(on_stored: Callable[[int], None], event_ids: list[int]) -> Callable[[], None]:
    def announce() -> None:
        for event_id in event_ids:
            on_stored(event_id)

    return announce


def catch_up(
    db: Database,
    box: SecretBox,
    *,
    days: int,
    clock: Clock = utcnow,
    connections: Iterable[OpenConnection] | None = None,
) -> list[SyncReport]:
    """One catch-up round: the last ``days`` of every syncable connection (``serve`` runs this
    periodically). A failing connection is logged and does not stop the others."""
    since = clock().date() - dt.timedelta(days=days)
    reports = []
    for connection in connections if connections is not None else syncable(db, box):
        try:
            reports.append(sync_connection(db, box, connection.name, since=since, clock=clock))
        except LedgerBridgeError as exc:
            log.warning("catch-up skipped", connection=connection.name, error=exc.message)
    return reports
