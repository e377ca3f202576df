"""Finding payout ids in bank text: whole, truncated at either end, and never by accident."""

from __future__ import annotations

from ledgerbridge.reconcile.references import (
    MAX_REFERENCE_FANOUT,
    STRONG_REFERENCE,
    ReferenceIndex,
    normalise,
    spans,
)

A = "po_1Hx3kL2eZvKYlo2C8d9aBcDe"


class TestNormalise:
    def test_case_and_punctuation_go(self) -> None:
        assert normalise("po_1Hx-3k é.") == "PO1HX3KÉ"


class TestSpans:
    def test_pieces_tokens_and_their_runs_are_candidates(self) -> None:
        found = set(spans("STRIPE TRANSFER REF:po_1Hx3k"))
        assert {"PO1HX3K", "1HX3K", "REFPO1HX3K", "STRIPETRANSFER"} <= found
        assert "RANSFER" not in found  # never in the middle of a word


class TestLookup:
    index = ReferenceIndex([[A], ["85391180"], ["po_1Hx3kL2eZvKYlo2C8d9aBcDX"]])

    def test_a_whole_id_has_full_strength_and_only_its_owner(self) -> None:
        assert self.index.search([f"STRIPE {A}"]) == {0: 1.0}

    def test_a_prefix_shared_by_two_ids_fits_both_at_half_strength(self) -> None:
        hits = self.index.search([A[:16]])
        assert set(hits) == {0, 2} and all(s < STRONG_REFERENCE for s in hits.values())

    def test_a_suffix_unique_to_one_id_is_strong(self) -> None:
        hits = self.index.search([f"REF {A[-12:]}"])
        assert list(hits) == [0] and STRONG_REFERENCE <= hits[0] < 1.0

    def test_a_longer_surviving_part_is_stronger(self) -> None:
        assert self.index.search([A[-20:]])[0] > self.index.search([A[-12:]])[0]

    def test_short_ids_count_only_whole(self) -> None:
        assert self.index.search(["SHOPIFY 85391180"]) == {1: 1.0}
        assert self.index.search(["SHOPIFY 8539118"]) == {}
        assert self.index.search(["SHOPIFY 853911801"]) == {}

    def test_a_span_fitting_too_many_payouts_fits_none(self) -> None:
        many = ReferenceIndex(
            [[f"BATCH{n:02d}", "SHAREDREF"] for n in range(MAX_REFERENCE_FANOUT + 1)]
        )
        few = ReferenceIndex([[f"BATCH{n:02d}", "SHAREDREF"] for n in range(2)])
        assert many.search(["SHAREDREF"]) == {}
        assert set(few.search(["SHAREDREF"])) == {0, 1}
