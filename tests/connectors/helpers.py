"""Shared test helpers for connector tests: fixture files, JSON bodies, event invariants."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st

from ledgerbridge.connectors.base import ParseResult
from ledgerbridge.events import CanonicalEvent, PayoutComponent
from ledgerbridge.money import Money

FIXTURES = Path(__file__).parent / "fixtures"
E = TypeVar("E")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def body(data: Any) -> bytes:
    """JSON bytes of a (possibly edited) payload; Decimals are written as JSON numbers."""
    return json.dumps(
        data, default=lambda d: float(d) if isinstance(d, Decimal) else str(d)
    ).encode()


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def amounts(value: object, path: str = "") -> list[tuple[str, Money]]:
    """Every Money inside an event, with its attribute path (components excluded: signed)."""
    if isinstance(value, Money):
        return [(path, value)]
    if isinstance(value, PayoutComponent):
        return []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found = []
        for f in dataclasses.fields(value):
            found += amounts(getattr(value, f.name), f"{path}.{f.name}")
        return found
    if isinstance(value, tuple):
        found = []
        for i, item in enumerate(value):
            found += amounts(item, f"{path}[{i}]")
        return found
    return []


def assert_amounts_positive(events: tuple[CanonicalEvent, ...]) -> None:
    """No amount in any event is negative, and each event's headline amount is above zero."""
    for event in events:
        for path, money in amounts(event):
            assert money.amount >= 0, f"{type(event).__name__}{path} is {money}"
        headline = getattr(event, "amount", None)
        if isinstance(headline, Money):
            assert headline.is_positive(), f"{type(event).__name__}.amount is {headline}"
        assert event.occurred_at.tzinfo is not None


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "1.005", "-3.00", "1e9999", "12.30", "USD", "2024-13-45"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def mutate(payload: object, data: st.DataObject) -> None:
    """Replace or delete one randomly chosen value somewhere inside ``payload``."""
    slots: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                slots.append((node, key))
                walk(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                slots.append((node, index))
                walk(value)

    walk(payload)
    container, key = data.draw(st.sampled_from(slots))
    if isinstance(container, dict) and data.draw(st.booleans()):
        del container[key]
    else:
        container[key] = data.draw(JSON_VALUES)  # type: ignore[index]


def only(result: ParseResult, kind: type[E]) -> E:
    """The one event of ``result``, which must be a ``kind``."""
    assert len(result.events) == 1, result.events
    event = result.events[0]
    assert isinstance(event, kind), event
    return event


def each(result: ParseResult, kind: type[E]) -> list[E]:
    """All events of ``result``, each of which must be a ``kind``."""
    found: list[E] = []
    for event in result.events:
        assert isinstance(event, kind), event
        found.append(event)
    return found
