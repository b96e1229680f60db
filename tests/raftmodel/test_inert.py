"""The inert-message view: each rule on its own, when it applies, and that it is exact.

Exact means: the views of the states reachable without the reduction are exactly the
states a search that keeps one state per view reaches. A wrong rule (one that forgets a
message that can still act) makes that comparison fail, which the last test shows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import pytest

from checker.engine.search import reachable
from checker.raft.invariants import check_transition
from checker.raft.model import RaftModel
from raftmodel import cluster, inert, mutants, node
from raftmodel.actions import Receive, Restart
from raftmodel.cluster import Bounds, ClusterState, Config, apply, init_state, successors
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.network import Semantics
from raftmodel.node import NodeState, init_node
from raftmodel.rules import RAFT, Rules
from raftmodel.script import Script
from raftmodel.types import NIL, Role
from tests.support import needs_pure_python


def _node(
    term: int, role: Role = Role.FOLLOWER, voted: int = NIL, granted: set[int] | None = None
) -> NodeState:
    return init_node(2, 3)._replace(
        currentTerm=term, role=role, votedFor=voted, votesGranted=frozenset(granted or ())
    )


class TestLiveForm:
    def test_stale_responses_are_forgotten(self) -> None:
        assert inert.live_form(AppendEntriesResponse(1, 2, 1, True, 1), _node(2)) is None
        assert inert.live_form(RequestVoteResponse(1, 2, 1, True), _node(2)) is None

    def test_current_and_future_append_responses_stay(self) -> None:
        m = AppendEntriesResponse(1, 2, 2, False, 0)
        assert inert.live_form(m, _node(2, Role.LEADER)) is m
        assert inert.live_form(m, _node(1)) is m

    def test_refusal_is_forgotten_unless_it_carries_a_higher_term(self) -> None:
        m = RequestVoteResponse(1, 2, 2, False)
        assert inert.live_form(m, _node(2, Role.CANDIDATE, voted=2)) is None
        assert inert.live_form(m, _node(1, Role.CANDIDATE, voted=2)) is m

    def test_grant_stays_only_while_a_candidate_can_count_it(self) -> None:
        m = RequestVoteResponse(1, 2, 2, True)
        assert inert.live_form(m, _node(2, Role.CANDIDATE, 2, {2})) is m
        assert inert.live_form(m, _node(2, Role.CANDIDATE, 2, {1, 2})) is None
        assert inert.live_form(m, _node(2, Role.LEADER, 2, {1, 2})) is None
        assert inert.live_form(m, _node(2, Role.FOLLOWER, 2)) is None
        assert inert.live_form(m, _node(1)) is m

    def test_stale_requests_become_one_token_per_kind_and_pair(self) -> None:
        rv1, rv2 = RequestVote(1, 2, 1, 0, 0), RequestVote(1, 2, 2, 1, 1)
        ae = AppendEntries(1, 2, 1, 0, 0, (), 0)
        dest = _node(3)
        assert (
            inert.live_form(rv1, dest) == inert.live_form(rv2, dest) == RequestVote(1, 2, 0, 0, 0)
        )
        assert inert.live_form(ae, dest) == AppendEntries(1, 2, 0, 0, 0, (), 0)
        assert inert.live_form(ae, dest) != inert.live_form(rv1, dest)

    def test_vote_request_after_the_voter_voted_is_the_token(self) -> None:
        m = RequestVote(1, 2, 2, 0, 0)
        assert inert.live_form(m, _node(2, voted=3)) == RequestVote(1, 2, 0, 0, 0)
        assert inert.live_form(m, _node(2, voted=1)) == RequestVote(1, 2, 0, 0, 0)
        assert inert.live_form(m, _node(2)) is m
        assert inert.live_form(m, _node(1)) is m

    def test_current_append_entries_stay(self) -> None:
        m = AppendEntries(1, 2, 2, 0, 0, (), 0)
        assert inert.live_form(m, _node(2)) is m


def test_view_applies_only_where_the_argument_holds() -> None:
    assert inert.applies(Config())
    assert not inert.applies(Config(semantics=Semantics.BAG))
    unsound = {"stale_append_accepted", "stale_vote_counted", "term_not_persisted"}
    unsound |= {"votedfor_not_persisted", "double_vote"}
    for m in mutants.CATALOG:
        assert inert.applies(Config(rules=m.rules)) == (m.name not in unsound), m.name


def _views_of_full_space(config: Config) -> set[ClusterState]:
    return {inert.view(s) for s in reachable(RaftModel(config))}


def _reduced_space(
    config: Config, view: Callable[[ClusterState], ClusterState]
) -> set[ClusterState]:
    init = init_state(config)
    seen = {view(init)}
    q = deque([init])
    while q:
        s = q.popleft()
        for _, t in successors(s, config):
            v = view(t)
            if v not in seen:
                seen.add(v)
                q.append(t)
    return seen


EXACT = [
    Config(3, Bounds(max_term=1, max_log=0, max_restarts=0, max_requests=0)),
    Config(2, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1)),
    Config(
        3,
        Bounds(max_term=1, max_log=1, max_restarts=0, max_requests=1),
        rules=mutants.rules_for("figure8_commit"),
    ),
    # Batches of one entry: AppendEntries that carry less than the leader's suffix.
    Config(2, Bounds(max_term=2, max_log=2, max_restarts=0, max_requests=2, max_batch=1)),
]


@pytest.mark.parametrize("config", EXACT[:2], ids=["elections", "2servers-t2"])
def test_view_is_exact(config: Config) -> None:
    assert _reduced_space(config, inert.view) == _views_of_full_space(config)


@pytest.mark.slow
@pytest.mark.parametrize(
    "config", EXACT, ids=["elections", "2servers-t2", "3servers-logs-fig8", "2servers-batched"]
)
def test_view_is_exact_on_larger_spaces(config: Config) -> None:
    assert _reduced_space(config, inert.view) == _views_of_full_space(config)


def test_exactness_check_catches_a_wrong_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    # The mistake first written here: forgetting every vote refusal, including one from a
    # higher term, which still makes its destination step down.
    right = inert.live_form

    def wrong(m: Message, dest: NodeState) -> Message | None:
        if type(m) is RequestVoteResponse and not m.voteGranted:
            return None
        return right(m, dest)

    config = EXACT[1]
    needs_pure_python(inert, "live_form")
    monkeypatch.setattr(inert, "live_form", wrong)
    assert _reduced_space(config, inert.view) != _views_of_full_space(config)


# --- the guard: the view's rules checked on what the node does, not on Rules' identity ---

TERM2 = Config(3, Bounds(max_term=2, max_log=0, max_restarts=1, max_requests=0))


def _guarded_search(config: Config) -> str | None:
    """The reduced search of ``_reduced_space`` with the view forced on and the guard
    called as a search should call it; the first broken rule, or None."""
    guard = inert.Guard(config)
    init = init_state(config)
    broken = guard.state(init)
    if broken is not None:
        return broken[1]
    seen = {inert.view(init)}
    q = deque([init])
    while q:
        s = q.popleft()
        for a, t in successors(s, config):
            why = guard.transition(s, a, t)
            found = guard.state(t, s)
            if why is not None or found is not None:
                return why or (found[1] if found else None)
            v = inert.view(t)
            if v not in seen:
                seen.add(v)
                q.append(t)
    return None


@pytest.mark.parametrize("config", EXACT[:2], ids=["elections", "2servers-t2"])
def test_guard_is_quiet_on_raft(config: Config) -> None:
    guard = inert.Guard(config)
    init = init_state(config)
    seen, q = {init}, deque([init])
    while q:
        s = q.popleft()
        assert guard.state(s) is None
        for a, t in successors(s, config):
            assert guard.transition(s, a, t) is None
            if t not in seen:
                seen.add(t)
                q.append(t)


def _stale_append() -> tuple[ClusterState, Receive]:
    # S1 led term 1 and sent S2 an AppendEntries; S2 has since moved to term 2.
    s = Script(TERM2).timeout(1).vote(1, 2).send_append(1, 2).timeout(2)
    return s.state, Receive(s.find("AppendEntries", 1, 2))


def test_guard_catches_a_node_that_accepts_stale_appends(monkeypatch: pytest.MonkeyPatch) -> None:
    # A bug written into node.py (not a Rules field): inert.applies cannot see it.
    def accept_append(s: NodeState, m: Message) -> tuple[NodeState, tuple[Message, ...]]:
        if isinstance(m, AppendEntries):
            return node._on_append_entries(s, m, len(s.nextIndex), RAFT)
        return fence(s, m)

    needs_pure_python(node, "_fence")
    s, deliver = _stale_append()
    fence = node._fence
    monkeypatch.setattr(node, "_fence", accept_append)
    assert inert.applies(TERM2)
    t = apply(s, deliver, TERM2)
    assert t is not None
    guard = inert.Guard(TERM2)
    assert "currentTerm went from 2 down to 1" in (guard.transition(s, deliver, t) or "")
    found = guard.state(s)
    assert found is not None and found[0] == deliver and "changed the server" in found[1]
    assert _guarded_search(TERM2) is not None


def test_guard_catches_a_fence_reply_that_reads_the_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The receiver stays put (StaleTermFenced and TermsMonotonic hold) but its refusal
    # reads the request, so stale requests of one kind and pair are no longer alike.
    def chatty(s: NodeState, m: Message) -> tuple[NodeState, tuple[Message, ...]]:
        if isinstance(m, AppendEntries):
            return s, (AppendEntriesResponse(s.id, m.source, s.currentTerm, False, m.term),)
        return fence(s, m)

    needs_pure_python(node, "_fence")
    s, deliver = _stale_append()
    fence = node._fence
    monkeypatch.setattr(node, "_fence", chatty)
    t = apply(s, deliver, TERM2)
    assert t is not None
    assert check_transition(s, deliver, t) is None
    assert "sent" in (inert.Guard(TERM2).transition(s, deliver, t) or "")


def test_guard_catches_a_restart_that_forgets_the_vote(monkeypatch: pytest.MonkeyPatch) -> None:
    real = node.restart

    def forgetful(s: NodeState, n: int, rules: Rules = RAFT) -> NodeState:
        return real(s, n, rules)._replace(votedFor=NIL)

    needs_pure_python(cluster, "restart")
    s = Script(TERM2).timeout(1).vote(1, 2).state
    monkeypatch.setattr(cluster, "restart", forgetful)
    t = apply(s, Restart(2), TERM2)
    assert t is not None and check_transition(s, Restart(2), t) is None
    why = inert.Guard(TERM2).transition(s, Restart(2), t)
    assert why is not None and "in a restart" in why


def test_guard_catches_a_candidate_that_counts_refusals(monkeypatch: pytest.MonkeyPatch) -> None:
    real = node._on_request_vote_response

    def counts_refusals(
        s: NodeState, m: Message, n: int, rules: Rules
    ) -> tuple[NodeState, tuple[Message, ...]]:
        if isinstance(m, RequestVoteResponse) and not m.voteGranted:
            m = m._replace(voteGranted=True)
        return real(s, m, n, rules)

    monkeypatch.setitem(node._MESSAGE_HANDLERS, RequestVoteResponse, counts_refusals)
    config = EXACT[0]
    assert inert.applies(config)
    why = _guarded_search(config)
    assert why is not None and "RequestVoteResponse" in why


@pytest.mark.parametrize(
    "name",
    [
        "stale_append_accepted",
        "stale_vote_counted",
        "term_not_persisted",
        "votedfor_not_persisted",
        "double_vote",
    ],
)
def test_guard_catches_every_variant_the_view_refuses(name: str) -> None:
    # The variants inert.applies turns the view off for, by their Rules: the guard sees
    # each of them by what it does.
    config = TERM2._replace(rules=mutants.rules_for(name))
    assert not inert.applies(config)
    assert _guarded_search(config) is not None
