"""raftmodel.memo: a remembered step is the step, its results are canonical objects, and
the tables neither mix up two rule sets nor grow past their limit."""

from __future__ import annotations

import pickle
from collections import deque

from raftmodel import mutants
from raftmodel.cluster import (
    Bounds,
    ClusterState,
    Config,
    event_of,
    init_state,
    shared,
    successors,
)
from raftmodel.memo import Steps
from raftmodel.messages import Event, RequestVote
from raftmodel.network import Semantics, messages
from raftmodel.node import NodeState, init_node, step
from raftmodel.rules import RAFT, Rules


def _steps_taken(config: Config, limit: int) -> list[tuple[NodeState, Event]]:
    """The (node, event) pairs the harness steps in the first ``limit`` states of a BFS."""
    seen: set[ClusterState] = set()
    todo = deque([init_state(config)])
    pairs: list[tuple[NodeState, Event]] = []
    while todo and len(seen) < limit:
        s = todo.popleft()
        if s in seen:
            continue
        seen.add(s)
        for a, t in successors(s, config):
            driven = event_of(a)
            if driven is not None:
                pairs.append((s.nodes[driven[0] - 1], driven[1]))
            todo.append(t)
    return pairs


def test_a_remembered_step_is_the_step_and_canonical() -> None:
    config = Config(bounds=Bounds(max_term=2, max_log=1))
    pairs = _steps_taken(config, 400)
    assert len(pairs) > 1_000
    memo = Steps()
    nodes: dict[NodeState, NodeState] = {}
    hits = 0
    for node, event in pairs:
        expected = step(node, event, config.n, RAFT)
        before = len(memo.known)
        after, sent = memo.step(node, event, config.n, RAFT)
        hits += len(memo.known) == before
        assert (after, sent) == expected
        if after != node:
            # One object per value, whichever step made it.
            assert nodes.setdefault(after, after) is after
        assert memo.step(node, event, config.n, RAFT)[0] is after
    # The harness builds its states from canonical parts too, so most pairs repeat.
    assert hits > len(pairs) // 2


def test_two_rule_sets_never_share_an_answer() -> None:
    # A follower that voted for 2 in term 1 gets 3's RequestVote of term 1: RAFT refuses,
    # double_vote grants. Alternating on the same objects, each gets its own answer.
    follower = init_node(1, 3)._replace(currentTerm=1, votedFor=2)
    ask = RequestVote(3, 1, 1, 0, 0)
    double: Rules = mutants.rules_for("double_vote")
    memo = Steps()
    for _ in range(3):
        for rules in (RAFT, double):
            assert memo.step(follower, ask, 3, rules) == step(follower, ask, 3, rules)
    assert step(follower, ask, 3, RAFT) != step(follower, ask, 3, double)
    # n is part of the question too.
    assert memo.step(follower, ask, 5, RAFT) == step(follower, ask, 5, RAFT)


def test_the_tables_stay_under_their_limit() -> None:
    config = Config(bounds=Bounds(max_term=2, max_log=1))
    servers = init_state(config).nodes
    memo = Steps(limit=50)
    for node, event in _steps_taken(config, 300):
        assert memo.step(node, event, config.n, RAFT) == step(node, event, config.n, RAFT)
        assert len(memo.known) <= 50
        replaced = memo.replace(servers, node)
        assert replaced == (*servers[: node.id - 1], node, *servers[node.id :])
        assert len(memo.replaced) <= 50


def test_a_state_from_elsewhere_is_made_of_the_harness_objects() -> None:
    for sem in (Semantics.SET, Semantics.BAG):
        config = Config(bounds=Bounds(max_term=2, max_log=1), semantics=sem)
        s = init_state(config)
        for _ in range(4):  # a few steps in: servers changed, messages in flight
            s = max((t for _, t in successors(s, config)), key=lambda t: len(t.network))
        assert s.network
        copies = [pickle.loads(pickle.dumps(s)) for _ in range(2)]
        assert copies[0] == s and copies[0].nodes is not s.nodes
        first, second = (shared(c, sem) for c in copies)
        assert first == s and second == s
        assert second.nodes is first.nodes
        assert all(a is b for a, b in zip(second.nodes, first.nodes, strict=True))
        assert _message_ids(second, sem) == _message_ids(first, sem)
        assert shared(first, sem) is first


def _message_ids(s: ClusterState, sem: Semantics) -> set[int]:
    return {id(m) for m in messages(s.network, sem)}
