"""What a ``target`` column expression sees: one JSON-like document per row written.

Every column of the user's tables is a JMESPath expression over

* ``entry`` — the posted entry (``entry.id``, ``entry.date`` …, see :data:`ENTRY_FIELDS`);
* ``line`` — for line columns, the journal line being written (:data:`LINE_FIELDS`);
* ``header`` — for line columns, the header row as the target stored it (generated ids and
  column defaults included), keyed by its column names, also in lower case.

Values keep their exact types: amounts are :class:`~decimal.Decimal` (never float), minor-unit
amounts are ``int``, dates are :class:`datetime.date`, so the type check against the reflected
column can be done before anything is written. Literals are JMESPath literals: ``'text'``
(raw string) or a backtick JSON value (```0```). ``to_string`` writes decimals as plain decimal
text and dates as ISO dates (JMESPath's own would quote them); ``left(text, `n`)`` keeps the
first n characters, for legacy columns shorter than our text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import jmespath
import jmespath.functions

from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side

ENTRY_FIELDS: dict[str, str] = {
    "id": "our entry id (int)",
    "id_text": "our entry id as text",
    "date": "the entry's date (date)",
    "description": "the entry's description",
    "base_currency": "the book's currency",
    "connection": "the connection that posted it",
    "external_id": "the platform's id of what happened (order, refund, payout …)",
    "kind": "what happened (order_paid, refund, payout …)",
    "source": "connection/kind/external_id in one text",
    "subject": "the platform object it is about (the order id), or null",
    "reverses": "the source of the entry this one reverses, or null",
    "mapping_version": "the mapping version it was posted with (int or null)",
    "created_at": "when it was posted (timestamp, UTC)",
    "total": "the sum of its debits in the base currency (Decimal)",
    "total_minor": "the same in minor units (int)",
    "line_count": "how many lines it has",
    "dimensions": "its dimensions (entry.dimensions.channel …)",
}
LINE_FIELDS: dict[str, str] = {
    "no": "the line's number in the entry, from 1",
    "account": "our account code",
    "side": "'debit' or 'credit'",
    "debit": "the base-currency amount if a debit, else 0 (Decimal)",
    "credit": "the base-currency amount if a credit, else 0 (Decimal)",
    "debit_minor": "debit in minor units (int)",
    "credit_minor": "credit in minor units (int)",
    "signed": "the base-currency amount, debit positive, credit negative (Decimal)",
    "signed_minor": "signed in minor units (int)",
    "amount": "the amount in the line's own currency, positive (Decimal)",
    "amount_minor": "amount in minor units (int)",
    "currency": "the line's own currency",
    "base_amount": "the amount in the base currency, positive (Decimal)",
    "base_amount_minor": "base_amount in minor units (int)",
    "base_currency": "the book's currency",
    "rate": "base units per unit of the line's currency (Decimal)",
    "memo": "the line's memo",
    "dimensions": "its dimensions (line.dimensions.sku …)",
}
FREE_FORM = "dimensions"
"""Fields whose keys the user defines; paths under them are not checked statically."""


def entry_document(
    entry: JournalEntry, *, entry_id: int, created_at: dt.datetime, subject: str | None
) -> dict[str, Any]:
    total = entry.total(Side.DEBIT)
    return {
        "id": entry_id,
        "id_text": str(entry_id),
        "date": entry.date,
        "description": entry.description,
        "base_currency": entry.base_currency,
        "connection": entry.source.connection,
        "external_id": entry.source.external_id,
        "kind": entry.source.kind,
        "source": str(entry.source),
        "subject": subject,
        "reverses": str(entry.reverses) if entry.reverses else None,
        "mapping_version": entry.mapping_version,
        "created_at": created_at,
        "total": total.amount,
        "total_minor": total.minor,
        "line_count": len(entry.lines),
        "dimensions": dict(entry.dimensions),
    }


def line_document(line: JournalLine, number: int) -> dict[str, Any]:
    base = line.base_amount
    zero = base - base
    debit, credit = (base, zero) if line.side is Side.DEBIT else (zero, base)
    signed = line.signed(base)
    return {
        "no": number,
        "account": line.account,
        "side": line.side.value,
        "debit": debit.amount,
        "credit": credit.amount,
        "debit_minor": debit.minor,
        "credit_minor": credit.minor,
        "signed": signed.amount,
        "signed_minor": signed.minor,
        "amount": line.amount.amount,
        "amount_minor": line.amount.minor,
        "currency": line.amount.currency,
        "base_amount": base.amount,
        "base_amount_minor": base.minor,
        "base_currency": base.currency,
        "rate": line.rate,
        "memo": line.memo,
        "dimensions": dict(line.dimensions),
    }


def header_document(row: Mapping[str, Any]) -> dict[str, Any]:
    """The stored header row by column name, and by lower-case name where that differs
    (SQLite reflects ``BATCH_ID`` as written; PostgreSQL folds it to ``batch_id``)."""
    found = dict(row)
    for name, value in row.items():
        found.setdefault(name.lower(), value)
    return found


class TargetFunctions(jmespath.functions.Functions):
    """JMESPath's functions, with ``to_string`` writing exact decimals and ISO dates."""

    @jmespath.functions.signature({"types": []})
    def _func_to_string(self, arg: Any) -> str:
        if isinstance(arg, str):
            return arg
        if isinstance(arg, Decimal):
            return f"{arg:f}"
        if isinstance(arg, dt.date):
            return arg.isoformat()
        return json.dumps(arg, separators=(",", ":"), default=str)

    @jmespath.functions.signature({"types": ["string", "null"]}, {"types": ["number"]})
    def _func_left(self, text: str | None, width: int) -> str | None:
        """``left(line.memo, `60`)``: at most ``width`` characters, for short legacy columns."""
        return None if text is None else text[: int(width)]


OPTIONS = jmespath.Options(custom_functions=TargetFunctions())


class Expression:
    """A compiled column expression, with its source text for messages."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.compiled = jmespath.compile(text)

    @property
    def ast(self) -> dict[str, Any]:
        return dict(self.compiled.parsed)

    def search(self, document: Mapping[str, Any]) -> Any:
        return self.compiled.search(document, options=OPTIONS)

    def literal(self) -> Any:
        """The value if the expression is a bare literal, else None."""
        return self.ast.get("value") if self.ast.get("type") == "literal" else None


_ROOT_OF_CHILDREN = frozenset(
    {
        "and_expression",
        "or_expression",
        "not_expression",
        "comparator",
        "function_expression",
        "multi_select_dict",
        "multi_select_list",
        "key_val_pair",
    }
)
_LEFT_ONLY = frozenset(
    {"projection", "filter_projection", "value_projection", "index_expression", "pipe"}
)


def root_paths(node: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The field paths an expression reads from the document root (``line.debit`` →
    ``("line", "debit")``), so a misspelt name is reported instead of writing nulls. Paths
    inside projections and filters read list elements and are not followed."""
    kind = node.get("type")
    children = list(node.get("children") or [])
    if kind == "field":
        return [(str(node["value"]),)]
    if kind == "subexpression":
        names: list[str] = []
        for child in children:
            if child.get("type") != "field":
                return [tuple(names)] if names else root_paths(children[0])
            names.append(str(child["value"]))
        return [tuple(names)]
    if kind in _ROOT_OF_CHILDREN:
        return [path for child in children for path in root_paths(child)]
    if kind in _LEFT_ONLY or kind == "flatten":
        return root_paths(children[0]) if children else []
    return []


def probe_documents(header_probe: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Two typical documents (a debit line and a credit line) with every field filled, to
    learn the type each expression yields without an entry at hand."""
    now = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    entry = {
        "id": 1,
        "id_text": "1",
        "date": now.date(),
        "description": "Order 1001 paid",
        "base_currency": "USD",
        "connection": "shop",
        "external_id": "1001",
        "kind": "order_paid",
        "source": "shop/order_paid/1001",
        "subject": "order:1001",
        "reverses": "shop/order_paid/1000",
        "mapping_version": 1,
        "created_at": now,
        "total": Decimal("10.00"),
        "total_minor": 1000,
        "line_count": 2,
        "dimensions": {},
    }
    found = []
    for side in (Side.DEBIT, Side.CREDIT):
        sign = 1 if side is Side.DEBIT else -1
        line = {
            "no": 1,
            "account": "1200",
            "side": side.value,
            "debit": Decimal("10.00") if sign > 0 else Decimal("0.00"),
            "credit": Decimal("10.00") if sign < 0 else Decimal("0.00"),
            "debit_minor": 1000 if sign > 0 else 0,
            "credit_minor": 1000 if sign < 0 else 0,
            "signed": Decimal("10.00") * sign,
            "signed_minor": 1000 * sign,
            "amount": Decimal("10.00"),
            "amount_minor": 1000,
            "currency": "USD",
            "base_amount": Decimal("10.00"),
            "base_amount_minor": 1000,
            "base_currency": "USD",
            "rate": Decimal(1),
            "memo": "Order 1001",
            "dimensions": {},
        }
        found.append({"entry": entry, "line": line, "header": dict(header_probe)})
    return found
