"""Bounded subset sums: which few small amounts add up to one large one.

Used both ways round: several payouts paid as one deposit, and one payout split over several
deposits. The search is exponential in principle, so it is kept small on purpose: the caller
hands over a short pool (the matcher caps it at ``MAX_SUBSET_POOL`` nearest candidates), subsets
have at most ``max_size`` members, and the search stops after ``max_results`` solutions, which
is enough to tell one solution from several equally good ones.

How: the amounts are sorted ascending and a depth-first search adds members in that order. The
running total prunes the search (once the next amount would overshoot the target, every later
one does too), and the *last* member is never enumerated: a binary search finds the amounts that
close the gap to within the tolerance. With a pool of 16 and four members that is at most
C(16, 3) = 560 partial sums, each followed by one binary search.

Worked example: pool 30, 50, 70, 120 (minor units), target 150, tolerance 0, sizes 2 to 3.
Pairs: 30 + 120 = 150. Triples: 30 + 50 + 70 = 150. Both are returned, as positions into the
pool in ascending order: (0, 3) and (0, 1, 2).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from math import comb, factorial


def subset_sums(
    amounts_minor: Sequence[int],
    target_minor: int,
    *,
    tolerance_minor: int,
    max_size: int,
    max_results: int,
    min_size: int = 2,
) -> list[tuple[int, ...]]:
    """Positions of subsets of ``amounts_minor`` (all positive) summing to the target ± tolerance.

    Subsets come out in a fixed order for a given pool (smaller first, then in search order),
    so the caller's results depend on nothing but the pool it built.
    """
    order = sorted(range(len(amounts_minor)), key=lambda i: (amounts_minor[i], i))
    values = [amounts_minor[i] for i in order]
    low, high = target_minor - tolerance_minor, target_minor + tolerance_minor
    found: list[tuple[int, ...]] = []

    def extend(chosen: list[int], total: int, start: int, size: int) -> None:
        if len(found) >= max_results:
            return
        if len(chosen) == size - 1:
            # The last member is looked up, not enumerated.
            first = bisect_left(values, low - total, start)
            last = bisect_right(values, high - total, start)
            for k in range(first, last):
                found.append(tuple(sorted(order[j] for j in [*chosen, k])))
            return
        for k in range(start, len(values)):
            running = total + values[k]
            # Every further member is at least values[k + 1]: overshooting now overshoots later.
            if k + 1 >= len(values) or running + values[k + 1] > high:
                break
            extend([*chosen, k], running, k + 1, size)

    for size in range(max(min_size, 1), max_size + 1):
        extend([], 0, 0, size)
    return found[:max_results]


def chance_pool_size(
    members: int, target_minor: int, tolerance_minor: int, max_expected: float, ceiling: int
) -> int:
    """The largest pool (up to ``ceiling``) whose ``members``-subsets hit the target by chance
    fewer than ``max_expected`` times on average.

    Model: pool amounts spread evenly below the target. A given m-subset then sums to within
    the tolerance of the target T with probability about (2·tolerance + 1) / ((m − 1)! · T), the
    Irwin–Hall density of a sum of m uniform amounts at its top, so a pool of n expects
    C(n, m) times that many coincidences. Real amounts are not uniform; the model is a guide
    that scales the right way: a large target tolerates a wide pool, a small one a narrow one.

    Example: pairs (m = 2) for 300.00 USD (T = 30000), exact amounts, at most 0.01 expected:
    C(n, 2) ≤ 0.01 · 1 · 30000 = 300, so n = 25 (C(25, 2) = 300).
    """
    if target_minor <= 0:
        return 0
    budget = max_expected * factorial(members - 1) * target_minor / (2 * tolerance_minor + 1)
    size = members - 1
    while size < ceiling and comb(size + 1, members) <= budget:
        size += 1
    return size
