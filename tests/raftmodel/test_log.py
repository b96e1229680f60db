"""raftmodel.log: pure functions on an immutable log (Raft §5.3, §5.4.1, Figure 2).

Numbered invariants of raftmodel/log.py: (1) terms never decrease along a log;
(2) term_at(log, 0) == 0, the empty prefix matches everything.
"""

from __future__ import annotations

import pytest
from _strategies_unit import (
    entry_for,
    free_logs,
    last_ids,
    log_and_append,
    log_with_last,
    logs,
)
from hypothesis import given
from hypothesis import strategies as st

from raftmodel.log import (
    entry_ids,
    is_up_to_date,
    last_index,
    last_term,
    matches,
    merge,
    overwrite,
    term_at,
    well_formed,
)
from raftmodel.types import Entry, Log


def E(*terms: int) -> Log:
    """A log with the given terms, values fixed by (index, term)."""
    return tuple(entry_for(k, t) for k, t in enumerate(terms, start=1))


def brute_up_to_date(cand_term: int, cand_index: int, log: Log) -> bool:
    """§5.4.1, literally: "If the logs have last entries with different terms, then the log
    with the later term is more up-to-date. If the logs end with the same term, then
    whichever log is longer is more up-to-date." At least as up-to-date = not less."""
    my_term = log[-1].term if log else 0
    if cand_term != my_term:
        return cand_term > my_term
    return cand_index >= len(log)


def brute_merge(log: Log, prev: int, entries: Log) -> Log:
    """Figure 2, AppendEntries receiver 3-4, one entry at a time: "If an existing entry
    conflicts with a new one (same index but different terms), delete the existing entry
    and all that follow it. Append any new entries not already in the log." """
    out = list(log)
    for k, e in enumerate(entries, start=prev + 1):
        if k <= len(out) and out[k - 1].term != e.term:
            del out[k - 1 :]
        if k > len(out):
            out.append(e)
    return tuple(out)


class TestLastAndTermAt:
    def test_empty_log(self) -> None:
        assert (last_index(()), last_term(()), term_at((), 0), term_at((), 1)) == (0, 0, 0, None)

    def test_one_based_indexes(self) -> None:
        log = E(1, 1, 3)
        assert (last_index(log), last_term(log)) == (3, 3)
        assert [term_at(log, k) for k in range(5)] == [0, 1, 1, 3, None]
        assert term_at(log, -1) is None
        assert entry_ids(log) == ((1, 1), (2, 1), (3, 3))

    @given(logs(), st.integers(-2, 8))
    def test_term_at_is_the_entry_term(self, log: Log, k: int) -> None:
        expected = 0 if k == 0 else log[k - 1].term if 1 <= k <= len(log) else None
        assert term_at(log, k) == expected


class TestMatches:
    @pytest.mark.parametrize(
        ("prev_index", "prev_term", "expected"),
        [
            (0, 0, True),  # invariant 2: the empty prefix matches any log
            (0, 1, False),
            (1, 1, True),
            (2, 1, True),
            (3, 2, True),
            (3, 1, False),  # right index, wrong term
            (2, 2, False),
            (4, 2, False),  # beyond the end of the log
        ],
    )
    def test_table(self, prev_index: int, prev_term: int, expected: bool) -> None:
        assert matches(E(1, 1, 2), prev_index, prev_term) is expected

    @given(logs(), st.integers(0, 8), st.integers(0, 5))
    def test_matches_iff_entry_with_that_term(self, log: Log, k: int, t: int) -> None:
        assert matches(log, k, t) is (term_at(log, k) == t)


class TestIsUpToDate:
    @pytest.mark.parametrize(
        ("cand", "voter_terms", "expected"),
        [
            ((0, 0), (), True),
            ((1, 1), (), True),
            ((0, 0), (1,), False),
            ((2, 1), (1, 1, 1), True),  # later last term wins, however short
            ((2, 5), (1, 2), True),  # same last term, longer wins
            ((2, 2), (1, 2), True),  # same last term, equal length is enough
            ((2, 1), (1, 2), False),  # same last term, shorter loses
            ((1, 9), (1, 2), False),  # earlier last term loses, however long
        ],
    )
    def test_table(
        self, cand: tuple[int, int], voter_terms: tuple[int, ...], expected: bool
    ) -> None:
        assert is_up_to_date(cand[0], cand[1], E(*voter_terms)) is expected

    @given(last_ids(), logs())
    def test_agrees_with_brute_force(self, cand: tuple[int, int], log: Log) -> None:
        assert is_up_to_date(*cand, log) is brute_up_to_date(*cand, log)

    @given(last_ids(), logs(), logs())
    def test_depends_only_on_the_voters_last_entry_id(
        self, cand: tuple[int, int], a: Log, b: Log
    ) -> None:
        if (last_term(a), len(a)) == (last_term(b), len(b)):
            assert is_up_to_date(*cand, a) is is_up_to_date(*cand, b)

    @given(last_ids(), last_ids(), last_ids())
    def test_total_preorder(
        self, a: tuple[int, int], b: tuple[int, int], c: tuple[int, int]
    ) -> None:
        def geq(x: tuple[int, int], y: tuple[int, int]) -> bool:
            return is_up_to_date(x[0], x[1], log_with_last(*y))

        assert geq(a, a)  # reflexive
        assert geq(a, b) or geq(b, a)  # total
        if geq(a, b) and geq(b, c):  # transitive
            assert geq(a, c)
        # ... and it is the lexicographic order on (lastTerm, lastIndex), nothing coarser.
        assert geq(a, b) is (a >= b)


class TestMerge:
    def test_conflict_truncates_and_appends(self) -> None:
        log = E(1, 1, 2, 2)
        new = (entry_for(2, 3),)
        assert merge(log, 1, new) == (log[0], *new)

    def test_conflict_found_after_matching_entries(self) -> None:
        log = E(1, 1, 2, 2)
        entries = (log[1], entry_for(3, 3))
        assert merge(log, 1, entries) == (log[0], log[1], entries[1])

    def test_appends_past_the_end(self) -> None:
        log = E(1)
        assert merge(log, 1, E(1, 2)[1:]) == E(1, 2)

    def test_stale_append_keeps_later_entries(self) -> None:
        log = E(1, 1, 1)
        assert merge(log, 0, log[:1]) == log
        assert merge(log, 1, ()) == log  # heartbeat

    @given(log_and_append())
    def test_agrees_with_figure_2(self, case: tuple[Log, int, Log]) -> None:
        log, prev, entries = case
        assert merge(log, prev, entries) == brute_merge(log, prev, entries)

    @given(log_and_append())
    def test_result_holds_the_entries_after_an_untouched_prefix(
        self, case: tuple[Log, int, Log]
    ) -> None:
        log, prev, entries = case
        out = merge(log, prev, entries)
        assert out[:prev] == log[:prev]
        assert out[prev : prev + len(entries)] == entries
        assert well_formed(out)

    @given(log_and_append())
    def test_no_conflict_never_truncates(self, case: tuple[Log, int, Log]) -> None:
        log, prev, entries = case
        out = merge(log, prev, entries)
        conflict = any(
            k <= len(log) and log[k - 1].term != e.term
            for k, e in enumerate(entries, start=prev + 1)
        )
        assert conflict or out[: len(log)] == log
        assert not conflict or len(out) == prev + len(entries)

    @given(log_and_append())
    def test_duplicate_append_is_idempotent(self, case: tuple[Log, int, Log]) -> None:
        log, prev, entries = case
        once = merge(log, prev, entries)
        assert merge(once, prev, entries) == once

    @given(logs(), st.data())
    def test_entries_already_present_leave_the_log_unchanged(
        self, log: Log, data: st.DataObject
    ) -> None:
        prev = data.draw(st.integers(0, len(log)))
        end = data.draw(st.integers(prev, len(log)))
        assert merge(log, prev, log[prev:end]) == log

    @given(free_logs(), st.data())
    def test_same_term_different_value_is_not_a_conflict(
        self, log: Log, data: st.DataObject
    ) -> None:
        # The check compares terms only (Log Matching makes values follow).
        if not log:
            return
        k = data.draw(st.integers(1, len(log)))
        other = Entry(log[k - 1].term, log[k - 1].value + 1)
        assert merge(log, k - 1, (other,)) == log


class TestOverwrite:
    """The truncate_on_stale_append mutant's merge: everything after prevLogIndex goes."""

    @given(log_and_append())
    def test_replaces_the_suffix(self, case: tuple[Log, int, Log]) -> None:
        log, prev, entries = case
        assert overwrite(log, prev, entries) == log[:prev] + entries

    def test_stale_append_truncates(self) -> None:
        log = E(1, 1, 1)
        assert overwrite(log, 0, log[:1]) == log[:1]
        assert overwrite(log, 1, ()) == log[:1]
        assert merge(log, 1, ()) == log

    @given(logs(), st.data())
    def test_differs_from_merge_exactly_when_a_stale_prefix_is_short(
        self, log: Log, data: st.DataObject
    ) -> None:
        prev = data.draw(st.integers(0, len(log)))
        end = data.draw(st.integers(prev, len(log)))
        stale = log[prev:end]
        assert (overwrite(log, prev, stale) == merge(log, prev, stale)) is (end == len(log))


class TestWellFormed:
    @pytest.mark.parametrize(
        ("terms", "expected"),
        [((), True), ((1,), True), ((1, 1, 3), True), ((2, 1), False), ((1, 3, 2), False)],
    )
    def test_table(self, terms: tuple[int, ...], expected: bool) -> None:
        assert well_formed(tuple(Entry(t, 0) for t in terms)) is expected
