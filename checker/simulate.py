"""Seeded random walks over the cluster, checking every property at every step.

Deterministic: walk k of seed s uses ``random.Random(f"{s}:{k}")`` and picks among
``raftmodel.cluster.successors`` in their canonical order, so the same seed, model and
options give the same walks, byte for byte.

Swarm mode (Groce et al., "Swarm Testing", ISSTA 2012): each walk first draws which
action kinds it may take (Timeout and Receive always; every other kind with probability
1/2), so that some walks never restart, some never heartbeat, and rare interleavings that
a uniform walk keeps diluting get reached. Walks also count the distinct states they
visit (by the checker's fingerprint), which says how much of the space they covered.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import NamedTuple

from checker.invariants import Violation, check_state, check_step
from checker.store import FingerprintSet
from raftmodel.actions import Action, action_name
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
    #: Distinct states visited (by fingerprint), when a fingerprint was given.
    distinct: int = 0


#: Kinds a swarm walk always keeps: without them nothing happens.
_ALWAYS = ("Timeout", "Receive")
_OPTIONAL = ("SendAppendEntries", "ClientRequest", "Restart", "Drop", "Duplicate")


def swarm_kinds(rng: random.Random) -> frozenset[str]:
    return frozenset(_ALWAYS) | {k for k in _OPTIONAL if rng.random() < 0.5}


def simulate(
    config: Config,
    *,
    seed: int,
    walks: int,
    depth: int,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    swarm: bool = False,
    fingerprint: Callable[[ClusterState], int] | None = None,
) -> SimulationResult:
    start = time.monotonic()
    seen = FingerprintSet()
    if fingerprint is not None:
        seen.add(fingerprint(init_state(config)))
    total_steps = deadlocks = 0
    init = init_state(config)
    v0 = check_state(init)
    if v0 is not None:
        return SimulationResult(0, 0, 0, 0.0, WalkViolation(0, (init,), (), v0), False)
    for w in range(walks):
        if time_limit is not None and time.monotonic() - start > time_limit:
            elapsed = time.monotonic() - start
            return SimulationResult(w, total_steps, deadlocks, elapsed, None, True, len(seen))
        rng = random.Random(f"{seed}:{w}")
        kinds = swarm_kinds(rng) if swarm else None
        states = [init]
        actions: list[Action] = []
        s = init
        for _ in range(depth):
            succ = list(successors(s, config))
            if kinds is not None:
                succ = [(a, t) for a, t in succ if action_name(a) in kinds]
            if not succ:
                deadlocks += 1
                break
            a, t = succ[rng.randrange(len(succ))]
            total_steps += 1
            states.append(t)
            actions.append(a)
            if fingerprint is not None:
                seen.add(fingerprint(t))
            v = check_step(s, a, t)
            if v is not None:
                elapsed = time.monotonic() - start
                hit = WalkViolation(w, tuple(states), tuple(actions), v)
                return SimulationResult(
                    w + 1, total_steps, deadlocks, elapsed, hit, False, len(seen)
                )
            s = t
        if progress is not None:
            progress(w + 1, total_steps)
    elapsed = time.monotonic() - start
    return SimulationResult(walks, total_steps, deadlocks, elapsed, None, False, len(seen))
