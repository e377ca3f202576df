"""Candidates of stages 1, 2 and 4, from the most certain evidence to the least.

Each stage looks only at lines and payouts still free after the stages before it and returns
every candidate it finds; :class:`~ledgerbridge.reconcile.assign.Assignment` then picks among
them globally.

1. :func:`identified` — the deposit names the payout: a reference hit with the amount right
   (or short by a known bank fee), or a group whose members it names and that adds up.
2. :func:`by_amount` — same currency, amount within tolerance (or less a known fee), inside the
   business-day window. Lines and payouts that still have a strong reference partner are kept
   out (a reference with the wrong amount is better evidence than a coincidental amount), and
   so is a deposit that names another gateway (``Prepared.contradicts``).
3. :func:`~ledgerbridge.reconcile.groups.grouped` — bounded subset sums among what is left.
4. :func:`mismatched` — a strong reference inside the window whose amount is wrong: matched, and
   reported as an amount mismatch; across currencies, paired and reported, never matched.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledgerbridge.reconcile.assign import Assignment, Candidate
from ledgerbridge.reconcile.evidence import evaluate
from ledgerbridge.reconcile.groups import search
from ledgerbridge.reconcile.prepared import Prepared
from ledgerbridge.reconcile.references import STRONG_REFERENCE
from ledgerbridge.reconcile.scoring import date_evidence, points

MAX_AMOUNT_CANDIDATES = 16
"""Deposits one payout is compared with in stage 2, nearest first. Only a flood of equal
amounts reaches it, and then the nearest tie anyway: the cap only bounds the work."""


def identified(ctx: Prepared, state: Assignment) -> Iterator[Candidate]:
    """Stage 1: reference hits whose amounts agree, alone or as a referenced group."""
    for line, hits in ctx.line_refs.items():
        if not state.line_free(line):
            continue
        currency = ctx.currency_of_line(line)
        mine = [p for p in hits if state.payout_free(p) and ctx.currency_of_payout(p) == currency]
        for payout in mine:
            found = evaluate(ctx, [line], [payout], any_amount=False)
            if found is not None:
                yield found
        yield from search(ctx, [line], mine, max_chance=None)
    for payout, hits in ctx.payout_refs.items():
        if not state.payout_free(payout):
            continue
        currency = ctx.currency_of_payout(payout)
        mine = [i for i in hits if state.line_free(i) and ctx.currency_of_line(i) == currency]
        yield from search(ctx, mine, [payout], max_chance=None)


def _strongly_referenced(ctx: Prepared, state: Assignment) -> tuple[set[int], set[int]]:
    """Free lines and payouts that still have a strong, free reference partner."""
    lines: set[int] = set()
    payouts: set[int] = set()
    for line, hits in ctx.line_refs.items():
        if not state.line_free(line):
            continue
        for payout, strength in hits.items():
            if strength >= STRONG_REFERENCE and state.payout_free(payout):
                lines.add(line)
                payouts.add(payout)
    return lines, payouts


def by_amount(ctx: Prepared, state: Assignment) -> Iterator[Candidate]:
    """Stage 2: amount (or amount less a known fee) and window, one deposit to one payout."""
    held_lines, held_payouts = _strongly_referenced(ctx, state)
    for payout in ctx.payouts:
        if not state.payout_free(payout) or payout in held_payouts:
            continue
        currency = ctx.currency_of_payout(payout)
        expected = ctx.p_minor[payout]
        targets = [expected, *(expected - fee for fee in ctx.fees.get(currency, ()))]
        near: dict[int, int] = {}
        for target in targets:
            low, high = target - ctx.tolerance_minor, target + ctx.tolerance_minor
            for line in ctx.lines_with_amount(currency, low, high):
                if line in near or line in held_lines or not state.line_free(line):
                    continue
                distance = ctx.distance(line, payout)
                if distance <= ctx.window_business_days and not ctx.contradicts(line, payout):
                    near[line] = distance
        if len(near) > MAX_AMOUNT_CANDIDATES:
            # A flood of equal deposits: compare with the nearest, and tie the rest to the
            # payout so that they join its ambiguity rather than look unexpected.
            kept = sorted(near, key=lambda i: (near[i], ctx.line_keys[i]))
            for line in kept[MAX_AMOUNT_CANDIDATES:]:
                state.tie(line, payout)
            near = {i: near[i] for i in kept[:MAX_AMOUNT_CANDIDATES]}
        for line in near:
            found = evaluate(ctx, [line], [payout], any_amount=False)
            if found is not None:
                yield found


def mismatched(ctx: Prepared, state: Assignment) -> Iterator[Candidate]:
    """Stage 4: strong references inside the window with the wrong amount or currency."""
    for line, hits in ctx.line_refs.items():
        if not state.line_free(line):
            continue
        for payout, strength in hits.items():
            if strength < STRONG_REFERENCE or not state.payout_free(payout):
                continue
            if ctx.distance(line, payout) > ctx.window_business_days:
                continue
            if ctx.currency_of_payout(payout) == ctx.currency_of_line(line):
                found = evaluate(ctx, [line], [payout], any_amount=True)
                if found is not None:
                    yield found
            else:
                yield _across_currencies(ctx, line, payout, strength)


def _across_currencies(ctx: Prepared, line: int, payout: int, strength: float) -> Candidate:
    date = date_evidence(ctx.distance(line, payout), ctx.window_business_days)
    score = points(
        reference=strength,
        amount=0.0,
        date=date,
        descriptor_percent=ctx.similarity(line, payout),
        learned=False,
        members=2,
    )
    return Candidate((line,), (payout,), None, score, 0)
