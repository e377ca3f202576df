"""How sure the matcher is about one candidate: a weighted sum of plain evidence, in points.

Every candidate (one deposit and one payout, or a group) is scored from four pieces of evidence,
each between 0 and 1, weighted so a full house makes :data:`FULL_POINTS`, plus a bonus when a
learned rule applies (capped at the full score):

=============  ======  ====================================================================
evidence       points  1 when …
=============  ======  ====================================================================
reference      5000    the payout id is in the deposit whole (a truncated id gets 0.8–1)
amount         3000    the amounts agree to the minor unit (a known bank fee gets 0.8)
date           1400    the deposit is booked on the arrival day (falls linearly to 0 just
                       past the window)
descriptor      600    the gateway's descriptor is in the deposit text (rapidfuzz
                       ``token_set_ratio``)
learned        +400    a learned rule sends deposits like this to the payout's connection
=============  ======  ====================================================================

Groups lose :data:`EXTRA_MEMBER_POINTS` for each member beyond a pair, so the fewest pieces that
explain a deposit win.

Why integer points: the assignment treats two candidates with *equal* scores as ambiguous, and
equality must not hang on the last bit of a float sum. Scores are rounded to whole points
(1/10,000) before they are compared, and published as ``Decimal`` rounded down to 0.01.

Worked example, window 3 business days: a deposit carrying the whole payout id, the exact
amount, booked one business day late, with a descriptor similarity of 100%:
5000 + 3000 + 1400 × (1 − 1/4) + 600 = 9650 points, published as ``Decimal("0.96")``. The same
deposit without the id scores 4650 (0.46): still the best candidate if it is the only one.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from rapidfuzz import fuzz, utils

REFERENCE_POINTS = 5000
AMOUNT_POINTS = 3000
DATE_POINTS = 1400
DESCRIPTOR_POINTS = 600
FULL_POINTS = REFERENCE_POINTS + AMOUNT_POINTS + DATE_POINTS + DESCRIPTOR_POINTS
LEARNED_POINTS = 400
"""A bonus on top: it separates candidates that are otherwise equal, within the cap."""
EXTRA_MEMBER_POINTS = 100
"""Taken off a group for every member beyond two (a payout and a deposit)."""

BANK_FEE_AMOUNT_EVIDENCE = 0.8
"""Amount evidence when the deposit is the payout less a known bank fee."""
TOLERANCE_AMOUNT_EVIDENCE_FLOOR = 0.5
"""Amount evidence at the edge of the tolerance; it rises to 1 at an exact amount."""
DESCRIPTOR_MATCH_PERCENT = 85
"""Descriptor similarity from which an amount-and-date match is called a descriptor match."""
SCORE_QUANTUM = Decimal("0.01")


def points(
    *,
    reference: float,
    amount: float,
    date: float,
    descriptor_percent: int,
    learned: bool,
    members: int,
) -> int:
    """The candidate's score in whole points, 0 to :data:`FULL_POINTS`."""
    raw = (
        REFERENCE_POINTS * reference
        + AMOUNT_POINTS * amount
        + DATE_POINTS * date
        + DESCRIPTOR_POINTS * descriptor_percent / 100
        + (LEARNED_POINTS if learned else 0)
        - EXTRA_MEMBER_POINTS * max(0, members - 2)
    )
    return max(0, min(FULL_POINTS, round(raw)))


def amount_evidence(residual_minor: int, tolerance_minor: int, *, fee: bool) -> float:
    """1 for an exact amount, down to the floor at the tolerance's edge; scaled for a fee.

    ``residual_minor`` is what is left after the fee (if any) is accounted for.
    """
    closeness = 1.0
    if residual_minor:
        span = 1 - TOLERANCE_AMOUNT_EVIDENCE_FLOOR
        closeness = 1 - span * abs(residual_minor) / max(tolerance_minor, 1)
    return closeness * (BANK_FEE_AMOUNT_EVIDENCE if fee else 1.0)


def date_evidence(distance_business_days: int, window_business_days: int) -> float:
    """1 on the day, falling linearly to 0 one business day past the window."""
    if distance_business_days > window_business_days:
        return 0.0
    return 1 - distance_business_days / (window_business_days + 1)


def descriptor_percent(descriptor: str | None, text: str) -> int:
    """Whole-percent fuzzy similarity of a gateway descriptor and a deposit's words (0 if none)."""
    if not descriptor or not text:
        return 0
    return round(fuzz.token_set_ratio(descriptor, text, processor=utils.default_process))


def published(points_: int) -> Decimal:
    """Points as the 0-to-1 ``Decimal`` a :class:`Match` carries, rounded down to 0.01."""
    return (Decimal(points_) / FULL_POINTS).quantize(SCORE_QUANTUM, rounding=ROUND_DOWN)
