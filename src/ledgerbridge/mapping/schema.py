"""The JSON Schema of a mapping document, built from the same vocabulary the code checks.

Generated rather than kept as a file, so the roles, fields and conditions it lists can never
drift from :mod:`.document`, and so it ships inside the package with the code (no package-data
entry to forget). ``ledgerbridge mapping schema`` prints it for editors (a YAML language server
takes ``# yaml-language-server: $schema=mapping.schema.json``).

The schema checks shape only (types, required keys, known field and role names). What needs
the book or the expressions themselves (accounts in the chart, JMESPath that compiles, known
``when`` keys) is checked by :mod:`.validate`, which reports both kinds the same way.
"""

from __future__ import annotations

from typing import Any

from ledgerbridge.mapping.document import ADDED_FIELDS, CANONICAL_FIELDS, FORMAT_VERSION, ROLES
from ledgerbridge.mapping.target import TARGET_SCHEMA

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
"""Dimension names: identifiers, so they read well in filters (``--dimension store=eu``)."""


def target_schema() -> dict[str, Any]:
    """The ``target`` section's schema (owned by the target module, which reads the section)."""
    return dict(TARGET_SCHEMA)


def document_schema() -> dict[str, Any]:
    """The whole document's JSON Schema (draft 2020-12)."""
    expression = {
        "type": "string",
        "minLength": 1,
        "description": "A JMESPath expression (https://jmespath.org); 'text' in single "
        "quotes is a literal.",
    }
    account = {
        "type": "string",
        "minLength": 1,
        "maxLength": 32,
        "description": 'An account code of the book\'s chart, as a string ("4000").',
    }
    role = {"enum": sorted(ROLES)}
    patterns = {
        "oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
        ],
        "description": "A value or glob pattern ('GC-*'), or a list of them (any may match).",
    }
    fields = {**CANONICAL_FIELDS, **ADDED_FIELDS}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ledgerbridge.invalid/schemas/mapping-v1.json",
        "title": "ledgerbridge mapping document",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {
                "const": FORMAT_VERSION,
                "description": "The document format; optional, a document without it is read "
                "as format 1.",
            },
            "description": {"type": "string"},
            "fields": {
                "type": "object",
                "description": "Canonical fields taken from the raw payload.",
                "propertyNames": {"enum": sorted(fields)},
                "properties": {
                    name: {**expression, "description": meaning}
                    for name, meaning in sorted(fields.items())
                },
                "additionalProperties": expression,
            },
            "dimensions": {
                "type": "object",
                "description": "Custom values recorded on each entry and its lines.",
                "propertyNames": {"pattern": NAME_PATTERN},
                "additionalProperties": {
                    "oneOf": [
                        expression,
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["per_line"],
                            "properties": {
                                "per_line": expression,
                                "items": expression,
                                "sku": expression,
                            },
                        },
                    ]
                },
            },
            "accounts": {
                "type": "array",
                "description": "Ordered rules; the first whose conditions all match wins.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["when", "role", "account"],
                    "properties": {
                        "when": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": patterns,
                        },
                        "role": role,
                        "account": account,
                    },
                },
            },
            "defaults": {
                "type": "object",
                "description": "A role's account when no rule matches.",
                "propertyNames": role,
                "additionalProperties": account,
            },
            "target": target_schema(),
        },
    }
