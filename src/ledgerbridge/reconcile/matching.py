"""Matching bank deposits to the payouts the ledger expects: pure, deterministic, explainable.

:func:`match` takes the payouts (``ExpectedDeposit``) and the statement lines (``BankLine``)
and returns matches (line indexes ↔ payout ids, with method, score and difference) and
discrepancies with reasons in plain words. It reads no clock, database or setting: the same
inputs, in any order, give the same result.

How, in four stages over shrinking sets of free lines and payouts (``candidates``, ``groups``):

1. **Identified** — the line carries a payout id (whole, or a prefix or suffix of at least 10
   characters; case and punctuation ignored) and the amount agrees, or is short by a known bank
   fee; or the ids it carries add up.
2. **By amount** — same currency and amount (or amount less a known fee), booked within the
   business-day window around the announced arrival; descriptor similarity and learned rules
   separate rivals.
3. **Groups** — bounded subset sums: several payouts in one deposit, one payout over several.
4. **Mismatched** — a strong reference whose amount is wrong (matched, and an amount mismatch)
   or whose currency is (reported, not matched).

Within each stage every candidate is scored (``scoring``) and assigned globally, best first
(``assign``): no line or payout is used twice, and when the best candidates for a line or a
payout tie, none of them is matched and one ``ambiguous`` discrepancy names them all. What is
left becomes ``missing_deposit`` (payouts) or ``unexpected_deposit`` (credit lines); repeated
lines (same bank reference, account, amount and date) are ``duplicate_deposit``, marked and
kept; payments out are not deposits and are ignored.

Worked example (window 3 business days, known fee 15.00 USD; Mon = 2026-10-05):

==========  ================================  ========  ===  ===============================
payout      connection, descriptor            amount    due  the statement shows
==========  ================================  ========  ===  ===============================
A po_1Hx3…  stripe-us, STRIPE TRANSFER        1250.00   Mon  0: Mon 1250.00 "STRIPE TRANSFER
                                                             PO_1HX3KL2EZVKYL" (cut to 15)
B po_1Hx9…  stripe-us, STRIPE TRANSFER         120.00   Mon  2: Tue 120.00 "STRIPE TRANSFER"
C po_1HxQ…  stripe-us, STRIPE TRANSFER         120.00   Mon  1: Tue 120.00, C's id in refs
D 85391180  shopify, SHOPIFY PAYMENTS          310.00   Tue  3: Wed 295.00 "… 85391180"
E 85391181  shopify, SHOPIFY PAYMENTS           80.00   Wed  4: Thu 125.50 "SHOPIFY PAYMENTS"
F 85391182  shopify, SHOPIFY PAYMENTS           45.50   Wed  (in line 4)
G po_1HxG…  stripe-us, STRIPE TRANSFER          99.00   Thu  nothing
==========  ================================  ========  ===  ===============================

Line 5 is rent paid out (-500.00), line 6 is 42.00 of interest, and line 7 repeats line 1.

* Stage 1: line 0 holds 15 of A's 26 characters: reference evidence 0.8 + 0.2 × 15/26, exact
  amount, same day, descriptor 100% → 9577 points, ``reference`` 0.95. Line 1 names C whole, a
  day late → ``reference`` 0.96. Line 3 names D and is D less the 15.00 fee → ``bank_fee`` 0.90
  and an ``amount_mismatch`` of -15.00.
* Stage 2: B and C are twins (same amount, same day), but C is taken, so line 2 has one
  candidate left: B, by amount and window, descriptor 100% → ``descriptor`` 0.46. (Had line 1
  carried no id, B and C would tie for lines 1 and 2, and all four would go to one
  ``ambiguous`` discrepancy instead.)
* Stage 3: line 4 is E + F: ``many_to_one`` 0.45 (0.01 off for each member beyond a pair).
* Left over: G is ``missing_deposit`` ("no deposit within 3 business days of arrival
  2026-10-08 …"), line 6 is ``unexpected_deposit``, line 7 is a ``duplicate_deposit`` of the
  deposit matched to C. Line 5 is a payment out: not a deposit, not reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ledgerbridge.errors import InvalidInput
from ledgerbridge.money import Money
from ledgerbridge.reconcile import candidates, findings, groups
from ledgerbridge.reconcile.assign import Assignment, Candidate
from ledgerbridge.reconcile.learned import LearnedRule
from ledgerbridge.reconcile.model import BankLine, ExpectedDeposit, MatchResult
from ledgerbridge.reconcile.prepared import Prepared, SortKey, prepare

__all__ = [
    "DEFAULT_AMOUNT_TOLERANCE_MINOR",
    "DEFAULT_MAX_SUBSET",
    "DEFAULT_WINDOW_BUSINESS_DAYS",
    "LearnedRule",
    "match",
]

DEFAULT_WINDOW_BUSINESS_DAYS = 3
"""Deposits up to this many business days before or after the announced arrival are candidates."""
DEFAULT_AMOUNT_TOLERANCE_MINOR = 0
"""Exact to the minor unit unless the caller says otherwise."""
DEFAULT_MAX_SUBSET = 4
"""Most payouts in one deposit (or deposits for one payout) the subset search tries."""


def match(
    expected: Sequence[ExpectedDeposit],
    lines: Sequence[BankLine],
    *,
    window_business_days: int = DEFAULT_WINDOW_BUSINESS_DAYS,
    amount_tolerance_minor: int = DEFAULT_AMOUNT_TOLERANCE_MINOR,
    known_bank_fees: Sequence[Money] = (),
    learned: Sequence[LearnedRule] = (),
    max_subset: int = DEFAULT_MAX_SUBSET,
    holidays: frozenset[dt.date] = frozenset(),
) -> MatchResult:
    """Pair ``lines`` (by index) with ``expected`` payouts (by id); see the module docstring.

    Only credit lines (amount > 0) are deposit candidates; payments out are ignored, and so are
    expected deposits of zero or less (listed in the notes). Raises :class:`InvalidInput` for a
    negative window or tolerance, or a ``max_subset`` below 1.
    """
    _check(window_business_days, amount_tolerance_minor, max_subset)
    ctx = prepare(
        expected,
        lines,
        window_business_days=window_business_days,
        tolerance_minor=amount_tolerance_minor,
        max_subset=max_subset,
        fees=known_bank_fees,
        learned=learned,
        holidays=holidays,
    )
    state = Assignment(lambda c: _order(ctx, c))
    for stage in (
        candidates.identified,
        candidates.by_amount,
        groups.grouped,
        candidates.mismatched,
    ):
        state.assign(list(stage(ctx, state)))
    state.settle()
    return findings.result(ctx, state)


def _order(ctx: Prepared, c: Candidate) -> SortKey:
    """Content-only tie order within a score level (it decides nothing, it only fixes order)."""
    return (
        tuple(ctx.payout_keys[p] for p in sorted(c.payouts, key=ctx.payout_keys.__getitem__)),
        tuple(ctx.line_keys[i] for i in sorted(c.lines, key=ctx.line_keys.__getitem__)),
        str(c.method),
    )


def _check(window_business_days: int, tolerance_minor: int, max_subset: int) -> None:
    if window_business_days < 0:
        raise InvalidInput(
            "the window must be zero or more business days", field="window_business_days"
        )
    if tolerance_minor < 0:
        raise InvalidInput(
            "the amount tolerance must be zero or more", field="amount_tolerance_minor"
        )
    if max_subset < 1:
        raise InvalidInput("max_subset must be at least 1", field="max_subset")
