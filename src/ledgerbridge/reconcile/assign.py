"""Global assignment: best candidates first, nothing used twice, equal rivals left to a person.

A candidate pairs some bank lines with some payouts (one and one, one and many, many and one).
:meth:`Assignment.assign` takes every candidate of a stage at once, sorts them by score, and
walks down one *score level* at a time:

1. candidates that touch a line or payout already matched are dropped: something better won;
2. candidates that touch an endpoint already found ambiguous are dropped too, and their other
   endpoints remember that ambiguity (if they end up unmatched they join it: a deposit whose
   only candidates were ambiguous is part of that ambiguity, not an unexpected deposit);
3. the remaining candidates of the level are grouped by shared endpoints; a candidate that
   shares nothing is accepted; a group of two or more means the same line or payout has two
   equally good partners, so *none* of them is matched and the whole group becomes one
   :class:`Ambiguity`, blocking its endpoints for the rest of the run.

Why levels rather than one candidate at a time: a plain greedy walk would pick whichever of two
equal candidates happened to sort first, so the result would depend on input order and a
coin toss would look like a decision. Within a level the order does not matter at all.

Worked example: payouts A and B, both 120.00 on Monday, no references; deposits X (Monday) and
Y (Tuesday). Candidates A–X and B–X score the same (same amount, same day), above A–Y and B–Y.
At the top level A–X and B–X share X: ambiguity {A, B, X}. At the next level A–Y and B–Y are
dropped (A and B are blocked) and Y remembers the ambiguity; Y ends unmatched, so it joins it.
A person sees one ambiguity naming A, B, X and Y instead of a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import groupby

from ledgerbridge.reconcile.learned import LearnedRule
from ledgerbridge.reconcile.model import MatchMethod

Endpoint = tuple[bool, int]
"""(is a payout, index): a bank line index or a payout index, in one namespace."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible match, with everything needed to explain it."""

    lines: tuple[int, ...]
    payouts: tuple[int, ...]
    method: MatchMethod | None
    """None for a reference match across currencies: reported, never matched."""
    points: int
    difference_minor: int
    """Σ bank − Σ expected, in minor units (only meaningful within one currency)."""
    fee_minor: int = 0
    """The known bank fee that explains the difference, if any."""
    rule: LearnedRule | None = None

    def endpoints(self) -> tuple[Endpoint, ...]:
        return tuple((False, i) for i in self.lines) + tuple((True, i) for i in self.payouts)


@dataclass(slots=True)
class Ambiguity:
    """Equally good candidates that share a line or payout; nothing among them is matched."""

    candidates: list[Candidate]
    lines: set[int] = field(default_factory=set)
    payouts: set[int] = field(default_factory=set)


class Assignment:
    """The matcher's running state across stages: what is matched, what is ambiguous."""

    def __init__(self, order: Callable[[Candidate], tuple[object, ...]]) -> None:
        self._order = order
        self.accepted: list[Candidate] = []
        self.ambiguities: list[Ambiguity] = []
        self._taken: set[Endpoint] = set()
        self._blocked: dict[Endpoint, int] = {}
        self._near: dict[Endpoint, int] = {}
        self._tied: list[tuple[int, int]] = []

    def line_free(self, line: int) -> bool:
        return (False, line) not in self._taken and (False, line) not in self._blocked

    def payout_free(self, payout: int) -> bool:
        return (True, payout) not in self._taken and (True, payout) not in self._blocked

    def assign(self, candidates: Iterable[Candidate]) -> None:
        """Accept this stage's candidates best first, level by level (see module docstring)."""
        best: dict[tuple[tuple[int, ...], tuple[int, ...]], Candidate] = {}
        for c in candidates:
            kept = best.get((c.lines, c.payouts))
            if kept is None or (c.points, self._order(c)) > (kept.points, self._order(kept)):
                best[(c.lines, c.payouts)] = c
        ordered = sorted(best.values(), key=lambda c: (-c.points, self._order(c)))
        for _, level in groupby(ordered, key=lambda c: c.points):
            self._level(list(level))

    def _level(self, level: list[Candidate]) -> None:
        live: list[Candidate] = []
        for c in level:
            ends = c.endpoints()
            if any(e in self._taken for e in ends):
                continue
            blocked = [self._blocked[e] for e in ends if e in self._blocked]
            if blocked:
                for e in ends:
                    if e not in self._blocked:
                        self._near.setdefault(e, blocked[0])
                continue
            live.append(c)
        for members in _connected(live):
            if len(members) == 1:
                self.accepted.append(members[0])
                self._taken.update(members[0].endpoints())
            else:
                self._block(members)

    def _block(self, members: list[Candidate]) -> None:
        group = Ambiguity(members)
        number = len(self.ambiguities)
        self.ambiguities.append(group)
        for c in members:
            group.lines.update(c.lines)
            group.payouts.update(c.payouts)
            for e in c.endpoints():
                self._blocked[e] = number

    def tie(self, line: int, payout: int) -> None:
        """Record a candidate left out only to bound the work: it ties with those kept.

        If the payout ends in an ambiguity and the line matches nothing, the line joins it.
        """
        self._tied.append((line, payout))

    def settle(self) -> None:
        """Unmatched lines and payouts whose only rivals were ambiguous join that ambiguity."""
        for line, payout in self._tied:
            if (True, payout) in self._blocked:
                self._near.setdefault((False, line), self._blocked[(True, payout)])
        for (is_payout, index), number in sorted(self._near.items()):
            e = (is_payout, index)
            if e in self._taken or e in self._blocked:
                continue
            self._blocked[e] = number
            group = self.ambiguities[number]
            (group.payouts if is_payout else group.lines).add(index)


def _connected(live: list[Candidate]) -> list[list[Candidate]]:
    """Candidates grouped by shared endpoints (union-find), in the order they came."""
    parent = list(range(len(live)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_user: dict[Endpoint, int] = {}
    for i, c in enumerate(live):
        for e in c.endpoints():
            if e in first_user:
                parent[root(i)] = root(first_user[e])
            else:
                first_user[e] = i
    groups: dict[int, list[Candidate]] = {}
    for i, c in enumerate(live):
        groups.setdefault(root(i), []).append(c)
    return list(groups.values())
