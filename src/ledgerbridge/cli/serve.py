"""``serve`` (HTTP + in-process worker) and ``worker`` (workers alone, for scale-out)."""

from __future__ import annotations

import datetime as dt
import signal
import threading
from typing import Annotated

import typer
import uvicorn

from ledgerbridge.api.app import create_app
from ledgerbridge.cli.common import DatabaseUrl, console, handles_errors
from ledgerbridge.clock import utcnow
from ledgerbridge.logs import configure_logging
from ledgerbridge.pipeline.daily import DailyReconciliation
from ledgerbridge.pipeline.periodic import Periodic
from ledgerbridge.pipeline.target_writer import TargetDispatcher, TargetLoop
from ledgerbridge.pipeline.worker import WorkerLoop
from ledgerbridge.runtime import Runtime
from ledgerbridge.services import sync
from ledgerbridge.services.payout_pull import pull_and_post


@handles_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Only receive; run `ledgerbridge worker` apart.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Receive webhooks and post them, until stopped."""
    runtime = Runtime.load(database_url)
    configure_logging(runtime.settings.log_format)
    app = create_app(runtime.app_state(with_worker=not no_worker))
    daily = None
    if runtime.settings.reconcile_every_hours > 0:
        daily = DailyReconciliation(
            runtime.db,
            interval=dt.timedelta(hours=runtime.settings.reconcile_every_hours),
            notify_url=runtime.settings.discrepancy_webhook,
            before=lambda: pull_and_post(
                runtime.db,
                runtime.box,
                runtime.worker(),
                since=utcnow().date() - dt.timedelta(days=31),
            ),
        )
        daily.start()
    catch_up = None
    if runtime.settings.catchup_every_minutes > 0:
        # Heal missed webhooks: pull the last days of every connection with API access; what
        # the inbox already holds is skipped, and the worker posts the rest.
        catch_up = Periodic(
            "catch-up",
            lambda: sync.catch_up(runtime.db, runtime.box, days=runtime.settings.catchup_days),
            interval=dt.timedelta(minutes=runtime.settings.catchup_every_minutes),
            first_delay=dt.timedelta(seconds=30),
        )
        catch_up.start()
    # Entries for a mapping's target tables (the user's own accounting schema) leave through
    # the outbox; with no target mapped this loop finds nothing to do.
    target = None if no_worker else TargetLoop(TargetDispatcher(runtime.db))
    if target is not None:
        target.start()
    console.print(f"ledgerbridge serving on http://{host}:{port} (book: {runtime.db.url})")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        if daily is not None:
            daily.stop()
        if catch_up is not None:
            catch_up.stop()
        if target is not None:
            target.stop()


@handles_errors
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker threads in this process.")] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Post stored events until stopped (SIGINT/SIGTERM); run several for scale-out."""
    runtime = Runtime.load(database_url)
    configure_logging(runtime.settings.log_format)
    loops = [WorkerLoop(runtime.worker()) for _ in range(max(1, concurrency))]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    target = TargetLoop(TargetDispatcher(runtime.db))
    for loop in loops:
        loop.start()
    target.start()
    console.print(f"{len(loops)} worker(s) posting from {runtime.db.url}; Ctrl-C to stop.")
    stop.wait()
    for loop in loops:
        loop.stop()
    target.stop()
