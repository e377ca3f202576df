"""The ``ledgerbridge`` command line (also ``python -m ledgerbridge``)."""

from __future__ import annotations

import typer

from ledgerbridge.cli.audit import audit_app
from ledgerbridge.cli.books import accounts_app, init
from ledgerbridge.cli.entries import entries_app
from ledgerbridge.cli.reports import report_app

app = typer.Typer(
    name="ledgerbridge",
    help="Every online sale in the books, correct to the cent.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(init)
app.add_typer(accounts_app, name="accounts")
app.add_typer(entries_app, name="entries")
app.add_typer(report_app, name="report")
app.add_typer(audit_app, name="audit")


def main() -> None:
    app()
