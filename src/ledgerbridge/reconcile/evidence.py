"""Scoring one candidate: the evidence for pairing these deposits with these payouts.

:func:`evaluate` gathers the five pieces of evidence of :mod:`~ledgerbridge.reconcile.scoring`
for a pair or a group, turns them into points, and names the method a person will see:

* a group is ``many_to_one`` (several payouts, one deposit) or ``one_to_many``;
* a pair short by a known bank fee is ``bank_fee`` (it is also reported as an amount mismatch);
* a pair with a reference is ``reference``; without one, a learned rule makes it ``learned``,
  a descriptor match ``descriptor``, and otherwise it is ``amount_date``.

For a group, reference and descriptor evidence are averaged over its (deposit, payout) links,
the date evidence is that of its worst-placed member, and a learned rule counts only when it
covers every member.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledgerbridge.reconcile.assign import Candidate
from ledgerbridge.reconcile.model import MatchMethod
from ledgerbridge.reconcile.prepared import Prepared
from ledgerbridge.reconcile.scoring import (
    DESCRIPTOR_MATCH_PERCENT,
    amount_evidence,
    date_evidence,
    points,
)


def evaluate(
    ctx: Prepared, lines: Sequence[int], payouts: Sequence[int], *, any_amount: bool
) -> Candidate | None:
    """Score lines against payouts of one currency; None when the amounts cannot match.

    With ``any_amount`` false the amounts must agree (within tolerance or a known fee for a
    pair, within tolerance for a group). With it true any amount goes: stage 4.
    """
    currency = ctx.currency_of_line(lines[0])
    difference = sum(ctx.l_minor[i] for i in lines) - sum(ctx.p_minor[p] for p in payouts)
    pair = len(lines) == len(payouts) == 1
    fee = ctx.fee_explaining(currency, difference) if pair and difference else 0
    if abs(difference) <= ctx.tolerance_minor:
        fee = 0
        amount = amount_evidence(difference, ctx.tolerance_minor, fee=False)
    elif fee:
        amount = amount_evidence(difference + fee, ctx.tolerance_minor, fee=True)
    elif any_amount:
        amount = 0.0
    else:
        return None
    links = [(i, p) for i in lines for p in payouts]
    reference = sum(ctx.line_refs.get(i, {}).get(p, 0.0) for i, p in links) / len(links)
    date = min(date_evidence(ctx.distance(i, p), ctx.window_business_days) for i, p in links)
    descriptor = sum(ctx.similarity(i, p) for i, p in links) // len(links)
    rules = [ctx.line_rules.get(i, {}).get(ctx.expected[p].connection) for i, p in links]
    rule = rules[0] if all(rules) else None
    score = points(
        reference=reference,
        amount=amount,
        date=date,
        descriptor_percent=descriptor,
        learned=rule is not None,
        members=len(lines) + len(payouts),
    )
    method = _method(pair, len(payouts), reference, fee, rule is not None, descriptor)
    return Candidate(
        tuple(sorted(lines)), tuple(sorted(payouts)), method, score, difference, fee, rule
    )


def _method(
    pair: bool, payouts: int, reference: float, fee: int, learned: bool, descriptor: int
) -> MatchMethod:
    if not pair:
        return MatchMethod.MANY_TO_ONE if payouts > 1 else MatchMethod.ONE_TO_MANY
    if fee:
        return MatchMethod.BANK_FEE
    if reference:
        return MatchMethod.REFERENCE
    if learned:
        return MatchMethod.LEARNED
    if descriptor >= DESCRIPTOR_MATCH_PERCENT:
        return MatchMethod.DESCRIPTOR
    return MatchMethod.AMOUNT_DATE
