"""The refusal hint (§5.3's optimisation, ``Bounds.refusal_hint``): a refused AppendEntries
carries the follower's last log index and the leader's nextIndex jumps with it, never
below matchIndex + 1 nor above nextIndex - 1 (raftmodel.rules.retry_from). Off, the
default, every message and count is Figure 2's."""

from __future__ import annotations

import pytest

from checker.engine.search import Options, check
from checker.raft.model import RaftModel
from raftmodel import mutants
from raftmodel.cluster import BadConfig, Bounds, Config, init_state, model_rules
from raftmodel.messages import AppendEntries, AppendEntriesResponse
from raftmodel.node import NodeState, init_node, step
from raftmodel.rules import RAFT, retry_from, with_refusal_hint
from raftmodel.script import Script
from raftmodel.types import Entry, Role

HINTED = with_refusal_hint(RAFT)


def _leader(next_index: int, match: int, log_len: int = 6) -> NodeState:
    log = tuple(Entry(1, 1) for _ in range(log_len))
    s = init_node(1, 2)._replace(currentTerm=1, role=Role.LEADER, log=log)
    return s._replace(nextIndex=(log_len + 1, next_index), matchIndex=(0, match))


def _refusal(hint: int) -> AppendEntriesResponse:
    return AppendEntriesResponse(2, 1, 1, False, 0, hint)


def test_retry_from_is_figure_2_without_a_hint_and_never_moves_up_with_one() -> None:
    assert retry_from(7, None) == 6
    assert retry_from(7, 1) == 2  # just past the follower's last entry
    assert retry_from(7, 5) == 6  # one back: Figure 2's step too
    assert retry_from(7, 9) == 6  # a longer (conflicting) log: never past nextIndex - 1


@pytest.mark.parametrize(
    ("next_index", "match", "hint", "expected"),
    [
        (7, 0, 1, 2),  # a new leader's first probe: straight to the follower's end
        (7, 0, 0, 1),  # an empty follower log
        (7, 3, 1, 4),  # a stale hint (before the follower caught up): not below match + 1
        (4, 3, 1, 4),  # already at match + 1: stays
        (7, 0, 10, 6),  # a conflicting longer log: Figure 2's decrement
    ],
)
def test_leader_jumps_with_the_hint_within_its_bounds(
    next_index: int, match: int, hint: int, expected: int
) -> None:
    s, out = step(_leader(next_index, match), _refusal(hint), 2, HINTED)
    assert out == () and s.nextIndex[1] == expected
    # Off, the same refusal is Figure 2's one-entry decrement (the hint is not read).
    s, _ = step(_leader(next_index, match), _refusal(hint), 2, RAFT)
    assert s.nextIndex[1] == max(next_index - 1, match + 1)


def test_next_below_match_trusts_a_stale_hint() -> None:
    # The variant drops the matchIndex floor: with the hint, one stale refusal takes
    # nextIndex to or below matchIndex (NextIndexAboveMatch).
    rules = with_refusal_hint(mutants.rules_for("next_below_match"))
    s, _ = step(_leader(7, 3), _refusal(1), 2, rules)
    assert s.nextIndex[1] == 2 <= s.matchIndex[1]


def test_follower_names_its_last_index_only_with_the_option() -> None:
    f = init_node(2, 2)._replace(currentTerm=1, log=(Entry(1, 1),))
    ae = AppendEntries(1, 2, 1, 5, 1, (), 0)
    _, on = step(f, ae, 2, HINTED)
    _, off = step(f, ae, 2, RAFT)
    assert on == (AppendEntriesResponse(2, 1, 1, False, 0, 1),)
    assert off == (AppendEntriesResponse(2, 1, 1, False, 0, 0),)
    # A success carries no hint either way (matchIndex says it all).
    _, ok = step(f, AppendEntries(1, 2, 1, 1, 1, (), 0), 2, HINTED)
    assert ok == (AppendEntriesResponse(2, 1, 1, True, 1, 0),)


def test_cluster_applies_the_option_and_validates_it() -> None:
    on = Config(2, Bounds(refusal_hint=1))
    assert model_rules(on).refusal_hint and model_rules(on) is model_rules(on)
    assert model_rules(Config(2)) is RAFT
    with pytest.raises(BadConfig, match="refusal_hint must be 0 or 1"):
        init_state(Config(2, Bounds(refusal_hint=2)))


def test_a_new_leader_catches_a_follower_up_in_one_refusal() -> None:
    """Server 1 leads term 1 with three entries server 2 never got; it restarts, wins
    term 2 with 2's vote, and probes from nextIndex 4: one refusal with hint 0 takes it
    to 1 (Figure 2 would need three)."""
    bounds = Bounds(max_term=2, max_log=3, max_restarts=1, max_requests=3, refusal_hint=1)
    s = Script(Config(2, bounds)).timeout(1).vote(1, 2)
    s.client(1, 1).client(1, 1).client(1, 1).restart(1).timeout(1).vote(1, 2, term=2)
    assert s.state.nodes[0].nextIndex[1] == 4
    s.send_append(1, 2).deliver("AppendEntries", 1, 2).deliver("AppendEntriesResponse", 2, 1)
    assert s.state.nodes[0].nextIndex[1] == 1
    s.replicate(1, 2)
    assert len(s.state.nodes[1].log) == 3 and s.state.nodes[0].matchIndex[1] == 3


def test_bounded_space_with_the_hint_holds_every_property() -> None:
    # Two servers, two terms, logs of 2 and a restart: the hint reaches states Figure 2's
    # backoff does not (and skips others), and every invariant and property holds.
    b = Bounds(max_term=2, max_log=2, max_restarts=1, max_requests=2, values=(1,))
    opts = Options(symmetry=True, view=True)
    off = check(RaftModel(Config(2, b)), opts)
    on = check(RaftModel(Config(2, b._replace(refusal_hint=1))), opts)
    assert off.complete and on.complete
    assert (off.distinct, on.distinct) == (5_631, 5_563)
