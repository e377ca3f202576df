"""Receiving a delivery: verify, store the raw bytes, acknowledge. Nothing is parsed here.

The order is the product's promise: a delivery is *verified* against the connection's secret,
then *stored* byte for byte with its headers under ``(connection, dedupe key)``, and only once
that row is committed is it acknowledged (202). A duplicate delivery finds the row already
there and is acknowledged too, so the platform stops retrying, but nothing new is written.
Parsing and posting happen later, in the worker, where a failure can be retried.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from ledgerbridge.connectors import connector_for
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.services.connections import OpenConnection, open_connection
from ledgerbridge.store.database import Database, StoreUnavailable
from ledgerbridge.store.inbox import EventStatus
from ledgerbridge.store.unit_of_work import UnitOfWork

KEPT_HEADERS_DENY = frozenset({"authorization", "cookie", "proxy-authorization"})
"""Request headers never stored: credentials of the caller, not part of the delivery."""


CREDENTIAL_HEADER_DEFAULTS = frozenset({"x-ledgerbridge-token"})
"""Headers that carry a connection's secret itself (BigCommerce's legacy hooks authenticate with
a header the merchant registered, default ``X-Ledgerbridge-Token``): checked, never stored."""


def credential_headers(settings: Mapping[str, object]) -> frozenset[str]:
    """The headers of a delivery that hold a credential for this connection."""
    named = settings.get("auth_header")
    extra = {str(named).lower()} if isinstance(named, str) and named else set()
    return CREDENTIAL_HEADER_DEFAULTS | extra


TOPIC_HEADERS = {"shopify": "X-Shopify-Topic", "woocommerce": "X-WC-Webhook-Topic"}
"""Platforms that name the topic in a header; the others (Stripe) name it in the body."""


def topic_headers(platform: str, topic: str) -> dict[str, str]:
    """The headers that carry ``topic`` for a payload handed in without its delivery."""
    header = TOPIC_HEADERS.get(platform)
    return {header: topic} if header else {}


@dataclass(frozen=True, slots=True)
class Receipt:
    event_id: int
    duplicate: bool
    status: EventStatus
    topic: str


class ConnectionDirectory:
    """Connections by name with their secrets open, cached briefly.

    Every webhook needs its connection's secret before anything else; reading and decrypting it
    per request would put a query and a Fernet decrypt on the hot path. Entries live
    ``ttl_s`` seconds, so a new or changed connection takes effect within that time.
    """

    def __init__(self, db: Database, box: SecretBox, *, ttl_s: float = 5.0) -> None:
        self.db = db
        self.box = box
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, OpenConnection]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> OpenConnection:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(name)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        try:
            with UnitOfWork(self.db) as uow:
                stored = uow.connections.get(name)
        except OperationalError as exc:
            raise StoreUnavailable("the connection store cannot be read now; retry") from exc
        opened = open_connection(stored, self.box)
        with self._lock:
            self._cache[name] = (now, opened)
        return opened


def receive(
    db: Database,
    directory: ConnectionDirectory,
    connection_name: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: dt.datetime,
    on_stored: Callable[[int], None] | None = None,
    verified: bool = False,
) -> Receipt:
    """Verify and durably store one delivery.

    Raises UnknownConnection (404), SignatureInvalid / TimestampOutsideTolerance (401),
    PayloadInvalid (400), StoreUnavailable (503). ``on_stored`` runs after the commit, with the
    event id, for a new delivery that the worker should post. ``verified=True`` skips the
    signature check, for payloads an operator hands in (``ledgerbridge ingest``).
    """
    connection = directory.get(connection_name)
    connector = connector_for(connection.platform)
    if not verified:
        # Some schemes verify through the platform's API (PayPal's verify-webhook-signature), so
        # the connection's API credentials travel with its settings, in memory only.
        settings = {
            **connection.stored.settings,
            "api_url": connection.stored.api_url,
            "api_token": connection.api_token,
        }
        connector.verify(body, headers, connection.secret, now=now, settings=settings)
    delivery = connector.delivery(body, headers)
    status = (
        EventStatus.RECEIVED
        if delivery.topic in connector.supported_topics
        else EventStatus.IGNORED
    )
    denied = KEPT_HEADERS_DENY | credential_headers(connection.stored.settings)
    kept = {k.lower(): v for k, v in headers.items() if k.lower() not in denied}
    try:
        return _store(
            db,
            connection,
            delivery.topic,
            delivery.external_id,
            status,
            kept,
            body,
            now=now,
            on_stored=on_stored,
        )
    except OperationalError as exc:  # locked for too long, disk gone, server down
        raise StoreUnavailable("the event store cannot take the delivery now; retry") from exc


def _store(
    db: Database,
    connection: OpenConnection,
    topic: str,
    external_id: str,
    status: EventStatus,
    kept: dict[str, str],
    body: bytes,
    *,
    now: dt.datetime,
    on_stored: Callable[[int], None] | None,
) -> Receipt:
    with UnitOfWork(db) as uow:
        event_id, duplicate = uow.inbox.store(
            connection_id=connection.stored.id,
            external_id=external_id,
            topic=topic,
            status=status,
            headers=kept,
            body=body,
            now=now,
        )
        if on_stored is not None and not duplicate and status is EventStatus.RECEIVED:
            uow.after_commit(lambda: on_stored(event_id))
        uow.commit()
    return Receipt(event_id, duplicate, status, topic)
