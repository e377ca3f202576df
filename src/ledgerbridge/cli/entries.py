"""``entries post|reverse|show``: hand-made adjustments and corrections."""

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
    handles_errors,
    open_db,
    parse_date,
    print_json,
)
from ledgerbridge.ledger.serialize import entry_dict
from ledgerbridge.manual_entries import entries_from_document, load_document
from ledgerbridge.services import books
from ledgerbridge.store.entries import PostedEntry
from ledgerbridge.store.unit_of_work import UnitOfWork

entries_app = typer.Typer(
    help="Journal entries: post adjustments, reverse, show.", no_args_is_help=True
)


@entries_app.command("post")
@handles_errors
def post(
    file: Annotated[str, typer.Argument(help="JSON or YAML entry file, or - for stdin.")],
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Post a manual entry (or several under `entries:`), all or nothing. Posting the same
    file twice posts it once."""
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    db = open_db(database_url)
    with UnitOfWork(db) as uow:
        base = uow.book.require().base_currency
    entries = entries_from_document(load_document(text, filename=file), base_currency=base)
    results = books.post_entries(db, entries)
    if json_output:
        print_json({"entries": [{"entry_id": r.entry_id, "created": r.created} for r in results]})
        return
    for result in results:
        if result.created:
            console.print(f"Posted entry {result.entry_id}.")
        else:
            console.print(f"Already posted as entry {result.entry_id}; nothing new was written.")


@entries_app.command("reverse")
@handles_errors
def reverse(
    entry_id: Annotated[int, typer.Argument(help="The entry to reverse.")],
    reason: Annotated[str, typer.Option(help="Why; kept in the entry and the audit trail.")],
    date: Annotated[str | None, typer.Option(help="Date of the reversal (default: same).")] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Post the entry that cancels ENTRY_ID (entries are never edited)."""
    result = books.reverse_entry(
        open_db(database_url), entry_id, reason=reason, date=parse_date(date, "--date")
    )
    if json_output:
        print_json({"entry_id": result.entry_id, "created": result.created})
    else:
        console.print(f"Entry {entry_id} reversed by entry {result.entry_id}.")


@entries_app.command("show")
@handles_errors
def show(
    entry_id: Annotated[int, typer.Argument(help="Entry id.")],
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """One entry with its lines."""
    with UnitOfWork(open_db(database_url)) as uow:
        posted = uow.entries.get(entry_id)
    if json_output:
        print_json({**entry_dict(posted.entry, posted.id), "reversed_by": posted.reversed_by})
    else:
        print_entry(posted)


def print_entry(posted: PostedEntry) -> None:
    entry = posted.entry
    console.print(
        f"[bold]#{posted.id}[/] {entry.date}  {entry.description}  [dim]{entry.source}[/]"
        + (f"  [yellow]reversed by #{posted.reversed_by}[/]" if posted.reversed_by else "")
    )
    table = Table("account", "debit", "credit", "currency", f"base {entry.base_currency}", "memo")
    for line in entry.lines:
        amount = line.amount.format()
        table.add_row(
            line.account,
            amount if line.side.value == "debit" else "",
            amount if line.side.value == "credit" else "",
            line.amount.currency,
            line.base_amount.format(),
            line.memo,
        )
    console.print(table)
