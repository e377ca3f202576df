"""Mapping versions per connection: append-only, the highest version is the active one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledgerbridge.errors import LedgerBridgeError, NotFound
from ledgerbridge.store.tables import mappings


class MappingSetConcurrently(LedgerBridgeError):
    """Another mapping version was set for the connection at the same moment; set it again."""

    code = "mapping_set_concurrently"
    http_status = 409


@dataclass(frozen=True, slots=True)
class StoredMapping:
    id: int
    connection_id: int
    version: int
    document: dict[str, Any]
    document_sha256: str
    created_by: str | None
    created_at: dt.datetime


def _stored(row: Any) -> StoredMapping:
    return StoredMapping(
        row.id,
        row.connection_id,
        row.version,
        dict(row.document),
        row.document_sha256,
        row.created_by,
        row.created_at,
    )


class MappingRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def active_version(self, connection_id: int) -> int | None:
        """The version in force, or None when the connection has no mapping; one indexed
        aggregate, cheap enough to ask for every event."""
        found = self.conn.execute(
            select(func.max(mappings.c.version)).where(mappings.c.connection_id == connection_id)
        ).scalar_one_or_none()
        return int(found) if found is not None else None

    def get(self, connection_id: int, version: int) -> StoredMapping:
        row = self.conn.execute(
            select(mappings).where(
                mappings.c.connection_id == connection_id, mappings.c.version == version
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"there is no mapping version {version}", field="version")
        return _stored(row)

    def active(self, connection_id: int) -> StoredMapping | None:
        version = self.active_version(connection_id)
        return self.get(connection_id, version) if version is not None else None

    def versions(self, connection_id: int) -> Sequence[StoredMapping]:
        """Every version of the connection's mapping, oldest first."""
        rows = self.conn.execute(
            select(mappings)
            .where(mappings.c.connection_id == connection_id)
            .order_by(mappings.c.version)
        )
        return [_stored(row) for row in rows]

    def add(
        self,
        connection_id: int,
        document: dict[str, Any],
        *,
        sha256: str,
        created_by: str | None,
        now: dt.datetime,
    ) -> StoredMapping:
        """Store ``document`` as the next version. Raises MappingSetConcurrently when another
        writer took that version number first."""
        version = (self.active_version(connection_id) or 0) + 1
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(mappings).values(
                        connection_id=connection_id,
                        version=version,
                        document=document,
                        document_sha256=sha256,
                        created_by=created_by,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise MappingSetConcurrently(
                "another mapping version was set for this connection at the same time; "
                "look at `mapping show` and set yours again"
            ) from None
        return self.get(connection_id, version)
