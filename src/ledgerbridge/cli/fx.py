"""``fx rates``: the exchange rates the book would post with on a date, and where they come from.

One line per currency: the value of one unit in the book's base currency, the publication
date actually used (flagged when it is not the date asked for: a weekend, a holiday, or a
rate not published yet), and the source. The provider is the book's own
(``LEDGERBRIDGE_FX_PROVIDER``), so what this prints is what posting would use.
"""

from __future__ import annotations

import datetime as dt
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
from ledgerbridge.services import revaluation
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


@fx_app.command("revalue")
@handles_errors
def revalue(
    as_of: Annotated[str, typer.Option("--as-of", help="The period end, YYYY-MM-DD.")],
    json_output: JsonOutput = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Post unrealised FX on foreign-currency balances at a period end, reversed the next day."""
    on = parse_date(as_of, "--as-of")
    assert on is not None
    runtime = Runtime.load(database_url)
    table = provider(runtime.settings.fx_provider, db=runtime.db, clock=utcnow)
    try:
        result = revaluation.revalue(runtime.db, table, as_of=on)
    finally:
        close_provider(table)
    if json_output:
        print_json(
            {
                "as_of": on.isoformat(),
                "entry_id": result.entry_id,
                "reversal_id": result.reversal_id,
                "created": result.created,
                "balances": [item.as_json() for item in result.items],
            }
        )
        return
    if not result.items:
        console.print(f"No foreign-currency balances to revalue at {on}.")
        return
    table_out = Table("account", "held", "booked", "revalued", "difference", "rate")
    for item in result.items:
        table_out.add_row(
            item.account,
            str(item.held),
            item.booked.format(),
            item.revalued.format(),
            item.difference.format(),
            f"{item.rate} ({item.rate_date})",
        )
    console.print(table_out)
    if result.entry_id is None:
        console.print("Nothing to post: every balance is already at the period-end rate.")
    elif result.created:
        console.print(
            f"Posted entry {result.entry_id}, reversed by {result.reversal_id} "
            f"on {on + dt.timedelta(days=1)}."
        )
    else:
        console.print(f"Already revalued at {on} (entry {result.entry_id}); nothing new posted.")
