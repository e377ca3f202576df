"""``connections add|list``."""

from __future__ import annotations

import json
from typing import Annotated, Any

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
from ledgerbridge.runtime import Runtime
from ledgerbridge.services import connections as service

connections_app = typer.Typer(help="Stores and gateways that send us events.", no_args_is_help=True)


@connections_app.command("add")
@handles_errors
def add(
    platform: Annotated[
        str,
        typer.Option(help="shopify, woocommerce, stripe, bigcommerce, square, paypal or magento."),
    ],
    name: Annotated[str, typer.Option(help="Short name; the webhook URL is /webhooks/NAME.")],
    secret: Annotated[str, typer.Option(help="Webhook signing secret from the platform.")],
    api_url: Annotated[str | None, typer.Option(help="Platform API base URL.")] = None,
    api_token: Annotated[str | None, typer.Option(help="Platform API token (optional).")] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            help="Platform setting KEY=VALUE, repeatable (e.g. notification_url=https://… for "
            "Square); a VALUE that is JSON is read as JSON.",
        ),
    ] = None,
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
        settings=parse_settings(setting or []),
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


@connections_app.command("update")
@handles_errors
def update(
    name: Annotated[str, typer.Option(help="The connection to change.")],
    secret: Annotated[str | None, typer.Option(help="New webhook signing secret.")] = None,
    api_url: Annotated[str | None, typer.Option(help="Platform API base URL.")] = None,
    api_token: Annotated[
        str | None, typer.Option(help="Platform API token ('' removes API access).")
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(help="Setting KEY=VALUE to add or change, repeatable; KEY=null removes it."),
    ] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Change a connection's secret, API access or settings (then replay what waited for it)."""
    runtime = Runtime.load(database_url)
    stored = service.update_connection(
        runtime.db,
        runtime.box,
        name,
        secret=secret,
        api_url=api_url,
        api_token=api_token,
        settings=parse_settings(setting or []) or None,
    )
    if json_output:
        print_json(
            {
                "name": stored.name,
                "platform": stored.platform,
                "api_url": stored.api_url,
                "api_access": stored.api_token_encrypted is not None,
                "settings": stored.settings,
            }
        )
    else:
        console.print(f"Updated {stored.name!r}.")


def parse_settings(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` options as a settings dict; JSON values (lists, numbers, true) as JSON."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise fail(f"--setting {pair!r} is not KEY=VALUE")
        try:
            settings[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            settings[key.strip()] = value
    return settings


@connections_app.command("list")
@handles_errors
def list_(database_url: DatabaseUrl = None, json_output: JsonOutput = False) -> None:
    """Every connection with its sync status (never its secrets)."""
    rows = service.sync_status(Runtime.load(database_url).db)
    if json_output:
        print_json({"connections": rows})
        return
    table = Table(
        "name",
        "platform",
        "clearing",
        "API",
        "last event",
        "waiting",
        "dead",
        "missing detail",
        "target",
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
            _target_cell(row["target"]),
        )
    console.print(table)


def _target_cell(target: dict[str, Any] | None) -> str:
    """The mapping target's lag: entries waiting (and for how long), entries given up on."""
    if target is None:
        return "-"
    parts = []
    if target["pending"]:
        minutes = target["lag_seconds"] // 60
        parts.append(f"{target['pending']} waiting ({minutes} min)")
    if target["failed"]:
        parts.append(f"[red]{target['failed']} failed[/]")
    return ", ".join(parts) or "up to date"
