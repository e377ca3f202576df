"""Matches, discrepancies and learned rules. Unique keys make the database refuse a bank line
or a payout matched twice, and a finding reported twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledgerbridge.errors import LedgerBridgeError, NotFound
from ledgerbridge.store.tables import (
    discrepancies,
    learned_rules,
    recon_match_lines,
    recon_match_payouts,
    recon_matches,
)
from ledgerbridge.store.upsert import insert_ignoring


class AlreadyMatched(LedgerBridgeError):
    """A bank line or payout in the match is already part of another match."""

    code = "already_matched"
    http_status = 409


@dataclass(frozen=True, slots=True)
class StoredDiscrepancy:
    id: int
    kind: str
    reason: str
    status: str
    payouts: list[dict[str, str]]
    bank_line_ids: list[int]
    currency: str | None
    expected_minor: int | None
    actual_minor: int | None
    difference_minor: int | None
    detected_at: dt.datetime
    action: str | None
    note: str | None
    entry_id: int | None


class ReconciliationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_match(
        self,
        *,
        method: str,
        score: str,
        difference_minor: int,
        currency: str,
        line_ids: Sequence[int],
        payouts: Sequence[tuple[str, str]],
        now: dt.datetime,
        note: str | None = None,
    ) -> int:
        """Record a match; raises AlreadyMatched if a line or payout is taken."""
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(recon_matches).values(
                        method=method,
                        score=score,
                        difference_minor=difference_minor,
                        currency=currency,
                        note=note,
                        created_at=now,
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                match_id = int(key[0])
                if line_ids:
                    self.conn.execute(
                        insert(recon_match_lines),
                        [{"match_id": match_id, "bank_line_id": i} for i in line_ids],
                    )
                if payouts:
                    self.conn.execute(
                        insert(recon_match_payouts),
                        [
                            {"match_id": match_id, "connection": c, "payout_id": p}
                            for c, p in payouts
                        ],
                    )
        except IntegrityError:
            raise AlreadyMatched("a bank line or payout in this match is already matched") from None
        return match_id

    def matched_payouts(self) -> set[tuple[str, str]]:
        rows = self.conn.execute(
            select(recon_match_payouts.c.connection, recon_match_payouts.c.payout_id)
        )
        return {(r[0], r[1]) for r in rows}

    def matches_since(self, since: dt.datetime) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(recon_matches)
            .where(recon_matches.c.created_at >= since)
            .order_by(recon_matches.c.id)
        ).all()
        found = []
        for row in rows:
            lines = [
                r[0]
                for r in self.conn.execute(
                    select(recon_match_lines.c.bank_line_id).where(
                        recon_match_lines.c.match_id == row.id
                    )
                )
            ]
            payouts = [
                (r[0], r[1])
                for r in self.conn.execute(
                    select(recon_match_payouts.c.connection, recon_match_payouts.c.payout_id).where(
                        recon_match_payouts.c.match_id == row.id
                    )
                )
            ]
            found.append(
                {
                    "id": row.id,
                    "method": row.method,
                    "score": row.score,
                    "difference_minor": row.difference_minor,
                    "currency": row.currency,
                    "line_ids": lines,
                    "payouts": payouts,
                }
            )
        return found

    def add_discrepancy(self, *, key: str, now: dt.datetime, **values: Any) -> int | None:
        """Record a finding unless the same one was recorded before; its id when new."""
        return insert_ignoring(
            self.conn,
            discrepancies,
            [discrepancies.c.key],
            {"key": key, "status": "open", "detected_at": now, **values},
        )

    def discrepancies(self, *, status: str | None = None) -> list[StoredDiscrepancy]:
        statement = select(discrepancies).order_by(discrepancies.c.id)
        if status is not None:
            statement = statement.where(discrepancies.c.status == status)
        return [_to_discrepancy(r) for r in self.conn.execute(statement)]

    def discrepancy(self, discrepancy_id: int) -> StoredDiscrepancy:
        row = self.conn.execute(
            select(discrepancies).where(discrepancies.c.id == discrepancy_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"there is no discrepancy {discrepancy_id}", field="id")
        return _to_discrepancy(row)

    def resolve(
        self, discrepancy_id: int, *, action: str, note: str, entry_id: int | None, now: dt.datetime
    ) -> None:
        self.conn.execute(
            update(discrepancies)
            .where(discrepancies.c.id == discrepancy_id)
            .values(status="resolved", action=action, note=note, entry_id=entry_id, resolved_at=now)
        )

    def add_rule(
        self,
        *,
        connection: str,
        counterparty: str | None,
        descriptor: str | None,
        match_id: int | None,
        now: dt.datetime,
    ) -> None:
        self.conn.execute(
            insert(learned_rules).values(
                connection=connection,
                counterparty=counterparty,
                descriptor=descriptor,
                from_match_id=match_id,
                created_at=now,
            )
        )

    def rules(self) -> list[tuple[str, str, int]]:
        """(pattern, connection, rule id) of every learned rule."""
        rows = self.conn.execute(select(learned_rules).order_by(learned_rules.c.id))
        return [((r.counterparty or r.descriptor or ""), r.connection, r.id) for r in rows]


def _to_discrepancy(row: Any) -> StoredDiscrepancy:
    return StoredDiscrepancy(
        row.id,
        row.kind,
        row.reason,
        row.status,
        list(row.payouts or []),
        [int(i) for i in row.bank_line_ids or []],
        row.currency,
        row.expected_minor,
        row.actual_minor,
        row.difference_minor,
        row.detected_at,
        row.action,
        row.note,
        row.entry_id,
    )
