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
from raftmodel import inert, mutants
from raftmodel.cluster import Bounds, ClusterState, Config, init_state, successors
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.network import Semantics
from raftmodel.node import NodeState, init_node
from raftmodel.types import NIL, Role


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
    return {inert.view(s) for s in reachable(config)}


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
    Config(3, Bounds(1, 0, 0, 0)),
    Config(2, Bounds(2, 1, 1, 1)),
    Config(3, Bounds(1, 1, 0, 1), rules=mutants.rules_for("figure8_commit")),
]


@pytest.mark.parametrize("config", EXACT[:2], ids=["elections", "2servers-t2"])
def test_view_is_exact(config: Config) -> None:
    assert _reduced_space(config, inert.view) == _views_of_full_space(config)


@pytest.mark.slow
@pytest.mark.parametrize("config", EXACT, ids=["elections", "2servers-t2", "3servers-logs-fig8"])
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
    monkeypatch.setattr(inert, "live_form", wrong)
    assert _reduced_space(config, inert.view) != _views_of_full_space(config)
