"""Bank statement files → :class:`~ledgerbridge.reconcile.model.Statement` values.

See :mod:`ledgerbridge.statements.base` for the port every format adapter implements.
"""

from ledgerbridge.statements.base import (
    StatementInvalid,
    StatementParser,
    detect,
    parse_statement,
    parser_for,
)

__all__ = ["StatementInvalid", "StatementParser", "detect", "parse_statement", "parser_for"]
