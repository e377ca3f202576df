"""Drafts: journal lines before conversion, as signed amounts that can be added and compared.

Rules build lists of :class:`Draft` in the event's currency (debit positive, credit negative),
which makes three operations one-liners:

* **netting** (:func:`net`): drafts with the same account and ``key`` merge into one, and zeros
  vanish, so "Dr receivable 100, Cr receivable 100" becomes nothing and a free shipping line
  never reaches the ledger as a 0.00 line;
* **differences** (:func:`diff`): the adjustment for an edited order is ``new − old`` per
  account and key, e.g. old ``Cr sales 20.00 "Mug × 2"`` and new ``Cr sales 30.00 "Mug × 3"``
  give one draft ``Cr sales 10.00 "Mug × 3, was Mug × 2"``;
* **residuals** (:func:`total`): the sum of a balanced set is zero, so anything else is a
  rounding difference or an error (see :mod:`ledgerbridge.posting.figures`).

``key`` is the draft's identity within its account (an order line's id, a tax title); it
defaults to the memo. Conversion to base currency happens once, when the drafts become
:class:`~ledgerbridge.ledger.entries.JournalLine` objects (:mod:`ledgerbridge.posting.conversion`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ledgerbridge.money import Money


@dataclass(frozen=True, slots=True)
class Draft:
    """One prospective line: ``amount`` is signed, debit positive, credit negative."""

    account: str
    amount: Money
    memo: str = ""
    key: str = ""
    dimensions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dimensions", MappingProxyType(dict(self.dimensions)))

    @property
    def identity(self) -> tuple[str, str, str]:
        """What :func:`net` and :func:`diff` match drafts on."""
        return (self.account, self.key or self.memo, self.amount.currency)


def debit(account: str, amount: Money, memo: str, *, key: str = "", **dims: str | None) -> Draft:
    """A debit of ``amount``; dimensions whose value is None are left out."""
    return Draft(account, amount, memo, key, _known(dims))


def credit(account: str, amount: Money, memo: str, *, key: str = "", **dims: str | None) -> Draft:
    """A credit of ``amount`` (stored negated)."""
    return Draft(account, -amount, memo, key, _known(dims))


def _known(dims: Mapping[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in dims.items() if value is not None}


def total(drafts: Iterable[Draft], currency: str) -> Money:
    """Debits minus credits of the drafts in ``currency``."""
    result = Money.zero(currency)
    for draft in drafts:
        if draft.amount.currency == currency:
            result += draft.amount
    return result


def net(drafts: Iterable[Draft]) -> list[Draft]:
    """Merge drafts with the same identity (first memo wins) and drop the ones that sum to 0."""
    merged: dict[tuple[str, str, str], Draft] = {}
    for draft in drafts:
        seen = merged.get(draft.identity)
        merged[draft.identity] = (
            draft if seen is None else replace(seen, amount=seen.amount + draft.amount)
        )
    return [draft for draft in merged.values() if not draft.amount.is_zero()]


def negate(drafts: Iterable[Draft]) -> list[Draft]:
    return [replace(draft, amount=-draft.amount) for draft in drafts]


def diff(old: Sequence[Draft], new: Sequence[Draft]) -> list[Draft]:
    """What to book to turn ``old`` into ``new``, one draft per changed identity.

    The memo says what changed: ``added: …``, ``removed: …``, ``<new>, was <old>`` when the memo
    itself changed (a quantity), or ``corrected: …`` when only the amount did (a tax fix).
    """
    before = {d.identity: d for d in net(old)}
    after = {d.identity: d for d in net(new)}
    changes: list[Draft] = []
    for identity in [*after, *(i for i in before if i not in after)]:
        was, now = before.get(identity), after.get(identity)
        if now is None and was is not None:
            changes.append(replace(was, amount=-was.amount, memo=f"removed: {was.memo}"))
        elif was is None and now is not None:
            changes.append(replace(now, memo=f"added: {now.memo}"))
        elif was is not None and now is not None and now.amount != was.amount:
            memo = (
                f"{now.memo}, was {was.memo}" if now.memo != was.memo else f"corrected: {now.memo}"
            )
            changes.append(replace(now, amount=now.amount - was.amount, memo=memo))
    return changes
