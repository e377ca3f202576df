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
    """Every connection, without its secrets."""
    found = service.list_connections(Runtime.load(database_url).db)
    rows = [
        {
            "name": c.name,
            "platform": c.platform,
            "clearing_account": c.clearing_account,
            "api": bool(c.api_token_encrypted),
            "api_url": c.api_url,
        }
        for c in found
    ]
    if json_output:
        print_json({"connections": rows})
        return
    table = Table("name", "platform", "clearing account", "API access")
    for c in found:
        table.add_row(
            c.name,
            c.platform,
            c.clearing_account,
            "yes" if c.api_token_encrypted else "webhooks only",
        )
    console.print(table)
