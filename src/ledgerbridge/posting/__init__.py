"""Posting rules: canonical event + account map + rates + prior state → journal entry.

Pure core: no I/O. Start at :func:`post` (:mod:`.rules`); the rules per event live in
:mod:`.orders`, :mod:`.refunds`, :mod:`.payouts` and :mod:`.disputes`, conversion to the base
currency in :mod:`.conversion`.
"""

from ledgerbridge.posting.accounts import AccountMap, UnknownRole
from ledgerbridge.posting.context import PostingContext
from ledgerbridge.posting.figures import OrderDoesNotAddUp, RefundDoesNotAddUp
from ledgerbridge.posting.prior import (
    NOTHING_POSTED,
    Booking,
    MissingPrerequisite,
    PriorState,
    dispute_stages,
)
from ledgerbridge.posting.rates import Rate, RateTable, RateUnavailable, StaticRates
from ledgerbridge.posting.rules import post

__all__ = [
    "NOTHING_POSTED",
    "AccountMap",
    "Booking",
    "MissingPrerequisite",
    "OrderDoesNotAddUp",
    "PostingContext",
    "PriorState",
    "Rate",
    "RateTable",
    "RateUnavailable",
    "RefundDoesNotAddUp",
    "StaticRates",
    "UnknownRole",
    "dispute_stages",
    "post",
]
