"""Store and gateway connections: platform, encrypted secrets, and their clearing account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledgerbridge.errors import LedgerBridgeError, NotFound
from ledgerbridge.store.tables import accounts, connections


class UnknownConnection(NotFound):
    code = "unknown_connection"


class ConnectionExists(LedgerBridgeError):
    code = "connection_exists"
    http_status = 409


@dataclass(frozen=True, slots=True)
class StoredConnection:
    id: int
    name: str
    platform: str
    clearing_account: str
    secret_encrypted: str
    api_url: str | None
    api_token_encrypted: str | None
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None


class ConnectionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        *,
        name: str,
        platform: str,
        clearing_account_id: int,
        secret_encrypted: str,
        api_url: str | None,
        api_token_encrypted: str | None,
        settings: dict[str, Any],
        now: dt.datetime,
    ) -> int:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(connections).values(
                        name=name,
                        platform=platform,
                        clearing_account_id=clearing_account_id,
                        secret_encrypted=secret_encrypted,
                        api_url=api_url,
                        api_token_encrypted=api_token_encrypted,
                        settings=settings,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise ConnectionExists(f"a connection named {name!r} already exists") from None
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def _select(self) -> Any:
        return select(connections, accounts.c.code.label("clearing_code")).join(
            accounts, accounts.c.id == connections.c.clearing_account_id
        )

    @staticmethod
    def _to_stored(row: Any) -> StoredConnection:
        return StoredConnection(
            row.id,
            row.name,
            row.platform,
            row.clearing_code,
            row.secret_encrypted,
            row.api_url,
            row.api_token_encrypted,
            dict(row.settings or {}),
            row.created_at,
        )

    def get(self, name: str) -> StoredConnection:
        row = self.conn.execute(self._select().where(connections.c.name == name)).one_or_none()
        if row is None:
            raise UnknownConnection(f"there is no connection named {name!r}", field="connection")
        return self._to_stored(row)

    def by_id(self, connection_id: int) -> StoredConnection:
        row = self.conn.execute(
            self._select().where(connections.c.id == connection_id)
        ).one_or_none()
        if row is None:
            raise UnknownConnection(f"there is no connection {connection_id}")
        return self._to_stored(row)

    def update(self, connection_id: int, **values: Any) -> None:
        """Change stored fields (encrypted secrets, API URL, settings) of one connection."""
        self.conn.execute(
            update(connections).where(connections.c.id == connection_id).values(**values)
        )

    def all(self) -> Sequence[StoredConnection]:
        rows = self.conn.execute(self._select().order_by(connections.c.name))
        return [self._to_stored(row) for row in rows]
