"""Shared Hypothesis strategies for raftcheck's stateful tests (the attrs layout).

Everything here builds *choices* among things the model already offers (servers, in-flight
messages, enabled actions); no strategy decides what Raft allows. Choices are made from
sequences in raftmodel's canonical order, so the same seed always picks the same thing and
a shrunk example picks the first candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TypeVar

from hypothesis import strategies as st

from raftmodel.actions import Action, action_key

T = TypeVar("T")

#: How many sides a partition may have. Three lets a 5-server cluster split 2/2/1, where no
#: side holds a majority; more sides add nothing for 3 or 5 servers.
MAX_SIDES = 3


@cache
def partitions(n: int) -> st.SearchStrategy[tuple[frozenset[int], ...]]:
    """A split of servers 1..n into two or more non-empty sides, ordered by least member.

    Drawn as one side label per server, so shrinking moves servers to side 0 (a smaller
    split). Labels that put every server on one side are not a partition and are filtered
    out; that happens with probability MAX_SIDES ** -(n - 1), so the filter costs little.
    Cached because a machine draws one per partition step.
    """

    def sides(labels: list[int]) -> tuple[frozenset[int], ...]:
        groups: dict[int, set[int]] = {}
        for server, label in enumerate(labels, start=1):
            groups.setdefault(label, set()).add(server)
        return tuple(sorted((frozenset(g) for g in groups.values()), key=min))

    labels = st.lists(st.integers(0, MAX_SIDES - 1), min_size=n, max_size=n)
    return labels.filter(lambda ls: len(set(ls)) > 1).map(sides)


def some_of(items: Sequence[T]) -> st.SearchStrategy[list[T]]:
    """Each of ``items`` kept or not with even odds, in the given order: for choices like
    "which followers hear this round", where every pattern should be as likely as any other
    (Hypothesis' ``lists`` favours short lists: over 40% of its draws from two items are
    empty)."""
    return st.lists(st.booleans(), min_size=len(items), max_size=len(items)).map(
        lambda keep: [x for x, k in zip(items, keep, strict=True) if k]
    )


def recipients(peers: Sequence[T]) -> st.SearchStrategy[list[T]]:
    """Who receives a broadcast: everyone (the normal case, what failures shrink to) or, as
    likely, any subset (the rest lost): everyone in about 5 draws of 8 for two peers."""
    return st.one_of(st.just(list(peers)), some_of(peers))


def actions_from(options: Sequence[Action]) -> st.SearchStrategy[Action]:
    """One of ``options`` (non-empty), in raftmodel's canonical action order, so the choice
    does not depend on how the caller happened to list them."""
    return st.sampled_from(sorted(options, key=action_key))
