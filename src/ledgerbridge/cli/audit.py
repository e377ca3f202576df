"""``audit verify``: exit 0 when the chain and the ledger agree, 1 naming the first problem."""

from __future__ import annotations

import typer

from ledgerbridge.cli.common import DatabaseUrl, JsonOutput, console, handles_errors, open_db
from ledgerbridge.cli.common import print_json as _print_json
from ledgerbridge.services import audit as audit_service

audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@audit_app.command("verify")
@handles_errors
def verify(database_url: DatabaseUrl = None, json_output: JsonOutput = False) -> None:
    """Re-hash the audit chain and compare every entry with what was recorded."""
    report = audit_service.verify(open_db(database_url))
    if json_output:
        _print_json(report.as_json())
    elif report.ok:
        console.print(
            f"[green]OK[/]: {report.records} audit records chain correctly and "
            f"{report.entries} entries match what was posted."
        )
    else:
        first = report.problems[0]
        console.print(f"[bold red]TAMPERED[/]: {first.where}: {first.reason}.")
        for problem in report.problems[1:]:
            console.print(f"  also {problem.where}: {problem.reason}.")
    if not report.ok:
        raise typer.Exit(1)
