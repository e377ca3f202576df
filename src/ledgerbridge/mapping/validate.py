"""Every problem of a mapping document, each with its path in the document.

Two passes, reported the same way (``accounts[2].account: no account "9999" in the chart``):

1. **shape** — the JSON Schema (:mod:`.schema`): types, required keys, known fields and roles;
2. **meaning** — what needs more than the document: account codes in the book's chart, JMESPath
   that compiles, ``when`` conditions that exist, dimension names posting does not already use,
   and the ``target`` section's own checks
   (:func:`ledgerbridge.mapping.target_validate.validate_target`,
   which reflects the target database).

Problems are values (STYLE §8): :func:`problems` returns all of them, so a user fixes a document
in one round; :func:`validate` raises :class:`MappingInvalid` carrying the list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jsonschema import Draft202012Validator, ValidationError

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.mapping.document import (
    ADDED_FIELDS,
    CONDITIONS,
    RESERVED_DIMENSIONS,
    ROLES,
    MappingDocument,
)
from ledgerbridge.mapping.schema import document_schema
from ledgerbridge.mapping.target_validate import validate_target


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with a document: where (``accounts[2].account``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class MappingInvalid(LedgerBridgeError):
    """A mapping document has problems; nothing was set. ``problems`` lists every one."""

    code = "mapping_invalid"
    http_status = 422

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        listed = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"the mapping has {count} problem{'s' if count != 1 else ''}; nothing was set:\n"
            f"{listed}",
            field=self.problems[0].path if self.problems else None,
        )

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "problems": [p.as_dict() for p in self.problems]}


def path_of(parts: Iterable[str | int]) -> str:
    """``["accounts", 2, "account"]`` → ``accounts[2].account``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_VALIDATOR = Draft202012Validator(document_schema())


def _shape_problem(error: ValidationError) -> Problem:
    """A jsonschema error in plain words, at the path of the key at fault."""
    path = path_of(error.absolute_path)
    schema_path = list(error.absolute_schema_path)
    kind, instance = error.validator, error.instance
    if "propertyNames" in schema_path:
        where = path_of(list(error.absolute_path))
        name = str(instance)
        if where == "fields":
            known = ", ".join(sorted(_mapping(error.schema).get("enum", ())))
            return Problem(_join(where, name), f'unknown field "{name}"; known fields: {known}')
        if where == "defaults":
            return Problem(_join(where, name), f'unknown role "{name}"')
        return Problem(
            _join(where, name), f'"{name}" is not a name (letters, digits and _, up to 64)'
        )
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        return Problem(_join(path, missing), "is required")
    if kind == "additionalProperties" and isinstance(instance, Mapping):
        allowed = set(_mapping(error.schema).get("properties", {}))
        unexpected = sorted(str(k) for k in instance if k not in allowed)
        first = unexpected[0] if unexpected else "?"
        return Problem(
            _join(path, first), f'unknown key "{first}"; allowed: {", ".join(sorted(allowed))}'
        )
    if kind == "type":
        expected = error.validator_value
        codes = path.endswith(".account") or path.startswith("defaults.")
        hint = ' (quote account codes: "4000")' if codes else ""
        article = "an" if str(expected)[:1] in "aeiou" else "a"
        shown = json.dumps(instance, default=str)
        return Problem(path, f"{shown} is not {article} {expected}{hint}")
    if kind == "enum" and path.endswith("role"):
        return Problem(path, f'unknown role "{instance}"; roles: {", ".join(sorted(ROLES))}')
    if kind == "const":
        return Problem(path, f"must be {error.validator_value} (the only document format)")
    if kind == "oneOf" and "dimensions" in schema_path:
        return Problem(path, "must be a JMESPath expression, or {per_line: EXPRESSION}")
    if kind == "oneOf":
        return Problem(path, "must be a text value or pattern, or a list of them")
    if kind == "minLength":
        return Problem(path, "must not be empty")
    if kind == "minProperties":
        return Problem(path, "needs at least one condition")
    return Problem(path, str(error.message))


def _expression(text: object, path: str, found: list[Problem]) -> None:
    if not isinstance(text, str):
        return  # the shape pass has said so
    try:
        jmespath.compile(text)
    except JMESPathError as exc:
        detail = " ".join(str(exc).split())
        found.append(Problem(path, f"bad JMESPath: {detail}"))


def _fields(data: Mapping[str, Any], found: list[Problem]) -> None:
    for name, text in _mapping(data.get("fields")).items():
        _expression(text, f"fields.{name}", found)


def _dimensions(data: Mapping[str, Any], found: list[Problem]) -> set[str]:
    names: set[str] = set()
    for name, spec in _mapping(data.get("dimensions")).items():
        path = f"dimensions.{name}"
        names.add(str(name))
        if name in RESERVED_DIMENSIONS:
            found.append(
                Problem(path, f'"{name}" is recorded by posting itself; choose another name')
            )
        elif name in ADDED_FIELDS and name in _mapping(data.get("fields")):
            found.append(Problem(path, f"fields.{name} already records it as a dimension"))
        if isinstance(spec, Mapping):
            for key in ("per_line", "items", "sku"):
                if key in spec:
                    _expression(spec[key], f"{path}.{key}", found)
        else:
            _expression(spec, path, found)
    return names


def _accounts(
    data: Mapping[str, Any], chart: Collection[str], dimensions: set[str], found: list[Problem]
) -> None:
    conditions = set(CONDITIONS) | dimensions
    rules = data.get("accounts")
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, Mapping):
            continue
        path = f"accounts[{index}]"
        for key in _mapping(rule.get("when")):
            if key not in conditions:
                found.append(
                    Problem(
                        f"{path}.when.{key}",
                        f'unknown condition "{key}"; use one of {", ".join(sorted(conditions))}',
                    )
                )
        _account(rule.get("account"), f"{path}.account", chart, found)
    for role, code in _mapping(data.get("defaults")).items():
        _account(code, f"defaults.{role}", chart, found)


def _account(code: object, path: str, chart: Collection[str], found: list[Problem]) -> None:
    if isinstance(code, str) and code and code not in chart:
        found.append(Problem(path, f'no account "{code}" in the chart'))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


TargetCheck = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


def _json_safe(data: object, found: list[Problem]) -> None:
    """YAML can hold what JSON cannot (dates, sets); the stored document must be JSON."""
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        found.append(Problem("", f"the document holds a value JSON cannot store ({exc})"))


def problems(
    data: object, *, accounts: Collection[str], target_check: TargetCheck | None = None
) -> list[Problem]:
    """Every problem of ``data`` as a mapping for a book whose chart has ``accounts`` (codes).

    ``target_check`` replaces the target module's own check (tests); by default the ``target``
    section, when present and well-shaped, is checked against its database.
    """
    if not isinstance(data, Mapping):
        return [Problem("", "a mapping document must be a mapping (YAML) or an object (JSON)")]
    found = sorted({_shape_problem(e) for e in _VALIDATOR.iter_errors(data)}, key=lambda p: p.path)
    _json_safe(data, found)
    _fields(data, found)
    dimensions = _dimensions(data, found)
    _accounts(data, accounts, dimensions, found)
    target = data.get("target")
    shape_ok = not any(p.path == "target" or p.path.startswith("target.") for p in found)
    if isinstance(target, Mapping) and shape_ok:
        check = target_check or validate_target
        found += [Problem(path, message) for path, message in check(target)]
    return list(dict.fromkeys(found))


def validate(
    data: object, *, accounts: Collection[str], target_check: TargetCheck | None = None
) -> MappingDocument:
    """The checked document; raises :class:`MappingInvalid` listing every problem."""
    found = problems(data, accounts=accounts, target_check=target_check)
    if found:
        raise MappingInvalid(found)
    assert isinstance(data, Mapping)
    return MappingDocument.from_data(data)
