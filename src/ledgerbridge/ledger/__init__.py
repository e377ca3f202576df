"""The double-entry core: accounts, journal entries and their invariants. Pure: no I/O."""

from ledgerbridge.ledger.accounts import Account, AccountType
from ledgerbridge.ledger.entries import (
    JournalEntry,
    JournalLine,
    Side,
    SourceKey,
    UnbalancedEntry,
)

__all__ = [
    "Account",
    "AccountType",
    "JournalEntry",
    "JournalLine",
    "Side",
    "SourceKey",
    "UnbalancedEntry",
]
