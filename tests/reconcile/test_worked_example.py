"""The worked example of ``ledgerbridge.reconcile.matching``'s docstring, checked line by line.

If this test fails, the docstring tells a story the code no longer follows: fix one or the
other, never only the test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerbridge.reconcile.model import BankLine, ExpectedDeposit
from ledgerbridge.reconcile.model import DiscrepancyKind as K
from ledgerbridge.reconcile.model import MatchMethod as M
from tests.reconcile.builders import FRI, MON, THU, TUE, WED, line, money, payout, run

A, B, C = (
    "po_1Hx3kL2eZvKYlo2C8d9aBcDe",
    "po_1Hx9QpR4tUvWxYz0AbCdEfGh",
    "po_1HxQ7sT2uVwXyZ1aB2cD3eF4",
)
D, E, F = "85391180", "85391181", "85391182"
G = "po_1HxGhJkLmNoPqRsTuVwXyZ01"


def shopify(payout_id: str, amount: str, due: dt.date) -> ExpectedDeposit:
    return payout(payout_id, amount, due, connection="shopify", descriptor="SHOPIFY PAYMENTS")


EXPECTED = [
    payout(A, "1250.00", MON),
    payout(B, "120.00", MON),
    payout(C, "120.00", MON),
    shopify(D, "310.00", TUE),
    shopify(E, "80.00", WED),
    shopify(F, "45.50", WED),
    payout(G, "99.00", THU),
]


def statement(*, line_1_quotes_c: bool = True) -> list[BankLine]:
    quoted = (C,) if line_1_quotes_c else ()
    return [
        line("1250.00", MON, "STRIPE TRANSFER PO_1HX3KL2EZVKYL", bank_ref="BK01"),
        line("120.00", TUE, bank_ref="BK02", references=quoted),
        line("120.00", TUE, bank_ref="BK03"),
        line("295.00", WED, "SHOPIFY PAYMENTS 85391180", bank_ref="BK04"),
        line("125.50", THU, "SHOPIFY PAYMENTS", bank_ref="BK05"),
        line("-500.00", THU, "RENT OCTOBER", bank_ref="BK06"),
        line("42.00", FRI, "INTEREST", bank_ref="BK07"),
        line("120.00", TUE, bank_ref="BK02", references=quoted),
    ]


class TestWorkedExample:
    def test_the_matches_are_those_the_docstring_walks_through(self) -> None:
        out = run(EXPECTED, statement(), known_bank_fees=[money("15.00")])
        got = {(m.line_indexes, m.payout_ids, m.method, m.score) for m in out.matches}
        assert got == {
            ((0,), (A,), M.REFERENCE, Decimal("0.95")),
            ((1,), (C,), M.REFERENCE, Decimal("0.96")),
            ((2,), (B,), M.DESCRIPTOR, Decimal("0.46")),
            ((3,), (D,), M.BANK_FEE, Decimal("0.90")),
            ((4,), (E, F), M.MANY_TO_ONE, Decimal("0.45")),
        }

    def test_the_leftovers_are_reported_as_the_docstring_says(self) -> None:
        out = run(EXPECTED, statement(), known_bank_fees=[money("15.00")])
        assert out.kinds() == [
            K.MISSING_DEPOSIT,
            K.UNEXPECTED_DEPOSIT,
            K.AMOUNT_MISMATCH,
            K.DUPLICATE_DEPOSIT,
        ]
        assert out.only(K.MISSING_DEPOSIT).reason.startswith(
            "no deposit within 3 business days of arrival 2026-10-08"
        )
        assert out.only(K.UNEXPECTED_DEPOSIT).line_indexes == (6,)
        assert out.only(K.AMOUNT_MISMATCH).difference == money("-15.00")
        assert out.only(K.DUPLICATE_DEPOSIT).payout_ids == (C,)

    def test_without_c_s_id_the_twins_and_both_deposits_are_one_ambiguity(self) -> None:
        out = run(EXPECTED, statement(line_1_quotes_c=False), known_bank_fees=[money("15.00")])
        amb = out.only(K.AMBIGUOUS)
        assert set(amb.payout_ids) == {B, C} and set(amb.line_indexes) == {1, 2}
        assert out.of_payout(B) is None and out.of_payout(C) is None
