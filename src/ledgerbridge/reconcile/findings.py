"""Turning the final assignment into matches and discrepancies a person can act on.

Every payout and every credit line ends in exactly one place:

* a payout is in a match, a ``currency_mismatch``, an ``ambiguous`` group, or is a
  ``missing_deposit``;
* a credit line is in a match, a ``currency_mismatch``, an ``ambiguous`` group, is a
  ``duplicate_deposit`` (same bank reference, account, amount and date as another line), or is
  an ``unexpected_deposit``.

On top of that, a match whose amounts differ is also an ``amount_mismatch`` (the interface says
a deposit that pairs with a payout but differs in amount is both). Reasons name things by what
a person sees (payout id, bank reference, amount, date), never by position in the input, and
list them in a fixed order, so the same books always read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledgerbridge.money import Money
from ledgerbridge.reconcile.assign import Ambiguity, Assignment, Candidate
from ledgerbridge.reconcile.model import (
    Discrepancy,
    DiscrepancyKind,
    Match,
    MatchMethod,
    MatchResult,
)
from ledgerbridge.reconcile.prepared import Prepared, SortKey
from ledgerbridge.reconcile.scoring import published

_KIND_ORDER = {kind: n for n, kind in enumerate(DiscrepancyKind)}


def _days(n: int) -> str:
    return f"{n} business day" if n == 1 else f"{n} business days"


def describe_line(ctx: Prepared, line: int) -> str:
    row = ctx.lines[line]
    name = f"deposit {row.bank_ref}" if row.bank_ref else "deposit"
    text = f' "{row.description}"' if row.description and not row.bank_ref else ""
    return f"{name}{text} of {row.amount} on {row.booking_date.isoformat()}"


def describe_payout(ctx: Prepared, payout: int, *, arrival: bool = True) -> str:
    p = ctx.expected[payout]
    when = f", arrival {p.expected_date}" if arrival else ""
    return f"payout {p.payout_id} ({p.connection}, {p.amount}{when})"


def _listed(items: Sequence[str], limit: int = 4) -> str:
    shown = list(items[:limit])
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    if len(shown) == 1:
        return shown[0] + more
    return ", ".join(shown[:-1]) + f" and {shown[-1]}{more}"


def _sorted_lines(ctx: Prepared, lines: Sequence[int]) -> list[int]:
    return sorted(lines, key=ctx.line_keys.__getitem__)


def _sorted_payouts(ctx: Prepared, payouts: Sequence[int]) -> list[int]:
    return sorted(payouts, key=ctx.payout_keys.__getitem__)


def _ids(ctx: Prepared, payouts: Sequence[int]) -> tuple[str, ...]:
    return tuple(ctx.expected[p].payout_id for p in _sorted_payouts(ctx, payouts))


def _candidate_key(ctx: Prepared, c: Candidate) -> SortKey:
    return (
        tuple(ctx.line_keys[i] for i in _sorted_lines(ctx, c.lines)),
        tuple(ctx.payout_keys[p] for p in _sorted_payouts(ctx, c.payouts)),
    )


def _money(ctx: Prepared, minor: int, line: int) -> Money:
    return Money.from_minor(minor, ctx.currency_of_line(line))


def _matched(
    ctx: Prepared, c: Candidate, method: MatchMethod
) -> tuple[Match, list[Discrepancy], list[str]]:
    match = Match(
        line_indexes=tuple(sorted(c.lines)),
        payout_ids=_ids(ctx, c.payouts),
        method=method,
        score=published(c.points),
        difference=_money(ctx, c.difference_minor, c.lines[0]),
    )
    found: list[Discrepancy] = []
    notes: list[str] = []
    if not c.difference_minor and c.rule is None:
        return match, found, notes
    lines = _listed([describe_line(ctx, i) for i in _sorted_lines(ctx, c.lines)])
    payouts = _listed([describe_payout(ctx, p) for p in _sorted_payouts(ctx, c.payouts)])
    if c.difference_minor:
        expected = _money(ctx, sum(ctx.p_minor[p] for p in c.payouts), c.lines[0])
        actual = _money(ctx, sum(ctx.l_minor[i] for i in c.lines), c.lines[0])
        why = f"the difference is {match.difference}"
        if c.fee_minor:
            why = f"the bank kept its known fee of {_money(ctx, c.fee_minor, c.lines[0])}"
            if left := c.difference_minor + c.fee_minor:
                why += f", and {_money(ctx, left, c.lines[0])} more differs"
        found.append(
            Discrepancy(
                DiscrepancyKind.AMOUNT_MISMATCH,
                f"{lines} pays {payouts} but {actual} arrived for {expected} expected: {why}",
                payout_ids=match.payout_ids,
                line_indexes=match.line_indexes,
                expected=expected,
                actual=actual,
                difference=match.difference,
            )
        )
    if c.rule is not None:
        origin = f" ({c.rule.learned_from})" if c.rule.learned_from else ""
        notes.append(
            f'learned rule "{c.rule.pattern}" → {c.rule.connection}{origin} matched '
            f"{lines} to {payouts}"
        )
    return match, found, notes


def _across_currencies(ctx: Prepared, c: Candidate) -> Discrepancy:
    line, payout = c.lines[0], c.payouts[0]
    return Discrepancy(
        DiscrepancyKind.CURRENCY_MISMATCH,
        f"{describe_line(ctx, line)} carries the reference of {describe_payout(ctx, payout)} "
        f"but is in {ctx.currency_of_line(line)}, not {ctx.currency_of_payout(payout)}; "
        "not matched",
        payout_ids=_ids(ctx, c.payouts),
        line_indexes=c.lines,
        expected=ctx.expected[payout].amount,
        actual=ctx.lines[line].amount,
    )


def _ambiguous(ctx: Prepared, group: Ambiguity) -> Discrepancy:
    payouts = _sorted_payouts(ctx, list(group.payouts))
    lines = _sorted_lines(ctx, list(group.lines))
    best = published(max(c.points for c in group.candidates))
    return Discrepancy(
        DiscrepancyKind.AMBIGUOUS,
        f"{_listed([describe_payout(ctx, p) for p in payouts])} fit "
        f"{_listed([describe_line(ctx, i) for i in lines])} equally well "
        f"(score {best}) and nothing (reference, amount, date, descriptor) tells them apart; "
        "nothing was matched automatically, a person decides",
        payout_ids=_ids(ctx, payouts),
        line_indexes=tuple(sorted(group.lines)),
    )


Fate = tuple[str, tuple[str, ...]]
"""What became of a line, in words, and the payout ids it went to."""


def _leftovers(ctx: Prepared, state: Assignment, fates: dict[int, Fate]) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    for payout in ctx.payouts:
        if state.payout_free(payout):
            p = ctx.expected[payout]
            found.append(
                Discrepancy(
                    DiscrepancyKind.MISSING_DEPOSIT,
                    f"no deposit within {_days(ctx.window_business_days)} of arrival "
                    f"{p.expected_date} for {describe_payout(ctx, payout, arrival=False)}",
                    payout_ids=(p.payout_id,),
                    expected=p.amount,
                )
            )
    for line in ctx.credits:
        if state.line_free(line):
            found.append(
                Discrepancy(
                    DiscrepancyKind.UNEXPECTED_DEPOSIT,
                    f"{describe_line(ctx, line)} matches no expected payout: no reference, amount "
                    f"or sum of amounts fits within {_days(ctx.window_business_days)}",
                    line_indexes=(line,),
                    actual=ctx.lines[line].amount,
                )
            )
    for line, first in sorted(ctx.duplicate_of.items()):
        fate, ids = fates.get(first, ("a deposit that matches nothing", ()))
        found.append(
            Discrepancy(
                DiscrepancyKind.DUPLICATE_DEPOSIT,
                f"{describe_line(ctx, line)} repeats the bank reference, amount and date of "
                f"{fate}; marked as a duplicate, not removed",
                payout_ids=ids,
                line_indexes=(line,),
                actual=ctx.lines[line].amount,
            )
        )
    return found


def result(ctx: Prepared, state: Assignment) -> MatchResult:
    """The matches, discrepancies and notes of a finished assignment, in canonical order."""
    matches: list[tuple[SortKey, Match]] = []
    found: list[Discrepancy] = []
    notes: list[str] = []
    fates: dict[int, Fate] = {}
    for c in state.accepted:
        if c.method is None:
            found.append(_across_currencies(ctx, c))
            fates.update((i, ("a deposit in the wrong currency", ())) for i in c.lines)
            continue
        match, mismatch, learned = _matched(ctx, c, c.method)
        matches.append((_candidate_key(ctx, c), match))
        matched = f"the deposit matched to {_listed(list(match.payout_ids))}"
        fates.update((i, (matched, match.payout_ids)) for i in c.lines)
        found.extend(mismatch)
        notes.extend(learned)
    for group in state.ambiguities:
        found.append(_ambiguous(ctx, group))
        fates.update((i, ("a deposit left to a person as ambiguous", ())) for i in group.lines)
    found.extend(_leftovers(ctx, state, fates))
    for p in ctx.expected:
        if not p.amount.is_positive():
            notes.append(
                f"payout {p.payout_id} of {p.amount} is not a deposit (zero or negative) and "
                "was not matched"
            )
    matches.sort(key=lambda row: row[0])
    return MatchResult(
        matches=tuple(m for _, m in matches),
        discrepancies=tuple(sorted(found, key=lambda d: _discrepancy_key(ctx, d))),
        notes=tuple(sorted(notes)),
    )


def _discrepancy_key(ctx: Prepared, d: Discrepancy) -> SortKey:
    return (
        _KIND_ORDER[d.kind],
        d.payout_ids,
        tuple(sorted(ctx.line_keys[i] for i in d.line_indexes)),
        d.reason,
    )
