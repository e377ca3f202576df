"""Connecting a store or gateway: its platform, its secrets (sealed), its clearing account."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.connectors import connector_for
from ledgerbridge.connectors.square_objects import with_fee_source
from ledgerbridge.errors import InvalidInput
from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.ledger.chart import CLEARING_CODE_START, clearing_role
from ledgerbridge.secrets_box import SecretBox
from ledgerbridge.store.connections import StoredConnection
from ledgerbridge.store.database import Database
from ledgerbridge.store.outbox import TargetLag
from ledgerbridge.store.unit_of_work import UnitOfWork

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CLEARING_CODE_END = 1300

PLATFORM_TITLES = {
    "shopify": "Shopify",
    "stripe": "Stripe",
    "woocommerce": "WooCommerce",
    "bigcommerce": "BigCommerce",
    "square": "Square",
    "paypal": "PayPal",
    "magento": "Adobe Commerce",
}


@dataclass(frozen=True, slots=True)
class OpenConnection:
    """A connection with its secrets decrypted, for the ingress and the worker only."""

    stored: StoredConnection
    secret: str
    api_token: str | None

    @property
    def name(self) -> str:
        return self.stored.name

    @property
    def platform(self) -> str:
        return self.stored.platform


def add_connection(
    db: Database,
    box: SecretBox,
    *,
    name: str,
    platform: str,
    secret: str,
    api_url: str | None = None,
    api_token: str | None = None,
    settings: dict[str, Any] | None = None,
    clock: Clock = utcnow,
) -> StoredConnection:
    """Register a connection and open its clearing account.

    Raises InvalidInput (bad name, empty secret), UnknownPlatform, ConnectionExists.
    """
    if not _NAME.match(name):
        raise InvalidInput(
            f"connection name {name!r} must be lower-case letters, digits, '-' or '_' "
            "(it appears in the webhook URL)",
            field="name",
        )
    connector_for(platform)
    if not secret:
        raise InvalidInput("the webhook secret must not be empty", field="secret")
    if api_url is not None and not re.match(r"^https?://", api_url):
        raise InvalidInput(
            f"--api-url {api_url!r} must start with http:// or https://", field="api_url"
        )
    if platform == "square":  # fixed now: adding a token later must not move the fees
        settings = with_fee_source(settings, api_token)
    with UnitOfWork(db) as uow:
        uow.book.require()
        now = clock()
        code = uow.accounts.next_code(CLEARING_CODE_START, CLEARING_CODE_END)
        title = PLATFORM_TITLES.get(platform, platform)
        account = Account(code, f"{title} clearing ({name})", AccountType.ASSET)
        if uow.accounts.by_role(clearing_role(name)) is None:
            clearing = uow.accounts.add(account, role=clearing_role(name), now=now)
        else:
            clearing = uow.accounts.by_role(clearing_role(name))  # type: ignore[assignment]
        uow.connections.add(
            name=name,
            platform=platform,
            clearing_account_id=clearing.id,
            secret_encrypted=box.seal(secret),
            api_url=api_url,
            api_token_encrypted=box.seal(api_token) if api_token else None,
            settings=settings or {},
            now=now,
        )
        uow.audit.append(
            "connection.added",
            {
                "name": name,
                "platform": platform,
                "clearing_account": clearing.account.code,
                "api_url": api_url,
                "has_api_token": api_token is not None,
            },
            now=now,
        )
        stored = uow.connections.get(name)
        uow.commit()
    return stored


def update_connection(
    db: Database,
    box: SecretBox,
    name: str,
    *,
    secret: str | None = None,
    api_url: str | None = None,
    api_token: str | None = None,
    settings: dict[str, Any] | None = None,
    clock: Clock = utcnow,
) -> StoredConnection:
    """Change a connection's secret, API access or settings (``settings`` are merged in; a key
    set to None is removed). Takes effect for deliveries within the connection cache's few
    seconds; the change is audited without the secrets. Raises UnknownConnection, InvalidInput.
    """
    if secret is not None and not secret:
        raise InvalidInput("the webhook secret must not be empty", field="secret")
    if api_url is not None and not re.match(r"^https?://", api_url):
        raise InvalidInput(
            f"--api-url {api_url!r} must start with http:// or https://", field="api_url"
        )
    with UnitOfWork(db) as uow:
        stored = uow.connections.get(name)
        values: dict[str, Any] = {}
        if secret is not None:
            values["secret_encrypted"] = box.seal(secret)
        if api_url is not None:
            values["api_url"] = api_url
        if api_token is not None:
            values["api_token_encrypted"] = box.seal(api_token) if api_token else None
        if settings:
            merged = {**stored.settings, **settings}
            values["settings"] = {k: v for k, v in merged.items() if v is not None}
        if not values:
            raise InvalidInput(
                "nothing to change: give --secret, --api-url, --api-token or --setting"
            )
        uow.connections.update(stored.id, **values)
        uow.audit.append(
            "connection.updated",
            {
                "name": name,
                "changed": sorted(
                    "secret"
                    if k == "secret_encrypted"
                    else "api_token"
                    if k == "api_token_encrypted"
                    else k
                    for k in values
                ),
                "api_url": api_url,
                "settings": values.get("settings"),
            },
            now=clock(),
        )
        uow.commit()
    with UnitOfWork(db, read_only=True) as uow:
        return uow.connections.get(name)


def open_connection(stored: StoredConnection, box: SecretBox) -> OpenConnection:
    token = box.open(stored.api_token_encrypted) if stored.api_token_encrypted else None
    return OpenConnection(stored, box.open(stored.secret_encrypted), token)


def list_connections(db: Database) -> list[StoredConnection]:
    with UnitOfWork(db) as uow:
        uow.book.require()
        return list(uow.connections.all())


def sync_status(db: Database, *, clock: Clock = utcnow) -> list[dict[str, Any]]:
    """Per connection: what arrived last, what waits, what failed, what lacks detail.

    ``with_notices`` counts events posted with missing detail (a payout whose fees could not be
    fetched, an order whose tender split is unknown); ``events show`` says what is missing.
    ``target`` is the lag of the mapping's target tables (None when nothing was ever queued for
    them): entries still to write, the age of the oldest, and entries given up on (``failed``).
    """
    with UnitOfWork(db) as uow:
        uow.book.require()
        found = list(uow.connections.all())
        counts = uow.inbox.counts()
        activity = uow.inbox.activity()
        target_lag = uow.outbox.lag()
    now = clock()
    status = []
    for c in found:
        by_status = {s: n for (name, s), n in counts.items() if name == c.name}
        last, with_notices = activity.get(c.name, (None, 0))
        status.append(
            {
                "name": c.name,
                "platform": c.platform,
                "clearing_account": c.clearing_account,
                "api_access": c.api_token_encrypted is not None,
                "api_url": c.api_url,
                "last_event_at": last.isoformat() if last else None,
                "events": by_status,
                "waiting": by_status.get("received", 0) + by_status.get("failed", 0),
                "dead": by_status.get("dead", 0),
                "with_notices": with_notices,
                "target": _target_status(target_lag.get(c.id), now),
            }
        )
    return status


def _target_status(lag: TargetLag | None, now: dt.datetime) -> dict[str, Any] | None:
    if lag is None:
        return None
    oldest = lag.oldest_pending_at
    return {
        "pending": lag.pending,
        "oldest_pending_at": oldest.isoformat() if oldest else None,
        "lag_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "failed": lag.failed,
    }
