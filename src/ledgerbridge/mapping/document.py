"""The mapping document as values: what a connection's mapping says, once it has been checked.

A mapping is data a developer writes (YAML or JSON) to bend the canonical events of one
connection to their books without code or migrations (docs/mapping.md walks through three)::

    version: 1
    fields:                       # canonical fields taken from the raw payload (JMESPath)
      order_reference: "note_attributes[?name=='erp_ref'].value | [0]"
      channel: "source_name"
    dimensions:                   # custom values stored on the entry and its lines
      store: "'eu-main'"
      region: "shipping_address.province_code"
      sku_category: {per_line: "product_type"}
    accounts:                     # ordered rules, first match wins
      - {when: {gateway: paypal}, role: clearing, account: "1203"}
      - {when: {sku: "GC-*"}, role: sales, account: "4010"}
    defaults: {shipping_income: "4050"}   # a role's account when no rule matches
    target: {...}                 # optional: the user's own accounting tables

This module holds the vocabulary (which fields, conditions and roles exist) and the frozen
values :func:`~ledgerbridge.mapping.validate.validate` builds; it does no checking itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import jmespath
from jmespath.parser import ParsedResult

from ledgerbridge.ledger.chart import Role
from ledgerbridge.posting.accounts import CLEARING, AccountRule

FORMAT_VERSION = 1
"""The document format this code reads (``version:`` in the document)."""

CANONICAL_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "order_name": "the order number people see (OrderSnapshot.name), used in descriptions",
        "customer": "the customer id of an order",
        "channel": "the sales channel (OrderSnapshot.source_name)",
        "country": "the order's country code",
        "gateway": "the gateway of every payment of an order or refund (routes clearing)",
    }
)
"""Fields that replace a value of the canonical event when their expression finds one."""

ADDED_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "order_reference": "a reference of the order in another system (an ERP number)",
        "merchant_code": "the merchant account or code the money was taken under",
        "payment_method": "how the customer paid (card brand, wallet, bank transfer …)",
    }
)
"""Fields the canonical events do not have: recorded as entry dimensions and matchable by
account rules."""

FIELDS = frozenset(CANONICAL_FIELDS) | frozenset(ADDED_FIELDS)

CONDITIONS: Mapping[str, str] = MappingProxyType(
    {
        "gateway": "a tender's gateway; elsewhere the first payment's gateway",
        "payment_kind": "a tender's kind: card, gift_card, manual or store_credit",
        "payment_method": "fields.payment_method",
        "merchant_code": "fields.merchant_code",
        "order_reference": "fields.order_reference",
        "sku": "a product line's SKU (sales, discounts, gift cards sold, returns)",
        "product_type": "a product line's product type",
        "tax_jurisdiction": "a tax line's jurisdiction code, else its title",
        "shipping_method": "a shipping line's title",
        "country": "the order's country code",
        "currency": "the event's currency",
        "channel": "the order's channel (source_name)",
        "customer": "the order's customer id",
    }
)
"""Facts an account rule may test (``when`` keys), besides the mapping's own dimensions."""

ROLES = frozenset({*(role.value for role in Role), CLEARING})
"""Roles rules and defaults may name: the chart's roles, and ``clearing`` for the connection's
clearing (or its gateway's)."""

RESERVED_DIMENSIONS = frozenset(
    {
        "order_id",
        "order_name",
        "customer",
        "source_name",
        "country",
        "revision",
        "reverses",
        "dispute_id",
        "dispute_stage",
        "payout_id",
        "bank_reference",
        "related_id",
        "reason",
        "sku",
        "product_type",
        "gateway",
        "transaction_id",
        "jurisdiction",
        "arrival_date",
    }
)
"""Dimensions posting itself records (and reads back: ``reverses``, ``dispute_stage``); a
mapping may not redefine them."""

DEFAULT_LINE_ITEMS = "line_items"
DEFAULT_LINE_SKU = "sku"


@dataclass(frozen=True, slots=True)
class Expression:
    """A JMESPath expression and its compiled form; equal when the text is."""

    text: str
    compiled: ParsedResult = field(compare=False, repr=False)

    @classmethod
    def of(cls, text: str) -> Expression:
        """Raises jmespath's ParseError (and LexerError) for a bad expression."""
        return cls(text, jmespath.compile(text))

    def search(self, data: Any) -> Any:
        return self.compiled.search(data)


@dataclass(frozen=True, slots=True)
class Dimension:
    """A named custom value: ``expression`` over the payload for the entry (and every line),
    or ``per_line`` over each raw line item for the entry lines with that item's SKU."""

    name: str
    expression: Expression | None = None
    per_line: Expression | None = None
    items: Expression | None = None
    """Where the raw line items are (default ``line_items``)."""
    sku: Expression | None = None
    """The SKU of one raw line item (default ``sku``)."""


@dataclass(frozen=True, slots=True)
class MappingDocument:
    """A checked mapping. ``data`` is the document as written (what is stored and hashed)."""

    fields: Mapping[str, Expression]
    dimensions: tuple[Dimension, ...]
    rules: tuple[AccountRule, ...]
    defaults: Mapping[str, str]
    target: Mapping[str, Any] | None
    data: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> MappingDocument:
        """Build from a document that passed validation (or was stored after it)."""
        dimensions = []
        for name, spec in (data.get("dimensions") or {}).items():
            if isinstance(spec, str):
                dimensions.append(Dimension(name, expression=Expression.of(spec)))
            else:
                dimensions.append(
                    Dimension(
                        name,
                        per_line=Expression.of(spec["per_line"]),
                        items=Expression.of(spec.get("items", DEFAULT_LINE_ITEMS)),
                        sku=Expression.of(spec.get("sku", DEFAULT_LINE_SKU)),
                    )
                )
        rules = tuple(
            AccountRule(
                rule["role"],
                rule["account"],
                {
                    key: (value,) if isinstance(value, str) else tuple(value)
                    for key, value in rule["when"].items()
                },
            )
            for rule in data.get("accounts") or ()
        )
        return cls(
            fields={name: Expression.of(text) for name, text in (data.get("fields") or {}).items()},
            dimensions=tuple(dimensions),
            rules=rules,
            defaults=dict(data.get("defaults") or {}),
            target=data.get("target"),
            data=data,
        )


@dataclass(frozen=True, slots=True)
class ActiveMapping:
    """The mapping version a connection posts with."""

    version: int
    document: MappingDocument
