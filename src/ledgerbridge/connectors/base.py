"""The connector port: what every platform adapter offers, and the errors it may raise.

A connector does three things and nothing else (ARCHITECTURE "Adapters", STYLE §4):

1. ``verify`` — is this delivery really from the platform? Signatures are checked over the raw
   bytes with a constant-time comparison, and a clock is *injected* (``now``) so that a
   timestamp tolerance can be tested without sleeping or patching.
2. ``delivery`` — which topic is this, and what is its dedupe key? The ingress stores the raw
   body under ``(connection, external_id)`` before anything is parsed.
3. ``parse`` — platform JSON → canonical events (:mod:`ledgerbridge.events`) plus notices for a
   person. Every failure is a :class:`PayloadInvalid` naming the JSON path at fault; no
   ``KeyError``/``TypeError``/``ValueError`` may leak, because the worker treats anything that
   is not a :class:`~ledgerbridge.errors.LedgerBridgeError` as a bug.

Traps recorded here so no adapter repeats them:

* An empty secret must never verify: HMAC with an empty key is a valid HMAC, so a connection
  saved without a secret would otherwise accept anyone who also signs with an empty key (the
  WooCommerce core test suite does exactly that).
* Header names arrive in any case (``X-Shopify-Hmac-Sha256``, ``x-shopify-hmac-sha256``); every
  adapter reads them through :func:`lower_headers`.
* ``json.loads`` turns ``12.30`` into a float. Bodies are read with :func:`load_json`, which maps
  JSON numbers with a fraction or exponent to ``Decimal`` and refuses ``NaN``/``Infinity``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from ledgerbridge.errors import LedgerBridgeError
from ledgerbridge.events import CanonicalEvent, Notice


class SignatureInvalid(LedgerBridgeError):
    """The delivery is not signed with the connection's secret (or not signed at all)."""

    code = "signature_invalid"
    http_status = 401


class TimestampOutsideTolerance(LedgerBridgeError):
    """The signature is valid but its timestamp is too far from now: a replay, or a bad clock."""

    code = "timestamp_outside_tolerance"
    http_status = 401


class PayloadInvalid(LedgerBridgeError):
    """The body cannot be read as the platform documents it; ``field`` is the JSON path at fault
    (``line_items[0].price``), or ``body`` when the bytes are not a JSON object at all."""

    code = "payload_invalid"
    http_status = 400


class UnsupportedTopic(LedgerBridgeError):
    """A verified topic that we do not post. The pipeline stores such rows as ``ignored`` so a
    later parser can replay them; it is not a failure of the delivery."""

    code = "unsupported_topic"


class UnknownPlatform(LedgerBridgeError):
    """No connector is registered under that platform name."""

    code = "unknown_platform"
    http_status = 404


class PlatformUnavailable(LedgerBridgeError):
    """A platform API could not answer now (rate limit, 5xx, connection failure). Retryable:
    the worker should back off (at least ``retry_after`` seconds when the platform said so)."""

    code = "platform_unavailable"
    http_status = 503
    exit_code = 1
    retryable: ClassVar[bool] = True

    def __init__(
        self, message: str, *, retry_after: float | None = None, field: str | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class PlatformRequestFailed(LedgerBridgeError):
    """A platform API refused a request for a reason retrying will not fix (401, 404 …)."""

    code = "platform_request_failed"
    http_status = 502
    exit_code = 1
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, status: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.status = status


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the ingress needs before parsing: the topic and the dedupe key of this delivery."""

    topic: str
    external_id: str
    """Same value for every redelivery of the same thing; the inbox's unique key."""
    resource_id: str | None = None
    """The platform's id of the object the delivery is about (order, charge, payout)."""


Events = tuple[list[CanonicalEvent], list[Notice]]
"""What a connector's object parsers return before they become a :class:`ParseResult`."""


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Events to post, and notices a person should see (missing detail, totals that disagree)."""

    events: tuple[CanonicalEvent, ...] = ()
    notices: tuple[Notice, ...] = ()


class Connector(Protocol):
    """The port every platform adapter implements; see the module docstring."""

    @property
    def platform(self) -> str: ...

    @property
    def supported_topics(self) -> frozenset[str]:
        """Topics :meth:`parse` accepts: those it posts, and those it deliberately ignores
        (returns no events, e.g. WooCommerce's ping). Any other topic raises UnsupportedTopic."""
        ...

    def verify(
        self,
        body: bytes,
        headers: Mapping[str, str],
        secret: str,
        *,
        now: datetime,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        """Return if the delivery is authentic; raise SignatureInvalid or
        TimestampOutsideTolerance otherwise. ``settings`` are the connection's settings, for
        schemes that sign more than the body (Square signs the notification URL, PayPal the
        webhook id)."""
        ...

    def delivery(self, body: bytes, headers: Mapping[str, str]) -> Delivery:
        """Topic and dedupe key; raises PayloadInvalid when they cannot be read."""
        ...

    def parse(
        self, topic: str, body: bytes, *, extra: Mapping[str, Any] | None = None
    ) -> ParseResult:
        """Canonical events for one delivery (or one API resource). Raises UnsupportedTopic or
        PayloadInvalid; nothing else."""
        ...


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case, values stripped; the last of case-variant duplicates wins."""
    return {str(name).lower(): str(value).strip() for name, value in headers.items()}


def require_secret(secret: str) -> bytes:
    """The HMAC key, or SignatureInvalid when none is configured (see module docstring)."""
    if not secret:
        raise SignatureInvalid("no webhook secret is configured for this connection")
    return secret.encode("utf-8")


def hmac_sha256_base64(key: bytes, message: bytes) -> str:
    """Base64 of HMAC-SHA256, the scheme of Shopify and WooCommerce."""
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def same_signature(expected: str, provided: str) -> bool:
    """Constant-time equality of two signature strings of any content."""
    return hmac.compare_digest(expected.encode("utf-8"), provided.encode("utf-8"))


def _refuse_constant(name: str) -> Any:
    raise PayloadInvalid(f"{name} is not a JSON number we accept", field="body")


def load_json(body: bytes) -> Any:
    """Parse a webhook body exactly: fractions become ``Decimal``, ints stay ``int``.

    Raises PayloadInvalid(field="body") for bytes that are not UTF-8 JSON, for ``NaN`` and
    ``Infinity``, and for nesting deep enough to exhaust the parser.
    """
    try:
        text = body.decode("utf-8-sig")
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadInvalid(f"body is not valid JSON: {exc}", field="body") from None
    except RecursionError:
        raise PayloadInvalid("body is nested too deeply to read", field="body") from None


def dump_json(value: Any, *, decimals_as_text: bool = False) -> bytes:
    """Compact JSON bytes of a value read with :func:`load_json`, every ``Decimal`` written back
    exactly: as the number it was, or with ``decimals_as_text`` as a string (``"5.40"``, for
    bodies whose readers keep amounts as text). ``json.dumps`` alone could only pass it through a
    float. A resource cut out of an API list, or API detail kept beside a delivery, reads back
    exactly as it came."""
    return _encode(value, decimals_as_text).encode("utf-8")


def _encode(value: Any, as_text: bool) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PayloadInvalid(f"{value} cannot be written as JSON", field="body")
        return json.dumps(str(value)) if as_text else str(value)
    if isinstance(value, dict):
        parts = (f"{json.dumps(str(k))}:{_encode(v, as_text)}" for k, v in value.items())
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(v, as_text) for v in value) + "]"
    return json.dumps(value)


def load_object(body: bytes) -> dict[str, Any]:
    """:func:`load_json` for bodies that must be one JSON object."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise PayloadInvalid(f"body must be a JSON object, not {type(data).__name__}", field="body")
    return data
