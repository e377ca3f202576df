"""``events list|show|replay`` and ``ingest`` (a payload file through the webhook path)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import (
    DatabaseUrl,
    JsonOutput,
    console,
    fail,
    handles_errors,
    print_json,
)
from ledgerbridge.clock import utcnow
from ledgerbridge.pipeline.ingest import ConnectionDirectory, receive, topic_headers
from ledgerbridge.runtime import Runtime
from ledgerbridge.services import events as service
from ledgerbridge.store.inbox import EventStatus

events_app = typer.Typer(help="Received events and the dead-letter queue.", no_args_is_help=True)


@events_app.command("list")
@handles_errors
def list_(
    status: Annotated[EventStatus | None, typer.Option(help="Only events in this state.")] = None,
    connection: Annotated[str | None, typer.Option(help="Only this connection.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Received events, newest first."""
    found = service.list_events(
        Runtime.load(database_url).db, status=status, connection=connection, limit=limit
    )
    if json_output:
        print_json({"events": [service.event_summary(e) for e in found]})
        return
    table = Table("id", "connection", "topic", "status", "attempts", "received", "error")
    for e in found:
        table.add_row(
            str(e.id),
            e.connection,
            e.topic,
            e.status.value,
            str(e.attempts),
            e.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            e.last_error or "",
        )
    console.print(table)


@events_app.command("show")
@handles_errors
def show(
    event_id: Annotated[int, typer.Argument(help="Event id.")],
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """One event: raw body, notices (missing detail) and the entries it posted."""
    data = service.show_event(Runtime.load(database_url).db, event_id)
    if json_output:
        print_json(data)
        return
    console.print(
        f"[bold]Event {data['id']}[/] {data['connection']} {data['topic']} "
        f"[{data['status']}] attempts={data['attempts']}"
    )
    if data["last_error"]:
        console.print(f"last error: {data['last_error']}")
    for notice in data["notices"]:
        console.print(f"[yellow]notice:[/] {notice.get('message')}")
    for entry in data["entries"]:
        console.print(f"entry #{entry['id']}: {entry['description']}")
    console.print(data["body"], markup=False, highlight=False)


@events_app.command("replay")
@handles_errors
def replay(
    event_id: Annotated[int | None, typer.Argument(help="Event id to replay.")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Replay every dead letter.")] = False,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Queue an event (or all dead letters) to be posted again now."""
    if (event_id is None) == (not dead):
        raise fail("give an event id or --dead (not both)")
    ids = service.replay(
        Runtime.load(database_url).db, [event_id] if event_id is not None else None, dead=dead
    )
    if json_output:
        print_json({"replayed": ids})
    else:
        console.print(f"Queued {len(ids)} event(s) to post again: {ids}")


@handles_errors
def ingest(
    file: Annotated[str, typer.Argument(help="Payload file, or - for standard input.")],
    connection: Annotated[str, typer.Option(help="Connection the payload belongs to.")],
    topic: Annotated[str, typer.Option(help="Platform topic, e.g. orders/paid.")],
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Take a payload through the webhook path without HTTP, then post it."""
    body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    runtime = Runtime.load(database_url)
    directory = ConnectionDirectory(runtime.db, runtime.box)
    opened = directory.get(connection)
    headers = topic_headers(opened.platform, topic)
    receipt = receive(runtime.db, directory, connection, body, headers, now=utcnow(), verified=True)
    outcome = runtime.worker().process(receipt.event_id) if not receipt.duplicate else None
    result = {
        "event_id": receipt.event_id,
        "duplicate": receipt.duplicate,
        "status": outcome.status.value if outcome else receipt.status.value,
        "entries": list(outcome.entry_ids) if outcome else [],
        "error": outcome.error if outcome else None,
    }
    if json_output:
        print_json(result)
    else:
        console.print(
            f"Event {result['event_id']}: {result['status']}"
            + (" (duplicate; already stored)" if receipt.duplicate else "")
            + (f", entries {result['entries']}" if result["entries"] else "")
            + (f" — {result['error']}" if result["error"] else "")
        )
    if outcome is not None and outcome.status in (EventStatus.DEAD, EventStatus.FAILED):
        raise typer.Exit(1)
