"""Mapping documents per connection: set (validated, versioned, audited), show, dry-run, and
the loader the worker asks for the version in force.

Versions are append-only; the highest is active, so "going back" is setting the old document
again (a new version with the old content). Setting the document that is already active is a
no-op: same sha256, same version, no audit record. A document with problems is refused whole and
the active version stays as it was.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.base import PayloadInvalid, load_json
from ledgerbridge.errors import InvalidInput
from ledgerbridge.events import Notice
from ledgerbridge.ledger.serialize import canonical_bytes, entry_dict
from ledgerbridge.mapping.apply import post_mapped
from ledgerbridge.mapping.document import ActiveMapping, MappingDocument
from ledgerbridge.mapping.target import safe_url
from ledgerbridge.mapping.validate import TargetCheck, validate
from ledgerbridge.pipeline.enrich import ledger_extra
from ledgerbridge.pipeline.prior import account_map, load_prior, subject_of
from ledgerbridge.posting.rates import RateTable
from ledgerbridge.services.books import post_in
from ledgerbridge.services.connections import OpenConnection
from ledgerbridge.store.connections import StoredConnection
from ledgerbridge.store.database import Database
from ledgerbridge.store.mappings import StoredMapping
from ledgerbridge.store.unit_of_work import UnitOfWork


def load_document(text: str, *, filename: str = "") -> Any:
    """A mapping file's content: JSON by extension (``.json``) or first character, else YAML.

    Raises InvalidInput for text that is neither.
    """
    stripped = text.lstrip()
    try:
        if filename.endswith(".json") or stripped.startswith("{"):
            return json.loads(text)
        data = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())
        raise InvalidInput(f"the mapping is not valid JSON or YAML: {detail}") from None
    _require_text_keys(data, "")
    return data


def _require_text_keys(data: object, path: str) -> None:
    """YAML keys may be numbers, booleans or null (``1:``, ``yes:``, ``~:``); a mapping's names
    are text, so such a key is refused by its path instead of being stored as "1" or "true"."""
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str):
                raise InvalidInput(
                    f"{where}: names in a mapping must be text; quote the key ('{key}':)",
                    field=where,
                )
            _require_text_keys(value, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _require_text_keys(value, f"{path}[{index}]")


def document_sha256(document: Mapping[str, Any]) -> str:
    """The hash of the document's canonical JSON: key order and whitespace do not count."""
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


@dataclass(frozen=True, slots=True)
class MappingSet:
    connection: str
    version: int
    document_sha256: str
    created: bool
    """False when the document was already the active version (nothing was written)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "version": self.version,
            "document_sha256": self.document_sha256,
            "created": self.created,
        }


def _chart(uow: UnitOfWork) -> set[str]:
    return {stored.account.code for stored in uow.accounts.all()}


def check_document(
    db: Database, data: object, *, target_check: TargetCheck | None = None
) -> MappingDocument:
    """``data`` checked against the book's chart (and its target's database).

    Raises MappingInvalid listing every problem, BookNotInitialised.
    """
    with UnitOfWork(db, read_only=True) as uow:
        uow.book.require()
        chart = _chart(uow)
    return validate(data, accounts=chart, target_check=target_check)


def set_mapping(
    db: Database,
    connection: str,
    data: object,
    *,
    created_by: str | None = None,
    clock: Clock = utcnow,
    target_check: TargetCheck | None = None,
) -> MappingSet:
    """Make ``data`` the connection's active mapping, as a new version; it applies to the next
    event the worker posts. The same document as the active one changes nothing.

    Raises UnknownConnection, MappingInvalid (every problem, with its path; the active version
    is untouched), MappingSetConcurrently, BookNotInitialised.
    """
    with UnitOfWork(db, read_only=True) as uow:
        stored = uow.connections.get(connection)
    # The target check may reflect another database: outside any transaction of ours.
    document = check_document(db, data, target_check=target_check)
    sha = document_sha256(document.data)
    with UnitOfWork(db) as uow:
        active = uow.mappings.active(stored.id)
        if active is not None and active.document_sha256 == sha:
            return MappingSet(connection, active.version, sha, created=False)
        now = clock()
        added = uow.mappings.add(
            stored.id, dict(document.data), sha256=sha, created_by=created_by, now=now
        )
        uow.audit.append(
            "mapping.set",
            {
                "connection": connection,
                "version": added.version,
                "document_sha256": sha,
                "created_by": created_by,
            },
            now=now,
        )
        uow.commit()
    return MappingSet(connection, added.version, sha, created=True)


def _version_json(stored: StoredMapping) -> dict[str, Any]:
    return {
        "version": stored.version,
        "document_sha256": stored.document_sha256,
        "created_by": stored.created_by,
        "created_at": stored.created_at.isoformat(),
    }


def _shown(connection: StoredConnection, versions: list[StoredMapping]) -> dict[str, Any]:
    active = versions[-1] if versions else None
    return {
        "connection": connection.name,
        "platform": connection.platform,
        "active_version": active.version if active else None,
        "versions": [_version_json(v) for v in versions],
        "document": _without_password(active.document) if active else None,
    }


def _without_password(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as shown to readers: a target URL's password replaced by ``***`` (the
    stored document keeps it; showing it would hand the ERP's credentials to any read key)."""
    shown = dict(document)
    target = shown.get("target")
    if isinstance(target, Mapping) and isinstance(target.get("url"), str):
        shown["target"] = {**target, "url": safe_url(target["url"])}
    return shown


def show(db: Database, connection: str | None = None) -> dict[str, Any]:
    """Per connection (or the one named): its versions, oldest first, the active version and
    the active document. Raises UnknownConnection."""
    with UnitOfWork(db, read_only=True) as uow:
        uow.book.require()
        found = [uow.connections.get(connection)] if connection else list(uow.connections.all())
        shown = [_shown(c, list(uow.mappings.versions(c.id))) for c in found]
    return {"mappings": shown}


class MappingCache:
    """The worker's loader: the active version is looked up per event (one indexed aggregate),
    the document is compiled once per (connection, version). A new version is therefore used
    from the next event on, with no restart and no invalidation to forget."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[int, int], ActiveMapping] = {}
        self._lock = threading.Lock()

    def active(self, uow: UnitOfWork, connection_id: int) -> ActiveMapping | None:
        version = uow.mappings.active_version(connection_id)
        if version is None:
            return None
        key = (connection_id, version)
        with self._lock:
            cached = self._compiled.get(key)
        if cached is None:
            stored = uow.mappings.get(connection_id, version)
            cached = ActiveMapping(version, MappingDocument.from_data(stored.document))
            with self._lock:
                self._compiled[key] = cached
        return cached


SHOPIFY_WRAPPERS = frozenset({"order", "refund", "payout"})


def mapping_input(platform: str, body: bytes, fetched: Mapping[str, Any] | None = None) -> Any:
    """The JSON mapping expressions run over: the platform's resource itself, the same whether
    it came in a webhook envelope or bare from a history sync, so one expression serves both.

    * Shopify: the order / refund (Admin REST wraps it in ``{"order": …}``, webhooks do not);
    * Stripe: the event's ``data.object`` (a sync pulls the charge itself);
    * Square: the payment / refund / payout inside ``data.object``;
    * PayPal: the event's ``resource`` (capture, refund, dispute);
    * BigCommerce: ``{"order", "products", "taxes", …}`` as read from the API (a webhook is
      only an id; the worker fetched the rest);
    * Adobe Commerce: ``{"invoice" | "creditmemo", "order", …}`` (a webhook's ``data`` plus the
      order the worker fetched);
    * WooCommerce: the order, as both forms are.

    None when the body is not JSON (the connector then says what is wrong with it).
    """
    try:
        doc = load_json(body)
    except PayloadInvalid:
        return None
    if not isinstance(doc, dict):
        return doc
    if platform == "shopify" and len(doc) == 1:
        ((key, value),) = doc.items()
        return value if key in SHOPIFY_WRAPPERS and isinstance(value, dict) else doc
    if platform in ("stripe", "square", "paypal"):
        return _unwrapped_event(platform, doc)
    if platform == "bigcommerce" and "scope" in doc:
        return dict(fetched or {})
    if platform == "magento" and "eventName" in doc and isinstance(doc.get("data"), dict):
        return {**doc["data"], **(fetched or {})}
    return doc


def _unwrapped_event(platform: str, doc: dict[str, Any]) -> Any:
    if platform == "paypal":
        resource = doc.get("resource")
        return resource if "event_type" in doc and isinstance(resource, dict) else doc
    data = doc.get("data")
    inner = data.get("object") if isinstance(data, dict) else None
    if platform == "stripe":
        return inner if doc.get("object") == "event" and isinstance(inner, dict) else doc
    if isinstance(inner, dict) and len(inner) == 1:  # Square: {"payment": {...}}
        (value,) = inner.values()
        return value if isinstance(value, dict) else inner
    return inner if isinstance(inner, dict) else doc


def test_mapping(
    db: Database,
    connection: str,
    topic: str,
    body: bytes,
    *,
    rates: RateTable,
    document: object = None,
) -> dict[str, Any]:
    """The entries ``body`` would post on ``connection`` under its active mapping (or under
    ``document``, a candidate checked first), with the notices; nothing is written.

    The posting runs exactly as the worker's, against the ledger as it stands, inside a
    transaction that is rolled back. The platform's API is not called, so detail only the API
    gives (Stripe balance transactions) is missing, as for a connection without a token.

    Raises UnknownConnection, MappingInvalid (candidate), PayloadInvalid, UnsupportedTopic, and
    what posting raises (MissingPrerequisite, UnknownRole, OrderDoesNotAddUp …).
    """
    candidate = check_document(db, document) if document is not None else None
    cache = MappingCache()
    with UnitOfWork(db, durable=False) as uow:  # never committed
        stored = uow.connections.get(connection)
        opened = OpenConnection(stored, secret="", api_token=None)
        mapping = (
            ActiveMapping(0, candidate) if candidate is not None else cache.active(uow, stored.id)
        )
        extra = ledger_extra(uow, opened, topic, body)
        parsed = connector_for(stored.platform).parse(topic, body, extra=extra)
        base = uow.book.require().base_currency
        accounts = account_map(uow, opened, mapping)
        raw = mapping_input(stored.platform, body)
        notices: list[Notice] = list(parsed.notices)
        entries: list[dict[str, Any]] = []
        for event in parsed.events:
            entry, found = post_mapped(
                event,
                raw,
                mapping,
                connection=stored.name,
                accounts=accounts,
                rates=rates,
                base_currency=base,
                prior=load_prior(uow, opened, event, mapping),
            )
            notices += found
            if entry is None:
                continue
            if candidate is not None:
                entry = replace(entry, mapping_version=None)  # a candidate has no version yet
            result = post_in(uow, entry, now=utcnow(), subject=subject_of(event))
            entries.append({**entry_dict(entry), "already_posted": not result.created})
        uow.rollback()
    return {
        "connection": connection,
        "topic": topic,
        "mapping_version": mapping.version if mapping and candidate is None else None,
        "candidate": candidate is not None,
        "entries": entries,
        "notices": [{"message": n.message, **dict(n.details)} for n in notices],
    }
