"""The book's own settings: its base currency, fixed once at ``init``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.store.tables import book


class BookNotInitialised(LedgerBridgeError):
    code = "book_not_initialised"

    def __init__(self) -> None:
        super().__init__("this database has no book yet: run `ledgerbridge init` first")


@dataclass(frozen=True, slots=True)
class BookSettings:
    base_currency: str
    chart: str
    created_at: dt.datetime


class BookRepository:
    def __init__(self, conn: Connection, cache: dict[str, Any] | None = None) -> None:
        self.conn = conn
        self._cache = cache if cache is not None else {}

    def get(self) -> BookSettings | None:
        """The book's settings; cached once found, since they never change after ``init``."""
        cached = self._cache.get("book")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        found = self._read()
        if found is not None:
            self._cache["book"] = found
        return found

    def _read(self) -> BookSettings | None:
        try:
            with self.conn.begin_nested():
                row = self.conn.execute(select(book).where(book.c.id == 1)).one_or_none()
        except (OperationalError, ProgrammingError) as exc:
            # A database nobody has run `init` on has no tables at all.
            if "no such table" in str(exc) or "UndefinedTable" in type(exc.orig).__name__:
                return None
            raise
        if row is None:
            return None
        return BookSettings(row.base_currency, row.chart, row.created_at)

    def require(self) -> BookSettings:
        settings = self.get()
        if settings is None:
            raise BookNotInitialised()
        return settings

    def create(self, base_currency: str, chart: str, now: dt.datetime) -> BookSettings:
        self.conn.execute(
            insert(book).values(id=1, base_currency=base_currency, chart=chart, created_at=now)
        )
        return BookSettings(base_currency, chart, now)
