"""``init`` and ``accounts add|rename|list``."""

from __future__ import annotations

from typing import Annotated

import typer
from cryptography.fernet import Fernet
from rich.table import Table

from ledgerbridge.cli.common import (
    DatabaseUrl,
    JsonOutput,
    console,
    handles_errors,
    open_db,
    print_json,
)
from ledgerbridge.config import Settings
from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.services import books
from ledgerbridge.store.unit_of_work import UnitOfWork

accounts_app = typer.Typer(help="The chart of accounts.", no_args_is_help=True)


def _ensure_secret_key(settings: Settings) -> str | None:
    """Create the key file that encrypts connection secrets, unless a key is configured."""
    if settings.secret_key or settings.key_file.exists():
        return None
    settings.key_file.write_bytes(Fernet.generate_key())
    settings.key_file.chmod(0o600)
    return str(settings.key_file)


@handles_errors
def init(
    database_url: DatabaseUrl = None,
    base_currency: Annotated[
        str | None, typer.Option(help="The book's currency (ISO 4217); fixed for good.")
    ] = None,
    chart: Annotated[str, typer.Option(help="Starting chart of accounts: retail or empty.")] = (
        "retail"
    ),
    json_output: JsonOutput = False,
) -> None:
    """Create the book: schema, base currency and chart. Harmless to run again."""
    settings = Settings()
    db = open_db(database_url)
    base = base_currency or settings.base_currency
    book, created = books.init_book(db, base_currency=base, chart=chart)
    key_file = _ensure_secret_key(settings)
    if json_output:
        print_json(
            {
                "created": created,
                "database_url": db.url,
                "base_currency": book.base_currency,
                "chart": book.chart,
                "key_file": key_file,
            }
        )
        return
    if created:
        console.print(f"Created the book at {db.url} in {book.base_currency} ({book.chart} chart).")
    else:
        console.print(f"The book at {db.url} already exists ({book.base_currency}); nothing to do.")
    if key_file:
        console.print(f"Wrote a new secret key to {key_file}: keep it safe and out of git.")


@accounts_app.command("list")
@handles_errors
def list_accounts(database_url: DatabaseUrl = None, json_output: JsonOutput = False) -> None:
    """Every account with its code, name, type, currency and role."""
    with UnitOfWork(open_db(database_url)) as uow:
        uow.book.require()
        stored = uow.accounts.all()
    if json_output:
        print_json(
            {
                "accounts": [
                    {
                        "code": s.account.code,
                        "name": s.account.name,
                        "type": s.account.type.value,
                        "currency": s.account.currency,
                        "role": s.role,
                    }
                    for s in stored
                ]
            }
        )
        return
    table = Table("code", "name", "type", "currency", "role")
    for s in stored:
        table.add_row(
            s.account.code,
            s.account.name,
            s.account.type.value,
            s.account.currency or "",
            s.role or "",
        )
    console.print(table)


@accounts_app.command("add")
@handles_errors
def add_account(
    code: Annotated[str, typer.Argument(help="Account code, e.g. 1010.")],
    name: Annotated[str, typer.Argument(help="Account name.")],
    account_type: Annotated[
        AccountType, typer.Option("--type", help="asset, liability, equity, revenue or expense.")
    ],
    currency: Annotated[
        str | None, typer.Option(help="Restrict the account to one currency.")
    ] = None,
    role: Annotated[str | None, typer.Option(help="Posting role this account fills.")] = None,
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Add an account to the chart."""
    stored = books.add_account(
        open_db(database_url), Account(code, name, account_type, currency), role=role
    )
    if json_output:
        print_json({"code": stored.account.code, "name": stored.account.name, "id": stored.id})
    else:
        console.print(f"Added account {code} {name} ({account_type.value}).")


@accounts_app.command("rename")
@handles_errors
def rename_account(
    code: Annotated[str, typer.Argument(help="Account code.")],
    name: Annotated[str, typer.Argument(help="The new name.")],
    database_url: DatabaseUrl = None,
    json_output: JsonOutput = False,
) -> None:
    """Rename an account; its code and history stay."""
    stored = books.rename_account(open_db(database_url), code, name)
    if json_output:
        print_json({"code": stored.account.code, "name": stored.account.name})
    else:
        console.print(f"Account {code} is now called {name}.")
