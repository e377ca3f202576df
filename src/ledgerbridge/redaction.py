"""Keep secrets and card numbers out of logs.

Applied to every log record just before it is rendered: values under secret-sounding keys are
replaced whole, and any string is scrubbed of things that look like credentials we know the
shape of (ledgerbridge API keys, Stripe keys and webhook secrets, Shopify tokens and secrets,
Bearer tokens, Fernet tokens) and of card-like numbers (13–19 digits, with or without spaces or
dashes, that pass the Luhn check). A false positive costs a log line's readability; a false
negative could cost a breach, so the patterns err wide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

REDACTED = "[redacted]"
SECRET_KEYS = re.compile(
    r"(secret|token|password|passwd|authorization|api[_-]?key|cookie|signature|hmac|"
    r"card[_-]?number|pan)",
    re.IGNORECASE,
)
CREDENTIALS = re.compile(
    r"(lb_[0-9a-f]{8}_[A-Za-z0-9_-]{10,}"
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}"
    r"|whsec_[A-Za-z0-9_]{8,}"
    r"|shp(?:ss|at|ca|pa)_[A-Za-z0-9_]{8,}"
    r"|gAAAAA[A-Za-z0-9_=-]{20,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,})"
)
CARD_LIKE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


def scrub(text: str) -> str:
    """``text`` without credentials or card-like numbers."""
    return CARD_LIKE.sub(_card, CREDENTIALS.sub(REDACTED, text))


def redact(value: Any, key: str = "") -> Any:
    if key and SECRET_KEYS.search(key):
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_processor(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """A structlog processor: every field of the record through :func:`redact`."""
    return {k: redact(v, k) if k != "event" else redact(v) for k, v in event_dict.items()}
