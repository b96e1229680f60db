"""checker.raft.invariants: for every state invariant and transition property, a hand-built
state (or step) that violates it and one that satisfies it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from checker.raft.invariants import (
    ALL_NAMES,
    INVARIANTS,
    TRANSITION_PROPERTIES,
    Violation,
    check_state,
    check_step,
    check_transition,
    commit_index_monotonic,
    commit_within_log,
    committed_on_quorum,
    election_safety,
    higher_term_adopted,
    leader_append_only,
    leader_completeness,
    log_matching,
    match_index_agrees,
    match_index_monotonic,
    next_index_above_match,
    stale_term_fenced,
    state_machine_safety,
    terms_monotonic,
    vote_up_to_date,
    votes_from_current_term,
)
from raftmodel.actions import Action, ClientRequest, Receive, Restart, Timeout
from raftmodel.cluster import ClusterState, Committed, Election
from raftmodel.messages import AppendEntries, RequestVote, RequestVoteResponse
from raftmodel.node import NodeState, init_node
from raftmodel.types import NIL, Entry, Log, Role

N = 3


def L(*entries: tuple[int, int]) -> Log:
    return tuple(Entry(t, v) for t, v in entries)


def node(i: int, term: int = 1, role: Role = Role.FOLLOWER, **fields: Any) -> NodeState:
    return init_node(i, N)._replace(currentTerm=term, role=role, **fields)


def cluster(
    *nodes: NodeState,
    elections: set[Election] | None = None,
    committed: set[Committed] | None = None,
) -> ClusterState:
    """Servers 1..3; any server not given is a fresh follower of term 1."""
    given = {x.id: x for x in nodes}
    all_nodes = tuple(given.get(i, node(i)) for i in range(1, N + 1))
    return ClusterState(
        all_nodes, frozenset(), frozenset(elections or ()), frozenset(committed or ()), 0, 0
    )


def with_node(s: ClusterState, x: NodeState) -> ClusterState:
    return s._replace(nodes=tuple(x if y.id == x.id else y for y in s.nodes))


# --- state invariants -----------------------------------------------------------------------

A, B = (1, 10), (1, 11)  # two different entries of term 1
C = (2, 20)
COMMITTED_A = Committed(1, 1, 10, 1)

STATE_CASES: dict[str, tuple[Callable[[ClusterState], str | None], list[Any], list[Any]]] = {
    # name: (predicate, [violating states], [satisfying states])
    "ElectionSafety": (
        election_safety,
        [cluster(elections={Election(1, 1), Election(1, 2)})],
        [
            cluster(),
            cluster(elections={Election(1, 1), Election(2, 2), Election(3, 1)}),
            # Two current leaders of different terms are fine.
            cluster(
                node(1, 1, Role.LEADER),
                node(2, 2, Role.LEADER),
                elections={Election(1, 1), Election(2, 2)},
            ),
        ],
    ),
    "LogMatching": (
        log_matching,
        [
            cluster(node(1, log=L(A, C)), node(2, log=L(B, C))),  # same (2, 2), differ at 1
            cluster(node(2, log=L(A)), node(3, log=L(B))),  # same id, different value
            cluster(node(1, log=L(A, A, C)), node(3, log=L(A, B, C, C))),
        ],
        [
            cluster(node(1, log=L(A, A)), node(2, log=L(A, C))),  # diverge after the match
            cluster(node(1, log=L(A)), node(2, log=L(C, C))),  # nothing in common
            cluster(node(1, log=L(A, C)), node(2, log=L(A))),  # one is a prefix
        ],
    ),
    "LeaderCompleteness": (
        leader_completeness,
        [
            cluster(node(2, 2, Role.LEADER), committed={COMMITTED_A}),
            cluster(node(2, 2, Role.LEADER, log=L(B)), committed={COMMITTED_A}),
            cluster(node(2, 5, Role.LEADER, log=L(C, C)), committed={COMMITTED_A}),
        ],
        [
            cluster(node(2, 2, Role.LEADER, log=L(A, C)), committed={COMMITTED_A}),
            # A leader of the commit term itself, or an older one, is not constrained.
            cluster(node(2, 1, Role.LEADER), committed={COMMITTED_A}),
            # Followers and candidates may lack committed entries.
            cluster(node(2, 2), node(3, 3, Role.CANDIDATE), committed={COMMITTED_A}),
        ],
    ),
    "CommitWithinLog": (
        commit_within_log,
        [cluster(node(2, commitIndex=1)), cluster(node(3, log=L(A), commitIndex=2))],
        [cluster(node(2, log=L(A), commitIndex=1)), cluster(node(3, log=L(A, C))), cluster()],
    ),
    "StateMachineSafety": (
        state_machine_safety,
        [
            cluster(committed={COMMITTED_A, Committed(1, 2, 20, 2)}),
            cluster(committed={COMMITTED_A, Committed(1, 1, 11, 1)}),
            cluster(node(1, log=L(A), commitIndex=1), node(3, log=L(B), commitIndex=1)),
        ],
        [
            cluster(committed={COMMITTED_A, Committed(2, 2, 20, 2)}),
            # Logs differ only beyond the smaller commitIndex.
            cluster(node(1, log=L(A, C), commitIndex=2), node(3, log=L(A, B), commitIndex=1)),
        ],
    ),
    "CommittedOnQuorum": (
        committed_on_quorum,
        [
            cluster(node(1, log=L(A)), committed={COMMITTED_A}),
            # Two logs hold an entry at index 1, but only one of them the committed one.
            cluster(node(1, log=L(A)), node(2, log=L(B)), committed={COMMITTED_A}),
        ],
        [
            cluster(node(1, log=L(A)), node(3, log=L(A, C)), committed={COMMITTED_A}),
            cluster(node(1, log=L(A)), node(2, log=L(B))),  # nothing committed
        ],
    ),
    "NextIndexAboveMatch": (
        next_index_above_match,
        [
            cluster(node(1, 1, Role.LEADER, log=L(A), nextIndex=(2, 1, 2), matchIndex=(0, 1, 0))),
            cluster(
                node(2, 1, Role.LEADER, log=L(A, A), nextIndex=(1, 3, 2), matchIndex=(2, 0, 0))
            ),
        ],
        [
            cluster(node(1, 1, Role.LEADER, log=L(A), nextIndex=(2, 2, 1), matchIndex=(0, 1, 0))),
            # Followers keep the canonical reset values; they are not leaders.
            cluster(node(1, 1, nextIndex=(1, 1, 1), matchIndex=(0, 0, 0))),
        ],
    ),
    "MatchIndexAgrees": (
        match_index_agrees,
        [
            # Server 2 in the leader's term lacks the matched entry, or holds another one.
            cluster(node(1, 1, Role.LEADER, log=L(A), matchIndex=(0, 1, 0))),
            cluster(node(1, 1, Role.LEADER, log=L(A), matchIndex=(0, 1, 0)), node(2, log=L(B))),
        ],
        [
            cluster(node(1, 1, Role.LEADER, log=L(A), matchIndex=(0, 1, 0)), node(2, log=L(A, C))),
            # Server 2 has moved on to term 2: no longer the leader's follower.
            cluster(node(1, 1, Role.LEADER, log=L(A), matchIndex=(0, 1, 0)), node(2, 2)),
        ],
    ),
}


@pytest.mark.parametrize("name", list(STATE_CASES))
def test_state_invariant_violated(name: str) -> None:
    check, bad, _ = STATE_CASES[name]
    for s in bad:
        detail = check(s)
        assert isinstance(detail, str) and detail
        # The aggregate reports the first failing invariant in registry order.
        assert check_state(s) is not None


@pytest.mark.parametrize("name", list(STATE_CASES))
def test_state_invariant_holds(name: str) -> None:
    check, _, good = STATE_CASES[name]
    for s in good:
        assert check(s) is None


# --- transition properties ------------------------------------------------------------------

RV = RequestVote(2, 1, 2, 0, 0)  # candidate 2, term 2, empty log, to server 1
VOTER = node(1, 1, log=L(A))
EMPTY_VOTER = node(1, 1)
STALE_AE = AppendEntries(2, 1, 1, 0, 0, (), 0)  # stale for a receiver beyond term 1
APPEND_A = AppendEntries(2, 1, 1, 0, 0, L(A), 0)
LEADER = node(1, 1, Role.LEADER, log=L(A, A), votedFor=1)

Step = tuple[ClusterState, Action, ClusterState]


def step_of(before: NodeState, action: Action, after: NodeState) -> Step:
    s = cluster(before)
    return s, action, with_node(s, after)


TRANSITION_CASES: dict[str, tuple[Callable[..., str | None], list[Step], list[Step]]] = {
    "TermsMonotonic": (
        terms_monotonic,
        [
            step_of(node(1, 3), Restart(1), node(1, 0)),
            step_of(node(1, 3), Receive(STALE_AE), node(1, 1)),
        ],
        [
            step_of(node(1, 3), Restart(1), node(1, 3)),
            step_of(node(1, 3), Timeout(1), node(1, 4, Role.CANDIDATE, votedFor=1)),
        ],
    ),
    "VoteUpToDate": (
        vote_up_to_date,
        [step_of(VOTER, Receive(RV), VOTER._replace(currentTerm=2, votedFor=2))],
        [
            step_of(EMPTY_VOTER, Receive(RV), EMPTY_VOTER._replace(currentTerm=2, votedFor=2)),
            # Refused: no vote, nothing to judge.
            step_of(VOTER, Receive(RV), VOTER._replace(currentTerm=2, votedFor=NIL)),
            # Already voted for 2 in term 2: a repeated answer, not a new grant.
            step_of(
                VOTER._replace(currentTerm=2, votedFor=2),
                Receive(RV),
                VOTER._replace(currentTerm=2, votedFor=2),
            ),
            # Not a RequestVote delivery.
            step_of(VOTER, Timeout(1), VOTER._replace(currentTerm=2, votedFor=2)),
        ],
    ),
    "StaleTermFenced": (
        stale_term_fenced,
        [
            step_of(node(1, 2), Receive(STALE_AE), node(1, 1)),
            step_of(
                node(1, 2, Role.CANDIDATE, votesGranted=frozenset({1})),
                Receive(RequestVoteResponse(3, 1, 1, True)),
                node(1, 2, Role.LEADER, votesGranted=frozenset({1, 3})),
            ),
        ],
        [
            step_of(node(1, 2), Receive(STALE_AE), node(1, 2)),
            # Same-term and higher-term messages may change the receiver.
            step_of(node(1, 1), Receive(APPEND_A), node(1, 1, log=L(A))),
            step_of(node(1, 0), Receive(STALE_AE), node(1, 1)),
            step_of(node(1, 2), Timeout(1), node(1, 3, Role.CANDIDATE)),
        ],
    ),
    "LeaderAppendOnly": (
        leader_append_only,
        [
            step_of(LEADER, Receive(STALE_AE), LEADER._replace(log=L(A))),
            step_of(LEADER, ClientRequest(1, 11), LEADER._replace(log=L(A, B, B))),
        ],
        [
            step_of(LEADER, ClientRequest(1, 11), LEADER._replace(log=L(A, A, B))),
            # No longer a leader, or a leader of another term: not constrained.
            step_of(LEADER, Receive(STALE_AE), LEADER._replace(role=Role.FOLLOWER, log=())),
            step_of(LEADER, Restart(1), LEADER._replace(currentTerm=2, log=L(C))),
        ],
    ),
    "CommitIndexMonotonic": (
        commit_index_monotonic,
        [
            step_of(node(1, log=L(A), commitIndex=1), Receive(STALE_AE), node(1, log=L(A))),
            # A restart of another server does not excuse server 1.
            step_of(node(1, log=L(A), commitIndex=1), Restart(2), node(1, log=L(A))),
        ],
        [
            step_of(node(1, log=L(A), commitIndex=1), Restart(1), node(1, log=L(A))),
            step_of(node(1, log=L(A)), Receive(APPEND_A), node(1, log=L(A), commitIndex=1)),
        ],
    ),
    "MatchIndexMonotonic": (
        match_index_monotonic,
        [
            step_of(
                LEADER._replace(matchIndex=(0, 2, 0)),
                Receive(STALE_AE),
                LEADER._replace(matchIndex=(0, 1, 0)),
            )
        ],
        [
            step_of(
                LEADER._replace(matchIndex=(0, 1, 0)),
                Receive(STALE_AE),
                LEADER._replace(matchIndex=(0, 2, 0)),
            ),
            # Stepping down resets it: not a leader after the step.
            step_of(
                LEADER._replace(matchIndex=(0, 2, 0)),
                Receive(STALE_AE),
                LEADER._replace(role=Role.FOLLOWER, currentTerm=2),
            ),
        ],
    ),
    "HigherTermAdopted": (
        higher_term_adopted,
        [
            step_of(
                node(1, 1, Role.LEADER),
                Receive(RequestVoteResponse(2, 1, 2, False)),
                node(1, 1, Role.LEADER),
            )
        ],
        [
            step_of(
                node(1, 1, Role.LEADER),
                Receive(RequestVoteResponse(2, 1, 2, False)),
                node(1, 2),
            ),
            # Not higher: nothing to adopt.
            step_of(node(1, 2), Receive(STALE_AE), node(1, 2)),
        ],
    ),
    "VotesFromCurrentTerm": (
        votes_from_current_term,
        [
            # A vote kept from term 1 into the election of term 2.
            step_of(
                node(1, 1, Role.CANDIDATE, votedFor=1, votesGranted=frozenset({1, 2})),
                Timeout(1),
                node(1, 2, Role.CANDIDATE, votedFor=1, votesGranted=frozenset({1, 2})),
            ),
            # A grant of term 1 counted in term 2, or a refusal counted.
            step_of(
                node(1, 2, Role.CANDIDATE, votedFor=1, votesGranted=frozenset({1})),
                Receive(RequestVoteResponse(3, 1, 1, True)),
                node(1, 2, Role.CANDIDATE, votedFor=1, votesGranted=frozenset({1, 3})),
            ),
            step_of(
                node(1, 2, Role.CANDIDATE, votedFor=1, votesGranted=frozenset({1})),
                Receive(RequestVoteResponse(3, 1, 2, False)),
                node(1, 2, Role.CANDIDATE, votedFor=1, votesGranted=frozenset({1, 3})),
            ),
        ],
        [
            step_of(
                node(1, 1),
                Timeout(1),
                node(1, 2, Role.CANDIDATE, votedFor=1, votesGranted=frozenset({1})),
            ),
            step_of(
                node(1, 2, Role.CANDIDATE, votedFor=1, votesGranted=frozenset({1})),
                Receive(RequestVoteResponse(3, 1, 2, True)),
                node(1, 2, Role.LEADER, votedFor=1, votesGranted=frozenset({1, 3})),
            ),
        ],
    ),
}


@pytest.mark.parametrize("name", list(TRANSITION_CASES))
def test_transition_property_violated(name: str) -> None:
    check, bad, _ = TRANSITION_CASES[name]
    for before, action, after in bad:
        detail = check(before, action, after)
        assert isinstance(detail, str) and detail
        assert check_transition(before, action, after) is not None


@pytest.mark.parametrize("name", list(TRANSITION_CASES))
def test_transition_property_holds(name: str) -> None:
    check, _, good = TRANSITION_CASES[name]
    for before, action, after in good:
        assert check(before, action, after) is None


# --- registry ------------------------------------------------------------------------------


def test_every_property_has_cases() -> None:
    assert set(STATE_CASES) == {p.name for p in INVARIANTS}
    assert set(TRANSITION_CASES) == {p.name for p in TRANSITION_PROPERTIES}
    assert (*STATE_CASES, *TRANSITION_CASES) == ALL_NAMES


def test_registry_points_at_the_predicates() -> None:
    for p in INVARIANTS:
        assert p.check is STATE_CASES[p.name][0]
        assert p.section.startswith(("§", "Figure"))
    for q in TRANSITION_PROPERTIES:
        assert q.check is TRANSITION_CASES[q.name][0]
        assert q.section.startswith(("§", "Figure"))


def test_check_step_reports_the_transition_before_the_target_state() -> None:
    before = cluster(node(1, 3))
    after = cluster(node(1, 0), elections={Election(1, 1), Election(1, 2)})
    v = check_step(before, Restart(1), after)
    assert v is not None and v.property == "TermsMonotonic"
    v = check_step(before, Restart(1), with_node(after, node(1, 3)))
    assert v is not None and v.property == "ElectionSafety"
    assert check_step(before, Restart(1), before) is None


def test_aggregate_names_the_property_and_its_detail() -> None:
    s = cluster(elections={Election(2, 1), Election(2, 3)})
    assert check_state(s) == Violation("ElectionSafety", election_safety(s) or "")
    before, action, after = step_of(node(1, 3), Restart(1), node(1, 0))
    assert check_transition(before, action, after) == Violation(
        "TermsMonotonic", terms_monotonic(before, action, after) or ""
    )


def test_first_failing_invariant_is_reported_in_registry_order() -> None:
    s = cluster(
        node(1, log=L(A), commitIndex=1),
        node(2, log=L(B), commitIndex=1),
        elections={Election(1, 1), Election(1, 2)},
    )
    v = check_state(s)
    assert v is not None and v.property == "ElectionSafety"
    v = check_state(s._replace(elections=frozenset()))
    assert v is not None and v.property == "LogMatching"


# --- every property in one call ----------------------------------------------------------


def test_one_call_answers_as_the_registry() -> None:
    """first_state_violation and first_transition_violation (what RaftModel gives the
    engine) against the engine's loop over the registry, on every case above: the same
    answer, and every property the first to fire on one of its own cases (so a property
    left out, or called out of order, changes an answer)."""
    from checker.engine import model as engine
    from checker.raft.invariants import (
        PROPERTIES,
        first_state_violation,
        first_transition_violation,
    )
    from checker.raft.model import RaftModel
    from raftmodel.cluster import Config

    fired: set[str] = set()
    for _, bad, good in STATE_CASES.values():
        for s in (*bad, *good):
            expected = engine.check_state(PROPERTIES, s)
            assert first_state_violation(s) == expected
            if expected is not None:
                fired.add(expected.property)
    for _, bad, good in TRANSITION_CASES.values():
        for before, action, after in (*bad, *good):
            expected = engine.check_transition(PROPERTIES, before, action, after)
            assert first_transition_violation(before, action, after) == expected
            if expected is not None:
                fired.add(expected.property)
    assert fired == set(ALL_NAMES)
    model = RaftModel(Config(n=2))
    assert engine.state_checker(model) == model.first_state_violation
    assert engine.transition_checker(model) == model.first_transition_violation
