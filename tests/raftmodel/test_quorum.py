"""raftmodel.quorum: majority arithmetic (Raft §5.2, §5.4), checked against brute force."""

from __future__ import annotations

import random
from itertools import combinations

import pytest
from _strategies_unit import match_lists
from hypothesis import given
from hypothesis import strategies as st

from raftmodel.quorum import committed_index, is_quorum, majority


def brute_committed_index(match: list[int], quorum: int) -> int:
    """The largest k such that at least ``quorum`` servers have matched index k or more."""
    best = 0
    for k in range(max(match, default=0) + 1):
        if sum(1 for m in match if m >= k) >= quorum:
            best = k
    return best


class TestMajority:
    @pytest.mark.parametrize(
        ("n", "expected"), [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4)]
    )
    def test_table(self, n: int, expected: int) -> None:
        assert majority(n) == expected

    @given(st.integers(1, 1000))
    def test_smallest_number_above_half(self, n: int) -> None:
        m = majority(n)
        assert 2 * m > n
        assert 2 * (m - 1) <= n

    @pytest.mark.parametrize("n", range(1, 8))
    def test_any_two_majorities_intersect(self, n: int) -> None:
        servers = range(1, n + 1)
        quorums = [frozenset(q) for q in combinations(servers, majority(n))]
        assert all(a & b for a in quorums for b in quorums)


class TestIsQuorum:
    @pytest.mark.parametrize(
        ("voters", "n", "expected"),
        [
            ((), 1, False),
            ((1,), 1, True),
            ((1,), 2, False),
            ((1, 2), 2, True),
            ((1,), 3, False),
            ((1, 3), 3, True),
            ((2, 2), 3, False),  # one server voting twice is still one vote
            ((1, 2), 4, False),
            ((1, 2, 4), 4, True),
            ((1, 2), 5, False),
            ((1, 2, 5), 5, True),
        ],
    )
    def test_table(self, voters: tuple[int, ...], n: int, expected: bool) -> None:
        assert is_quorum(voters, n) is expected

    def test_explicit_size_overrides_majority(self) -> None:
        assert is_quorum([1], 3, size=1)
        assert not is_quorum([1, 2], 3, size=3)

    @given(st.lists(st.integers(1, 7)), st.integers(1, 7))
    def test_counts_distinct_voters(self, voters: list[int], n: int) -> None:
        assert is_quorum(voters, n) is (len(set(voters)) * 2 > n)


class TestCommittedIndex:
    @pytest.mark.parametrize(
        ("match", "quorum", "expected"),
        [
            ([], 1, 0),
            ([5], 1, 5),
            ([3, 1, 2], 2, 2),
            ([3, 3, 0], 2, 3),
            ([4, 0, 0], 2, 0),
            ([5, 4, 3, 2, 1], 3, 3),
            ([1, 2], 3, 0),  # fewer acknowledgements than the quorum
        ],
    )
    def test_table(self, match: list[int], quorum: int, expected: int) -> None:
        assert committed_index(match, quorum) == expected

    @given(match_lists, st.integers(1, 9))
    def test_agrees_with_brute_force(self, match: list[int], quorum: int) -> None:
        assert committed_index(match, quorum) == brute_committed_index(match, quorum)

    @given(match_lists.filter(bool), st.data())
    def test_majority_of_the_servers_has_the_committed_index(
        self, match: list[int], data: st.DataObject
    ) -> None:
        q = majority(len(match))
        k = committed_index(match, q)
        assert sum(1 for m in match if m >= k) >= q
        assert sum(1 for m in match if m >= k + 1) < q
        # Raising one server's match index never lowers the committed index.
        i = data.draw(st.integers(0, len(match) - 1))
        raised = [*match[:i], match[i] + data.draw(st.integers(0, 3)), *match[i + 1 :]]
        assert committed_index(raised, q) >= k

    @given(match_lists, st.integers(1, 9), st.randoms(use_true_random=False))
    def test_order_of_acknowledgements_is_irrelevant(
        self, match: list[int], quorum: int, rnd: random.Random
    ) -> None:
        shuffled = list(match)
        rnd.shuffle(shuffled)
        assert committed_index(shuffled, quorum) == committed_index(match, quorum)

    def test_accepts_any_iterable_and_leaves_it_alone(self) -> None:
        match = [1, 3, 2]
        assert committed_index(iter(match), 2) == 2
        assert committed_index(match, 2) == 2
        assert match == [1, 3, 2]
