"""Every kind of problem ``mapping set`` refuses, with its message and its path in the
document, on SQLite and PostgreSQL; each leaves the active version as it was."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ledgerbridge.errors import InvalidInput
from ledgerbridge.mapping.schema import document_schema
from ledgerbridge.mapping.validate import MappingInvalid, Problem, problems
from ledgerbridge.services.mapping import load_document, set_mapping, show
from tests.pipeline.conftest import Book

GOOD: dict[str, Any] = {
    "version": 1,
    "fields": {"order_reference": "note_attributes[?name=='erp_ref'].value | [0]"},
    "dimensions": {"store": "'us-main'", "sku_category": {"per_line": "product_type"}},
    "accounts": [
        {"when": {"gateway": "paypal"}, "role": "clearing", "account": "1203"},
        {"when": {"sku": "GC-*"}, "role": "sales", "account": "4100"},
    ],
    "defaults": {"shipping_income": "4100"},
}


def changed(path: list[str | int], value: Any) -> dict[str, Any]:
    """GOOD with the value at ``path`` replaced (or removed, for ``...``)."""
    document = copy.deepcopy(GOOD)
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


CASES = [
    (
        "unknown account",
        changed(["accounts", 1, "account"], "9999"),
        "accounts[1].account",
        'no account "9999" in the chart',
    ),
    (
        "unknown default account",
        changed(["defaults", "shipping_income"], "8888"),
        "defaults.shipping_income",
        'no account "8888" in the chart',
    ),
    (
        "bad field expression",
        changed(["fields", "order_reference"], "note_attributes[?"),
        "fields.order_reference",
        "bad JMESPath",
    ),
    (
        "bad dimension expression",
        changed(["dimensions", "store"], "a.[b"),
        "dimensions.store",
        "bad JMESPath",
    ),
    (
        "bad per-line expression",
        changed(["dimensions", "sku_category"], {"per_line": "x ||"}),
        "dimensions.sku_category.per_line",
        "bad JMESPath",
    ),
    (
        "unknown field",
        changed(["fields", "colour"], "a"),
        "fields.colour",
        'unknown field "colour"',
    ),
    (
        "unknown role",
        changed(["accounts", 0, "role"], "clearance"),
        "accounts[0].role",
        'unknown role "clearance"',
    ),
    (
        "unknown default role",
        changed(["defaults", "revenue"], "4000"),
        "defaults.revenue",
        'unknown role "revenue"',
    ),
    (
        "unknown when key",
        changed(["accounts", 0, "when"], {"colour": "red"}),
        "accounts[0].when.colour",
        'unknown condition "colour"',
    ),
    (
        "missing account",
        changed(["accounts", 0, "account"], ...),
        "accounts[0].account",
        "is required",
    ),
    ("missing role", changed(["accounts", 1, "role"], ...), "accounts[1].role", "is required"),
    (
        "account code as a number",
        changed(["accounts", 1, "account"], 4100),
        "accounts[1].account",
        '4100 is not a string (quote account codes: "4000")',
    ),
    (
        "expression of the wrong type",
        changed(["fields", "order_reference"], ["a"]),
        "fields.order_reference",
        "is not a string",
    ),
    ("unknown top-level key", changed(["acounts"], []), "acounts", 'unknown key "acounts"'),
    (
        "reserved dimension",
        changed(["dimensions", "dispute_stage"], "'x'"),
        "dimensions.dispute_stage",
        "recorded by posting itself",
    ),
    (
        "dimension that is not a name",
        changed(["dimensions", "my store"], "'x'"),
        "dimensions.my store",
        "is not a name",
    ),
    (
        "empty conditions",
        changed(["accounts", 0, "when"], {}),
        "accounts[0].when",
        "needs at least one condition",
    ),
    ("target of the wrong type", changed(["target"], "erp"), "target", "is not an object"),
    ("newer document format", changed(["version"], 2), "version", "must be 1"),
]


@pytest.mark.parametrize(
    ("document", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_refused_mapping_names_the_path_and_leaves_the_active_version(
    book: Book, document: dict[str, Any], path: str, message: str
) -> None:
    assert set_mapping(book.db, "shop", GOOD).version == 1
    with pytest.raises(MappingInvalid) as caught:
        set_mapping(book.db, "shop", document)
    assert any(p.path == path and message in p.message for p in caught.value.problems), [
        str(p) for p in caught.value.problems
    ]
    assert f"{path}: " in caught.value.message
    [shown] = show(book.db, "shop")["mappings"]
    assert shown["active_version"] == 1
    assert len(shown["versions"]) == 1
    assert shown["document"] == GOOD


def test_every_problem_is_reported_at_once() -> None:
    document = changed(["accounts", 1, "account"], "9999")
    document["fields"]["channel"] = "source_name["
    document["accounts"][0]["when"] = {"colour": "red"}
    found = problems(document, accounts={"1203", "4100"})
    assert {p.path for p in found} == {
        "accounts[1].account",
        "fields.channel",
        "accounts[0].when.colour",
    }


def test_the_target_section_is_checked_by_its_own_module_with_its_paths() -> None:
    target_checks: list[Any] = []

    def check(section: Any) -> list[tuple[str, str]]:
        target_checks.append(section)
        return [("target.lines.columns.dr_amount", "expects a number, the expression gives text")]

    document = {"version": 1, "target": _target()}
    found = problems(document, accounts=set(), target_check=check)
    assert found == [
        Problem("target.lines.columns.dr_amount", "expects a number, the expression gives text")
    ]
    assert target_checks == [_target()]


def _target() -> dict[str, Any]:
    return {
        "url": "sqlite://",
        "header": {"table": "gl_batch", "columns": {"descr": "entry.description"}},
        "lines": {
            "table": "gl_detail",
            "parent": {"column": "batch_id", "from": "header.batch_id"},
            "columns": {"account_no": "line.account"},
        },
    }


def test_the_same_document_again_is_a_no_op_and_another_is_the_next_version(book: Book) -> None:
    first = set_mapping(book.db, "shop", GOOD)
    again = set_mapping(book.db, "shop", copy.deepcopy(GOOD))
    assert (first.created, again.created) == (True, False)
    assert again.version == first.version == 1
    other = set_mapping(book.db, "shop", changed(["dimensions", "store"], "'eu'"))
    assert (other.version, other.created) == (2, True)
    back = set_mapping(book.db, "shop", GOOD)  # going back is a new version of the old text
    assert (back.version, back.document_sha256) == (3, first.document_sha256)


def test_yaml_and_json_read_the_same_and_broken_text_is_refused() -> None:
    yaml_text = "version: 1\ndefaults: {sales: '4000'}\n"
    json_text = '{"version": 1, "defaults": {"sales": "4000"}}'
    assert load_document(yaml_text, filename="m.yaml") == load_document(json_text)
    with pytest.raises(InvalidInput, match="not valid JSON or YAML"):
        load_document("version: [1", filename="m.yaml")


def test_the_schema_is_valid_json_schema_and_refers_to_the_target_schema() -> None:
    schema = document_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["target"].get("type") == "object"
    assert "clearing" in schema["properties"]["accounts"]["items"]["properties"]["role"]["enum"]
