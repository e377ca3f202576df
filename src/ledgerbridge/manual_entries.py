"""Hand-written entries from a JSON or YAML document, for adjustments (``entries post FILE``).

The document is checked field by field and every problem names its path (``lines[1].debit``).
Amounts must be strings or integers: a YAML or JSON number with a decimal point is a float, and
a float is refused rather than guessed at.

    date: 2026-11-02
    description: Owner's capital
    external_id: capital-2026-11     # optional: defaults to a hash of the document
    lines:
      - {account: "1000", debit: "5000.00"}
      - {account: "3000", credit: "5000.00"}

A line in another currency than the book's needs ``rate`` (book units per unit) or
``base_amount``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import yaml

from ledgerbridge.errors import InvalidInput
from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, SourceKey
from ledgerbridge.ledger.serialize import canonical_bytes
from ledgerbridge.money import InvalidAmount, Money, to_decimal

MANUAL_CONNECTION = "manual"


class _FloatLiteral(str):
    """A JSON number with a fraction or exponent, kept as text so it can be refused by name."""


def load_document(text: str, *, filename: str = "") -> Any:
    """Parse JSON (by extension or first character) or YAML into plain data."""
    stripped = text.lstrip()
    try:
        if filename.endswith(".json") or stripped.startswith(("{", "[")):
            return json.loads(text, parse_float=_FloatLiteral)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"the file is not valid JSON or YAML: {exc}") from None


def _amount(value: object, currency: str, path: str) -> Money:
    if isinstance(value, float | _FloatLiteral):
        raise InvalidInput(
            f'{path}: {value} is a floating-point number; write amounts as strings, e.g. "{value}"',
            field=path,
        )
    try:
        return Money.of(value, currency, field=path)  # type: ignore[arg-type]
    except TypeError as exc:
        raise InvalidInput(f"{path}: {exc}", field=path) from None
    except InvalidAmount as exc:
        raise InvalidInput(f"{path}: {exc.message}", field=path) from None


def _date(value: object, path: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{path}: {value!r} is not a date (YYYY-MM-DD)", field=path) from None


def _line(raw: object, index: int, base: str) -> JournalLine:
    path = f"lines[{index}]"
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{path} must be a mapping with account and debit or credit", field=path)
    if "account" not in raw:
        raise InvalidInput(f"{path}.account is missing", field=f"{path}.account")
    has_debit, has_credit = "debit" in raw, "credit" in raw
    if has_debit == has_credit:
        raise InvalidInput(f"{path} needs exactly one of debit or credit", field=path)
    side = Side.DEBIT if has_debit else Side.CREDIT
    currency = str(raw.get("currency", base))
    amount = _amount(raw[side.value], currency, f"{path}.{side.value}")
    base_amount, rate = _base(raw, amount, base, path)
    return JournalLine(
        account=str(raw["account"]),
        side=side,
        amount=amount,
        base_amount=base_amount,
        rate=rate,
        rate_date=_date(raw["rate_date"], f"{path}.rate_date") if "rate_date" in raw else None,
        rate_source=str(raw.get("rate_source", "manual")) if currency != base else None,
        memo=str(raw.get("memo", "")),
        dimensions=dict(raw.get("dimensions") or {}),
    )


def _base(raw: Mapping[str, Any], amount: Money, base: str, path: str) -> tuple[Money, Decimal]:
    if amount.currency == base:
        return amount, Decimal(1)
    if "base_amount" in raw:
        base_amount = _amount(raw["base_amount"], base, f"{path}.base_amount")
        rate = (base_amount.amount / amount.amount).normalize()
        return base_amount, rate
    if "rate" in raw:
        if isinstance(raw["rate"], float | _FloatLiteral):
            raise InvalidInput(f"{path}.rate: write the rate as a string", field=f"{path}.rate")
        rate = to_decimal(raw["rate"], field=f"{path}.rate")
        return amount.convert(rate, base, rounding=ROUND_HALF_EVEN), rate
    raise InvalidInput(
        f"{path} is in {amount.currency}, not the book's {base}: give rate or base_amount",
        field=f"{path}.rate",
    )


def entries_from_document(document: object, *, base_currency: str) -> list[JournalEntry]:
    """One entry, or several under ``entries:``; problems are named ``entries[2].lines[0]…``."""
    if isinstance(document, Mapping) and "entries" in document:
        items = document["entries"]
        if not isinstance(items, list) or not items:
            raise InvalidInput("entries must be a non-empty list", field="entries")
        found = []
        for index, item in enumerate(items):
            try:
                found.append(entry_from_document(item, base_currency=base_currency))
            except InvalidInput as exc:
                path = f"entries[{index}]" + (f".{exc.field}" if exc.field else "")
                raise InvalidInput(f"entries[{index}]: {exc.message}", field=path) from None
        return found
    return [entry_from_document(document, base_currency=base_currency)]


def entry_from_document(document: object, *, base_currency: str) -> JournalEntry:
    """Build a balanced entry from a parsed document; raises InvalidInput or UnbalancedEntry."""
    if not isinstance(document, Mapping):
        raise InvalidInput("the file must hold an entry: date, description and lines")
    for required in ("date", "lines"):
        if required not in document:
            raise InvalidInput(f"{required} is missing", field=required)
    lines_raw = document["lines"]
    if not isinstance(lines_raw, list):
        raise InvalidInput("lines must be a list", field="lines")
    lines = tuple(_line(raw, i, base_currency) for i, raw in enumerate(lines_raw))
    external_id = str(
        document.get("external_id")
        or hashlib.sha256(canonical_bytes(_plain(document))).hexdigest()[:32]
    )
    return JournalEntry(
        date=_date(document["date"], "date"),
        description=str(document.get("description", "Manual entry")),
        base_currency=base_currency,
        source=SourceKey(MANUAL_CONNECTION, external_id, "manual"),
        lines=lines,
        dimensions=dict(document.get("dimensions") or {}),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | Decimal | int | str | None):
        return value
    return str(value)
