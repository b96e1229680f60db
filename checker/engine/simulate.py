"""Seeded random walks over any ``Model``, checking every property at every step.

Deterministic: walk k of seed s uses ``random.Random(f"{s}:{k}")`` and picks among the
model's successors in their canonical order, so the same seed, model and options give
the same walks, byte for byte.

Swarm mode (Groce et al., "Swarm Testing", ISSTA 2012): each walk first draws which
action kinds it may take (the model's essential kinds always; every other kind with
probability 1/2), so that some walks never restart, some never heartbeat, and rare
interleavings that a uniform walk keeps diluting get reached. Walks also count the
distinct states they visit (by the model's fingerprint), which says how much of the
space they covered.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, TypeVar

from checker.engine.model import Model, Violation, check_state, check_step
from checker.engine.store import FingerprintSet

S = TypeVar("S")
A = TypeVar("A")


class WalkViolation(NamedTuple, Generic[S, A]):
    walk: int
    states: tuple[S, ...]
    actions: tuple[A, ...]
    violation: Violation


class SimulationResult(NamedTuple, Generic[S, A]):
    walks: int
    steps: int
    deadlocks: int
    elapsed: float
    violation: WalkViolation[S, A] | None
    #: True when the time limit (or Ctrl-C) stopped the run before all walks were taken.
    stopped_early: bool
    #: Distinct states visited (by fingerprint), when a fingerprint was given.
    distinct: int = 0
    #: The longest walk taken, in steps.
    longest: int = 0
    coverage: dict[str, int] = {}


def swarm_kinds(
    rng: random.Random, kinds: Sequence[str], essential: frozenset[str]
) -> frozenset[str]:
    return essential | {k for k in kinds if k not in essential and rng.random() < 0.5}


def simulate(
    model: Model[S, A],
    *,
    seed: int,
    walks: int,
    depth: int,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    swarm: bool = False,
    fingerprint: Callable[[S], int] | None = None,
    on_walk_end: Callable[[int, S], None] | None = None,
) -> SimulationResult[S, A]:
    """Take ``walks`` seeded random walks of at most ``depth`` steps each.

    Returns the first violating walk (its states, actions and violation), or none, with
    statistics. Ctrl-C ends the run with ``stopped_early`` set. ``on_walk_end(k, state)``
    sees the last state of every walk that ends without a violation.
    """
    start = time.monotonic()
    seen = FingerprintSet()
    coverage: Counter[str] = Counter()
    total_steps = deadlocks = longest = 0
    inits = list(model.init_states())
    if fingerprint is not None:
        for s0 in inits:
            seen.add(fingerprint(s0))

    def result(done: int, hit: WalkViolation[S, A] | None, stopped: bool) -> SimulationResult[S, A]:
        cov = {k: coverage.get(k, 0) for k in model.kinds}
        elapsed = time.monotonic() - start
        return SimulationResult(
            done, total_steps, deadlocks, elapsed, hit, stopped, len(seen), longest, cov
        )

    for s0 in inits:
        v0 = check_state(model, s0)
        if v0 is not None:
            return result(0, WalkViolation(0, (s0,), (), v0), False)
    w = 0
    try:
        for w in range(walks):
            if time_limit is not None and time.monotonic() - start > time_limit:
                return result(w, None, True)
            rng = random.Random(f"{seed}:{w}")
            kinds = swarm_kinds(rng, model.kinds, model.essential_kinds) if swarm else None
            s = inits[rng.randrange(len(inits))] if len(inits) > 1 else inits[0]
            states = [s]
            actions: list[A] = []
            for _ in range(depth):
                succ = list(model.successors(s))
                if kinds is not None:
                    succ = [(a, t) for a, t in succ if model.kind(a) in kinds]
                if not succ:
                    deadlocks += 1
                    break
                a, t = succ[rng.randrange(len(succ))]
                total_steps += 1
                coverage[model.kind(a)] += 1
                states.append(t)
                actions.append(a)
                if fingerprint is not None:
                    seen.add(fingerprint(t))
                v = check_step(model, s, a, t)
                if v is not None:
                    longest = max(longest, len(actions))
                    hit = WalkViolation(w, tuple(states), tuple(actions), v)
                    return result(w + 1, hit, False)
                s = t
            longest = max(longest, len(actions))
            if on_walk_end is not None:
                on_walk_end(w, s)
            if progress is not None:
                progress(w + 1, total_steps)
    except KeyboardInterrupt:
        return result(w, None, True)
    return result(walks, None, False)
