"""The tamper-evident audit chain.

Each record stores ``payload`` — canonical JSON bytes of what was written — and
``hash = sha256(prev_hash ‖ payload)``. Verification re-hashes only what is stored, never a
re-serialisation of live objects, so a change of Python or library version cannot make an
honest chain look broken.

Appends are serialised: a writer locks the single ``audit_head`` row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already admits one writer). The head is locked last in
each write transaction, which keeps lock order the same everywhere and rules out deadlocks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ledgerbridge.ledger.serialize import HASH_VERSION, canonical_bytes
from ledgerbridge.store.tables import audit_head, audit_log

GENESIS = "0" * 64


def chain_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + payload).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    action: str
    created_at: dt.datetime
    prev_hash: str
    payload: bytes
    hash: str

    def data(self) -> Any:
        return json.loads(self.payload.decode("utf-8"))


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    reason: str


def _as_bytes(value: object) -> bytes:
    """Stored payload bytes; a tamperer may have turned the blob into text, so accept both."""
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)  # type: ignore[call-overload, no-any-return]


class AuditLog:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, action: str, data: dict[str, Any], *, now: dt.datetime) -> AuditRecord:
        """Add one record after the current head; call it last in the write transaction."""
        head = self.conn.execute(
            select(audit_head.c.seq, audit_head.c.hash)
            .where(audit_head.c.id == 1)
            .with_for_update()
        ).one()
        payload = canonical_bytes({"action": action, "at": now, "data": data})
        seq = int(head.seq) + 1
        digest = chain_hash(head.hash, payload)
        self.conn.execute(
            insert(audit_log).values(
                seq=seq,
                action=action,
                created_at=now,
                hash_version=HASH_VERSION,
                prev_hash=head.hash,
                payload=payload,
                hash=digest,
            )
        )
        self.conn.execute(
            update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest)
        )
        return AuditRecord(seq, action, now, head.hash, payload, digest)

    def records(self, *, batch: int = 1000) -> Iterator[AuditRecord]:
        last = 0
        while True:
            rows = self.conn.execute(
                select(audit_log)
                .where(audit_log.c.seq > last)
                .order_by(audit_log.c.seq)
                .limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                yield AuditRecord(
                    int(row.seq),
                    row.action,
                    row.created_at,
                    row.prev_hash,
                    _as_bytes(row.payload),
                    row.hash,
                )
            last = int(rows[-1].seq)

    def head(self) -> tuple[int, str]:
        row = self.conn.execute(select(audit_head.c.seq, audit_head.c.hash)).one()
        return int(row.seq), str(row.hash)

    def verify_chain(self) -> tuple[int, ChainBreak | None]:
        """Re-hash every record; returns how many were checked and the first break, if any."""
        prev = GENESIS
        expected_seq = 1
        count = 0
        for record in self.records():
            if record.seq != expected_seq:
                return count, ChainBreak(record.seq, f"record {expected_seq} is missing")
            if record.prev_hash != prev:
                return count, ChainBreak(record.seq, "its link to the previous record is broken")
            if chain_hash(record.prev_hash, record.payload) != record.hash:
                return count, ChainBreak(record.seq, "its contents do not match its hash")
            prev = record.hash
            expected_seq += 1
            count += 1
        head_seq, head_hash = self.head()
        if head_seq != count or head_hash != prev:
            return count, ChainBreak(
                head_seq, f"the chain ends at record {count} but its head says {head_seq}"
            )
        return count, None
