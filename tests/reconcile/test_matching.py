"""The matcher's behaviours, one class each, on statements small enough to read.

Payout ids look like Stripe's (``po_`` + 24 characters) unless the behaviour is about another
shape. Every test states the books it builds and what a bookkeeper would expect of them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerbridge.errors import InvalidInput
from ledgerbridge.reconcile.matching import LearnedRule
from ledgerbridge.reconcile.model import DiscrepancyKind as K
from ledgerbridge.reconcile.model import MatchMethod as M
from tests.reconcile.builders import (
    FRI,
    MON,
    NEXT_MON,
    THU,
    TUE,
    WED,
    line,
    money,
    payout,
    run,
)

A = "po_1Hx3kL2eZvKYlo2C8d9aBcDe"
B = "po_1Hx9QpR4tUvWxYz0AbCdEfGh"
C = "po_1HxQ7sT2uVwXyZ1aB2cD3eF4"


class TestReference:
    def test_a_whole_id_in_the_description_matches_by_reference(self) -> None:
        out = run([payout(A, "120.00")], [line("120.00", description=f"STRIPE TRANSFER {A}")])
        m = out.of_payout(A)
        assert m is not None and m.method == M.REFERENCE and m.line_indexes == (0,)
        assert m.score == Decimal("1.00") and m.difference == money("0.00")

    # Lengths count letters and digits only: A[:11] is "po_1Hx3kL2e", ten of them.
    @pytest.mark.parametrize("shown", [A[:16], A[-16:], A[:11], A[-10:]])
    def test_an_id_cut_at_either_end_still_matches(self, shown: str) -> None:
        # Twin amounts: only the reference can tell which payout the deposit is.
        out = run([payout(A, "120.00"), payout(B, "120.00")], [line("120.00", description=shown)])
        assert out.pairs() == {(A, (0,))}
        assert out.matches[0].method == M.REFERENCE

    def test_nine_characters_of_an_id_are_not_enough(self) -> None:
        out = run([payout(A, "120.00")], [line("100.00", description=A[:10])])
        assert out.matches == ()
        assert sorted(out.kinds()) == sorted([K.MISSING_DEPOSIT, K.UNEXPECTED_DEPOSIT])

    def test_ten_characters_are_enough_even_with_the_wrong_amount(self) -> None:
        out = run([payout(A, "120.00")], [line("100.00", description=A[:11])])
        assert out.matches[0].method == M.REFERENCE
        assert out.only(K.AMOUNT_MISMATCH).difference == money("-20.00")

    def test_case_and_punctuation_are_ignored(self) -> None:
        shown = "PO-1HX3K.L2EZVKYLO2C8D9ABCDE"
        out = run([payout(A, "120.00"), payout(B, "120.00")], [line("120.00", description=shown)])
        assert out.pairs() == {(A, (0,))}

    def test_the_id_may_sit_in_the_bank_ref_or_the_references(self) -> None:
        lines = [
            line("120.00", bank_ref=A, description=""),
            line("120.00", TUE, references=("EREF", f"/REF/{B}"), description=""),
        ]
        out = run([payout(A, "120.00"), payout(B, "120.00")], lines)
        assert out.pairs() == {(A, (0,)), (B, (1,))}

    def test_a_reference_listed_on_the_payout_counts_like_its_id(self) -> None:
        p = payout("12345", "120.00", references=("TRACE0042551199",))
        out = run([p, payout(B, "120.00")], [line("120.00", description="TRACE0042551199")])
        assert out.pairs() == {("12345", (0,))}

    def test_a_short_id_counts_only_as_a_whole_word(self) -> None:
        p = payout("85391180", "310.00", connection="shopify", descriptor=None)
        out = run([p], [line("295.00", description="SHOPIFY 853911801234")])
        assert out.matches == ()

    def test_a_reference_shared_by_a_few_payouts_counts_at_half_strength(self) -> None:
        shared = ("BATCH20261005",)
        ps = [payout(p, f"{n}0.00", references=shared) for n, p in enumerate((A, B, C), 1)]
        out = run(ps, [line("20.00", description="ACH BATCH20261005")])
        m = out.of_line(0)
        assert m is not None and m.payout_ids == (B,) and m.method == M.REFERENCE
        assert m.score < Decimal("0.75")

    def test_a_reference_shared_by_many_payouts_identifies_none(self) -> None:
        shared = ("BATCH20261005",)
        ids = [f"po_{n:024d}" for n in range(1, 10)]
        ps = [payout(p, f"{n}0.00", references=shared) for n, p in enumerate(ids, 1)]
        out = run(ps, [line("20.00", description="ACH BATCH20261005")])
        assert out.of_line(0).method == M.AMOUNT_DATE  # type: ignore[union-attr]


class TestBusinessDayWindow:
    def test_three_business_days_late_over_a_weekend_matches(self) -> None:
        out = run([payout(A, "50.00", THU)], [line("50.00", NEXT_MON + dt.timedelta(days=1))])
        assert out.of_payout(A) is not None

    def test_four_business_days_late_is_missing(self) -> None:
        out = run([payout(A, "50.00", THU)], [line("50.00", NEXT_MON + dt.timedelta(days=2))])
        assert out.matches == ()
        missing = out.only(K.MISSING_DEPOSIT)
        assert missing.reason.startswith("no deposit within 3 business days of arrival 2026-10-08")

    def test_the_window_is_symmetric(self) -> None:
        early = run([payout(A, "50.00", THU)], [line("50.00", MON)])
        too_early = run([payout(A, "50.00", FRI)], [line("50.00", MON)])
        assert early.of_payout(A) is not None
        assert too_early.matches == ()

    def test_a_holiday_is_skipped_like_a_weekend(self) -> None:
        lines, expected = [line("50.00", NEXT_MON)], [payout(A, "50.00", TUE)]
        assert run(expected, lines, window_business_days=3).matches == ()
        out = run(expected, lines, window_business_days=3, holidays=frozenset({WED}))
        assert out.of_payout(A) is not None

    def test_a_closer_value_date_counts(self) -> None:
        late = line("50.00", NEXT_MON + dt.timedelta(days=3), value_date=THU)
        assert run([payout(A, "50.00", MON)], [late]).of_payout(A) is not None

    def test_the_window_is_a_parameter(self) -> None:
        expected, lines = [payout(A, "50.00", MON)], [line("50.00", WED)]
        assert run(expected, lines, window_business_days=1).matches == ()
        assert run(expected, lines, window_business_days=2).matches != ()


class TestSameAmountSameDay:
    def test_twins_are_told_apart_by_reference(self) -> None:
        lines = [line("120.00", TUE, f"STRIPE {B}"), line("120.00", MON, f"STRIPE {A}")]
        out = run([payout(A, "120.00"), payout(B, "120.00")], lines)
        assert out.pairs() == {(A, (1,)), (B, (0,))}

    def test_one_reference_is_enough_for_both(self) -> None:
        lines = [line("120.00", MON), line("120.00", MON, f"STRIPE {A}")]
        out = run([payout(A, "120.00"), payout(B, "120.00")], lines)
        assert out.pairs() == {(A, (1,)), (B, (0,))}
        assert out.of_payout(B).method == M.DESCRIPTOR  # type: ignore[union-attr]

    def test_twins_without_references_are_left_to_a_person(self) -> None:
        lines = [line("120.00", MON, bank_ref="BK1"), line("120.00", MON, bank_ref="BK2")]
        out = run([payout(A, "120.00"), payout(B, "120.00")], lines)
        assert out.matches == ()
        amb = out.only(K.AMBIGUOUS)
        assert set(amb.payout_ids) == {A, B} and set(amb.line_indexes) == {0, 1}
        assert A in amb.reason and B in amb.reason and "BK1" in amb.reason
        assert "nothing was matched automatically" in amb.reason


class TestAmbiguity:
    def test_one_deposit_fitting_two_payouts_equally_matches_neither(self) -> None:
        out = run([payout(A, "80.00", TUE), payout(B, "80.00", TUE)], [line("80.00", WED)])
        assert out.matches == ()
        assert out.kinds() == [K.AMBIGUOUS]

    def test_deposits_equally_far_on_either_side_tie(self) -> None:
        out = run([payout(A, "80.00", WED)], [line("80.00", TUE), line("80.00", THU)])
        assert out.matches == ()
        assert out.kinds() == [K.AMBIGUOUS]

    def test_the_nearer_deposit_wins_when_the_dates_differ(self) -> None:
        out = run([payout(A, "80.00", WED)], [line("80.00", MON), line("80.00", THU)])
        assert out.pairs() == {(A, (1,))}
        assert out.kinds() == [K.UNEXPECTED_DEPOSIT]

    def test_a_deposit_whose_only_candidates_are_ambiguous_joins_the_ambiguity(self) -> None:
        # A and B tie for the Tuesday deposit; the Thursday one could only be A's or B's.
        ps = [payout(A, "80.00", TUE), payout(B, "80.00", TUE)]
        out = run(ps, [line("80.00", TUE), line("80.00", THU)])
        assert out.kinds() == [K.AMBIGUOUS]
        assert out.only(K.AMBIGUOUS).line_indexes == (0, 1)

    def test_a_crowded_window_ends_in_an_ambiguity_not_a_guess(self) -> None:
        ps = [payout(f"po_{n:024d}", "1.00") for n in range(200)]
        out = run(ps, [line("4.00")])
        assert out.matches == () and K.AMBIGUOUS in out.kinds()

    def test_a_flood_of_equal_deposits_is_one_ambiguity_with_nothing_unexpected(self) -> None:
        ps = [payout(f"po_{n:024d}", "100.00") for n in range(40)]
        lines = [line("100.00", bank_ref=f"BK{n}") for n in range(40)]
        amb = run(ps, lines).only(K.AMBIGUOUS)
        assert len(amb.payout_ids) == 40 and len(amb.line_indexes) == 40
        assert "and 36 more" in amb.reason

    def test_a_line_taken_by_a_better_candidate_frees_its_rival(self) -> None:
        # Line 0 names A; B is left with line 1 alone: not a tie any more.
        lines = [line("80.00", MON, A), line("80.00", MON)]
        out = run([payout(A, "80.00"), payout(B, "80.00")], lines)
        assert out.pairs() == {(A, (0,)), (B, (1,))}


class TestSeveralPayoutsInOneDeposit:
    def test_two_payouts_paid_as_one_deposit_match_many_to_one(self) -> None:
        ps = [payout(A, "80.00", TUE), payout(B, "45.50", WED), payout(C, "999.00", WED)]
        out = run(ps, [line("125.50", THU)])
        m = out.of_line(0)
        assert m is not None and m.method == M.MANY_TO_ONE
        assert set(m.payout_ids) == {A, B} and m.difference == money("0.00")

    def test_a_deposit_quoting_the_ids_it_pays_adds_them_up(self) -> None:
        ps = [payout(A, "80.00"), payout(B, "45.50"), payout(C, "45.50")]
        out = run(ps, [line("125.50", MON, f"STRIPE {A} {C}")])
        assert set(out.of_line(0).payout_ids) == {A, C}  # type: ignore[union-attr]

    def test_no_more_payouts_than_max_subset_are_summed(self) -> None:
        ps = [payout(p, "10.00") for p in (A, B, C)]
        assert run(ps, [line("30.00")], max_subset=2).matches == ()
        assert run(ps, [line("30.00")], max_subset=3).matches != ()

    def test_payouts_of_another_currency_are_not_summed(self) -> None:
        ps = [payout(A, "80.00"), payout(B, "45.50", currency="EUR")]
        assert run(ps, [line("125.50")]).matches == ()

    def test_payouts_of_two_gateways_are_not_one_deposit(self) -> None:
        other = payout(B, "45.50", connection="paypal", descriptor="PAYPAL TRANSFER")
        assert run([payout(A, "80.00"), other], [line("125.50")]).matches == ()


class TestOnePayoutOverSeveralDeposits:
    def test_a_payout_split_in_two_matches_one_to_many(self) -> None:
        out = run([payout(A, "1000.00")], [line("600.00", TUE), line("400.00", WED)])
        m = out.of_payout(A)
        assert m is not None and m.method == M.ONE_TO_MANY and m.line_indexes == (0, 1)

    def test_a_part_that_quotes_the_id_anchors_the_rest(self) -> None:
        lines = [line("600.00", TUE, A), line("400.00", WED, "ACH CREDIT")]
        assert run([payout(A, "1000.00")], lines).of_payout(A).line_indexes == (0, 1)  # type: ignore[union-attr]


class TestKnownBankFee:
    def test_a_deposit_short_by_a_known_fee_is_a_match_and_an_amount_mismatch(self) -> None:
        out = run([payout(A, "310.00")], [line("295.00", TUE, A)], known_bank_fees=[money("15.00")])
        assert out.of_payout(A).method == M.BANK_FEE  # type: ignore[union-attr]
        mismatch = out.only(K.AMOUNT_MISMATCH)
        assert (mismatch.expected, mismatch.actual) == (money("310.00"), money("295.00"))
        assert (
            mismatch.difference == money("-15.00") and "known fee of 15.00 USD" in mismatch.reason
        )

    def test_the_fee_is_recognised_without_a_reference(self) -> None:
        out = run([payout(A, "310.00")], [line("295.00", TUE)], known_bank_fees=[money("15.00")])
        assert out.of_payout(A).method == M.BANK_FEE  # type: ignore[union-attr]

    def test_an_unknown_shortfall_without_a_reference_is_no_match(self) -> None:
        out = run([payout(A, "310.00")], [line("295.00", TUE)], known_bank_fees=[money("14.00")])
        assert out.matches == ()

    def test_a_fee_in_another_currency_does_not_apply(self) -> None:
        fee = [money("15.00", "EUR")]
        assert run([payout(A, "310.00")], [line("295.00", TUE)], known_bank_fees=fee).matches == ()


class TestAmountTolerance:
    def test_a_fee_and_a_rounding_difference_are_both_explained(self) -> None:
        fee = [money("15.00")]
        out = run(
            [payout(A, "310.00")], [line("294.99")], known_bank_fees=fee, amount_tolerance_minor=1
        )
        assert out.of_payout(A).method == M.BANK_FEE  # type: ignore[union-attr]
        reason = out.only(K.AMOUNT_MISMATCH).reason
        assert "known fee of 15.00 USD, and -0.01 USD more differs" in reason

    def test_a_difference_inside_the_tolerance_matches_and_is_reported(self) -> None:
        out = run([payout(A, "100.00")], [line("99.98")], amount_tolerance_minor=2)
        assert out.of_payout(A).method == M.DESCRIPTOR  # type: ignore[union-attr]
        assert out.only(K.AMOUNT_MISMATCH).difference == money("-0.02")

    def test_exact_is_the_default(self) -> None:
        assert run([payout(A, "100.00")], [line("99.99")]).matches == ()


class TestLearnedRules:
    TWINS = (
        payout(A, "75.00", connection="acme-market", descriptor=None),
        payout(B, "75.00", connection="other-shop", descriptor=None),
    )

    def test_a_learned_rule_tells_twins_of_two_connections_apart(self) -> None:
        rule = LearnedRule("acme mktpl", "acme-market", learned_from="discrepancy 41")
        deposit = line("75.00", description="", counterparty="ACME MKTPL SETTLEMENT 0042")
        out = run(self.TWINS, [deposit], learned=[rule])
        m = out.of_line(0)
        assert m is not None and m.payout_ids == (A,) and m.method == M.LEARNED
        assert any("acme mktpl" in n and "discrepancy 41" in n for n in out.result.notes)

    def test_without_the_rule_the_twins_are_ambiguous(self) -> None:
        deposit = line("75.00", description="", counterparty="ACME MKTPL SETTLEMENT 0042")
        assert run(self.TWINS, [deposit]).kinds() == [K.AMBIGUOUS]

    def test_a_rule_never_pairs_a_different_amount(self) -> None:
        rule = LearnedRule("acme mktpl", "acme-market")
        out = run(self.TWINS[:1], [line("70.00", description="ACME MKTPL")], learned=[rule])
        assert out.matches == ()

    def test_a_rule_needs_words_to_look_for(self) -> None:
        with pytest.raises(InvalidInput):
            LearnedRule(" -- ", "acme-market")


class TestDescriptor:
    def test_the_descriptor_separates_same_amount_payouts_of_two_gateways(self) -> None:
        ps = [payout(A, "75.00"), payout(B, "75.00", connection="pp", descriptor="PAYPAL TRANSFER")]
        out = run(ps, [line("75.00", description="PAYPAL TRANSFER 9931")])
        assert out.pairs() == {(B, (0,))}
        assert out.matches[0].method == M.DESCRIPTOR

    def test_a_deposit_naming_another_gateway_is_not_matched_by_amount(self) -> None:
        out = run([payout(A, "75.00")], [line("75.00", description="PAYPAL TRANSFER")])
        # The only payout is Stripe's; nothing else names PayPal, so nothing contradicts it.
        assert out.of_payout(A) is not None
        paypal = payout(C, "10.00", connection="pp", descriptor="PAYPAL TRANSFER")
        out = run([payout(A, "75.00"), paypal], [line("75.00", description="PAYPAL TRANSFER")])
        assert out.of_payout(A) is None


class TestDiscrepancies:
    def test_payments_out_are_neither_matched_nor_reported(self) -> None:
        out = run([payout(A, "50.00")], [line("-50.00", description=A)])
        assert out.matches == () and out.kinds() == [K.MISSING_DEPOSIT]

    def test_a_credit_matching_nothing_is_unexpected(self) -> None:
        out = run([], [line("42.00", FRI, "INTEREST", bank_ref="BK7")])
        d = out.only(K.UNEXPECTED_DEPOSIT)
        assert d.line_indexes == (0,) and d.actual == money("42.00") and "BK7" in d.reason

    def test_a_repeated_line_is_marked_a_duplicate_and_kept(self) -> None:
        lines = [
            line("50.00", bank_ref="BK1", position=3),
            line("50.00", bank_ref="BK1", position=9),
        ]
        out = run([payout(A, "50.00")], lines)
        assert out.pairs() == {(A, (0,))}
        dup = out.only(K.DUPLICATE_DEPOSIT)
        assert dup.line_indexes == (1,) and dup.payout_ids == (A,) and "not removed" in dup.reason

    def test_two_lines_without_a_bank_reference_are_never_duplicates(self) -> None:
        out = run(
            [payout(A, "50.00"), payout(B, "50.00")], [line("50.00", MON, A), line("50.00", MON, B)]
        )
        assert len(out.matches) == 2 and out.kinds() == []

    def test_a_reference_in_another_currency_is_reported_not_matched(self) -> None:
        out = run([payout(A, "100.00", currency="EUR")], [line("108.57", TUE, A)])
        assert out.matches == ()
        d = out.only(K.CURRENCY_MISMATCH)
        assert d.payout_ids == (A,) and d.line_indexes == (0,)
        assert d.expected == money("100.00", "EUR") and "USD" in d.reason

    def test_a_payout_of_zero_or_less_is_noted_not_matched(self) -> None:
        out = run([payout(A, "0.00")], [])
        assert out.result.discrepancies == () and A in out.result.notes[0]


class TestParameters:
    @pytest.mark.parametrize(
        ("option", "value"),
        [("window_business_days", -1), ("amount_tolerance_minor", -1), ("max_subset", 0)],
    )
    def test_impossible_settings_are_refused_by_name(self, option: str, value: int) -> None:
        with pytest.raises(InvalidInput) as caught:
            run([], [], **{option: value})
        assert caught.value.field == option
