"""``statements import``, ``reconcile``, ``discrepancies list|resolve``."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from ledgerbridge.cli.common import (
    DatabaseUrl,
    JsonOutput,
    console,
    fail,
    handles_errors,
    open_db,
    parse_date,
    print_json,
)
from ledgerbridge.clock import utcnow
from ledgerbridge.services import close
from ledgerbridge.services import discrepancies as resolutions
from ledgerbridge.services import reconcile as reconciliation
from ledgerbridge.services.statements import import_statement

statements_app = typer.Typer(help="Bank statements.", no_args_is_help=True)
discrepancies_app = typer.Typer(help="What reconciliation flagged.", no_args_is_help=True)


@statements_app.command("import")
@handles_errors
def import_(
    file: Annotated[str, typer.Argument(help="CAMT.053, MT940, OFX/QFX, BAI2 or CSV file.")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto, camt053, mt940, ofx, bai2 or csv.")
    ] = "auto",
    bank_account: Annotated[
        str | None, typer.Option(help="Ledger account the statement is for (default: bank).")
    ] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Import a statement; lines already imported are skipped, a broken file is refused whole."""
    data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    used, reports = import_statement(
        open_db(database_url), data, fmt=fmt, bank_account=bank_account
    )
    if json_output:
        print_json({"format": used, "statements": [r.as_json() for r in reports]})
        return
    for r in reports:
        gap = (
            ""
            if r.balance_gap in (None, "0", "0.00", "0.000")
            else (f"  [red]opening + lines differs from closing by {r.balance_gap}[/]")
        )
        console.print(
            f"{used} {r.account or ''} {r.currency}: {r.lines} lines, {r.added} new, "
            f"{r.skipped} already imported{gap}"
        )


@handles_errors
def reconcile(
    date_from: Annotated[
        str | None, typer.Option("--from", help="First date (default: 30 days ago).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date (default: today).")] = None,
    window_business_days: Annotated[
        int, typer.Option(help="Days a deposit may be early or late.")
    ] = 3,
    fail_on_discrepancy: Annotated[
        bool, typer.Option("--fail-on-discrepancy", help="Exit 1 when anything is open.")
    ] = False,
    pull: Annotated[
        bool,
        typer.Option(
            "--pull/--no-pull",
            help="First fetch payouts no webhook announces "
            "(Shopify Payments) from connections with API access.",
        ),
    ] = True,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Match payouts to bank deposits and flag what does not match (for cron)."""
    end = parse_date(date_to, "--to") or utcnow().date()
    start = parse_date(date_from, "--from") or end.replace(day=1)
    if start > end:
        raise fail("--from is after --to")
    with Progress(console=console, transient=True, disable=json_output) as progress:
        progress.add_task("Reconciling", total=None)
        report = reconciliation.run(
            open_db(database_url),
            date_from=start,
            date_to=end,
            window_business_days=window_business_days,
        )
    data = report.as_json()
    if json_output:
        print_json(data)
    else:
        summary = data["summary"]
        console.print(
            f"{start} to {end}: {summary['matched']} of {summary['deposits']} deposits "
            f"matched ({summary['auto_match_rate']}), {summary['new_discrepancies']} "
            f"new discrepancies, {summary['open_discrepancies']} open."
        )
        for d in data["discrepancies"]:
            console.print(f"  [yellow]{d['kind']}[/] {d['reason']}")
    if fail_on_discrepancy and report.open_discrepancies:
        raise typer.Exit(1)


@discrepancies_app.command("list")
@handles_errors
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Open discrepancies (or all), oldest first."""
    found = resolutions.listed(open_db(database_url), status=None if all_ else "open")
    rows = [resolutions.as_json(d) for d in found]
    if json_output:
        print_json({"discrepancies": rows})
        return
    table = Table("id", "kind", "status", "reason")
    for d in found:
        table.add_row(str(d.id), d.kind, d.status, d.reason)
    console.print(table)


@discrepancies_app.command("resolve")
@handles_errors
def resolve(
    discrepancy_id: Annotated[int, typer.Argument(help="Discrepancy id.")],
    action: Annotated[resolutions.Action, typer.Option(help="accept, write-off or match.")],
    note: Annotated[str, typer.Option(help="Why; kept in the audit trail.")],
    payout: Annotated[str | None, typer.Option(help="For match: CONNECTION:PAYOUT_ID.")] = None,
    line: Annotated[int | None, typer.Option(help="For match: the bank line id.")] = None,
    by: Annotated[str | None, typer.Option(help="Who resolves it (default: your user).")] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Close a discrepancy, booking the adjusting entry where one is needed."""
    target = None
    if payout is not None:
        connection, sep, payout_id = payout.partition(":")
        if not sep or not payout_id:
            raise fail("--payout takes CONNECTION:PAYOUT_ID")
        target = (connection, payout_id)
    entry_id = resolutions.resolve(
        open_db(database_url),
        discrepancy_id,
        action=action,
        note=note,
        by=by or getpass.getuser(),
        payout=target,
        bank_line_id=line,
    )
    if json_output:
        print_json({"id": discrepancy_id, "action": action.value, "entry_id": entry_id})
    else:
        booked = f"; booked entry {entry_id}" if entry_id else ""
        console.print(f"Discrepancy {discrepancy_id} resolved ({action.value}){booked}.")


close_app = typer.Typer(help="Month-end close.", no_args_is_help=True)


@close_app.command("report")
@handles_errors
def close_report(
    month: Annotated[str, typer.Option(help="YYYY-MM.")],
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Per clearing and bank account: opening, movements, closing; match rate; open items."""
    report = close.close_report(open_db(database_url), month)
    if json_output:
        print_json(report)
        return
    columns = [
        "opening",
        "sales",
        "refunds",
        "fees",
        "payouts",
        "deposits",
        "disputes",
        "conversions",
        "adjustments",
        "other",
        "closing",
    ]
    table = Table("account", *columns, title=f"Close {month} ({report['base_currency']})")
    for row in report["accounts"]:
        table.add_row(f"{row['code']} {row['name']}", *(row.get(c, "") for c in columns))
    console.print(table)
    recon = report["reconciliation"]
    items = report["open_items"]
    console.print(
        f"Deposits matched: {recon['matched']}/{recon['deposits']} "
        f"({recon['auto_match_rate']}). Open items: {items['total']} "
        f"({len(items['discrepancies'])} discrepancies, "
        f"{items['events_needing_attention']} events)."
    )
