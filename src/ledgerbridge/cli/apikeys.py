"""``apikeys create|list|revoke``: keys for the JSON API, shown once, stored as a hash."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge import apikeys
from ledgerbridge.cli.common import (
    DatabaseUrl,
    JsonOutput,
    console,
    handles_errors,
    open_db,
    print_json,
)

apikeys_app = typer.Typer(help="API keys for the JSON API.", no_args_is_help=True)


@apikeys_app.command("create")
@handles_errors
def create(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[apikeys.Scope, typer.Option(help="read, write or admin.")],
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Make a key and print it once; only its hash is kept."""
    key = apikeys.create_key(open_db(database_url), name=name, scope=scope)
    if json_output:
        print_json({"name": name, "scope": scope.value, "key": key})
    else:
        console.print(f"API key {name!r} ({scope.value}); copy it now, it is not shown again:")
        console.print(key, markup=False, highlight=False)


@apikeys_app.command("list")
@handles_errors
def list_(database_url: DatabaseUrl = None, json_output: JsonOutput = False) -> None:
    """Every key: name, scope, public prefix, and whether it is revoked."""
    keys = apikeys.list_keys(open_db(database_url))
    if json_output:
        print_json({"keys": keys})
        return
    table = Table("name", "scope", "key", "created", "revoked")
    for k in keys:
        table.add_row(k["name"], k["scope"], k["prefix"], k["created_at"], k["revoked_at"] or "")
    console.print(table)


@apikeys_app.command("revoke")
@handles_errors
def revoke(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a key (it stops working within 30 seconds on running services)."""
    apikeys.revoke_key(open_db(database_url), name)
    console.print(f"Revoked API key {name!r}.")
