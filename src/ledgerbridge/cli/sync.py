"""``sync``: pull platform history through the APIs into the inbox, then post it."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from ledgerbridge.cli.common import (
    DatabaseUrl,
    JsonOutput,
    console,
    fail,
    handles_errors,
    parse_date,
    print_json,
)
from ledgerbridge.pipeline.worker import Outcome
from ledgerbridge.runtime import Runtime
from ledgerbridge.services import sync as service
from ledgerbridge.store.inbox import EventStatus


@handles_errors
def sync(
    connection: Annotated[
        str | None,
        typer.Option(help="Connection to sync (default: every connection with API access)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Pull history from this date (YYYY-MM-DD), starting a fresh pass. Without it an "
            "interrupted sync resumes, else the last sync's start minus a day."
        ),
    ] = None,
    post: Annotated[
        bool, typer.Option("--post/--no-post", help="Post what was pulled before exiting.")
    ] = True,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Backfill or catch up a connection's history; safe to repeat, resumes where it stopped."""
    start = parse_date(since, "--since")
    runtime = Runtime.load(database_url)
    names = (
        [connection] if connection else [c.name for c in service.syncable(runtime.db, runtime.box)]
    )
    if not names:
        raise fail("no connection has both a platform we can sync and an API token")
    reports: list[service.SyncReport] = []
    outcomes: list[Outcome] = []
    with _progress(json_output) as progress:
        tasks: dict[str, TaskID] = {}
        for name in names:

            def advance(stream: str, count: int, total: int | None, name: str = name) -> None:
                label = f"{name} {stream}"
                if label not in tasks:
                    tasks[label] = progress.add_task(label, total=total)
                progress.update(tasks[label], advance=count, total=total)

            reports.append(
                service.sync_connection(
                    runtime.db, runtime.box, name, since=start, progress=advance
                )
            )
        new_ids = [event_id for report in reports for event_id in report.event_ids]
        if post and new_ids:
            worker = runtime.worker()
            task = progress.add_task("posting", total=len(new_ids))
            for event_id in new_ids:
                outcomes.append(worker.process(event_id))
                progress.advance(task)
    summary = _summary(reports, outcomes)
    if json_output:
        print_json(summary)
    else:
        _print(summary)
    if not all(report.complete for report in reports) or summary["posting"]["dead"]:
        raise typer.Exit(1)


def _progress(json_output: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=json_output,
    )


def _summary(reports: list[service.SyncReport], outcomes: list[Outcome]) -> dict[str, Any]:
    counts = {status: 0 for status in ("posted", "ignored", "waiting", "dead")}
    for outcome in outcomes:
        if outcome.status is EventStatus.POSTED:
            counts["posted"] += 1
        elif outcome.status is EventStatus.DEAD:
            counts["dead"] += 1
        elif outcome.status is EventStatus.IGNORED:
            counts["ignored"] += 1
        else:
            counts["waiting"] += 1
    return {
        "connections": [report.as_json() for report in reports],
        "posting": counts,
        "errors": [
            {"event_id": o.event_id, "error": o.error}
            for o in outcomes
            if o.status in (EventStatus.DEAD, EventStatus.FAILED) and o.error
        ],
    }


def _print(summary: dict[str, Any]) -> None:
    for report in summary["connections"]:
        for stream in report["streams"]:
            state = (
                "complete"
                if stream["complete"]
                else f"[red]stopped[/]: {stream['error']} (run again to resume)"
            )
            resumed = " (resumed)" if stream["resumed"] else ""
            console.print(
                f"{report['connection']} {stream['stream']} since {stream['since']}{resumed}: "
                f"{stream['pulled']} pulled in {stream['pages']} pages, {stream['new']} new; "
                f"{state}"
            )
    posting = summary["posting"]
    console.print(
        f"Posted {posting['posted']}, ignored {posting['ignored']}, waiting to retry "
        f"{posting['waiting']}, dead {posting['dead']}."
    )
    for error in summary["errors"]:
        console.print(f"  event {error['event_id']}: {error['error']}")
