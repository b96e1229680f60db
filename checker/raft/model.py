"""raftmodel's cluster as a ``Model`` the engine explores.

Everything here is a call into raftmodel (the harness's successors, the node's rules) or
into this package (the properties, the symmetry and view of ``canon``): the model adds no
Raft rule of its own. One ``RaftModel`` per ``Config``; the engine's options say which
reductions to apply, and ``fingerprinter`` applies those that are sound for the config.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Final

from checker.engine.model import Fingerprinter, TransitionProperty, Violation
from checker.raft import canon
from checker.raft.invariants import (
    INVARIANTS,
    TRANSITION_PROPERTIES,
    first_state_violation,
    first_transition_violation,
)
from checker.raft.report import render_node
from raftmodel.actions import ACTION_NAMES, Action, ActionKind, describe
from raftmodel.cluster import ClusterState, Config, init_state, shared, successors
from raftmodel.network import Semantics

#: The inert-message view's assumptions (raftmodel.inert.Guard), checked on what the node
#: does rather than trusted from the Rules it was given.
VIEW_SOUND: TransitionProperty[ClusterState, Action] = TransitionProperty(
    "InertViewSound",
    "§5.1, §5.2",
    "the Raft rules the inert-message view relies on hold (terms never fall, one vote "
    "per term, stale messages change nothing but the fence reply)",
    lambda s, a, t: None,
)

#: Action kinds by their number (``Action.kind``), named as in the spec and ITF.
KIND_NAMES: Final = ACTION_NAMES


class RaftModel:
    """The bounded Raft cluster of ``config`` (raftmodel.cluster), with every property of
    ``checker.raft.invariants``."""

    invariants = INVARIANTS
    transition_properties = TRANSITION_PROPERTIES
    kinds: Sequence[str] = KIND_NAMES
    #: Without timeouts and deliveries nothing happens (swarm walks keep them).
    essential_kinds = frozenset({ActionKind.Timeout.name, ActionKind.Receive.name})

    def __init__(self, config: Config, *, check_view: bool = False) -> None:
        """``check_view``: when the view is applied, also check on every transition the
        rules it relies on (``VIEW_SOUND``), on what the node does rather than on the
        identity of ``config.rules`` (about 40% more time; the test suite does it on the
        presets, so a node.py change that breaks them fails CI)."""
        self.config = config
        self.check_view = check_view
        self._init = init_state(config)

    def __reduce__(self) -> tuple[Callable[[Config, bool], RaftModel], tuple[Config, bool]]:
        # Pickled as its config (the distributed engine sends the model to its workers):
        # compiled by mypyc, the class has no instance dict for pickle's default to restore.
        return _raft_model, (self.config, self.check_view)

    def init_states(self) -> Sequence[ClusterState]:
        return (self._init,)

    def successors(self, s: ClusterState) -> Iterator[tuple[Action, ClusterState]]:
        return successors(s, self.config)

    def kind(self, a: Action) -> str:
        return KIND_NAMES[a.kind]

    # Every property in one call (``engine.transition_checker``).
    def first_state_violation(self, s: ClusterState) -> Violation | None:
        return first_state_violation(s)

    def first_transition_violation(
        self, s: ClusterState, a: Action, t: ClusterState
    ) -> Violation | None:
        return first_transition_violation(s, a, t)

    def fingerprinter(self, symmetry: bool, view: bool) -> Fingerprinter[ClusterState]:
        fp, applied = canon.state_fingerprint(self.config, symmetry, view)
        key: canon.KeyFunction = canon.exact_key(self.config, symmetry, applied)
        assumptions: tuple[TransitionProperty[ClusterState, Action], ...] = ()
        if applied and self.check_view:
            assumptions = (VIEW_SOUND._replace(check=canon.view_guard(self.config)),)
        sem = self.config.semantics
        own: Callable[[ClusterState], ClusterState] = lambda s: shared(s, sem)  # noqa: E731
        return Fingerprinter(
            fp, key, symmetry, applied, assumptions, canon.locality, own, _work(self.config)
        )

    def describe_state(self, s: ClusterState) -> str:
        return " | ".join(render_node(x) for x in s.nodes)

    def describe_action(self, a: Action) -> str:
        return describe(a)


def _work(config: Config) -> Callable[[ClusterState], int]:
    """About how many successors a state has: a receive per message in the network (and
    under BAG a drop and a duplicate), and a few local events per server. Two-terms'
    partitions, balanced by frontier states, expanded 4% more successors in one than in
    the other."""
    per_message = 3 if config.semantics is Semantics.BAG else 1

    def work(s: ClusterState) -> int:
        return per_message * len(s.network) + 2 * len(s.nodes)

    return work


def _raft_model(config: Config, check_view: bool) -> RaftModel:
    return RaftModel(config, check_view=check_view)
