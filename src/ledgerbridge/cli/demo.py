"""``demo``: drive the built-in demo shop against a running server and show the books move."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.progress import Progress

from ledgerbridge.cli.common import DatabaseUrl, JsonOutput, console, handles_errors, print_json
from ledgerbridge.cli.reports import trial_balance
from ledgerbridge.demo import driver
from ledgerbridge.runtime import Runtime


@handles_errors
def demo(
    orders: Annotated[int, typer.Option(help="How many orders the demo shop sells.")] = 12,
    url: Annotated[str, typer.Option(help="The running ledgerbridge.")] = "http://127.0.0.1:8000",
    seed: Annotated[int, typer.Option(help="Change it for a different day.")] = 7,
    setup_only: Annotated[
        bool, typer.Option("--setup-only", help="Only connect the demo shop; send nothing.")
    ] = False,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Sell, refund and pay out a simulated day through signed webhooks."""
    runtime = Runtime.load(database_url)
    driver.ensure_connections(runtime.db, runtime.box)
    if setup_only:
        if not json_output:
            console.print(
                f"Demo shop connected: {driver.SHOP} (Shopify) paid through "
                f"{driver.GATEWAY} (Stripe)."
            )
        return
    today = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    with Progress(console=console, transient=True, disable=json_output) as progress:
        task = progress.add_task("Selling", total=orders + 1)
        sent = driver.run_day(
            url,
            orders=orders,
            start=today,
            seed=seed + today.toordinal(),
            advance=lambda: progress.advance(task),
        )
    counts = driver.wait_until_posted(runtime.db)
    if json_output:
        print_json({"accepted": sent.accepted, "refused": sent.refused, "events": counts})
        return
    console.print(f"Sent {sent.accepted} signed webhooks; events now: {counts}")
    for problem in sent.refused:
        console.print(f"[red]refused[/] {problem}")
    trial_balance(as_of=None, database_url=database_url, json_output=False)
    console.print("Try: ledgerbridge report journal   ·   ledgerbridge events list")
