"""API keys: made once, shown once, stored only as a salted scrypt hash.

A key reads ``lb_<prefix>_<secret>``. The prefix (8 hex characters) is stored in clear to find
the key's row; the secret (43 url-safe characters, 256 bits) is hashed with scrypt
(n=2**14, r=8, p=1) and a per-key salt. Checking a key costs tens of milliseconds by design,
so the HTTP edge remembers keys it has verified for a short time (see ``KeyCache``).

Scopes are ordered: ``read`` < ``write`` < ``admin``; a route asks for the least it needs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ledgerbridge.clock import Clock, utcnow
from ledgerbridge.errors import InvalidInput, LedgerBridgeError, NotFound
from ledgerbridge.store.database import Database
from ledgerbridge.store.tables import api_keys
from ledgerbridge.store.unit_of_work import UnitOfWork

_KEY = re.compile(r"^lb_([0-9a-f]{8})_([A-Za-z0-9_-]{20,})$")


class Scope(StrEnum):
    READ = "read"
    """Reports, entries, events, rates: nothing changes."""
    WRITE = "write"
    """Also replays, mappings, statements, resolutions."""
    ADMIN = "admin"
    """Also connections and keys."""

    def allows(self, needed: Scope) -> bool:
        order = [Scope.READ, Scope.WRITE, Scope.ADMIN]
        return order.index(self) >= order.index(needed)


class Unauthenticated(LedgerBridgeError):
    code = "unauthenticated"
    http_status = 401


class Forbidden(LedgerBridgeError):
    code = "forbidden"
    http_status = 403


class KeyExists(LedgerBridgeError):
    code = "api_key_exists"
    http_status = 409


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's name and scope."""

    name: str
    scope: Scope


def _hash(secret: str, salt: str) -> str:
    return hashlib.scrypt(
        secret.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1, dklen=32
    ).hex()


def create_key(db: Database, *, name: str, scope: Scope, clock: Clock = utcnow) -> str:
    """Make a key and return it; only its hash is kept. Raises KeyExists, InvalidInput."""
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,119}$", name):
        raise InvalidInput(
            "a key name is 1-120 letters, digits, spaces, '.', '_' or '-'", field="name"
        )
    prefix, secret, salt = secrets.token_hex(4), secrets.token_urlsafe(32), secrets.token_hex(16)
    with UnitOfWork(db) as uow:
        now = clock()
        try:
            with uow.connection.begin_nested():
                uow.connection.execute(
                    insert(api_keys).values(
                        name=name,
                        prefix=prefix,
                        key_hash=_hash(secret, salt),
                        salt=salt,
                        scope=scope.value,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise KeyExists(f"an API key named {name!r} already exists", field="name") from None
        uow.audit.append(
            "api_key.created", {"name": name, "scope": scope.value, "prefix": prefix}, now=now
        )
        uow.commit()
    return f"lb_{prefix}_{secret}"


def revoke_key(db: Database, name: str, *, clock: Clock = utcnow) -> None:
    with UnitOfWork(db) as uow:
        now = clock()
        done = uow.connection.execute(
            update(api_keys)
            .where(api_keys.c.name == name, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if done.rowcount != 1:
            raise NotFound(f"there is no active API key named {name!r}", field="name")
        uow.audit.append("api_key.revoked", {"name": name}, now=now)
        uow.commit()


def list_keys(db: Database) -> list[dict[str, str | None]]:
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.connection.execute(select(api_keys).order_by(api_keys.c.name))
        return [
            {
                "name": r.name,
                "scope": r.scope,
                "prefix": f"lb_{r.prefix}_…",
                "created_at": r.created_at.isoformat(),
                "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
            }
            for r in rows
        ]


def authenticate(db: Database, token: str) -> Principal:
    """The principal of a presented key; raises Unauthenticated (unknown, malformed, revoked)."""
    match = _KEY.match(token)
    if match is None:
        raise Unauthenticated("the API key is malformed")
    prefix, secret = match.groups()
    with UnitOfWork(db, read_only=True) as uow:
        row = uow.connection.execute(
            select(api_keys).where(api_keys.c.prefix == prefix)
        ).one_or_none()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("the API key is unknown or revoked")
    if not hmac.compare_digest(_hash(secret, row.salt), row.key_hash):
        raise Unauthenticated("the API key is unknown or revoked")
    return Principal(row.name, Scope(row.scope))


class KeyCache:
    """Verified keys for ``ttl_s`` seconds, so scrypt is not paid per request; a revoked key
    stops working within that time."""

    def __init__(self, db: Database, *, ttl_s: float = 30.0) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self._seen: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(key)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        found = authenticate(self.db, token)
        with self._lock:
            self._seen[key] = (now, found)
        return found
