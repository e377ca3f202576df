"""What every command shares: the database option, ``--json``, and plain-words errors.

Exit codes follow the published interface: 0 success, 1 the work found problems, 2 bad usage or
bad input (with a message naming the problem). An unexpected exception prints a short message
and exits 3 rather than a traceback, unless ``LEDGERBRIDGE_DEBUG`` is set.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from ledgerbridge.config import Settings
from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.store.database import Database, connect

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the book (default: LEDGERBRIDGE_DATABASE_URL, "
        "else sqlite:///./ledgerbridge.db).",
        show_default=False,
    ),
]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

P = ParamSpec("P")
R = TypeVar("R")


def open_db(database_url: str | None) -> Database:
    return connect(database_url or Settings().database_url)


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into a message and the interface's exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LedgerBridgeError as exc:
            where = f" ({exc.field})" if exc.field and exc.field not in exc.message else ""
            raise fail(f"{exc.message}{where}", exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:
            raise fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}") from None
        except Exception as exc:
            if os.environ.get("LEDGERBRIDGE_DEBUG"):
                raise
            raise fail(f"unexpected failure ({type(exc).__name__}: {exc})", 3) from None

    return wrapper


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None
