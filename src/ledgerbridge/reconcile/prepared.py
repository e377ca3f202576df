"""The matcher's inputs, read once into indexes so every later question is a lookup.

What is computed up front, and why:

* amounts in integer minor units (comparisons and subset sums stay exact and fast);
* business-day ordinals of every arrival, booking and value date (window tests are subtraction);
* credit lines by (currency, amount), sorted, so "deposits of 120.00 ± tolerance" is a binary
  search rather than a scan;
* reference hits in both directions (line → payouts and payout → lines), from one pass of every
  line's text through a :class:`~ledgerbridge.reconcile.references.ReferenceIndex`;
* duplicate credit lines: same bank reference, account, amount and booking date as another. The
  one that sorts first by content stands for the group; the others never become candidates and
  are reported as duplicates at the end (marked, not deleted);
* canonical sort keys built from content, never from input position, so the result does not
  change when the inputs are shuffled.

A line's distance to a payout is the smaller of its booking date's and its value date's: banks
differ in which of the two is the day the money arrived.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ledgerbridge.money import Money
from ledgerbridge.reconcile.business_days import BusinessCalendar
from ledgerbridge.reconcile.learned import LearnedRule
from ledgerbridge.reconcile.model import BankLine, ExpectedDeposit
from ledgerbridge.reconcile.references import ReferenceIndex
from ledgerbridge.reconcile.scoring import DESCRIPTOR_MATCH_PERCENT, descriptor_percent

SortKey = tuple[object, ...]


def line_key(line: BankLine) -> SortKey:
    """Every field of the line, date and amount first: a content-only total order."""
    return (
        line.booking_date,
        line.amount.currency,
        line.amount.amount,
        line.bank_ref or "",
        line.account or "",
        line.position,
        line.description,
        line.references,
        line.value_date or dt.date.min,
        line.counterparty or "",
        line.transaction_code or "",
    )


def payout_key(payout: ExpectedDeposit) -> SortKey:
    return (
        payout.payout_id,
        payout.connection,
        payout.expected_date,
        payout.amount.currency,
        payout.amount.amount,
        payout.references,
        payout.descriptor or "",
    )


@dataclass(slots=True)
class Prepared:
    """Indexes over one call's inputs; built by :func:`prepare`."""

    expected: Sequence[ExpectedDeposit]
    lines: Sequence[BankLine]
    window_business_days: int
    tolerance_minor: int
    max_subset: int
    fees: dict[str, tuple[int, ...]]
    payouts: list[int]
    """Expected deposits with a positive amount, in canonical order."""
    credits: list[int]
    """Credit lines that are not duplicates of another, in canonical order."""
    duplicate_of: dict[int, int]
    line_keys: list[SortKey]
    payout_keys: list[SortKey]
    p_minor: list[int]
    p_ordinal: list[int]
    l_minor: list[int]
    l_ordinals: list[tuple[int, ...]]
    line_refs: dict[int, dict[int, float]]
    payout_refs: dict[int, dict[int, float]]
    line_rules: dict[int, dict[str, LearnedRule]]
    descriptors: tuple[str, ...] = ()
    """Every distinct gateway descriptor among the expected deposits."""
    _amounts: dict[str, tuple[list[int], list[int]]] = field(default_factory=dict)
    _similarity: dict[tuple[str, int], int] = field(default_factory=dict)
    _named: dict[int, int] = field(default_factory=dict)
    _contradiction: dict[tuple[str, int], bool] = field(default_factory=dict)

    def currency_of_line(self, line: int) -> str:
        return self.lines[line].amount.currency

    def currency_of_payout(self, payout: int) -> str:
        return self.expected[payout].amount.currency

    def distance(self, line: int, payout: int) -> int:
        """Business days between the line (booking or value date) and the payout's arrival."""
        arrival = self.p_ordinal[payout]
        return min(abs(o - arrival) for o in self.l_ordinals[line])

    def lines_with_amount(self, currency: str, low_minor: int, high_minor: int) -> list[int]:
        """Credit lines (duplicates excluded) of ``currency`` with amount in [low, high]."""
        amounts, indexes = self._amounts.get(currency, ([], []))
        return indexes[bisect_left(amounts, low_minor) : bisect_right(amounts, high_minor)]

    def similarity(self, line: int, payout: int) -> int:
        """Descriptor similarity in whole percent (cached: many payouts share a descriptor)."""
        descriptor = self.expected[payout].descriptor or ""
        cached = self._similarity.get((descriptor, line))
        if cached is None:
            cached = descriptor_percent(descriptor, self._text(line))
            self._similarity[(descriptor, line)] = cached
        return cached

    def contradicts(self, line: int, payout: int) -> bool:
        """Whether the line names another gateway: it fits some descriptor well, not this one's.

        A deposit printed "PAYPAL TRANSFER" is not a Stripe payout, whatever its amount. Lines
        that name no gateway ("ACH CREDIT 0042") and payouts without a descriptor contradict
        nothing.
        """
        descriptor = self.expected[payout].descriptor
        if not descriptor:
            return False
        cached = self._contradiction.get((descriptor, line))
        if cached is None:
            named = self._named.get(line)
            if named is None:
                text = self._text(line)
                named = max((descriptor_percent(d, text) for d in self.descriptors), default=0)
                self._named[line] = named
            cached = (
                named >= DESCRIPTOR_MATCH_PERCENT
                and self.similarity(line, payout) < DESCRIPTOR_MATCH_PERCENT
            )
            self._contradiction[(descriptor, line)] = cached
        return cached

    def _text(self, line: int) -> str:
        row = self.lines[line]
        return f"{row.counterparty or ''} {row.description}".strip()

    def fee_explaining(self, currency: str, difference_minor: int) -> int:
        """The known fee closest to explaining bank − expected within tolerance, else 0."""
        fits = [
            fee
            for fee in self.fees.get(currency, ())
            if abs(difference_minor + fee) <= self.tolerance_minor
        ]
        return min(fits, key=lambda fee: (abs(difference_minor + fee), fee), default=0)


def prepare(
    expected: Sequence[ExpectedDeposit],
    lines: Sequence[BankLine],
    *,
    window_business_days: int,
    tolerance_minor: int,
    max_subset: int,
    fees: Sequence[Money],
    learned: Sequence[LearnedRule],
    holidays: frozenset[dt.date],
) -> Prepared:
    """Read the inputs into a :class:`Prepared` (see the module docstring for what and why)."""
    calendar = BusinessCalendar(holidays)
    line_keys = [line_key(line) for line in lines]
    payout_keys = [payout_key(p) for p in expected]
    payouts = sorted(
        (i for i, p in enumerate(expected) if p.amount.is_positive()), key=payout_keys.__getitem__
    )
    credits, duplicate_of = _representatives(lines, line_keys)
    fee_table: defaultdict[str, set[int]] = defaultdict(set)
    for fee in fees:
        if fee.is_positive():
            fee_table[fee.currency].add(fee.minor)
    index = ReferenceIndex([(expected[i].payout_id, *expected[i].references) for i in payouts])
    line_refs: dict[int, dict[int, float]] = {}
    payout_refs: defaultdict[int, dict[int, float]] = defaultdict(dict)
    for line_index in credits:
        row = lines[line_index]
        found = index.search((row.bank_ref or "", *row.references, row.description))
        if found:
            hits = {payouts[k]: strength for k, strength in found.items()}
            line_refs[line_index] = hits
            for payout, strength in hits.items():
                payout_refs[payout][line_index] = strength
    ordered_rules = sorted(learned, key=lambda r: (r.connection, r.pattern, r.learned_from))
    line_rules: dict[int, dict[str, LearnedRule]] = {}
    for line_index in credits:
        applying = [r for r in ordered_rules if r.applies_to(lines[line_index])]
        if applying:
            line_rules[line_index] = {}
            for rule in applying:
                line_rules[line_index].setdefault(rule.connection, rule)
    prepared = Prepared(
        expected=expected,
        lines=lines,
        window_business_days=window_business_days,
        tolerance_minor=tolerance_minor,
        max_subset=max_subset,
        fees={c: tuple(sorted(f)) for c, f in fee_table.items()},
        payouts=payouts,
        credits=credits,
        duplicate_of=duplicate_of,
        line_keys=line_keys,
        payout_keys=payout_keys,
        p_minor=[p.amount.minor for p in expected],
        p_ordinal=[calendar.ordinal(p.expected_date) for p in expected],
        l_minor=[line.amount.minor for line in lines],
        l_ordinals=[_ordinals(calendar, line) for line in lines],
        line_refs=line_refs,
        payout_refs=dict(payout_refs),
        line_rules=line_rules,
        descriptors=tuple(sorted({p.descriptor for p in expected if p.descriptor})),
    )
    by_currency: defaultdict[str, list[tuple[int, SortKey, int]]] = defaultdict(list)
    for i in credits:
        by_currency[lines[i].amount.currency].append((prepared.l_minor[i], line_keys[i], i))
    for currency, rows in by_currency.items():
        rows.sort()
        prepared._amounts[currency] = ([r[0] for r in rows], [r[2] for r in rows])
    return prepared


def _ordinals(calendar: BusinessCalendar, line: BankLine) -> tuple[int, ...]:
    booked = calendar.ordinal(line.booking_date)
    if line.value_date is None:
        return (booked,)
    return (booked, calendar.ordinal(line.value_date))


def _representatives(
    lines: Sequence[BankLine], keys: list[SortKey]
) -> tuple[list[int], dict[int, int]]:
    """Credit lines in canonical order, minus duplicates; and each duplicate's representative."""
    credits = sorted(
        (i for i, line in enumerate(lines) if line.amount.is_positive()), key=keys.__getitem__
    )
    seen: dict[tuple[object, ...], int] = {}
    kept: list[int] = []
    duplicate_of: dict[int, int] = {}
    for i in credits:
        line = lines[i]
        if not line.bank_ref:
            kept.append(i)
            continue
        same = (line.bank_ref, line.account, line.amount, line.booking_date)
        if same in seen:
            duplicate_of[i] = seen[same]
        else:
            seen[same] = i
            kept.append(i)
    return kept, duplicate_of
