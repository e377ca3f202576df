"""Rules a person taught the matcher by resolving a discrepancy: "deposits like this are X's".

Why: some gateways pay out without any reference the bank keeps (a marketplace that deposits
as "ACME MKTPL SETTLEMENT"), and same-amount payouts of two connections cannot be told apart
by amount and date alone. When a person matches such a deposit by hand, the service stores a
:class:`LearnedRule`; the next run prefers that connection's payouts for deposits whose
counterparty or description contain the same words, and says so (method ``learned``).

A rule never pairs a deposit on its own: the amount and the business-day window must still
agree. It only adds to the score, enough to separate otherwise equal candidates.

Example: ``LearnedRule(pattern="acme mktpl", connection="acme-market")`` applies to a line with
counterparty ``"ACME MKTPL SETTLEMENT 0042"`` (case and punctuation are ignored) and not to one
described as ``"STRIPE TRANSFER"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledgerbridge.errors import InvalidInput
from ledgerbridge.reconcile.model import BankLine

_NOT_WORD = re.compile(r"[\W_]+")


def words(text: str) -> str:
    """Upper-case words separated by single spaces, with a space at each end for whole words."""
    return f" {_NOT_WORD.sub(' ', text.upper()).strip()} "


@dataclass(frozen=True, slots=True)
class LearnedRule:
    """Deposits whose counterparty or description contain ``pattern`` belong to ``connection``."""

    pattern: str
    """Words to look for, compared as whole words with case and punctuation ignored."""
    connection: str
    """The connection whose payouts such deposits pay."""
    learned_from: str = ""
    """Where the rule came from (e.g. the discrepancy a person resolved), quoted in the notes."""

    def __post_init__(self) -> None:
        if not words(self.pattern).strip():
            raise InvalidInput(
                "a learned rule needs a pattern with at least one letter or digit", field="pattern"
            )

    def applies_to(self, line: BankLine) -> bool:
        """Whether the line's counterparty or description contains the pattern's words."""
        needle = words(self.pattern)
        return any(
            needle in words(text) for text in (line.counterparty or "", line.description) if text
        )
