"""Bounded explicit-state search over any ``Model``: BFS (shortest counterexamples), DFS,
or swarm random walks.

Visited states are kept as 64-bit fingerprints (the model's ``Fingerprinter``) in a flat
table, with a parent index per state in a compact array; a counterexample is rebuilt the
way TLC does it, by walking the parent chain and re-finding each state among the
successors of the previous one by fingerprint. ``exact=True`` keeps the model's exact
canonical keys instead (no collision risk, more memory). The search knows no protocol: it
calls the model for every transition and judges with the model's properties.

``check`` returns a ``CheckResult``; a budget (states, depth, time, Ctrl-C) that stops
the run is recorded in ``stopped`` and the result is never ``complete``. Swarm walks
never exhaust the space, so their result is never complete either.
"""

from __future__ import annotations

import gc
import time
from array import array
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from enum import Enum
from typing import Generic, NamedTuple, TypeVar

from checker.engine.model import (
    Model,
    Violation,
    state_checker,
    transition_checker,
)
from checker.engine.simulate import simulate
from checker.engine.store import FingerprintSet, SpillQueue
from checker.errors import BadOption

S = TypeVar("S")
A = TypeVar("A")


class Strategy(Enum):
    """How the space is explored."""

    #: Breadth-first: exhaustive, and a counterexample is a shortest one.
    BFS = "bfs"
    #: Depth-first: exhaustive; counterexamples are not shortest.
    DFS = "dfs"
    #: Seeded random walks, each with a random subset of action kinds (Groce et al.,
    #: "Swarm Testing", ISSTA 2012): never exhaustive.
    SWARM = "swarm"


class Options(NamedTuple):
    strategy: Strategy = Strategy.BFS
    symmetry: bool = True
    exact: bool = False
    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    #: Processes that expand states (BFS only); 1 runs everything in this process.
    workers: int = 1
    #: Let the model apply its view (forget what can never matter again) when sound. Off
    #: here so that library callers see the plain state space; the CLI turns it on.
    view: bool = False
    #: Swarm only: the seed, the number of walks and the steps per walk.
    seed: int = 0
    walks: int = 1000
    walk_depth: int = 60


class Counterexample(NamedTuple, Generic[S, A]):
    violation: Violation
    states: tuple[S, ...]
    actions: tuple[A, ...]


class Progress(NamedTuple):
    distinct: int
    generated: int
    depth: int
    queue: int
    elapsed: float
    #: Swarm only: walks taken so far (``queue`` is then the walks left).
    walks: int | None = None


class CheckResult(NamedTuple, Generic[S, A]):
    #: Distinct states (swarm: distinct states visited).
    distinct: int
    #: Transitions generated (swarm: steps taken).
    generated: int
    #: The deepest level reached (the initial state is depth 0).
    depth: int
    elapsed: float
    #: Why the search stopped before exhausting the bounded space, or None.
    stopped: str | None
    counterexample: Counterexample[S, A] | None
    #: How many transitions of each action kind were generated.
    coverage: dict[str, int]
    #: Upper estimate of the probability that two distinct states shared a fingerprint.
    collision_probability: float
    #: Peak size of the frontier (BFS queue or DFS stack).
    max_queue: int
    #: Whether the model's view and symmetry were applied (asked for and sound).
    view: bool = False
    symmetry: bool = False
    #: Swarm only: walks taken.
    walks: int = 0

    @property
    def complete(self) -> bool:
        return self.stopped is None and self.counterexample is None


def check(
    model: Model[S, A],
    options: Options | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 2.0,
) -> CheckResult[S, A]:
    """Explore ``model`` under ``options``.

    Returns the statistics and the first counterexample found (BFS: a shortest one).
    Raises BadOption for combinations the engine cannot run (workers with DFS or exact).
    Ctrl-C (KeyboardInterrupt) ends the run with the statistics so far, ``stopped`` set.
    """
    options = options or Options()
    if options.strategy is Strategy.SWARM:
        return _swarm(model, options, progress, progress_every)
    if options.workers > 1 and (options.exact or options.strategy is not Strategy.BFS):
        raise BadOption("workers expand BFS levels of fingerprints: not with exact or dfs")
    return _Search(model, options, progress, progress_every).run()


class _Search(Generic[S, A]):
    def __init__(
        self,
        model: Model[S, A],
        options: Options,
        progress: Callable[[Progress], None] | None,
        progress_every: float,
    ) -> None:
        self.model = model
        self.options = options
        self.progress = progress
        self.progress_every = progress_every
        self.start = time.monotonic()
        self.fpr = model.fingerprinter(options.symmetry, options.view)
        self.fp = self.fpr.fingerprint
        self.key: Callable[[S], Hashable] = self.fpr.key if options.exact else self.fp
        self.state_violation = state_checker(model)
        # Fingerprints go into a flat table (16-32 bytes each); exact keys into a set.
        self.index: FingerprintSet | set[Hashable] = set() if options.exact else FingerprintSet()
        self.parents = array("q")
        self.fps = array("q")
        # A plain dict: the compiled search indexes it directly (a Counter is a Python
        # subclass, reached through its slots: 3% of a compiled run).
        self.coverage: dict[str, int] = {}
        self.generated = 0
        self.max_queue = 1
        self.depth_reached = 0
        self.inits = list(model.init_states())

    def add(self, s: S, k: Hashable, parent: int) -> int:
        i = len(self.parents)
        self.index.add(k)  # type: ignore[arg-type]
        self.parents.append(parent)
        self.fps.append(self.fp(s) if self.options.exact else k)  # type: ignore[arg-type]
        return i

    def rebuild(self, last: int) -> tuple[list[S], list[A]]:
        chain = []
        i = last
        while i != -1:
            chain.append(self.fps[i])
            i = self.parents[i]
        chain.reverse()
        return follow_chain(self.inits, self.model.successors, self.fp, chain)

    def result(
        self, stopped: str | None, cex: Counterexample[S, A] | None, depth: int
    ) -> CheckResult[S, A]:
        n = len(self.parents)
        return CheckResult(
            n,
            self.generated,
            depth,
            time.monotonic() - self.start,
            stopped,
            cex,
            {k: self.coverage.get(k, 0) for k in self.model.kinds},
            collision_probability(n, self.generated),
            self.max_queue,
            self.fpr.view,
            self.fpr.symmetry,
        )

    def over_budget(self, has_more: bool) -> str | None:
        o = self.options
        if not has_more:
            return None
        if o.max_states is not None and len(self.parents) >= o.max_states:
            return f"state budget of {o.max_states:,} distinct states reached"
        if o.time_limit is not None and time.monotonic() - self.start >= o.time_limit:
            return f"time limit of {o.time_limit:g}s reached"
        return None

    def run(self) -> CheckResult[S, A]:
        roots: list[tuple[S, int]] = []
        for s in self.inits:
            k = self.key(s)
            if k in self.index:
                continue
            i = self.add(s, k, -1)
            v = self.state_violation(s)
            if v is not None:
                return self.result(None, Counterexample(v, (s,), ()), 0)
            roots.append((s, i))
        # The cyclic garbage collector finds nothing here (states are trees of tuples and
        # frozensets) but traverses the young states again and again: a quarter of the
        # time of a compiled run (py-spy), so it is off during the search.
        collecting = gc.isenabled()
        gc.disable()
        try:
            if self.options.workers > 1:
                return self.run_levels_in_workers(roots)
            return self.run_here(roots)
        except KeyboardInterrupt:
            return self.result("interrupted (Ctrl-C or SIGTERM)", None, self.depth_reached)
        finally:
            if collecting:
                # The search's millions of objects are all in the youngest generation:
                # re-enabled as they are, the collector's next pass would traverse every
                # one (0.7 s after 120,000 states of two-terms). Freezing and unfreezing
                # moves them to the oldest generation without a traversal; they are
                # still collected there, with it. (Not in a process that froze objects
                # of its own: unfreezing would release those too.)
                if not gc.get_freeze_count():
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()

    def run_here(self, roots: list[tuple[S, int]]) -> CheckResult[S, A]:
        model, options = self.model, self.options
        successors, kind_of = model.successors, model.kind
        key, index, coverage = self.key, self.index, self.coverage
        transition_violation = transition_checker(model, self.fpr.assumptions)
        state_violation = self.state_violation
        frontier: SpillQueue[tuple[S, int, int]] | list[tuple[S, int, int]]
        if options.strategy is Strategy.BFS:
            # BFS levels get wide: the queue keeps its middle on disk, as TLC's does.
            frontier = SpillQueue()
            pop = frontier.popleft
        else:
            frontier = []
            pop = frontier.pop
        for s, i in roots:
            frontier.append((s, i, 0))
        last_report = self.start
        cut_by_depth = False
        max_depth = options.max_depth
        while frontier:
            s, i, d = pop()
            if d > self.depth_reached:
                self.depth_reached = d
            if max_depth is not None and d >= max_depth:
                if any(True for _ in successors(s)):
                    cut_by_depth = True
                continue
            for a, t in successors(s):
                self.generated += 1
                if not self.generated & 63 and (stop := self.over_budget(True)) is not None:
                    # A state with many successors, each costly to fingerprint (large
                    # clusters), must not hold the time budget back.
                    return self.result(stop, None, self.depth_reached)
                kind = kind_of(a)
                coverage[kind] = coverage.get(kind, 0) + 1
                v = transition_violation(s, a, t)
                k = key(t)
                if v is None and k in index:
                    continue
                if v is None:
                    v = state_violation(t)
                j = self.add(t, k, i) if k not in index else -1
                if v is not None:
                    states, actions = self.rebuild(i)
                    states.append(t)
                    actions.append(a)
                    cex = Counterexample(v, tuple(states), tuple(actions))
                    return self.result(None, cex, max(self.depth_reached, d + 1))
                frontier.append((t, j, d + 1))
            if len(frontier) > self.max_queue:
                self.max_queue = len(frontier)
            stop = self.over_budget(bool(frontier))
            if stop is not None:
                return self.result(stop, None, self.depth_reached)
            now = time.monotonic()
            if self.progress is not None and now - last_report >= self.progress_every:
                last_report = now
                self.progress(
                    Progress(
                        len(self.parents),
                        self.generated,
                        self.depth_reached,
                        len(frontier),
                        now - self.start,
                    )
                )
        stopped = None
        if cut_by_depth:
            stopped = f"depth bound of {max_depth} cut off enabled actions"
        return self.result(stopped, None, self.depth_reached)

    def run_levels_in_workers(self, roots: list[tuple[S, int]]) -> CheckResult[S, A]:
        # Level-synchronous BFS; checker.engine.workers explains why the counts are one
        # worker's. Imported here: it brings multiprocessing, a tenth of a short check's
        # start (9 ms), which a one-process search does without.
        from checker.engine import workers

        options = self.options
        level = roots
        depth = 0
        last = self.start
        with workers.Pool(self.model, options.workers, options.symmetry, options.view) as pool:
            while level:
                self.depth_reached = depth
                size = max(1, min(2_000, -(-len(level) // (options.workers * 4))))
                chunks = [level[x : x + size] for x in range(0, len(level), size)]
                if options.max_depth is not None and depth >= options.max_depth:
                    if any(r.had_successors for r in pool.imap(workers.probe, chunks)):
                        return self.result(
                            f"depth bound of {options.max_depth} cut off enabled actions",
                            None,
                            depth,
                        )
                    return self.result(None, None, depth)
                nxt: list[tuple[S, int]] = []
                for r in pool.imap(workers.expand, chunks):
                    self.generated += r.generated
                    for kind, c in r.coverage.items():
                        self.coverage[kind] = self.coverage.get(kind, 0) + c
                    for f in r.found:
                        fresh = f.fp not in self.index
                        if f.violation is None and not fresh:
                            continue
                        j = self.add(f.state, f.fp, f.parent) if fresh else -1
                        if f.violation is not None:
                            states, actions = self.rebuild(f.parent)
                            states.append(f.state)
                            actions.append(f.action)
                            cex = Counterexample(f.violation, tuple(states), tuple(actions))
                            return self.result(None, cex, depth + 1)
                        nxt.append((f.state, j))
                    self.max_queue = max(self.max_queue, len(nxt) + len(level))
                    stop = self.over_budget(True)
                    if stop is not None:
                        return self.result(stop, None, depth)
                    now = time.monotonic()
                    if self.progress is not None and now - last >= self.progress_every:
                        last = now
                        self.progress(
                            Progress(
                                len(self.parents), self.generated, depth, len(nxt), now - self.start
                            )
                        )
                level = nxt
                if level:
                    depth += 1
        return self.result(None, None, self.depth_reached)


def _swarm(
    model: Model[S, A],
    options: Options,
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 2.0,
) -> CheckResult[S, A]:
    """``Strategy.SWARM`` as a ``CheckResult``: swarm walks within the model's bounds.
    They never exhaust the space, so without a violation the result is not complete
    (``stopped`` says why)."""
    fpr = model.fingerprinter(options.symmetry, options.view)
    last = [time.monotonic()]
    start = last[0]

    def on_walk(walks: int, steps: int) -> None:
        now = time.monotonic()
        if progress is not None and now - last[0] >= progress_every:
            last[0] = now
            progress(Progress(0, steps, 0, options.walks - walks, now - start, walks))

    res = simulate(
        model,
        seed=options.seed,
        walks=options.walks,
        depth=options.walk_depth,
        time_limit=options.time_limit,
        progress=on_walk,
        swarm=True,
        fingerprint=fpr.fingerprint,
    )
    cex = None
    stopped: str | None = None
    if res.violation is not None:
        hit = res.violation
        cex = Counterexample(hit.violation, hit.states, hit.actions)
    elif res.stopped_early:
        stopped = (
            f"time limit of {options.time_limit:g}s reached after {res.walks} of "
            f"{options.walks} walks"
            if options.time_limit is not None and res.elapsed >= options.time_limit
            else f"interrupted after {res.walks} of {options.walks} walks"
        )
    else:
        stopped = f"{res.walks} random walks do not exhaust the bounded space"
    return CheckResult(
        res.distinct,
        res.steps,
        res.longest,
        res.elapsed,
        stopped,
        cex,
        res.coverage,
        collision_probability(res.distinct, res.steps),
        0,
        fpr.view,
        fpr.symmetry,
        res.walks,
    )


def collision_probability(distinct: int, generated: int) -> float:
    """TLC's "optimistic" estimate: n * m / 2^64 for n distinct among m generated
    fingerprints."""
    return min(1.0, distinct * generated / 2.0**64)


def transitions(model: Model[S, A], max_states: int | None = None) -> Iterator[tuple[S, A, S]]:
    """Every transition of the plain space (no reductions, whole states) in BFS order from
    the initial states; at most ``max_states`` states are expanded. For tests and tools
    that need the states themselves, not a verdict."""
    inits = list(model.init_states())
    seen = set(inits)
    queue = deque(inits)
    while queue:
        s = queue.popleft()
        for a, t in model.successors(s):
            yield s, a, t
            if t not in seen and (max_states is None or len(seen) < max_states):
                seen.add(t)
                queue.append(t)


def reachable(model: Model[S, A]) -> set[S]:
    """The set of states of the plain space (small models only)."""
    states = set(model.init_states())
    states.update(t for _, _, t in transitions(model))
    return states


__all__ = [
    "CheckResult",
    "Counterexample",
    "Options",
    "Progress",
    "Strategy",
    "check",
    "collision_probability",
    "follow_chain",
    "reachable",
    "transitions",
]


def follow_chain(
    inits: Iterable[S],
    successors: Callable[[S], Iterable[tuple[A, S]]],
    fp: Callable[[S], Hashable],
    chain: Sequence[Hashable],
) -> tuple[list[S], list[A]]:
    """The states and actions along ``chain``, a path of fingerprints from an initial
    state: each step is the successor whose fingerprint is the next one. A search keeps
    fingerprints only; this turns its parent links back into a counterexample."""
    first = next(s for s in inits if fp(s) == chain[0])
    states: list[S] = [first]
    actions: list[A] = []
    for want in chain[1:]:
        for a, t in successors(states[-1]):
            if fp(t) == want:
                states.append(t)
                actions.append(a)
                break
        else:  # pragma: no cover - would mean nondeterministic successors
            raise RuntimeError(
                "counterexample reconstruction failed: the model's successors changed "
                "between two calls (hidden nondeterminism: set order, hash(), the clock?)"
            )
    return states, actions
