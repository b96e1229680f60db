"""Balancing the partitioned search's levels (``checker.distributed.partition``): the plan
of hand-overs, and partitions driven in one process (no Dask) that hand frontier states to
each other every level and still count what one process counts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.distributed import wire
from checker.distributed.partition import Item, Partition, moves, owner
from checker.engine.search import Options, check
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS


def _even(total: int, n: int) -> list[int]:
    return [total // n + (p < total % n) for p in range(n)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 5_000), min_size=1, max_size=9), st.integers(1, 300))
def test_the_plan_moves_surpluses_to_shortfalls(counts: list[int], least: int) -> None:
    n = len(counts)
    plan = moves(counts, least)
    taken = [sum(plan[q][p] for q in range(n)) for p in range(n)]
    after = [c - sum(plan[p]) + taken[p] for p, c in enumerate(counts)]
    even = _even(sum(counts), n)
    assert sum(after) == sum(counts)
    for p in range(n):
        assert plan[p][p] == 0
        assert all(k == 0 or k >= least for k in plan[p])
        # A partition gives or takes, never both, and never past its even share.
        assert not (sum(plan[p]) and taken[p])
        assert min(counts[p], even[p]) <= after[p] <= max(counts[p], even[p])
    if least == 1:
        assert after == even


def test_the_plan_hands_the_largest_surplus_to_the_largest_shortfall() -> None:
    assert moves([10, 0, 2, 8], 1) == [[0, 5, 0, 0], [0] * 4, [0] * 4, [0, 0, 3, 0]]
    assert moves([100, 90], 10) == [[0, 0], [0, 0]]  # 5 states: not worth a hand-over
    assert moves([100, 80], 10) == [[0, 10], [0, 0]]


def _levels(preset: str, n: int, least: int, by_locality: bool) -> tuple[int, int, int, int]:
    """The partitioned BFS with ``n`` partitions in this process, handing states over as
    the Dask driver does (every partition's frontier load, then ``gift``): distinct,
    generated, depth, and the states handed over."""
    model = RaftModel(PRESETS[preset].config())
    fpr = model.fingerprinter(True, True)
    parts = [Partition(model, p, n, True, True, by_locality) for p in range(n)]
    seeds: list[list[Item]] = [[] for _ in range(n)]
    seen: set[int] = set()
    for rank, s in enumerate(model.init_states()):
        k = fpr.fingerprint(s)
        if k not in seen:
            seen.add(k)
            key = fpr.locality(s) if by_locality and fpr.locality else k
            seeds[owner(key, n)].append((k, -1, -1, rank, s))
    absorbed = [part.seed(seeds[p]) for p, part in enumerate(parts)]
    generated = handed = depth = 0
    while any(a.frontier for a in absorbed):
        loads = [a.load for a in absorbed]
        gifts: list[list[Any]] = [
            [parts[p].gift(q, loads, least) if p != q else b"" for q in range(n)] for p in range(n)
        ]
        expanded = [parts[q].expand(None, [gifts[p][q] for p in range(n)]) for q in range(n)]
        assert all(e.violation is None and not e.cut for e in expanded)
        generated += sum(e.generated for e in expanded)
        handed += sum(e.taken for e in expanded)
        claims = [[(p, parts[p].take_outbox(q)) for p in range(n) if p != q] for q in range(n)]
        for q in range(n):
            parts[q].decide(claims[q])
        absorbed = [
            parts[q].absorb([(p, parts[p].take_outbox(q)) for p in range(n) if p != q])
            for q in range(n)
        ]
        depth += any(a.frontier for a in absorbed)
    return sum(a.distinct for a in absorbed), generated, depth, handed


@pytest.mark.parametrize(
    ("preset", "n", "by_locality"),
    [("elections", 2, True), ("bag", 2, True), ("elections", 3, True), ("bag", 3, False)],
)
def test_partitions_that_hand_states_over_count_what_one_process_counts(
    preset: str, n: int, by_locality: bool
) -> None:
    one = check(RaftModel(PRESETS[preset].config()), Options(view=True))
    distinct, generated, depth, handed = _levels(preset, n, 1, by_locality)
    assert (distinct, generated, depth) == (one.distinct, one.generated, one.depth)
    assert handed > 0
    # With hand-overs too costly for any level: none, and the same counts.
    assert _levels(preset, n, 10**9, by_locality) == (distinct, generated, depth, 0)


def test_a_frontier_count_that_is_not_the_partition_s_is_refused() -> None:
    model = RaftModel(PRESETS["elections"].config())
    part = Partition(model, 0, 2, True, True)
    part.seed([(0, -1, -1, 0, next(iter(model.init_states())))])
    with pytest.raises(RuntimeError, match="frontier's load"):
        part.gift(1, [5, 0], 1)


def test_a_hand_over_carries_the_surplus_of_work_not_of_states() -> None:
    # States of one level of default's BFS differ in work (a receive per message): the
    # states handed over are the frontier's last, just enough to carry the surplus.
    model = RaftModel(PRESETS["default"].config())
    work = model.fingerprinter(True, True).work
    assert work is not None
    level = list(model.init_states())
    for _ in range(6):
        level = [t for s in level for _, t in model.successors(s)][:400]
    assert len({work(s) for s in level}) > 1
    part = Partition(model, 0, 2, True, True)
    part.frontier = [(s, 0, i, i) for i, s in enumerate(level)]
    part.load = sum(work(s) for s in level)
    given = wire.loads(part.gift(1, [part.load, 0], 1))
    surplus = part.load // 2
    handed = sum(work(e[0]) for e in given)
    assert handed >= surplus > handed - work(given[0][0])
    assert [e[3] for e in given] == list(range(len(level) - len(given), len(level)))
    assert [e[3] for e in part.frontier] == list(range(len(level) - len(given)))
