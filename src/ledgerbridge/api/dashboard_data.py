"""What the dashboard page shows, gathered in one read: connection status and lag, dead letters
and recent events, open discrepancies, the trial balance and the audit chain's state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from ledgerbridge.errors import LedgerBridgeError, NotFound
from ledgerbridge.money import Money
from ledgerbridge.services import audit, connections, discrepancies, events, reports
from ledgerbridge.store.database import Database
from ledgerbridge.store.inbox import PENDING, EventStatus, InboxEvent
from ledgerbridge.store.reconciliation import StoredDiscrepancy
from ledgerbridge.store.tables import connections as connections_table
from ledgerbridge.store.tables import inbox_events
from ledgerbridge.store.unit_of_work import UnitOfWork

RECENT_EVENTS = 15


def _ago(then: dt.datetime | None, now: dt.datetime) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    if seconds < 86400:
        return f"{seconds // 3600}h ago"
    return f"{seconds // 86400}d ago"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _amount(minor: int | None, currency: str | None) -> str:
    if minor is None:
        return ""
    if currency is None:
        return str(minor)
    try:
        return f"{Money.from_minor(minor, currency).format()} {currency}"
    except LedgerBridgeError:
        return f"{minor} (minor units) {currency}"


def _oldest_waiting(db: Database) -> dict[str, dt.datetime]:
    """connection → when its oldest unposted event arrived."""
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.connection.execute(
            select(connections_table.c.name, func.min(inbox_events.c.received_at))
            .join(connections_table, connections_table.c.id == inbox_events.c.connection_id)
            .where(inbox_events.c.status.in_(PENDING))
            .group_by(connections_table.c.name)
        )
        return {row[0]: aware for row in rows if (aware := _aware(row[1])) is not None}


def _event_row(event: InboxEvent) -> dict[str, Any]:
    posted = event.posted_at.isoformat(timespec="seconds") if event.posted_at else None
    return {
        **events.event_summary(event),
        "received_at": event.received_at.isoformat(timespec="seconds"),
        "posted_at": posted,
    }


def _discrepancy_row(d: StoredDiscrepancy) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "reason": d.reason,
        "payouts": ", ".join(
            f"{p.get('connection', '?')}:{p.get('payout_id', '?')}" for p in d.payouts
        ),
        "bank_lines": ", ".join(str(i) for i in d.bank_line_ids),
        "expected": _amount(d.expected_minor, d.currency),
        "actual": _amount(d.actual_minor, d.currency),
        "difference": _amount(d.difference_minor, d.currency),
        "detected_at": d.detected_at.isoformat(timespec="seconds"),
    }


def gather(state: Any, replayed: int | None, resolved: int | None) -> dict[str, Any]:
    db: Database = state.db
    now: dt.datetime = state.clock()
    status = connections.sync_status(db)
    oldest = _oldest_waiting(db)
    for row in status:
        last = dt.datetime.fromisoformat(row["last_event_at"]) if row["last_event_at"] else None
        row["last_ago"] = _ago(last, now)
        row["failed"] = row["events"].get("failed", 0)
        waiting_since = oldest.get(row["name"])
        row["lag"] = _ago(waiting_since, now).removesuffix(" ago") if waiting_since else "—"
    dead = [_event_row(e) for e in events.list_events(db, status=EventStatus.DEAD, limit=200)]
    recent = [_event_row(e) for e in events.list_events(db, limit=RECENT_EVENTS)]
    with UnitOfWork(db, read_only=True) as uow:
        open_items = uow.reconciliation.discrepancies(status="open")
        replayed_event = None
        if replayed is not None:
            try:
                replayed_event = uow.inbox.get(replayed)
            except NotFound:
                replayed_event = None
    tb = reports.trial_balance(db)
    chain = audit.verify(db)
    return {
        "now": now.isoformat(timespec="seconds"),
        "connections": status,
        "dead": dead,
        "recent": recent,
        "discrepancies": [_discrepancy_row(d) for d in open_items],
        "actions": [a.value for a in discrepancies.Action],
        "tb": tb,
        "audit": chain,
        "replayed": _event_row(replayed_event) if replayed_event else None,
        "resolved": resolved,
    }
