"""raftmodel.wellformed claims only what holds in every reachable state of correct Raft
and of every catalog variant: a trace recorded on any of them is never refused. Checked
here on the reachable states themselves (the model checker's plain BFS)."""

from __future__ import annotations

import pytest

from checker.engine.search import transitions
from checker.raft.model import RaftModel
from raftmodel import mutants
from raftmodel.cluster import Bounds, Config, init_state
from raftmodel.network import Semantics
from raftmodel.rules import RAFT, Rules
from raftmodel.wellformed import problems

VARIANTS: tuple[Rules, ...] = (RAFT, *(m.rules for m in mutants.PROTOCOL))


def _problems_reached(config: Config, max_states: int | None) -> list[str]:
    seen = {init_state(config)}
    found = [str(p) for p in problems(init_state(config), config)]
    for _, _, t in transitions(RaftModel(config), max_states):
        if t not in seen:
            seen.add(t)
            found.extend(str(p) for p in problems(t, config))
            if found:
                break
    return found


# The default tier: the first states of each space (a few seconds per variant). The
# slow tier: the whole two-server space (up to 2 minutes for double_vote) and further.
@pytest.mark.parametrize("rules", VARIANTS, ids=lambda r: r.name)
def test_the_first_states_are_well_formed(rules: Rules) -> None:
    assert (
        _problems_reached(
            Config(2, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1), rules=rules),
            4_000,
        )
        == []
    )
    assert (
        _problems_reached(
            Config(3, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1), rules=rules),
            1_500,
        )
        == []
    )


@pytest.mark.slow
@pytest.mark.parametrize("rules", VARIANTS, ids=lambda r: r.name)
def test_every_state_of_two_servers_is_well_formed(rules: Rules) -> None:
    assert (
        _problems_reached(
            Config(2, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1), rules=rules),
            None,
        )
        == []
    )


SLOW_CONFIGS = (
    Config(3, Bounds(max_term=2, max_log=1, max_restarts=1, max_requests=1)),
    # Longer logs and more requests: leaders that back off and variants that truncate.
    Config(3, Bounds(max_term=3, max_log=2, max_restarts=1, max_requests=2, values=(1, 2))),
    Config(2, Bounds(max_term=3, max_log=3, max_restarts=1, max_requests=3)),
    # Consumed, dropped and duplicated messages (a stale response delivered twice).
    Config(
        2,
        Bounds(max_term=2, max_log=2, max_restarts=1, max_requests=2, values=(1,), max_copies=2),
        Semantics.BAG,
    ),
)


@pytest.mark.slow
@pytest.mark.parametrize("rules", VARIANTS, ids=lambda r: r.name)
@pytest.mark.parametrize("config", SLOW_CONFIGS, ids=lambda c: f"n{c.n}-{c.bounds}")
def test_more_reachable_states_are_well_formed(config: Config, rules: Rules) -> None:
    assert _problems_reached(config._replace(rules=rules), 20_000) == []
