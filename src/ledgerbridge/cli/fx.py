"""``fx rates``: the exchange rates the book would post with on a date, and where they come from.

One line per currency: the value of one unit in the book's base currency, the publication
date actually used (flagged when it is not the date asked for: a weekend, a holiday, or a
rate not published yet), and the source. The provider is the book's own
(``LEDGERBRIDGE_FX_PROVIDER``), so what this prints is what posting would use.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ledgerbridge.cli.common import (
    DatabaseUrl,
    JsonOutput,
    console,
    handles_errors,
    parse_date,
    print_json,
)
from ledgerbridge.clock import utcnow
from ledgerbridge.fx import CurrencyRate, close_provider, provider, rates_on
from ledgerbridge.runtime import Runtime
from ledgerbridge.store.unit_of_work import UnitOfWork

fx_app = typer.Typer(help="Exchange rates.", no_args_is_help=True)


@fx_app.callback()
def _fx() -> None:
    """Exchange rates from the book's provider (LEDGERBRIDGE_FX_PROVIDER)."""
    # A callback keeps ``fx`` a command group even while ``rates`` is its only command.


@fx_app.command("rates")
@handles_errors
def rates(
    date: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (default: today, UTC).")
    ] = None,
    currency: Annotated[
        list[str] | None,
        typer.Option(
            "--currency",
            help="Currency to show; repeat for several (default: all the provider quotes).",
        ),
    ] = None,
    json_output: JsonOutput = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Rates in the book's base currency on a date, with the publication date used."""
    on = parse_date(date, "--date") or utcnow().date()
    runtime = Runtime.load(database_url)
    try:
        with UnitOfWork(runtime.db, read_only=True) as uow:
            base = uow.book.require().base_currency
        table = provider(runtime.settings.fx_provider, db=runtime.db, clock=utcnow)
        try:
            found = rates_on(table, base, on, currency or None)
        finally:
            close_provider(table)
    finally:
        runtime.db.dispose()
    if json_output:
        print_json(
            {
                "base_currency": base,
                "date": on.isoformat(),
                "rates": [row.as_json() for row in found],
            }
        )
        return
    _print_table(found, base, on.isoformat())


def _print_table(found: list[CurrencyRate], base: str, on: str) -> None:
    table = Table("currency", f"1 unit in {base}", "published", "source", title=f"Rates on {on}")
    for row in found:
        published = row.rate.date.isoformat()
        if published != on:
            published += " *"
            table.caption = f"* the last publication before {on} (weekend, holiday, or not out yet)"
        table.add_row(row.currency, f"{row.rate.value:f}", published, row.rate.source)
    console.print(table)
