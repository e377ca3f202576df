"""``mapping show|set|test|schema``: a connection's mapping document, its versions, a dry run."""

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
    err_console,
    handles_errors,
    print_json,
)
from ledgerbridge.fx import provider
from ledgerbridge.mapping.schema import document_schema
from ledgerbridge.mapping.validate import MappingInvalid
from ledgerbridge.runtime import Runtime
from ledgerbridge.services import mapping as service

mapping_app = typer.Typer(
    help="Custom mapping per connection: fields, dimensions, account rules, target tables.",
    no_args_is_help=True,
)

Connection = Annotated[str, typer.Option("--connection", help="The connection's name.")]


def _read(file: str) -> tuple[str, str]:
    if file == "-":
        return sys.stdin.read(), ""
    return Path(file).read_text(encoding="utf-8"), file


@mapping_app.command("show")
@handles_errors
def show(
    connection: Annotated[
        str | None, typer.Option("--connection", help="Only this connection.")
    ] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Each connection's mapping versions and which one is active."""
    shown = service.show(Runtime.load(database_url).db, connection)
    if json_output:
        print_json(shown)
        return
    table = Table("connection", "active", "version", "sha256", "set by", "set at")
    for item in shown["mappings"]:
        if not item["versions"]:
            table.add_row(item["connection"], "none", "", "", "", "")
        for version in reversed(item["versions"]):
            active = version["version"] == item["active_version"]
            table.add_row(
                item["connection"],
                "[green]active[/]" if active else "",
                str(version["version"]),
                version["document_sha256"][:12],
                version["created_by"] or "",
                version["created_at"][:19],
            )
    console.print(table)


@mapping_app.command("set")
@handles_errors
def set_(
    connection: Connection,
    file: Annotated[str, typer.Argument(help="The mapping document, YAML or JSON (- for stdin).")],
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Check a mapping and make it the connection's active version; it applies to the next
    event. Exit 2 with every problem and its path when it has any (nothing is set then)."""
    text, name = _read(file)
    runtime = Runtime.load(database_url)
    data = service.load_document(text, filename=name)
    try:
        result = service.set_mapping(runtime.db, connection, data, created_by="cli")
    except MappingInvalid as exc:
        if json_output:
            print_json({"error": exc.as_dict()})
        else:
            count = len(exc.problems)
            err_console.print(
                f"[bold red]error:[/] the mapping has {count} problem"
                f"{'s' if count != 1 else ''}; nothing was set:",
                highlight=False,
            )
            for problem in exc.problems:
                err_console.print(f"  {problem}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    if json_output:
        print_json(result.as_json())
    elif result.created:
        console.print(
            f"Mapping version {result.version} is now active for {connection!r}; "
            "it applies from the next event."
        )
    else:
        console.print(
            f"This document is already version {result.version} of {connection!r}; nothing changed."
        )


@mapping_app.command("test")
@handles_errors
def test(
    connection: Connection,
    topic: Annotated[str, typer.Option("--topic", help="The topic a webhook would carry.")],
    file: Annotated[str, typer.Argument(help="A platform payload, JSON (- for stdin).")],
    mapping_file: Annotated[
        str | None,
        typer.Option("--mapping", help="Try this document instead of the active version."),
    ] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Show the entries a payload would post under the mapping, without posting anything."""
    body = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    runtime = Runtime.load(database_url)
    candidate = None
    if mapping_file is not None:
        text, name = _read(mapping_file)
        candidate = service.load_document(text, filename=name)
    result = service.test_mapping(
        runtime.db,
        connection,
        topic,
        body,
        rates=provider(runtime.settings.fx_provider, db=runtime.db),
        document=candidate,
    )
    if json_output:
        print_json(result)
        return
    version = result["mapping_version"]
    under = "the candidate mapping" if result["candidate"] else f"mapping version {version}"
    if version is None and not result["candidate"]:
        under = "no mapping"
    console.print(f"Dry run on {connection!r} under {under}; nothing was posted.")
    for entry in result["entries"]:
        _print_entry(entry)
    if not result["entries"]:
        console.print("It would post nothing.")
    for notice in result["notices"]:
        console.print(f"[yellow]notice:[/] {notice['message']}", highlight=False)


def _print_entry(entry: dict[str, object]) -> None:
    dims = entry.get("dimensions") or {}
    title = f"{entry['date']}  {entry['description']}"
    table = Table("account", "debit", "credit", "currency", "memo", "dimensions", title=title)
    for line in entry["lines"]:  # type: ignore[attr-defined]
        debit = line["amount"] if line["side"] == "debit" else ""
        credit = line["amount"] if line["side"] == "credit" else ""
        extra = ", ".join(f"{k}={v}" for k, v in sorted(line["dimensions"].items()))
        table.add_row(line["account"], debit, credit, line["currency"], line["memo"], extra)
    console.print(table)
    if dims:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(dims.items()))  # type: ignore[attr-defined]
        console.print(f"  entry dimensions: {shown}", highlight=False)


@mapping_app.command("schema")
@handles_errors
def schema() -> None:
    """Print the mapping document's JSON Schema (for editors)."""
    print_json(document_schema())
