"""Properties of the matcher that hold for any books, checked on random ones.

The random books are small and crowded on purpose: four distinct amounts, one week of dates,
two gateways, two currencies, bank references drawn from a short list (so duplicates happen)
and descriptions that quote real, truncated or foreign payout ids. That is where ties,
duplicates, subsets and mismatches collide, which is what the invariants must survive.
"""

from __future__ import annotations

import datetime as dt
import string
from collections import Counter
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerbridge.reconcile.business_days import BusinessCalendar
from ledgerbridge.reconcile.matching import match
from ledgerbridge.reconcile.model import BankLine, DiscrepancyKind, ExpectedDeposit, MatchResult
from ledgerbridge.reconcile.model import MatchMethod as M
from tests.reconcile.builders import MON, line, payout

K = DiscrepancyKind
AMOUNTS = ("10.00", "20.00", "30.00", "45.50")
GATEWAYS = (("stripe-us", "STRIPE TRANSFER"), ("paypal", "PAYPAL TRANSFER"))
FEES = ("15.00", "0.25")
property_settings = settings(max_examples=150, deadline=None)

ids = st.text(string.ascii_letters + string.digits, min_size=12, max_size=20).map("po_".__add__)
days = st.integers(0, 6).map(lambda n: MON + dt.timedelta(days=n))
currencies = st.sampled_from(("USD", "USD", "USD", "EUR"))


@st.composite
def books(draw: st.DrawFn) -> tuple[list[ExpectedDeposit], list[BankLine]]:
    """Random payouts and a random statement that borrows their ids and amounts."""
    names = draw(st.lists(ids, max_size=8, unique_by=str.upper))
    expected = []
    for name in names:
        connection, descriptor = draw(st.sampled_from(GATEWAYS))
        amount = draw(st.sampled_from(AMOUNTS))
        currency = draw(currencies)
        expected.append(
            payout(
                name,
                amount,
                draw(days),
                currency=currency,
                connection=connection,
                descriptor=descriptor,
            )
        )
    quotes = st.sampled_from(["", *names, *(n[:12] for n in names), *(n[-10:] for n in names)])
    texts = st.sampled_from(["STRIPE TRANSFER", "PAYPAL TRANSFER", "INTEREST", "ACH CREDIT"])
    statement = []
    for position in range(draw(st.integers(0, 12))):
        amount = draw(st.sampled_from([*AMOUNTS, "40.00", "50.00", "55.50", "75.50"]))
        sign = draw(st.sampled_from(["", "", "", "-"]))
        text = f"{draw(texts)} {draw(quotes)}".strip()
        statement.append(
            line(
                sign + amount,
                draw(days),
                text,
                currency=draw(currencies),
                bank_ref=draw(st.sampled_from([None, "BK1", "BK2", "BK3"])),
                position=position,
            )
        )
    imported_twice = draw(st.booleans())
    if statement and imported_twice:
        statement.append(draw(st.sampled_from(statement)))  # a line imported twice
    return expected, statement


def run(expected: Sequence[ExpectedDeposit], lines: Sequence[BankLine]) -> MatchResult:
    fees = [payout("x", fee).amount for fee in FEES]
    return match(expected, lines, known_bank_fees=fees)


class TestNothingIsUsedTwice:
    @property_settings
    @given(books())
    def test_no_line_and_no_payout_is_in_two_matches(
        self, data: tuple[list[ExpectedDeposit], list[BankLine]]
    ) -> None:
        expected, lines = data
        result = run(expected, lines)
        used_lines = Counter(i for m in result.matches for i in m.line_indexes)
        used_payouts = Counter(p for m in result.matches for p in m.payout_ids)
        assert all(n == 1 for n in used_lines.values())
        assert all(n == 1 for n in used_payouts.values())
        for m in result.matches:
            banked = sum(lines[i].amount.minor for i in m.line_indexes)
            owed = sum(p.amount.minor for p in expected if p.payout_id in m.payout_ids)
            assert m.difference.minor == banked - owed
            assert 0 <= m.score <= 1


class TestEveryPayoutIsAccountedFor:
    @property_settings
    @given(books())
    def test_each_payout_is_matched_or_named_by_exactly_one_finding(
        self, data: tuple[list[ExpectedDeposit], list[BankLine]]
    ) -> None:
        expected, lines = data
        result = run(expected, lines)
        places = Counter(p for m in result.matches for p in m.payout_ids)
        for d in result.discrepancies:
            if d.kind in (K.MISSING_DEPOSIT, K.AMBIGUOUS, K.CURRENCY_MISMATCH):
                places.update(d.payout_ids)
        assert places == Counter(p.payout_id for p in expected)


class TestEveryCreditLineIsAccountedFor:
    @property_settings
    @given(books())
    def test_each_credit_is_matched_or_flagged_once_and_payments_out_never_appear(
        self, data: tuple[list[ExpectedDeposit], list[BankLine]]
    ) -> None:
        expected, lines = data
        result = run(expected, lines)
        places = Counter(i for m in result.matches for i in m.line_indexes)
        for d in result.discrepancies:
            if d.kind != K.AMOUNT_MISMATCH:
                places.update(d.line_indexes)
        credits = [i for i, row in enumerate(lines) if row.amount.is_positive()]
        assert places == Counter(credits)


def canonical(result: MatchResult, lines: Sequence[BankLine]) -> list[str]:
    """The result with line indexes replaced by the lines themselves, in a fixed order."""

    def named(indexes: tuple[int, ...]) -> list[str]:
        return sorted(repr(lines[i]) for i in indexes)

    rows = [
        repr((named(m.line_indexes), m.payout_ids, m.method, m.score, m.difference))
        for m in result.matches
    ]
    rows += [
        repr(
            (
                d.kind,
                d.payout_ids,
                named(d.line_indexes),
                d.reason,
                d.expected,
                d.actual,
                d.difference,
            )
        )
        for d in result.discrepancies
    ]
    return sorted(rows) + sorted(result.notes)


class TestInputOrderDoesNotMatter:
    @property_settings
    @given(books(), st.randoms(use_true_random=False))
    def test_shuffling_payouts_and_lines_gives_the_same_result(
        self, data: tuple[list[ExpectedDeposit], list[BankLine]], rnd: object
    ) -> None:
        expected, lines = data
        shuffled_expected, shuffled_lines = list(expected), list(lines)
        rnd.shuffle(shuffled_expected)  # type: ignore[attr-defined]
        rnd.shuffle(shuffled_lines)  # type: ignore[attr-defined]
        assert canonical(run(shuffled_expected, shuffled_lines), shuffled_lines) == canonical(
            run(expected, lines), lines
        )


@st.composite
def perfect_books(draw: st.DrawFn) -> tuple[list[ExpectedDeposit], list[BankLine]]:
    """Each payout deposited exactly once, whole, inside the window, quoting its id."""
    calendar = BusinessCalendar()
    names = draw(st.lists(ids, min_size=1, max_size=10, unique_by=str.upper))
    expected, statement = [], []
    for position, name in enumerate(names):
        p = payout(name, draw(st.sampled_from(AMOUNTS)), draw(days))
        booked = p.expected_date + dt.timedelta(days=draw(st.integers(-5, 5)))
        if calendar.distance(booked, p.expected_date) > 3:
            booked = p.expected_date
        where = draw(st.sampled_from(("description", "references", "bank_ref")))
        statement.append(
            line(
                p.amount.format(),
                booked,
                f"STRIPE TRANSFER {name}" if where == "description" else "",
                references=(name,) if where == "references" else (),
                bank_ref=name if where == "bank_ref" else None,
                position=position,
            )
        )
        expected.append(p)
    return expected, statement


class TestAPerfectStatement:
    @property_settings
    @given(perfect_books())
    def test_every_payout_matches_its_own_deposit_by_reference(
        self, data: tuple[list[ExpectedDeposit], list[BankLine]]
    ) -> None:
        expected, lines = data
        result = run(expected, lines)
        assert result.discrepancies == ()
        assert all(m.method == M.REFERENCE for m in result.matches)
        assert {(m.payout_ids, m.line_indexes) for m in result.matches} == {
            ((p.payout_id,), (i,)) for i, p in enumerate(expected)
        }
