"""The ``ledgerbridge`` command line (also ``python -m ledgerbridge``)."""

from __future__ import annotations

import logging

import typer

from ledgerbridge.cli.apikeys import apikeys_app
from ledgerbridge.cli.audit import audit_app
from ledgerbridge.cli.books import accounts_app, init
from ledgerbridge.cli.connections import connections_app
from ledgerbridge.cli.demo import demo
from ledgerbridge.cli.entries import entries_app
from ledgerbridge.cli.events import events_app, ingest
from ledgerbridge.cli.fx import fx_app
from ledgerbridge.cli.mapping import mapping_app
from ledgerbridge.cli.reconcile import close_app, discrepancies_app, reconcile, statements_app
from ledgerbridge.cli.reports import export, report_app
from ledgerbridge.cli.secrets import secrets_app
from ledgerbridge.cli.serve import serve, worker
from ledgerbridge.cli.sync import sync
from ledgerbridge.cli.target import target_app
from ledgerbridge.config import Settings
from ledgerbridge.logs import configure_logging

app = typer.Typer(
    name="ledgerbridge",
    help="Every online sale in the books, correct to the cent.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _logs_to_stderr() -> None:
    """Logs go to standard error, so standard output stays clean for ``--json``."""
    configure_logging(Settings().log_format, level=logging.WARNING)


app.command("init")(init)
app.add_typer(accounts_app, name="accounts")
app.add_typer(entries_app, name="entries")
app.add_typer(report_app, name="report")
app.add_typer(audit_app, name="audit")
app.add_typer(connections_app, name="connections")
app.add_typer(events_app, name="events")
app.add_typer(mapping_app, name="mapping")
app.command("ingest")(ingest)
app.command("serve")(serve)
app.command("worker")(worker)
app.command("sync")(sync)
app.add_typer(target_app, name="target")
app.command("demo")(demo)
app.command("export")(export)
app.add_typer(fx_app, name="fx")
app.add_typer(apikeys_app, name="apikeys")
app.add_typer(statements_app, name="statements")
app.command("reconcile")(reconcile)
app.add_typer(discrepancies_app, name="discrepancies")
app.add_typer(close_app, name="close")
app.add_typer(secrets_app, name="secrets")


def main() -> None:
    app()
