"""Seeded random walks over the cluster, checking every property at every step.

Deterministic: walk k of seed s uses ``random.Random(f"{s}:{k}")`` and picks among
``raftmodel.cluster.successors`` in their canonical order, so the same seed, model and
options give the same walks, byte for byte.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import NamedTuple

from checker.invariants import Violation, check_state, check_step
from raftmodel.actions import Action
from raftmodel.cluster import ClusterState, Config, init_state, successors


class WalkViolation(NamedTuple):
    walk: int
    states: tuple[ClusterState, ...]
    actions: tuple[Action, ...]
    violation: Violation


class SimulationResult(NamedTuple):
    walks: int
    steps: int
    deadlocks: int
    elapsed: float
    violation: WalkViolation | None
    #: True when --time-limit stopped the run before all requested walks were taken.
    stopped_early: bool


def simulate(
    config: Config,
    *,
    seed: int,
    walks: int,
    depth: int,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    start = time.monotonic()
    total_steps = deadlocks = 0
    init = init_state(config)
    v0 = check_state(init)
    if v0 is not None:
        return SimulationResult(0, 0, 0, 0.0, WalkViolation(0, (init,), (), v0), False)
    for w in range(walks):
        if time_limit is not None and time.monotonic() - start > time_limit:
            return SimulationResult(w, total_steps, deadlocks, time.monotonic() - start, None, True)
        rng = random.Random(f"{seed}:{w}")
        states = [init]
        actions: list[Action] = []
        s = init
        for _ in range(depth):
            succ = list(successors(s, config))
            if not succ:
                deadlocks += 1
                break
            a, t = succ[rng.randrange(len(succ))]
            total_steps += 1
            states.append(t)
            actions.append(a)
            v = check_step(s, a, t)
            if v is not None:
                elapsed = time.monotonic() - start
                hit = WalkViolation(w, tuple(states), tuple(actions), v)
                return SimulationResult(w + 1, total_steps, deadlocks, elapsed, hit, False)
            s = t
        if progress is not None:
            progress(w + 1, total_steps)
    return SimulationResult(walks, total_steps, deadlocks, time.monotonic() - start, None, False)
