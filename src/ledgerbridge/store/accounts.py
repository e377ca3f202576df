"""Accounts of the chart, by code and by role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledgerbridge.ledger.accounts import Account, AccountExists, AccountType, UnknownAccount
from ledgerbridge.store.errors import constraint_name
from ledgerbridge.store.tables import accounts


@dataclass(frozen=True, slots=True)
class StoredAccount:
    id: int
    account: Account
    role: str | None


def _row_to_account(row: object) -> StoredAccount:
    account = Account(
        row.code,  # type: ignore[attr-defined]
        row.name,  # type: ignore[attr-defined]
        AccountType(row.type),  # type: ignore[attr-defined]
        row.currency,  # type: ignore[attr-defined]
    )
    return StoredAccount(row.id, account, row.role)  # type: ignore[attr-defined]


class AccountRepository:
    """Accounts by code. ``ids`` caches code → (id, currency), which never change once an
    account exists (accounts are never deleted or re-coded), across units of work."""

    def __init__(self, conn: Connection, ids: dict[str, tuple[int, str | None]] | None = None):
        self.conn = conn
        self._by_code: dict[str, StoredAccount] = {}
        self._ids = ids if ids is not None else {}

    def add(self, account: Account, *, role: str | None, now: dt.datetime) -> StoredAccount:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(accounts).values(
                        code=account.code,
                        name=account.name,
                        type=account.type.value,
                        currency=account.currency,
                        role=role,
                        created_at=now,
                    )
                )
        except IntegrityError as exc:
            name = constraint_name(exc)
            if name == "uq_accounts_role":
                raise AccountExists(f"an account already has the role {role!r}") from None
            raise AccountExists(f"account {account.code} already exists", field="code") from None
        key = result.inserted_primary_key
        assert key is not None
        stored = StoredAccount(int(key[0]), account, role)
        self._by_code[account.code] = stored
        return stored

    def id_and_currency(self, code: str) -> tuple[int, str | None]:
        """What posting a line needs to know of its account, from the cache when possible."""
        found = self._ids.get(code)
        if found is None:
            stored = self.get(code)
            found = (stored.id, stored.account.currency)
            self._ids[code] = found
        return found

    def get(self, code: str) -> StoredAccount:
        if code in self._by_code:
            return self._by_code[code]
        row = self.conn.execute(select(accounts).where(accounts.c.code == code)).one_or_none()
        if row is None:
            raise UnknownAccount(f"there is no account {code!r} in the chart", field="account")
        stored = _row_to_account(row)
        self._by_code[code] = stored
        return stored

    def by_role(self, role: str) -> StoredAccount | None:
        row = self.conn.execute(select(accounts).where(accounts.c.role == role)).one_or_none()
        return _row_to_account(row) if row is not None else None

    def roles(self) -> dict[str, str]:
        """Role → account code, for every account that has a role."""
        rows = self.conn.execute(
            select(accounts.c.role, accounts.c.code).where(accounts.c.role.is_not(None))
        )
        return {row.role: row.code for row in rows}

    def all(self) -> Sequence[StoredAccount]:
        rows = self.conn.execute(select(accounts).order_by(accounts.c.code))
        return [_row_to_account(row) for row in rows]

    def rename(self, code: str, name: str) -> StoredAccount:
        stored = self.get(code)
        renamed = stored.account.renamed(name)
        self.conn.execute(update(accounts).where(accounts.c.id == stored.id).values(name=name))
        result = StoredAccount(stored.id, renamed, stored.role)
        self._by_code[code] = result
        return result

    def next_code(self, start: int, below: int) -> str:
        """The lowest free numeric code in ``[start, below)`` (for per-connection accounts)."""
        taken = {
            code
            for (code,) in self.conn.execute(select(accounts.c.code))
            if code.isdigit() and start <= int(code) < below
        }
        for number in range(start, below):
            if str(number) not in taken:
                return str(number)
        raise AccountExists(f"no free account code left between {start} and {below - 1}")

    def count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(accounts)).scalar_one())
