"""``report trial-balance|journal`` and ``export``."""

from __future__ import annotations

import sys
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
from ledgerbridge.cli.entries import print_entry
from ledgerbridge.services import reports

report_app = typer.Typer(help="Trial balance and journal.", no_args_is_help=True)


@report_app.command("trial-balance")
@handles_errors
def trial_balance(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Last date included.")] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Debits, credits and balance per account, in the base currency."""
    tb = reports.trial_balance(open_db(database_url), as_of=parse_date(as_of, "--as-of"))
    if json_output:
        print_json(tb.as_json())
        return
    table = Table(
        "code",
        "account",
        "type",
        "debit",
        "credit",
        "balance",
        title=f"Trial balance ({tb.base_currency})" + (f" as of {tb.as_of}" if tb.as_of else ""),
    )
    for row in tb.rows:
        table.add_row(
            row.code,
            row.name,
            row.type.value,
            row.debit.format(),
            row.credit.format(),
            row.balance.format(),
        )
    table.add_section()
    table.add_row(
        "",
        "Total",
        "",
        tb.total_debit.format(),
        tb.total_credit.format(),
        (tb.total_debit - tb.total_credit).format(),
    )
    console.print(table)


@report_app.command("journal")
@handles_errors
def journal(
    date_from: Annotated[str | None, typer.Option("--from", help="First date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date.")] = None,
    dimension: Annotated[
        list[str] | None,
        typer.Option(
            "--dimension",
            help="Only entries recording KEY=VALUE on the entry or a line; repeat to require "
            "several.",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Every entry in the period with its lines."""
    start, end = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    wanted = reports.dimension_filter(dimension or [], separator="=", option="--dimension")
    entries = reports.journal(
        open_db(database_url), date_from=start, date_to=end, dimensions=wanted
    )
    if json_output:
        print_json(reports.journal_json(entries, start, end, wanted))
        return
    if not entries:
        console.print("No entries in this period.")
    for posted in entries:
        print_entry(posted)


@handles_errors
def export(
    fmt: Annotated[str, typer.Option("--format", help="csv, beancount or ledger.")],
    date_from: Annotated[str | None, typer.Option("--from", help="First date.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the journal to standard output in another tool's format."""
    text = reports.export(
        open_db(database_url),
        fmt,
        date_from=parse_date(date_from, "--from"),
        date_to=parse_date(date_to, "--to"),
    )
    sys.stdout.write(text)
