"""``target requeue``: send failed deliveries to a mapping's target tables again."""

from __future__ import annotations

from typing import Annotated

import typer

from ledgerbridge.cli.common import DatabaseUrl, JsonOutput, console, handles_errors, print_json
from ledgerbridge.pipeline.target_writer import requeue_failed
from ledgerbridge.runtime import Runtime

target_app = typer.Typer(
    help="Entries written into your own accounting tables (a mapping's target).",
    no_args_is_help=True,
)


@target_app.command("requeue")
@handles_errors
def requeue(
    connection: Annotated[
        str | None, typer.Option(help="Only this connection's failed deliveries.")
    ] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Make failed target deliveries due again, once the target or the mapping is fixed; rows
    that did land are recognised and not written twice."""
    count = requeue_failed(Runtime.load(database_url).db, connection=connection)
    if json_output:
        print_json({"requeued": count})
    else:
        console.print(f"{count} failed target deliveries queued again.")
