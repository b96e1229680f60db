"""Hypothesis strategies for the raftmodel unit tests (quorum, log, cluster).

Kept apart from tests/strategies.py, which the stateful tests own.
"""

from __future__ import annotations

from hypothesis import strategies as st

from raftmodel.types import Entry, Log

MAX_TERM = 4


def entry_for(index: int, term: int) -> Entry:
    """The one entry a cluster can hold at (index, term): Log Matching makes the value a
    function of the entry id, so logs built from it never disagree on an (index, term)."""
    return Entry(term, 100 * term + index)


@st.composite
def logs(draw: st.DrawFn, max_size: int = 6, max_term: int = MAX_TERM) -> Log:
    """A well-formed log: non-decreasing terms >= 1, values fixed by (index, term)."""
    terms = sorted(draw(st.lists(st.integers(1, max_term), max_size=max_size)))
    return tuple(entry_for(k, t) for k, t in enumerate(terms, start=1))


@st.composite
def free_logs(draw: st.DrawFn, max_size: int = 6, max_term: int = MAX_TERM) -> Log:
    """A well-formed log whose values are arbitrary (two logs may disagree on a value)."""
    terms = sorted(draw(st.lists(st.integers(1, max_term), max_size=max_size)))
    return tuple(Entry(t, draw(st.integers(0, 3))) for t in terms)


@st.composite
def log_and_append(draw: st.DrawFn) -> tuple[Log, int, Log]:
    """(follower log, prevLogIndex, entries) where the consistency check passes: the
    entries are a slice of a leader log that agrees with the follower at prevLogIndex."""
    log = draw(logs())
    prev = draw(st.integers(0, len(log)))
    floor = log[prev - 1].term if prev else 1
    tail = sorted(draw(st.lists(st.integers(floor, MAX_TERM + 1), max_size=4)))
    entries = tuple(entry_for(k, t) for k, t in enumerate(tail, start=prev + 1))
    return log, prev, entries


def last_ids(max_size: int = 6) -> st.SearchStrategy[tuple[int, int]]:
    """(lastLogTerm, lastLogIndex) of some well-formed log."""
    return logs(max_size=max_size).map(lambda log: (log[-1].term if log else 0, len(log)))


def log_with_last(last_term: int, last_index: int) -> Log:
    """A well-formed log whose last entry id is (last_term, last_index)."""
    assert (last_index == 0) == (last_term == 0)
    return tuple(entry_for(k, last_term) for k in range(1, last_index + 1))


match_lists = st.lists(st.integers(0, 8), max_size=7)
