"""Dashboard sessions: a signed cookie naming the API key (never holding it), and the
per-session form token. See :mod:`ledgerbridge.api.dashboard` for the scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from ledgerbridge.apikeys import Scope

SESSION_TTL_S = 8 * 3600


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person: their key's name and current scope, and this session's form
    token."""

    name: str
    scope: Scope
    sid: str
    form_token: str

    @property
    def can_write(self) -> bool:
        return self.scope.allows(Scope.WRITE)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sessions:
    """Issues and checks signed session tokens; remembers sessions ended by ``/logout``."""

    def __init__(self, key: bytes | None = None, *, ttl_s: int = SESSION_TTL_S) -> None:
        self._key = key or secrets.token_bytes(32)
        self.ttl_s = ttl_s
        self._ended: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sign(self, data: bytes) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def issue(self, name: str, prefix: str) -> str:
        claims = {
            "sid": secrets.token_urlsafe(16),
            "key": name,
            "pfx": prefix,
            "exp": int(time.time()) + self.ttl_s,
        }
        body = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def claims(self, token: str) -> dict[str, Any] | None:
        """The token's claims if its signature holds, it has not expired or been ended."""
        body_part, _, mac_part = token.partition(".")
        try:
            body, mac = _unb64(body_part), _unb64(mac_part)
        except (ValueError, TypeError):
            return None
        if not hmac.compare_digest(mac, self._sign(body)):
            return None
        try:
            claims = json.loads(body)
        except ValueError:
            return None
        if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
            return None
        if claims["exp"] < time.time():
            return None
        with self._lock:
            if claims.get("sid") in self._ended:
                return None
        return claims

    def form_token(self, sid: str) -> str:
        return _b64(self._sign(f"form|{sid}".encode()))

    def end(self, sid: str, expires: float) -> None:
        now = time.time()
        with self._lock:
            self._ended = {s: t for s, t in self._ended.items() if t > now}
            self._ended[sid] = expires


SESSIONS_LOCK = threading.Lock()
"""Guards the lazy creation of an app's Sessions."""
