"""Canonical plain-data forms of ledger values, for the audit chain, JSON output and exports.

``canonical_bytes`` is the one serialisation the audit chain hashes: keys sorted, no spaces,
decimals and dates as strings, UTF-8. Changing it would break every stored hash, so it is
versioned (``HASH_VERSION``) rather than edited.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from ledgerbridge.ledger.entries import JournalEntry, JournalLine, SourceKey

HASH_VERSION = 1


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "items"):
        return dict(value.items())
    raise TypeError(f"cannot serialise {type(value).__name__}")


def canonical_bytes(data: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, fixed separators, exact decimals as strings."""
    return json.dumps(
        data, default=_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def source_dict(source: SourceKey) -> dict[str, str]:
    return {
        "connection": source.connection,
        "external_id": source.external_id,
        "kind": source.kind,
    }


def line_dict(line: JournalLine) -> dict[str, Any]:
    return {
        "account": line.account,
        "side": line.side.value,
        "amount": line.amount.format(),
        "currency": line.amount.currency,
        "base_amount": line.base_amount.format(),
        "rate": f"{line.rate:f}",
        "rate_date": line.rate_date.isoformat() if line.rate_date else None,
        "rate_source": line.rate_source,
        "memo": line.memo,
        "dimensions": dict(line.dimensions),
    }


def entry_dict(entry: JournalEntry, entry_id: int | None = None) -> dict[str, Any]:
    """The entry as plain data, as the audit chain records it and the JSON outputs show it."""
    data: dict[str, Any] = {
        "date": entry.date.isoformat(),
        "description": entry.description,
        "base_currency": entry.base_currency,
        "source": source_dict(entry.source),
        "reverses": source_dict(entry.reverses) if entry.reverses else None,
        "mapping_version": entry.mapping_version,
        "dimensions": dict(entry.dimensions),
        "lines": [line_dict(line) for line in entry.lines],
    }
    if entry_id is not None:
        data["id"] = entry_id
    return data
