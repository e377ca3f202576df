"""Bounded subset sums and the pool sizes that keep coincidences rare."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from ledgerbridge.reconcile.subsets import chance_pool_size, subset_sums


class TestSubsetSums:
    def test_the_module_example(self) -> None:
        found = subset_sums([30, 50, 70, 120], 150, tolerance_minor=0, max_size=3, max_results=8)
        assert found == [(0, 3), (0, 1, 2)]

    def test_the_tolerance_widens_the_target(self) -> None:
        assert subset_sums([40, 61], 100, tolerance_minor=0, max_size=2, max_results=8) == []
        assert subset_sums([40, 61], 100, tolerance_minor=1, max_size=2, max_results=8) == [(0, 1)]

    def test_the_search_stops_at_max_results(self) -> None:
        found = subset_sums([1] * 10, 2, tolerance_minor=0, max_size=2, max_results=3)
        assert len(found) == 3

    @given(
        st.lists(st.integers(1, 60), max_size=9),
        st.integers(1, 150),
        st.integers(0, 3),
        st.integers(1, 4),
    )
    def test_it_finds_exactly_the_subsets_brute_force_finds(
        self, amounts: list[int], target: int, tolerance: int, size: int
    ) -> None:
        expected = {
            c
            for c in combinations(range(len(amounts)), size)
            if abs(sum(amounts[i] for i in c) - target) <= tolerance
        }
        found = subset_sums(
            amounts,
            target,
            tolerance_minor=tolerance,
            min_size=size,
            max_size=size,
            max_results=10**6,
        )
        assert set(found) == expected and len(found) == len(expected)


class TestChancePoolSize:
    def test_the_docstring_example(self) -> None:
        assert chance_pool_size(2, 30000, 0, 0.01, 256) == 25

    def test_a_larger_target_allows_a_wider_pool(self) -> None:
        assert chance_pool_size(3, 300000, 0, 0.01, 256) > chance_pool_size(3, 3000, 0, 0.01, 256)

    def test_a_wider_tolerance_narrows_the_pool(self) -> None:
        assert chance_pool_size(2, 30000, 50, 0.01, 256) < chance_pool_size(2, 30000, 0, 0.01, 256)

    def test_a_tiny_target_is_not_searched(self) -> None:
        assert chance_pool_size(2, 50, 0, 0.01, 256) < 2

    def test_the_ceiling_holds(self) -> None:
        assert chance_pool_size(1, 10**9, 0, 0.01, 256) == 256
