"""A TLC counterexample as an ITF trace, replayable on raftmodel.

TLC 2.15 prints each step's action name (the top-level disjunct of Next) but not its
parameters. Each state is mapped to a ``ClusterState`` (``checker.tla.state``), and each
step's parameters are recovered from raftmodel: the first action of that name, in
canonical order, whose successor is exactly the next state. A step with no such action
means the spec and the model disagree (``raftcheck crosscheck`` shows where); it is
reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checker.tla.dump import RawState, parse_states
from checker.tla.jar import TLCError
from checker.tla.state import to_cluster
from checker.traces.itf import Trace, make_trace
from raftmodel.actions import Action, action_name
from raftmodel.cluster import ClusterState, Config, init_state, successors


class TraceMismatch(TLCError):
    """A TLC step that no raftmodel action reproduces."""

    def __init__(self, step: int, action: str | None, detail: str) -> None:
        super().__init__(
            f"TLC's step {step} ({action or 'initial state'}) has no counterpart in "
            f"raftmodel: {detail} (the spec and the model disagree; try raftcheck crosscheck)"
        )
        self.step = step
        self.action = action


def cluster_states(raws: Sequence[RawState], config: Config, symmetric: bool) -> list[ClusterState]:
    return [to_cluster(v, config, symmetric) for v in parse_states(list(raws))]


def label(
    states: Sequence[ClusterState], names: Sequence[str | None], config: Config
) -> list[Action]:
    """The raftmodel action of each step (``names[k]`` is TLC's name for step k)."""
    if states and states[0] != init_state(config):
        raise TraceMismatch(0, None, "the first state is not raftmodel's initial state")
    actions: list[Action] = []
    for k in range(1, len(states)):
        want = names[k]
        found = None
        for a, t in successors(states[k - 1], config):
            if t == states[k] and (want is None or action_name(a) == want):
                found = a
                break
        if found is None:
            raise TraceMismatch(k, want, f"no {want or 'action'} leads to TLC's next state")
        actions.append(found)
    return actions


def to_trace(
    raws: Sequence[RawState],
    config: Config,
    *,
    symmetric: bool,
    meta: dict[str, Any] | None = None,
) -> Trace:
    """The ITF trace of a TLC counterexample of the spec run with ``config``."""
    states = cluster_states(raws, config, symmetric)
    actions = label(states, [r.action for r in raws], config)
    return make_trace(config, states, actions, meta=meta)
