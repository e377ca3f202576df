"""Connection secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under the book's key.

The key comes from ``LEDGERBRIDGE_SECRET_KEY`` or the key file ``init`` writes. Losing it means
re-entering every connection secret; that is deliberate: a copied database alone reveals none.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ledgerbridge.config import Settings
from ledgerbridge.errors import LedgerBridgeError


class SecretKeyMissing(LedgerBridgeError):
    code = "secret_key_missing"


class SecretUnreadable(LedgerBridgeError):
    code = "secret_unreadable"
    exit_code = 1


class SecretBox:
    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise SecretKeyMissing(
                "the secret key is not a valid Fernet key (32 url-safe base64 bytes)"
            ) from None

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretUnreadable(
                "a stored secret cannot be decrypted with this secret key "
                "(was LEDGERBRIDGE_SECRET_KEY changed?)"
            ) from None

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key:
            return cls(settings.secret_key)
        path = Path(settings.key_file)
        if not path.exists():
            raise SecretKeyMissing(
                f"no secret key: set LEDGERBRIDGE_SECRET_KEY or run `ledgerbridge init` "
                f"to create {path}"
            )
        return cls(path.read_bytes().strip())
