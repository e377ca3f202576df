"""``connections add|list``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import DatabaseUrl, JsonOutput, console, handles_errors, print_json
from ledgerbridge.runtime import Runtime
from ledgerbridge.services import connections as service

connections_app = typer.Typer(help="Stores and gateways that send us events.", no_args_is_help=True)


@connections_app.command("add")
@handles_errors
def add(
    platform: Annotated[str, typer.Option(help="shopify, stripe or woocommerce.")],
    name: Annotated[str, typer.Option(help="Short name; the webhook URL is /webhooks/NAME.")],
    secret: Annotated[str, typer.Option(help="Webhook signing secret from the platform.")],
    api_url: Annotated[str | None, typer.Option(help="Platform API base URL.")] = None,
    api_token: Annotated[str | None, typer.Option(help="Platform API token (optional).")] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Connect a store or gateway; its secrets are stored encrypted."""
    runtime = Runtime.load(database_url)
    stored = service.add_connection(
        runtime.db,
        runtime.box,
        name=name,
        platform=platform,
        secret=secret,
        api_url=api_url,
        api_token=api_token,
    )
    if json_output:
        print_json(
            {
                "name": stored.name,
                "platform": stored.platform,
                "clearing_account": stored.clearing_account,
                "webhook_path": f"/webhooks/{stored.name}",
            }
        )
    else:
        console.print(
            f"Connected {stored.platform} as {stored.name!r}: point its webhooks at "
            f"/webhooks/{stored.name}; its money in transit sits in account "
            f"{stored.clearing_account}."
        )


@connections_app.command("list")
@handles_errors
def list_(database_url: DatabaseUrl = None, json_output: JsonOutput = False) -> None:
    """Every connection with its sync status (never its secrets)."""
    rows = service.sync_status(Runtime.load(database_url).db)
    if json_output:
        print_json({"connections": rows})
        return
    table = Table(
        "name", "platform", "clearing", "API", "last event", "waiting", "dead", "missing detail"
    )
    for row in rows:
        table.add_row(
            row["name"],
            row["platform"],
            row["clearing_account"],
            "yes" if row["api_access"] else "webhooks only",
            (row["last_event_at"] or "never")[:19],
            str(row["waiting"]),
            f"[red]{row['dead']}[/]" if row["dead"] else "0",
            str(row["with_notices"]),
        )
    console.print(table)
