"""A mapping applied to one canonical event, and to the entry posting makes of it. Pure.

Order of work for each event (the worker, ``mapping test`` and the property tests all go
through :func:`post_mapped`):

1. **fields**: each expression is evaluated over the raw payload (the delivery's JSON, numbers
   as ``Decimal``); a canonical field it finds a value for is replaced in the event (the order's
   name, customer, channel, country; every payment's gateway), an added field
   (``order_reference``, ``merchant_code``, ``payment_method``) is kept as a fact. An expression
   that finds nothing leaves the event as the connector parsed it.
2. **dimensions**: entry-level expressions over the payload; per-line ones over each raw line
   item, keyed by the item's SKU.
3. **accounts**: the account map gets the mapping's defaults and rules, and the event's facts
   (currency, country, channel, customer, first gateway, dimensions, added fields); the posting
   rules add each line's own facts (SKU, tender gateway, tax jurisdiction …) when they ask.
   A refund's payload rarely says where the order was sold, so a refund also gets the facts of
   the order it refunds, as booked (its channel, country, customer, gateway, and the added fields
   and dimensions recorded on the order's entries); the refund's own facts win. The rules that
   routed the sale route its refund.
4. **the entry**: entry-level dimensions go on the entry and on every line (a line's own
   dimensions win), per-line ones on the lines with that SKU; ``mapping_version`` names the
   version.

A value must be one text, number or boolean; an expression that finds a list or an object is
not used, and the event carries a notice saying so (it still posts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ledgerbridge.events import (
    Adjustment,
    CanonicalEvent,
    Conversion,
    Dispute,
    Fee,
    Notice,
    OrderCancelled,
    OrderEdited,
    OrderPaid,
    OrderPending,
    OrderSnapshot,
    Payout,
    Refund,
)
from ledgerbridge.ledger.chart import clearing_role
from ledgerbridge.ledger.entries import JournalEntry
from ledgerbridge.mapping.document import (
    ADDED_FIELDS,
    CANONICAL_FIELDS,
    ActiveMapping,
    Expression,
    MappingDocument,
)
from ledgerbridge.posting.accounts import CLEARING, AccountMap
from ledgerbridge.posting.prior import PriorState
from ledgerbridge.posting.rates import RateTable
from ledgerbridge.posting.rules import post


class _NotOneValue(Exception):
    """An expression found a list or an object where one value is needed."""


def text_of(value: Any) -> str | None:
    """One found value as text; None for nothing (null, missing, empty text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):  # only from a JSON literal inside an expression
        return repr(value)
    raise _NotOneValue(type(value).__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    """One event after the mapping: what to post, and what to add to the entry."""

    event: CanonicalEvent
    facts: Mapping[str, str] = field(default_factory=dict)
    """The event's facts for account rules."""
    dimensions: Mapping[str, str] = field(default_factory=dict)
    """Entry-level dimensions (also put on every line)."""
    by_sku: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per-line dimensions of the lines with each SKU."""
    notices: tuple[Notice, ...] = ()


class _Found:
    """Evaluates expressions, collecting a notice for each that found more than one value."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def value(self, expression: Expression, data: Any, path: str) -> str | None:
        try:
            return text_of(expression.search(data))
        except _NotOneValue as kind:
            self.notices.append(
                Notice(
                    f"mapping {path}: {expression.text!r} found a {kind}, not one value; "
                    "it was not used",
                    {"path": path},
                )
            )
            return None


def _fields(document: MappingDocument, raw: Any, found: _Found) -> dict[str, str]:
    values = {
        name: found.value(expr, raw, f"fields.{name}") for name, expr in document.fields.items()
    }
    return {name: value for name, value in values.items() if value is not None}


def _snapshot(order: OrderSnapshot, values: Mapping[str, str]) -> OrderSnapshot:
    gateway = values.get("gateway")
    payments = (
        tuple(replace(p, gateway=gateway) for p in order.payments)
        if gateway is not None
        else order.payments
    )
    return replace(
        order,
        name=values.get("order_name", order.name),
        customer=values.get("customer", order.customer),
        source_name=values.get("channel", order.source_name),
        country=values.get("country", order.country),
        payments=payments,
    )


def _overridden(event: CanonicalEvent, values: Mapping[str, str]) -> CanonicalEvent:
    if not any(name in CANONICAL_FIELDS for name in values):
        return event
    if isinstance(event, OrderPaid | OrderPending | OrderEdited):
        return replace(event, order=_snapshot(event.order, values))
    if isinstance(event, Refund) and "gateway" in values:
        gateway = values["gateway"]
        return replace(event, payments=tuple(replace(p, gateway=gateway) for p in event.payments))
    return event


def apply_fields(document: MappingDocument, event: CanonicalEvent, raw: Any) -> CanonicalEvent:
    """Only the canonical overrides: for an order snapshot booked earlier, so an edit or a
    refund compares like with like."""
    return _overridden(event, _fields(document, raw, _Found()))


_ORDER_KINDS = frozenset({"order_paid", "order_pending", "order_edited"})
"""Kinds of the entries that book an order (not its refunds or cancellation)."""


def _order_facts(order: OrderSnapshot) -> dict[str, str | None]:
    return {
        "currency": order.currency,
        "country": order.country,
        "channel": order.source_name,
        "customer": order.customer,
        "gateway": order.payments[0].gateway if order.payments else None,
    }


def _canonical_facts(event: CanonicalEvent) -> dict[str, str | None]:
    if isinstance(event, OrderPaid | OrderPending | OrderEdited):
        return _order_facts(event.order)
    if isinstance(event, Refund):
        gateway = event.payments[0].gateway if event.payments else None
        return {"currency": event.currency, "gateway": gateway}
    if isinstance(event, Payout | Fee | Dispute | Adjustment):
        return {"currency": event.amount.currency}
    if isinstance(event, Conversion):
        return {"currency": event.source.currency}
    assert isinstance(event, OrderCancelled)
    return {}


def _per_line(document: MappingDocument, raw: Any, found: _Found) -> dict[str, dict[str, str]]:
    by_sku: dict[str, dict[str, str]] = {}
    for dim in document.dimensions:
        if dim.per_line is None or dim.items is None or dim.sku is None:
            continue
        items = dim.items.search(raw)
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            sku = found.value(dim.sku, item, f"dimensions.{dim.name}.sku")
            value = found.value(dim.per_line, item, f"dimensions.{dim.name}.per_line")
            if sku is not None and value is not None:
                by_sku.setdefault(sku, {})[dim.name] = value
    return by_sku


def apply(document: MappingDocument, event: CanonicalEvent, raw: Any) -> Applied:
    """The event as the mapping shapes it, with its facts and dimensions."""
    found = _Found()
    values = _fields(document, raw, found)
    mapped = _overridden(event, values)
    dimensions = {name: value for name, value in values.items() if name in ADDED_FIELDS}
    for dim in document.dimensions:
        if dim.expression is not None:
            value = found.value(dim.expression, raw, f"dimensions.{dim.name}")
            if value is not None:
                dimensions[dim.name] = value
    facts = {
        **{k: v for k, v in _canonical_facts(mapped).items() if v is not None},
        **dimensions,
    }
    by_sku = _per_line(document, raw, found)
    return Applied(
        mapped,
        MappingProxyType(facts),
        MappingProxyType(dimensions),
        MappingProxyType(by_sku),
        tuple(found.notices),
    )


def booked_facts(document: MappingDocument, prior: PriorState) -> dict[str, str]:
    """The facts of the order as it was booked: its snapshot's, and the added fields and
    entry-level dimensions ``document`` names, as the order's entries recorded them (the latest
    booking wins). Empty when the order was never booked."""
    if prior.order is None:
        return {}
    facts = {k: v for k, v in _order_facts(prior.order).items() if v is not None}
    names = {name for name in document.fields if name in ADDED_FIELDS}
    names |= {dim.name for dim in document.dimensions if dim.expression is not None}
    for entry in prior.entries:
        if entry.source.kind not in _ORDER_KINDS or entry.reverses is not None:
            continue
        for name in names:
            value = entry.dimensions.get(name)
            if isinstance(value, str):
                facts[name] = value
    return facts


def with_mapping(accounts: AccountMap, document: MappingDocument, connection: str) -> AccountMap:
    """``accounts`` with the document's defaults (``clearing`` names the connection's clearing)
    and its rules."""
    defaults = {
        (clearing_role(connection) if role == CLEARING else role): code
        for role, code in document.defaults.items()
    }
    return replace(accounts, codes={**accounts.codes, **defaults}, rules=document.rules)


def decorate(entry: JournalEntry, applied: Applied, version: int) -> JournalEntry:
    """The entry with the mapping's dimensions and its version."""
    lines = []
    for line in entry.lines:
        sku = line.dimensions.get("sku")
        per_line = applied.by_sku.get(sku, {}) if isinstance(sku, str) else {}
        lines.append(
            replace(line, dimensions={**applied.dimensions, **per_line, **line.dimensions})
        )
    return replace(
        entry,
        lines=tuple(lines),
        dimensions={**entry.dimensions, **applied.dimensions},
        mapping_version=version,
    )


def post_mapped(
    event: CanonicalEvent,
    raw: Any,
    mapping: ActiveMapping | None,
    *,
    connection: str,
    accounts: AccountMap,
    rates: RateTable,
    base_currency: str,
    prior: PriorState,
) -> tuple[JournalEntry | None, tuple[Notice, ...]]:
    """The entry ``event`` posts under ``mapping`` (None: exactly as without one), and the
    mapping's notices. ``accounts`` must already carry the mapping (:func:`with_mapping`).

    Raises what :func:`ledgerbridge.posting.post` raises.
    """
    if mapping is None:
        entry = post(
            event,
            connection=connection,
            accounts=accounts,
            rates=rates,
            base_currency=base_currency,
            prior=prior,
        )
        return entry, ()
    applied = apply(mapping.document, event, raw)
    facts = applied.facts
    if isinstance(applied.event, Refund):
        facts = {**booked_facts(mapping.document, prior), **facts}
    entry = post(
        applied.event,
        connection=connection,
        accounts=accounts.with_facts(facts, sku_facts=applied.by_sku),
        rates=rates,
        base_currency=base_currency,
        prior=prior,
    )
    if entry is None:
        return None, applied.notices
    return decorate(entry, applied, mapping.version), applied.notices
