"""raftmodel.wellformed: each broken fact is named like a path, with what it must be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from raftmodel import mutants
from raftmodel.cluster import Bounds, ClusterState, Committed, Config, Election, init_state
from raftmodel.messages import AppendEntries, RequestVote
from raftmodel.node import NodeState
from raftmodel.script import Script
from raftmodel.types import Entry, Role
from raftmodel.wellformed import first_problem, problems

CONFIG = Config(
    3, Bounds(max_term=3, max_log=3, max_restarts=1, max_requests=3, values=(1, 2), max_copies=1)
)


def _led() -> ClusterState:
    # S1 leads term 1 with one entry, replicated to S2 and committed.
    return Script(CONFIG).timeout(1).vote(1, 2).client(1, 1).replicate(1, 2).state


def _node(s: ClusterState, i: int, **changes: Any) -> ClusterState:
    node = s.nodes[i - 1]._replace(**changes)
    return s._replace(nodes=(*s.nodes[: i - 1], node, *s.nodes[i:]))


def test_init_and_a_led_state_are_well_formed() -> None:
    assert problems(init_state(CONFIG), CONFIG) == []
    assert problems(_led(), CONFIG) == []


Edit = Callable[[ClusterState], ClusterState]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda s: _node(s, 1, nextIndex=(2, 2, 0)),
            "S1.nextIndex[3]: 0 (must be 1..lastLogIndex+1 = 1..2)",
        ),
        (
            lambda s: _node(s, 1, nextIndex=(2, 4, 2)),
            "S1.nextIndex[2]: 4 (must be 1..lastLogIndex+1 = 1..2)",
        ),
        (lambda s: _node(s, 1, matchIndex=(0, -1, 0)), "S1.matchIndex[2]: -1 (must be >= 0)"),
        (
            lambda s: _node(s, 2, nextIndex=(1, 1, 3)),
            "S2.nextIndex[3]: 3 (must be 1: a follower keeps no leader state)",
        ),
        (
            lambda s: _node(s, 3, matchIndex=(0, 1, 0)),
            "S3.matchIndex[2]: 1 (must be 0: a follower keeps no leader state)",
        ),
        (lambda s: _node(s, 2, currentTerm=-1), "S2.currentTerm: -1 (must be >= 0)"),
        (lambda s: _node(s, 2, votedFor=4), "S2.votedFor: 4 (must be none or a server in 1..3)"),
        (
            lambda s: _node(s, 2, log=(Entry(0, 1),)),
            "S2.log[1]: term 0 (must be >= 1: leaders create entries)",
        ),
        (lambda s: _node(s, 3, commitIndex=-1), "S3.commitIndex: -1 (must be >= 0)"),
        (
            lambda s: _node(s, 3, votesGranted=frozenset({3})),
            "S3.votesGranted: {S3} (only candidates and leaders count votes)",
        ),
        (
            lambda s: _node(s, 1, votesGranted=frozenset({1, 5})),
            "S1.votesGranted: server 5 is not in 1..3",
        ),
        (
            lambda s: _node(s, 1, votesGranted=frozenset({2, 3})),
            "S1.votesGranted: {S2, S3} lacks its own vote",
        ),
        (
            lambda s: _node(s, 1, votesGranted=frozenset({1})),
            "S1.votesGranted: {S1} is not a quorum (2 of 3) (§5.2)",
        ),
        (
            lambda s: _node(s, 3, role=Role.CANDIDATE, votesGranted=frozenset({3, 2})),
            "S3.votesGranted: {S2, S3} is a quorum (2 of 3): the candidate would already lead",
        ),
        (
            lambda s: s._replace(elections=frozenset()),
            "S1.role: Leader of term 1 but elections lacks (term 1, S1)",
        ),
        (
            lambda s: s._replace(elections=s.elections | {Election(0, 2)}),
            "elections: (term 0, S2): a leader of a term >= 1 in 1..3",
        ),
        (
            lambda s: s._replace(committed=frozenset({Committed(0, 1, 1, 1)})),
            "committed: index 0 term 1 committed in term 1: index, term and commit term are >= 1",
        ),
        (
            lambda s: s._replace(network=frozenset({RequestVote(2, 2, 1, 0, 0)})),
            "messages: RequestVote 2->2 [term=1, lastLogIndex=0, lastLogTerm=0]: "
            "a server never sends to itself",
        ),
        (
            lambda s: s._replace(network=frozenset({AppendEntries(1, 2, 1, 1, 0, (), 0)})),
            "messages: AppendEntries 1->2 [term=1, prevLogIndex=1, prevLogTerm=0, "
            "entries=[], leaderCommit=0]: prevLogTerm is 0 exactly when prevLogIndex is 0",
        ),
        (lambda s: s._replace(restarts=-1), "restarts: -1 (must be >= 0)"),
    ],
)
def test_each_problem_names_the_field(edit: Edit, expected: str) -> None:
    found = problems(edit(_led()), CONFIG)
    assert [str(p) for p in found] == [expected]


def test_server_ids_must_be_one_to_n_in_order() -> None:
    s = _led()
    swapped = s._replace(nodes=(s.nodes[1], s.nodes[0], s.nodes[2]))
    assert str(first_problem(swapped, CONFIG)) == "nodes[1]: server id 2 (must be 1)"
    short = s._replace(nodes=s.nodes[:2])
    assert [str(p) for p in problems(short, CONFIG)] == ["nodes: 2 servers (must be 3)"]


def test_the_quorum_is_the_variants() -> None:
    # quorum_off_by_one elects with n // 2 votes: one vote of three leads there.
    off = CONFIG._replace(rules=mutants.rules_for("quorum_off_by_one"))
    lone: NodeState = _led().nodes[0]._replace(votesGranted=frozenset({1}))
    s = _led()._replace(nodes=(lone, *_led().nodes[1:]))
    assert problems(s, off) == []
    assert first_problem(s, CONFIG) is not None


def test_a_variant_reaches_a_log_whose_terms_decrease() -> None:
    # Why "terms never decrease" (§5.3) is not claimed: with stale_append_accepted, S3
    # holds an entry of term 3, regresses to term 1 on a stale AppendEntries, leads term 2
    # and appends below it. A trace recorded there must not be refused.
    c = Config(
        3,
        Bounds(max_term=3, max_log=2, max_restarts=0, max_requests=2),
        rules=mutants.rules_for("stale_append_accepted"),
    )
    s = Script(c).timeout(1).vote(1, 2).send_append(1, 3)
    s.timeout(2).timeout(2).vote(2, 3, term=3).client(2, 1).replicate(2, 3)
    s.deliver("AppendEntries", 1, 3, term=1)
    s.timeout(3).vote(3, 1, term=2).client(3, 1)
    assert s.state.nodes[2].log == (Entry(3, 1), Entry(2, 1))
    assert problems(s.state, c) == []


def _shrunk_leader() -> Script:
    # append_over_uncommitted overwrites from commitIndex: S3, elected with two entries of
    # which it knows none committed (it restarted), shrinks its log to one entry.
    c = Config(
        3,
        Bounds(max_term=3, max_log=3, max_restarts=1, max_requests=3),
        rules=mutants.rules_for("append_over_uncommitted"),
    )
    s = Script(c).timeout(1).vote(1, 2).client(1, 1).replicate(1, 2)
    s.client(1, 1).replicate(1, 3)
    return s.restart(3).timeout(3).vote(3, 2, term=2).client(3, 1)


def test_a_nextindex_past_the_log_is_flagged() -> None:
    s = _shrunk_leader()
    leader = s.state.nodes[2]
    bad = leader._replace(nextIndex=(3, *leader.nextIndex[1:]))
    state = s.state._replace(nodes=(*s.state.nodes[:2], bad))
    assert [str(p) for p in problems(state, s.config)][:1] == [
        "S3.nextIndex[1]: 3 (must be 1..lastLogIndex+1 = 1..2)"
    ]


def test_a_leader_that_overwrites_its_log_keeps_next_index_within_it() -> None:
    # The variant's leader shrinks its log from 2 entries to 1 while its nextIndex for S1
    # was 3: node.py pulls nextIndex back so the next AppendEntries' prevLogIndex exists
    # (before, sending tripped node.py's assertion after 16 steps).
    s = _shrunk_leader()
    assert len(s.state.nodes[2].log) == 1
    assert s.state.nodes[2].nextIndex == (2, 2, 2)
    assert problems(s.state, s.config) == []
    s.send_append(3, 1)
    assert problems(s.state, s.config) == []
