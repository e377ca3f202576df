"""Property tests: random balanced entries build, reverse, and keep the trial balance at zero.

The trial balance is the sum, per account, of base amounts with debits positive; across the
whole book it must be exactly zero after any sequence of entries and reversals. The oracle
(:func:`tests.strategies.trial_balance`) is written apart from the core so that it can disagree.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.ledger.entries import JournalEntry, JournalLine, Side, UnbalancedEntry
from ledgerbridge.money import Money
from tests.strategies import (
    balanced_lines,
    base_currencies,
    dates,
    journal_entries,
    nonzero,
    slow_inputs,
    sources,
    trial_balance,
)


def _per_currency(lines: list[JournalLine]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for line in lines:
        sign = 1 if line.side is Side.DEBIT else -1
        code = line.amount.currency
        sums[code] = sums.get(code, Decimal(0)) + sign * line.amount.amount
    return sums


class TestBalancedEntries:
    @slow_inputs
    @given(st.data(), base_currencies)
    def test_random_balanced_lines_always_build_an_entry(
        self, data: st.DataObject, base: str
    ) -> None:
        lines = data.draw(balanced_lines(base))
        assert all(v == 0 for v in _per_currency(lines).values())
        built = JournalEntry(data.draw(dates), "random", base, data.draw(sources), tuple(lines))
        assert built.total(Side.DEBIT) == built.total(Side.CREDIT)
        assert sum(trial_balance([built]).values()) == 0

    @slow_inputs
    @given(st.data(), base_currencies)
    def test_one_minor_unit_more_on_any_line_is_refused(
        self, data: st.DataObject, base: str
    ) -> None:
        lines = data.draw(balanced_lines(base))
        index = data.draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        bumped_amount = line.amount + Money.from_minor(1, line.amount.currency)
        bumped_base = bumped_amount if line.amount.currency == base else line.base_amount
        lines[index] = dataclasses.replace(line, amount=bumped_amount, base_amount=bumped_base)
        try:
            JournalEntry(data.draw(dates), "tampered", base, data.draw(sources), tuple(lines))
        except UnbalancedEntry as refused:
            sign = 1 if line.side is Side.DEBIT else -1
            assert refused.residual == Money.from_minor(sign, line.amount.currency)
        else:
            raise AssertionError("an entry one minor unit out of balance was accepted")

    @slow_inputs
    @given(journal_entries())
    def test_the_reversal_of_any_entry_builds_and_cancels_it(self, entry: JournalEntry) -> None:
        reversal = entry.reversal(reason="property")
        assert reversal.reverses == entry.source
        assert reversal.total(Side.DEBIT) == entry.total(Side.CREDIT)
        assert nonzero(trial_balance([entry, reversal])) == {}


class TestTrialBalance:
    @slow_inputs
    @given(st.lists(journal_entries("USD"), max_size=6), st.data())
    def test_the_book_sums_to_zero_after_any_entries_and_reversals(
        self, entries: list[JournalEntry], data: st.DataObject
    ) -> None:
        book = list(entries)
        for entry in entries:
            if data.draw(st.booleans()):
                book.append(entry.reversal(reason="property"))
        book = data.draw(st.permutations(book))
        assert sum(trial_balance(book).values()) == 0

    @slow_inputs
    @given(st.lists(journal_entries("EUR"), min_size=1, max_size=6), st.data())
    def test_reversing_some_entries_leaves_exactly_the_others(
        self, entries: list[JournalEntry], data: st.DataObject
    ) -> None:
        reversed_ = [data.draw(st.booleans()) for _ in entries]
        reversals = [e.reversal(reason="p") for e, r in zip(entries, reversed_, strict=True) if r]
        kept = [e for e, r in zip(entries, reversed_, strict=True) if not r]
        assert nonzero(trial_balance(entries + reversals)) == nonzero(trial_balance(kept))
