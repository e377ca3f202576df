"""``audit verify``: the chain is intact, and the ledger still says what the chain recorded.

Two checks, because a tamperer with database access can edit either side:

1. the chain: every record's hash is ``sha256(prev_hash ‖ payload)`` of its stored bytes, and
   the records link up from the genesis hash to the head;
2. the ledger: every posted entry, as it is stored now, equals the entry the chain recorded when
   it was posted, and every entry in the journal has such a record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.ledger.serialize import canonical_bytes
from ledgerbridge.store.audit import ChainBreak
from ledgerbridge.store.database import Database
from ledgerbridge.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    """``audit record N`` or ``entry N``."""
    reason: str


@dataclass(frozen=True, slots=True)
class AuditReport:
    records: int
    entries: int
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "entries_checked": self.entries,
            "problems": [{"where": p.where, "reason": p.reason} for p in self.problems],
        }


def verify(db: Database) -> AuditReport:
    with UnitOfWork(db) as uow:
        count, broken = uow.audit.verify_chain()
        problems: list[Problem] = []
        if broken is not None:
            problems.append(_chain_problem(broken))
        recorded: dict[int, bytes] = {}
        for record in uow.audit.records():
            if record.action == "entry.posted":
                data = json.loads(record.payload)["data"]
                recorded[int(data["id"])] = canonical_bytes(data)
        entries = 0
        for entry_id, data in uow.entries.stored_dicts():
            entries += 1
            was = recorded.pop(entry_id, None)
            if was is None:
                problems.append(Problem(f"entry {entry_id}", "it has no audit record"))
            elif was != canonical_bytes(data):
                problems.append(
                    Problem(f"entry {entry_id}", "it differs from what was posted (edited)")
                )
        for entry_id in sorted(recorded):
            problems.append(Problem(f"entry {entry_id}", "it was posted but is gone (deleted)"))
    return AuditReport(count, entries, tuple(problems))


def _chain_problem(broken: ChainBreak) -> Problem:
    return Problem(f"audit record {broken.seq}", broken.reason)
