"""Turn database constraint violations into domain errors, in one place.

PostgreSQL names the violated constraint; SQLite says ``UNIQUE constraint failed: table.col``.
Both forms are mapped here, so a repository never parses error text itself.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")

_SQLITE_COLUMNS = {
    "journal_entries.source_connection, journal_entries.source_external_id, "
    "journal_entries.source_kind": "uq_journal_entries_source_key",
    "journal_entries.reverses_entry_id": "uq_journal_entries_reverses_entry_id",
    "accounts.code": "uq_accounts_code",
    "accounts.role": "uq_accounts_role",
    "connections.name": "uq_connections_name",
    "inbox_events.connection_id, inbox_events.external_id": "uq_inbox_events_delivery",
}


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint ``exc`` violated, on either database, if it can be told."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    match = _SQLITE_UNIQUE.search(str(orig))
    if match:
        return _SQLITE_COLUMNS.get(match.group(1), match.group(1))
    return None
