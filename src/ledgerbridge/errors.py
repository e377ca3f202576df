"""The one error family every layer raises for *expected* failures.

Each subclass carries a stable ``code`` (what scripts match on), a plain-words message, and
optionally the ``field`` at fault. The HTTP edge renders these as
``{"error": {"code", "message", "field"}}`` with ``http_status``; the CLI prints the message and
exits with ``exit_code`` (2 for bad input, 1 for work that found problems). Anything that is not
a ``LedgerBridgeError`` is a bug and surfaces as an opaque 500 / exit 3.
"""

from __future__ import annotations

from typing import ClassVar


class LedgerBridgeError(Exception):
    """Base of every expected failure; subclasses set ``code`` and, where apt, a status."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFound(LedgerBridgeError):
    """A named thing (account, entry, connection, event) does not exist."""

    code = "not_found"
    http_status = 404


class InvalidInput(LedgerBridgeError):
    """A document or argument is malformed; ``field`` names the path at fault."""

    code = "invalid_input"
