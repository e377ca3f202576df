"""Setting up a book and writing to it: init, accounts, posting and reversing entries.

Every write here appends to the audit chain in the same transaction, so the chain and the
ledger cannot disagree about what was written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.errors import InvalidInput, LedgerBridgeError
from ledgerbridge.ledger.accounts import Account
from ledgerbridge.ledger.chart import chart as chart_named
from ledgerbridge.ledger.entries import JournalEntry
from ledgerbridge.ledger.serialize import entry_dict
from ledgerbridge.money import exponent
from ledgerbridge.store import migrate
from ledgerbridge.store.accounts import StoredAccount
from ledgerbridge.store.book import BookSettings
from ledgerbridge.store.database import Database
from ledgerbridge.store.entries import AlreadyPosted
from ledgerbridge.store.unit_of_work import UnitOfWork


class BookExists(LedgerBridgeError):
    code = "book_exists"
    http_status = 409


class BaseCurrencyMismatch(LedgerBridgeError):
    code = "base_currency_mismatch"


@dataclass(frozen=True, slots=True)
class PostResult:
    entry_id: int
    created: bool
    """False when the source was already posted and ``entry_id`` is the earlier entry."""


def init_book(
    db: Database, *, base_currency: str, chart: str = "retail", clock: Clock = utcnow
) -> tuple[BookSettings, bool]:
    """Create the schema and the book. Running it again on the same book is harmless.

    Returns the book's settings and whether it was created now. Raises BookExists when the
    book exists with another base currency (which can never change), InvalidInput for an
    unknown chart, UnknownCurrency for a bad currency.
    """
    exponent(base_currency)
    accounts = chart_named(chart)
    migrate.upgrade(db)
    with UnitOfWork(db) as uow:
        existing = uow.book.get()
        if existing is not None:
            if existing.base_currency != base_currency:
                raise BookExists(
                    f"this book already exists with base currency {existing.base_currency}; "
                    "the base currency cannot change"
                )
            return existing, False
        now = clock()
        settings = uow.book.create(base_currency, chart, now)
        for item in accounts:
            uow.accounts.add(item.account, role=item.role, now=now)
        uow.audit.append(
            "book.initialised",
            {
                "base_currency": base_currency,
                "chart": chart,
                "accounts": [_account_dict(a.account, a.role) for a in accounts],
            },
            now=now,
        )
        uow.commit()
    return settings, True


def _account_dict(account: Account, role: str | None) -> dict[str, str | None]:
    return {
        "code": account.code,
        "name": account.name,
        "type": account.type.value,
        "currency": account.currency,
        "role": role,
    }


def add_account(
    db: Database, account: Account, *, role: str | None = None, clock: Clock = utcnow
) -> StoredAccount:
    """Add an account to the chart. Raises AccountExists, BookNotInitialised."""
    with UnitOfWork(db) as uow:
        uow.book.require()
        now = clock()
        stored = uow.accounts.add(account, role=role, now=now)
        uow.audit.append("account.added", _account_dict(account, role), now=now)
        uow.commit()
    return stored


def rename_account(db: Database, code: str, name: str, *, clock: Clock = utcnow) -> StoredAccount:
    """Give an account a new name (its code, and so every posted line, stays)."""
    if not name.strip():
        raise InvalidInput("the new name must not be empty", field="name")
    with UnitOfWork(db) as uow:
        before = uow.accounts.get(code)
        stored = uow.accounts.rename(code, name)
        uow.audit.append(
            "account.renamed",
            {"code": code, "from": before.account.name, "to": name},
            now=clock(),
        )
        uow.commit()
    return stored


def post_in(
    uow: UnitOfWork,
    entry: JournalEntry,
    *,
    now: dt.datetime,
    event_id: int | None = None,
    subject: str | None = None,
) -> PostResult:
    """Post ``entry`` inside the caller's unit of work; idempotent on its source key.

    Raises BaseCurrencyMismatch, UnknownAccount, CurrencyNotAllowed. A source already posted
    (by us earlier, or by another process that won a race) returns that entry's id with
    ``created=False`` and writes nothing.
    """
    settings = uow.book.require()
    if entry.base_currency != settings.base_currency:
        raise BaseCurrencyMismatch(
            f"the entry is in base {entry.base_currency}, the book in {settings.base_currency}"
        )
    existing = uow.entries.find_by_source(entry.source)
    if existing is not None:
        return PostResult(existing, created=False)
    try:
        entry_id = uow.entries.add(entry, now=now, event_id=event_id, subject=subject)
    except AlreadyPosted as exc:
        return PostResult(exc.entry_id, created=False)
    record = entry_dict(entry, entry_id)
    if event_id is not None:
        record["event_id"] = event_id
    uow.audit.append("entry.posted", record, now=now)
    return PostResult(entry_id, created=True)


def post_entry(db: Database, entry: JournalEntry, *, clock: Clock = utcnow) -> PostResult:
    """Post one entry in its own transaction; see :func:`post_in`."""
    with UnitOfWork(db) as uow:
        result = post_in(uow, entry, now=clock())
        uow.commit()
    return result


def post_entries(
    db: Database, entries: list[JournalEntry], *, clock: Clock = utcnow
) -> list[PostResult]:
    """Post several entries all-or-nothing: one bad entry writes none of them."""
    with UnitOfWork(db) as uow:
        now = clock()
        results = [post_in(uow, entry, now=now) for entry in entries]
        uow.commit()
    return results


def reverse_entry(
    db: Database,
    entry_id: int,
    *,
    reason: str,
    date: dt.date | None = None,
    clock: Clock = utcnow,
) -> PostResult:
    """Post the reversal of entry ``entry_id``. Raises NotFound, AlreadyReversed."""
    if not reason.strip():
        raise InvalidInput("say why the entry is reversed", field="reason")
    with UnitOfWork(db) as uow:
        posted = uow.entries.get(entry_id)
        result = post_in(uow, posted.entry.reversal(reason=reason, date=date), now=clock())
        uow.commit()
    return result
