"""raftmodel.cluster: the action contract (docs/actions.md): canonical enumeration, every
guard of the module docstring, history variables, purity of apply(), config validation."""

from __future__ import annotations

import copy
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftmodel.actions import (
    Action,
    ClientRequest,
    Drop,
    Duplicate,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
    action_key,
)
from raftmodel.cluster import (
    BadConfig,
    Bounds,
    ClusterState,
    Committed,
    Config,
    Election,
    apply,
    candidate_actions,
    enabled_actions,
    init_state,
    successors,
)
from raftmodel.messages import AppendEntries, AppendEntriesResponse, RequestVote
from raftmodel.network import Semantics, count, messages
from raftmodel.script import Script
from raftmodel.types import Role

SET3 = Config(n=3, bounds=Bounds(max_term=3, max_log=2, max_requests=2, values=(1, 2)))
BAG3 = SET3._replace(semantics=Semantics.BAG, bounds=SET3.bounds._replace(max_copies=2))
UNBOUNDED = Bounds(max_term=None, max_log=None, max_restarts=None, max_requests=None)


def typed(actions: list[Action]) -> list[tuple[str, Action]]:
    """Actions with their type: NamedTuple equality alone ignores it (Timeout(1) ==
    Restart(1))."""
    return [(type(a).__name__, a) for a in actions]


def every_action(s: ClusterState, config: Config) -> list[Action]:
    """A superset of what can be enabled: all parameters, not only the promising ones."""
    ids = range(0, config.n + 2)  # includes ids that name no server
    msgs = messages(s.network, config.semantics)
    values = (*config.bounds.values, max(config.bounds.values) + 1)
    return [
        *(Timeout(i) for i in ids),
        *(SendAppendEntries(i, j) for i in ids for j in ids),
        *(Receive(m) for m in msgs),
        *(ClientRequest(i, v) for i in ids for v in values),
        *(Restart(i) for i in ids),
        *(Drop(m) for m in msgs),
        *(Duplicate(m) for m in msgs),
    ]


def walk(config: Config, picks: list[int]) -> list[ClusterState]:
    """The states of a walk that takes the (pick mod k)-th enabled action at each step."""
    states = [init_state(config)]
    for p in picks:
        succ = list(successors(states[-1], config))
        if not succ:
            break
        states.append(succ[p % len(succ)][1])
    return states


walks = st.lists(st.integers(0, 10_000), max_size=25)
configs = st.sampled_from([SET3, BAG3, Config(n=2), Config(n=1, bounds=UNBOUNDED)])


def elected(config: Config = SET3) -> Script:
    """Server 1 leads term 1 with server 2's vote."""
    return Script(config).timeout(1).vote(1, 2)


def leader(s: ClusterState) -> list[int]:
    return [x.id for x in s.nodes if x.role == Role.LEADER]


# --- enumeration ---------------------------------------------------------------------------


class TestEnumeration:
    @settings(max_examples=60, deadline=None)
    @given(configs, walks)
    def test_canonical_and_deterministic(self, config: Config, picks: list[int]) -> None:
        for s in walk(config, picks):
            acts = candidate_actions(s, config)
            assert typed(acts) == typed(candidate_actions(s, config))
            assert typed(acts) == typed(sorted(acts, key=action_key))
            # By (type, fields): NamedTuple equality ignores the type, Timeout(1) == Restart(1).
            assert len({(type(a), a) for a in acts}) == len(acts)

    @settings(max_examples=60, deadline=None)
    @given(configs, walks)
    def test_enabled_actions_are_the_candidates_apply_accepts(
        self, config: Config, picks: list[int]
    ) -> None:
        for s in walk(config, picks):
            enabled = [a for a in candidate_actions(s, config) if apply(s, a, config) is not None]
            assert typed(enabled_actions(s, config)) == typed(enabled)
            assert typed([a for a, _ in successors(s, config)]) == typed(enabled)
            # Complete: nothing outside the candidate list is enabled.
            extra = {
                (type(a), a) for a in every_action(s, config) if apply(s, a, config) is not None
            }
            assert extra == {(type(a), a) for a in enabled}

    def test_initial_order(self) -> None:
        s = init_state(Config(n=3))
        assert typed(enabled_actions(s, Config(n=3))) == typed(
            [Timeout(1), Timeout(2), Timeout(3), Restart(1), Restart(2), Restart(3)]
        )

    def test_kinds_are_ordered_timeout_send_receive_client_restart_drop_duplicate(self) -> None:
        s = elected(BAG3).state
        kinds = [type(a) for a in enabled_actions(s, BAG3)]
        order = [Timeout, SendAppendEntries, Receive, ClientRequest, Restart, Drop, Duplicate]
        assert sorted(set(kinds), key=order.index) == order
        assert kinds == sorted(kinds, key=order.index)

    @settings(max_examples=40, deadline=None)
    @given(configs, walks)
    def test_apply_never_mutates_its_input(self, config: Config, picks: list[int]) -> None:
        for s in walk(config, picks):
            frozen = copy.deepcopy(s)
            for a in every_action(s, config):
                apply(s, a, config)
            assert s == frozen
            assert hash(s) == hash(frozen)

    def test_disabled_action_gives_none(self) -> None:
        s = init_state(SET3)
        assert apply(s, SendAppendEntries(1, 2), SET3) is None
        assert apply(s, ClientRequest(1, 1), SET3) is None
        assert apply(s, Receive(RequestVote(1, 2, 1, 0, 0)), SET3) is None
        assert apply(s, Timeout(4), SET3) is None

    def test_unknown_action_is_a_type_error(self) -> None:
        with pytest.raises(TypeError):
            apply(init_state(SET3), "Timeout(1)", SET3)  # type: ignore[arg-type]


# --- guards ----------------------------------------------------------------------------------


class TestTimeoutGuard:
    def test_disabled_at_max_term(self) -> None:
        config = Config(n=3, bounds=Bounds(max_term=1))
        s = Script(config).timeout(1)
        assert apply(s.state, Timeout(1), config) is None
        assert apply(s.state, Timeout(2), config) is not None
        s.deliver("RequestVote", 1, 2)  # server 2 learns term 1 and is now at the bound
        assert apply(s.state, Timeout(2), config) is None

    def test_max_term_zero_forbids_elections(self) -> None:
        config = Config(n=3, bounds=Bounds(max_term=0))
        assert typed(enabled_actions(init_state(config), config)) == typed(
            [Restart(1), Restart(2), Restart(3)]
        )

    def test_disabled_for_leaders_even_when_unbounded(self) -> None:
        config = Config(n=1, bounds=UNBOUNDED)
        s = Script(config).timeout(1)
        assert leader(s.state) == [1]
        assert apply(s.state, Timeout(1), config) is None

    def test_candidate_may_time_out_again(self) -> None:
        s = Script(SET3).timeout(1).timeout(1)
        assert s.state.nodes[0].currentTerm == 2

    def test_none_means_unbounded(self) -> None:
        config = Config(n=3, bounds=UNBOUNDED)
        s = Script(config)
        for _ in range(12):
            s.timeout(2)
        assert s.state.nodes[1].currentTerm == 12
        assert apply(s.state, Timeout(2), config) is not None


class TestSendAppendEntriesGuard:
    def test_only_leaders_send_and_never_to_themselves(self) -> None:
        s = Script(SET3).timeout(1)
        assert apply(s.state, SendAppendEntries(1, 2), SET3) is None  # a candidate
        s.vote(1, 2)
        assert apply(s.state, SendAppendEntries(1, 2), SET3) is not None
        assert apply(s.state, SendAppendEntries(1, 1), SET3) is None
        assert apply(s.state, SendAppendEntries(2, 1), SET3) is None
        assert apply(s.state, SendAppendEntries(1, 4), SET3) is None


class TestBatchedAppendEntries:
    """Bounds.max_batch: 0 sends the whole suffix from nextIndex (one action per follower);
    k >= 1 makes each batch size 1..min(k, suffix) its own action, a heartbeat (batch 0)
    only when the suffix is empty (Figure 2: "may send more than one for efficiency")."""

    @staticmethod
    def _leader_with_two_entries(max_batch: int) -> Script:
        bounds = Bounds(max_term=1, max_log=3, max_restarts=0, max_requests=3, max_batch=max_batch)
        return Script(Config(3, bounds)).timeout(1).vote(1, 2).client(1, 1).client(1, 1)

    @staticmethod
    def _sends(s: Script) -> list[tuple[int, int]]:
        acts = enabled_actions(s.state, s.config)
        return [(a.j, a.batch) for a in acts if isinstance(a, SendAppendEntries)]

    def test_whole_suffix_without_a_batch_bound(self) -> None:
        s = self._leader_with_two_entries(0)
        assert self._sends(s) == [(2, 0), (3, 0)]
        assert [len(m.entries) for m in s.sent(SendAppendEntries(1, 2))] == [2]

    def test_each_batch_size_up_to_the_bound_is_an_action(self) -> None:
        s = self._leader_with_two_entries(1)
        assert self._sends(s) == [(2, 1), (3, 1)]
        s = self._leader_with_two_entries(5)  # the bound is clipped to the suffix
        assert self._sends(s) == [(2, 1), (2, 2), (3, 1), (3, 2)]
        sent = [s.sent(SendAppendEntries(1, 2, k))[0] for k in (1, 2)]
        assert [(m.prevLogIndex, len(m.entries)) for m in sent] == [(0, 1), (0, 2)]
        assert sent[0].entries == s.state.nodes[0].log[:1]

    def test_heartbeat_only_when_nothing_is_pending(self) -> None:
        s = self._leader_with_two_entries(2).replicate(1, 2, batch=2)
        assert self._sends(s) == [(2, 0), (3, 1), (3, 2)]
        assert apply(s.state, SendAppendEntries(1, 3), s.config) is None  # whole suffix
        assert apply(s.state, SendAppendEntries(1, 3, 3), s.config) is None  # past the suffix
        assert s.sent(SendAppendEntries(1, 2))[0].entries == ()

    def test_a_batch_shorter_than_leader_commit_keeps_the_follower_within_its_log(self) -> None:
        # Figure 2, AppendEntries receiver 5: commitIndex = min(leaderCommit, last new).
        s = self._leader_with_two_entries(2).replicate(1, 2, batch=2)
        s.send_append(1, 3, batch=1).deliver("AppendEntries", 1, 3)
        assert s.state.nodes[0].commitIndex == 2
        assert (len(s.state.nodes[2].log), s.state.nodes[2].commitIndex) == (1, 1)

    def test_negative_max_batch_rejected(self) -> None:
        with pytest.raises(ValueError, match="max_batch"):
            init_state(Config(3, Bounds(max_batch=-1)))


class TestClientRequestGuard:
    def test_disabled_for_non_leaders(self) -> None:
        s = Script(SET3).timeout(1)
        assert all(apply(s.state, ClientRequest(i, 1), SET3) is None for i in (1, 2, 3))

    def test_value_must_be_in_values(self) -> None:
        s = elected()
        assert apply(s.state, ClientRequest(1, 3), SET3) is None
        assert apply(s.state, ClientRequest(1, 2), SET3) is not None

    def test_disabled_at_max_requests(self) -> None:
        config = Config(n=3, bounds=Bounds(max_log=5, max_requests=1))
        s = elected(config).client(1)
        assert s.state.requests == 1
        assert apply(s.state, ClientRequest(1, 1), config) is None

    def test_max_requests_counts_across_leaders_and_restarts(self) -> None:
        config = Config(n=3, bounds=Bounds(max_log=5, max_requests=1, max_restarts=1))
        s = elected(config).client(1).restart(1).timeout(1).vote(1, 2, term=2)
        assert leader(s.state) == [1]
        assert apply(s.state, ClientRequest(1, 1), config) is None

    def test_disabled_at_max_log(self) -> None:
        config = Config(n=3, bounds=Bounds(max_log=1, max_requests=None))
        s = elected(config).client(1)
        assert len(s.state.nodes[0].log) == 1
        assert apply(s.state, ClientRequest(1, 1), config) is None

    def test_max_log_is_per_leader_log_length(self) -> None:
        config = Config(n=3, bounds=Bounds(max_log=1, max_requests=None))
        s = elected(config).client(1).timeout(3).timeout(3).vote(3, 2, term=2)
        assert leader(s.state) == [1, 3]  # server 1 has not heard of term 2 yet
        assert s.state.nodes[2].log == ()
        assert apply(s.state, ClientRequest(3, 1), config) is not None

    def test_unbounded_requests(self) -> None:
        config = Config(n=1, bounds=UNBOUNDED)
        s = Script(config).timeout(1)
        for _ in range(10):
            s.client(1)
        assert (s.state.requests, s.state.nodes[0].commitIndex) == (10, 10)


class TestRestartGuard:
    def test_disabled_at_max_restarts(self) -> None:
        config = Config(n=3, bounds=Bounds(max_restarts=2))
        s = Script(config).restart(1).restart(3)
        assert s.state.restarts == 2
        assert all(apply(s.state, Restart(i), config) is None for i in (1, 2, 3))

    def test_max_restarts_zero(self) -> None:
        config = Config(n=3, bounds=Bounds(max_restarts=0))
        assert typed(enabled_actions(init_state(config), config)) == typed(
            [Timeout(1), Timeout(2), Timeout(3)]
        )

    def test_restart_keeps_network_and_history(self) -> None:
        s = elected().client(1).replicate(1, 2)
        before = s.state
        after = s.restart(1).state
        assert after.nodes[0].role == Role.FOLLOWER
        assert (after.network, after.elections, after.committed, after.requests) == (
            before.network,
            before.elections,
            before.committed,
            before.requests,
        )
        assert after.nodes[1:] == before.nodes[1:]


class TestNetworkSemantics:
    def test_set_keeps_delivered_messages(self) -> None:
        s = Script(SET3).timeout(1)
        rv = s.find("RequestVote", 1, 2)
        s.do(Receive(rv))
        assert rv in s.state.network
        assert apply(s.state, Receive(rv), SET3) is not None  # may be delivered again

    def test_bag_consumes_delivered_messages(self) -> None:
        s = Script(BAG3).timeout(1)
        rv = s.find("RequestVote", 1, 2)
        s.do(Receive(rv))
        assert count(s.state.network, rv, Semantics.BAG) == 0
        assert apply(s.state, Receive(rv), BAG3) is None

    def test_drop_and_duplicate_only_under_bag(self) -> None:
        s = Script(SET3).timeout(1)
        rv = s.find("RequestVote", 1, 2)
        assert apply(s.state, Drop(rv), SET3) is None
        assert apply(s.state, Duplicate(rv), SET3) is None
        b = Script(BAG3).timeout(1)
        dropped = apply(b.state, Drop(rv), BAG3)
        assert dropped is not None and count(dropped.network, rv, Semantics.BAG) == 0
        assert apply(dropped, Drop(rv), BAG3) is None
        doubled = apply(b.state, Duplicate(rv), BAG3)
        assert doubled is not None and count(doubled.network, rv, Semantics.BAG) == 2

    def test_duplicate_bounded_by_max_copies(self) -> None:
        s = Script(BAG3).timeout(1)
        rv = s.find("RequestVote", 1, 2)
        s.do(Duplicate(rv))
        assert apply(s.state, Duplicate(rv), BAG3) is None  # max_copies = 2
        s.do(Receive(rv)).do(Duplicate(rv))  # back to 1 copy, so duplicating is enabled again
        one = BAG3._replace(bounds=BAG3.bounds._replace(max_copies=1))
        assert apply(Script(one).timeout(1).state, Duplicate(rv), one) is None

    def test_bag_disables_actions_that_exceed_max_copies(self) -> None:
        one = BAG3._replace(bounds=BAG3.bounds._replace(max_copies=1))
        s = elected(one).send_append(1, 2)
        # The same heartbeat again would be a second copy.
        assert apply(s.state, SendAppendEntries(1, 2), one) is None
        assert apply(s.state, SendAppendEntries(1, 3), one) is not None
        s2 = elected(SET3).send_append(1, 2)
        again = apply(s2.state, SendAppendEntries(1, 2), SET3)
        assert again == s2.state  # under SET the same message is simply there already

    def test_bag_counts_copies(self) -> None:
        s = elected(BAG3).send_append(1, 2).send_append(1, 2)
        (hb,) = [
            m for m in messages(s.state.network, Semantics.BAG) if isinstance(m, AppendEntries)
        ]
        assert count(s.state.network, hb, Semantics.BAG) == 2
        assert apply(s.state, SendAppendEntries(1, 2), BAG3) is None


# --- history variables ---------------------------------------------------------------------


class TestHistory:
    def test_initial_state(self) -> None:
        s = init_state(SET3)
        assert s.nodes == tuple(s.nodes[i]._replace(id=i + 1) for i in range(3))
        assert all(x.currentTerm == 0 and x.role == Role.FOLLOWER for x in s.nodes)
        assert (s.network, s.elections, s.committed, s.restarts, s.requests) == (
            frozenset(),
            frozenset(),
            frozenset(),
            0,
            0,
        )

    def test_elections_record_every_term_and_leader(self) -> None:
        s = elected()
        assert s.state.elections == {Election(1, 1)}
        s.timeout(3).timeout(3).vote(3, 2, term=2)
        assert leader(s.state) == [1, 3]
        # Server 1 still believes it leads term 1; once it learns term 2 it steps down, and
        # the history still holds both elections.
        assert s.state.elections == {Election(1, 1), Election(2, 3)}
        s.deliver("RequestVote", 3, 1, term=2)
        assert leader(s.state) == [3]
        assert s.state.elections == {Election(1, 1), Election(2, 3)}

    def test_committed_records_each_entry_once_with_first_commit_term(self) -> None:
        config = SET3._replace(bounds=SET3.bounds._replace(max_restarts=2))
        s = elected(config).client(1, 2).replicate(1, 2)
        first = {Committed(1, 1, 2, 1)}
        assert s.state.committed == first
        s.replicate(1, 2)  # the follower learns the commit in term 1: already recorded
        assert s.state.nodes[1].commitIndex == 1
        assert s.state.committed == first
        # Server 2 becomes leader of term 2; server 3 learns index 1 is committed in term 2.
        s.timeout(2).vote(2, 3).replicate(2, 3)  # refused: server 3's log is empty
        assert s.state.nodes[2].log == ()
        s.replicate(2, 3)
        assert s.state.nodes[2].log == s.state.nodes[0].log
        assert (s.state.nodes[2].commitIndex, s.state.nodes[2].currentTerm) == (1, 2)
        assert s.state.committed == first
        # A restart forgets commitIndex; learning it again records nothing new.
        s.restart(2).restart(1)
        assert s.state.committed == first

    def test_commit_of_new_entries_records_only_the_new_ones(self) -> None:
        s = elected().client(1, 1).replicate(1, 2).client(1, 2).replicate(1, 2)
        assert s.state.committed == {Committed(1, 1, 1, 1), Committed(2, 1, 2, 1)}

    def test_history_never_shrinks_along_a_walk(self) -> None:
        for picks in ([0] * 20, [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9], list(range(30))):
            states = walk(SET3, picks)
            for a, b in pairwise(states):
                assert a.elections <= b.elections
                assert a.committed <= b.committed


# --- configuration -------------------------------------------------------------------------


class TestConfig:
    @pytest.mark.parametrize(
        "config",
        [
            Config(n=0),
            Config(n=-1),
            Config(bounds=Bounds(max_term=-1)),
            Config(bounds=Bounds(max_log=-1)),
            Config(bounds=Bounds(max_restarts=-1)),
            Config(bounds=Bounds(max_requests=-1)),
            Config(bounds=Bounds(values=())),
            Config(bounds=Bounds(max_copies=0)),
        ],
        ids=[
            "n=0",
            "n=-1",
            "max_term",
            "max_log",
            "max_restarts",
            "max_requests",
            "values",
            "max_copies",
        ],
    )
    def test_bad_config_rejected(self, config: Config) -> None:
        with pytest.raises(BadConfig):
            init_state(config)

    def test_bad_config_is_a_value_error(self) -> None:
        assert issubclass(BadConfig, ValueError)

    @pytest.mark.parametrize(
        "config",
        [
            Config(n=1),
            Config(bounds=UNBOUNDED),
            Config(
                bounds=Bounds(
                    max_term=0, max_log=0, max_restarts=0, max_requests=0, values=(5,), max_copies=1
                )
            ),
        ],
    )
    def test_edge_configs_accepted(self, config: Config) -> None:
        assert len(init_state(config).nodes) == config.n

    def test_defaults(self) -> None:
        assert Config() == Config(
            3,
            Bounds(
                max_term=2, max_log=1, max_restarts=1, max_requests=1, values=(1,), max_copies=1
            ),
            Semantics.SET,
        )


# --- regression: messages (and actions) of different types must not compare equal ----------
# NamedTuple equality ignores the class; the mtype/kind tag fields keep them apart.


def _stale_leader_meets_new_candidate(sem: Semantics) -> tuple[Config, Script, AppendEntries]:
    """Server 2 leads term 1; server 1 (empty log) is a candidate of term 2 and has sent
    RequestVote(1 -> 2, term 2, lastLog (0, 0)); a term-1 heartbeat from 2 to 1 is in flight."""
    config = Config(n=3, bounds=Bounds(max_term=2), semantics=sem)
    s = Script(config).timeout(2).vote(2, 3).timeout(1).timeout(1).send_append(2, 1)
    heartbeat = s.find("AppendEntries", 2, 1)
    assert isinstance(heartbeat, AppendEntries)
    assert heartbeat.term == 1 and s.state.nodes[0].currentTerm == 2
    return config, s, heartbeat


class TestMessageIdentity:
    def test_messages_of_different_types_differ(self) -> None:
        request: object = RequestVote(1, 2, 2, 0, 0)
        assert request != AppendEntriesResponse(1, 2, 2, False, 0)
        assert hash(request) != hash(AppendEntriesResponse(1, 2, 2, False, 0))

    def test_actions_of_different_types_differ(self) -> None:
        assert Timeout(1) != Restart(1)
        assert SendAppendEntries(1, 2) != ClientRequest(1, 2)
        m = RequestVote(1, 2, 1, 0, 0)
        assert len({Receive(m), Drop(m), Duplicate(m)}) == 3

    def test_set_network_keeps_the_refusal_of_a_stale_append(self) -> None:
        """§5.1: the refusal carries term 2 back to the stale leader (once lost under SET)."""
        config, s, heartbeat = _stale_leader_meets_new_candidate(Semantics.SET)
        nxt = apply(s.state, Receive(heartbeat), config)
        assert nxt is not None
        assert any(type(m) is AppendEntriesResponse for m in nxt.network)

    def test_bag_network_lets_the_candidate_receive_a_stale_append(self) -> None:
        """Under BAG (max_copies=1) the refusal once counted as a second copy of the
        RequestVote, which disabled delivering the stale heartbeat."""
        config, s, heartbeat = _stale_leader_meets_new_candidate(Semantics.BAG)
        assert apply(s.state, Receive(heartbeat), config) is not None
