"""Stage 3: several payouts in one deposit, and one payout split over several deposits.

For every free deposit the matcher looks for 2 to ``max_subset`` free payouts that add up to it
(many to one), and for every free payout for 2 to ``max_subset`` free deposits (one to many).
Subset sums are exponential and, worse, a big enough pool hits any target by coincidence, so
the search is bounded three ways:

* **Plausible pools.** Only same-currency items inside the business-day window, none that names
  another gateway, and for many to one only payouts with the same descriptor: a deposit has one
  sender. Pools are ordered best-placed first: referenced by the single side, then best
  descriptor fit, then nearest, then by content.
* **Cost caps.** At most :data:`MAX_POOL_SCAN` free items are read per pool, nearest first, and a
  search for m members draws from the first ``SUBSET_POOL_BY_SIZE[m - 1]`` of the ordered pool,
  which keeps it under about 600 partial sums.
* **Chance caps.** The pool is cut further so that the expected number of m-subsets hitting the
  target by pure coincidence stays below :data:`MAX_CHANCE_SOLUTIONS` (see
  :func:`~ledgerbridge.reconcile.subsets.chance_pool_size`): a small target in a crowded window
  is searched narrowly, because an exact hit there proves little. A deposit that does not show
  the gateway's descriptor (a bare "ACH CREDIT") gets a ten times stricter bound.

When the first pool item is named by reference (an *anchor*: a merged deposit that quotes one
of its payout ids, or the first part of a split that does), subsets containing it are searched
as well, for the remaining members only.

Worked example: deposit 1271.07 USD "SHOPIFY PAYMENTS" on Wednesday; free Shopify payouts due
Monday of 514.50 and 756.57 and one of 90.00; free Stripe payouts are not in the pool (another
descriptor). Pairs: 514.50 + 756.57 = 1271.07, one solution, so one ``many_to_one`` candidate.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator

from ledgerbridge.reconcile.assign import Assignment, Candidate
from ledgerbridge.reconcile.evidence import evaluate
from ledgerbridge.reconcile.prepared import Prepared, SortKey
from ledgerbridge.reconcile.references import STRONG_REFERENCE
from ledgerbridge.reconcile.scoring import DESCRIPTOR_MATCH_PERCENT
from ledgerbridge.reconcile.subsets import chance_pool_size, subset_sums

SUBSET_POOL_BY_SIZE = (256, 64, 32, 16)
"""Most pool items a search for 1, 2, 3, and 4 or more members draws from (1 happens only next
to an anchor). One member costs a binary search, two one per item, three one per pair, four
one per triple: each search stays under about 600 partial sums."""
MAX_CHANCE_SOLUTIONS = 0.01
"""Expected coincidental solutions a search may risk: one in a hundred searches."""
MAX_CHANCE_UNSHOWN = MAX_CHANCE_SOLUTIONS / 10
"""The same when the deposit does not show the payouts' descriptor ("ACH CREDIT"): such a
deposit is less likely to be a payout at all, so the arithmetic must be ten times as telling."""
MAX_POOL_SCAN = 512
"""Free items read per pool, nearest first; referenced items are always added on top."""
MAX_SUBSET_SOLUTIONS = 4
"""Solutions looked for per search: enough to see that one is not unique."""

Window = dict[str, tuple[list[int], list[int]]]


def grouped(ctx: Prepared, state: Assignment) -> Iterator[Candidate]:
    """Stage 3 candidates: many-to-one per free line, one-to-many per free payout."""
    if ctx.max_subset < 2:
        return
    free_payouts = _by_ordinal(
        (ctx.currency_of_payout(p), ctx.p_ordinal[p], p)
        for p in ctx.payouts
        if state.payout_free(p)
    )
    free_lines = _by_ordinal(
        (ctx.currency_of_line(i), o, i)
        for i in ctx.credits
        if state.line_free(i)
        for o in ctx.l_ordinals[i]
    )
    for line in ctx.credits:
        if state.line_free(line):
            refs = [p for p in ctx.line_refs.get(line, {}) if state.payout_free(p)]
            yield from _many_to_one(ctx, line, free_payouts, refs)
    for payout in ctx.payouts:
        if state.payout_free(payout):
            refs = [i for i in ctx.payout_refs.get(payout, {}) if state.line_free(i)]
            yield from _one_to_many(ctx, payout, free_lines, refs)


def _many_to_one(
    ctx: Prepared, line: int, free_payouts: Window, refs: list[int]
) -> Iterator[Candidate]:
    """Per descriptor (one sender per deposit), the free payouts that may add up to the line."""
    currency = ctx.currency_of_line(line)
    near = _nearest(free_payouts, currency, ctx.l_ordinals[line], ctx.window_business_days)
    near += [
        p
        for p in refs
        if ctx.currency_of_payout(p) == currency
        and ctx.distance(line, p) <= ctx.window_business_days
    ]
    limit = ctx.l_minor[line] + ctx.tolerance_minor
    senders: defaultdict[str | None, list[int]] = defaultdict(list)
    for p in dict.fromkeys(near):
        if ctx.p_minor[p] < limit and not ctx.contradicts(line, p):
            senders[ctx.expected[p].descriptor].append(p)
    for descriptor in sorted(senders, key=lambda d: d or ""):
        pool = _placed(ctx, line, senders[descriptor], lines=False)
        chance = MAX_CHANCE_SOLUTIONS if _shown(ctx, line, pool[0]) else MAX_CHANCE_UNSHOWN
        yield from search(ctx, [line], pool, max_chance=chance)


def _one_to_many(
    ctx: Prepared, payout: int, free_lines: Window, refs: list[int]
) -> Iterator[Candidate]:
    """Free lines that may add up to the payout: those showing its descriptor, then all."""
    currency = ctx.currency_of_payout(payout)
    near = _nearest(free_lines, currency, (ctx.p_ordinal[payout],), ctx.window_business_days)
    near += [
        i
        for i in refs
        if ctx.currency_of_line(i) == currency
        and ctx.distance(i, payout) <= ctx.window_business_days
    ]
    limit = ctx.p_minor[payout] + ctx.tolerance_minor
    fits = [
        i for i in dict.fromkeys(near) if ctx.l_minor[i] < limit and not ctx.contradicts(i, payout)
    ]
    shown = [i for i in fits if _shown(ctx, i, payout)]
    yield from search(ctx, _placed(ctx, payout, shown, lines=True), [payout])
    if len(shown) < len(fits):
        pool = _placed(ctx, payout, fits, lines=True)
        yield from search(ctx, pool, [payout], max_chance=MAX_CHANCE_UNSHOWN)


def _shown(ctx: Prepared, line: int, payout: int) -> bool:
    """Whether the line shows the payout's descriptor (or a reference to it), if it has one."""
    if ctx.line_refs.get(line, {}).get(payout, 0.0) >= STRONG_REFERENCE:
        return True
    descriptor = ctx.expected[payout].descriptor
    return not descriptor or ctx.similarity(line, payout) >= DESCRIPTOR_MATCH_PERCENT


def _placed(ctx: Prepared, single: int, many: list[int], *, lines: bool) -> list[int]:
    """The pool, best-placed first (see module docstring), cut to the largest cost cap."""
    keys: list[tuple[bool, int, int, SortKey, int]] = []
    if lines:
        refs = ctx.payout_refs.get(single, {})
        for i in many:
            keys.append(
                (
                    i not in refs,
                    -ctx.similarity(i, single),
                    ctx.distance(i, single),
                    ctx.line_keys[i],
                    i,
                )
            )
    else:
        refs = ctx.line_refs.get(single, {})
        ordinals = ctx.l_ordinals[single]
        similar = -ctx.similarity(single, many[0]) if many else 0  # one descriptor per pool
        for p in many:
            distance = min(abs(o - ctx.p_ordinal[p]) for o in ordinals)
            keys.append((p not in refs, similar, distance, ctx.payout_keys[p], p))
    return [k[-1] for k in heapq.nsmallest(max(SUBSET_POOL_BY_SIZE), keys)]


def search(
    ctx: Prepared,
    lines: list[int],
    payouts: list[int],
    *,
    max_chance: float | None = MAX_CHANCE_SOLUTIONS,
) -> Iterator[Candidate]:
    """Subsets of the many side (2 to ``max_subset`` members) that sum to the single side.

    The many side comes best-placed first. ``max_chance`` bounds the pool by the chance of a
    coincidental solution; stage 1 passes None, as its pools hold only items the single side
    names by reference.
    """
    many_payouts = len(lines) == 1
    pool = payouts if many_payouts else lines
    if len(pool) < 2:
        return
    amounts = [ctx.p_minor[p] for p in pool] if many_payouts else [ctx.l_minor[i] for i in pool]
    target = ctx.l_minor[lines[0]] if many_payouts else ctx.p_minor[payouts[0]]
    refs = ctx.line_refs.get(lines[0], {}) if many_payouts else ctx.payout_refs.get(payouts[0], {})
    searches: list[tuple[int, int, int]] = []  # (anchored, target left, members sought)
    if refs.get(pool[0], 0.0) >= STRONG_REFERENCE:
        searches += [(1, target - amounts[0], m) for m in range(1, ctx.max_subset)]
    searches += [(0, target, m) for m in range(2, ctx.max_subset + 1)]
    for anchored, rest, members in searches:
        cap = SUBSET_POOL_BY_SIZE[min(members, len(SUBSET_POOL_BY_SIZE)) - 1]
        if max_chance is not None:
            cap = chance_pool_size(members, rest, ctx.tolerance_minor, max_chance, cap)
        solutions = subset_sums(
            amounts[anchored : anchored + cap],
            rest,
            tolerance_minor=ctx.tolerance_minor,
            min_size=members,
            max_size=members,
            max_results=MAX_SUBSET_SOLUTIONS,
        )
        for positions in solutions:
            chosen = pool[:anchored] + [pool[anchored + k] for k in positions]
            found = (
                evaluate(ctx, lines, chosen, any_amount=False)
                if many_payouts
                else evaluate(ctx, chosen, payouts, any_amount=False)
            )
            if found is not None:
                yield found


def _by_ordinal(rows: Iterable[tuple[str, int, int]]) -> Window:
    """Per currency, items sorted by ordinal (canonical order within one ordinal)."""
    by_currency: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for currency, ordinal, item in rows:
        by_currency[currency].append((ordinal, item))
    out: Window = {}
    for currency, pairs in by_currency.items():
        pairs.sort(key=lambda pair: pair[0])  # stable: keeps the canonical order of the rows
        out[currency] = ([o for o, _ in pairs], [i for _, i in pairs])
    return out


def _nearest(index: Window, currency: str, ordinals: Iterable[int], days: int) -> list[int]:
    """Items within ``days`` business days of any of ``ordinals``, nearest first.

    At most :data:`MAX_POOL_SCAN` are read, so a statement that matches nothing (the wrong
    account imported) costs a bounded scan per line instead of one over the whole window.
    """
    keys, items = index.get(currency, ([], []))
    found: dict[int, None] = {}
    for distance in range(days + 1):
        for ring in sorted({o + side * distance for o in ordinals for side in (-1, 1)}):
            for item in items[bisect_left(keys, ring) : bisect_right(keys, ring)]:
                found.setdefault(item)
                if len(found) >= MAX_POOL_SCAN:
                    return list(found)
    return list(found)
