"""Bounded explicit-state search over raftmodel: BFS (shortest counterexamples) or DFS.

Visited states are kept as 64-bit fingerprints (``checker.canon``) in a set, with a
parent index per state in a compact array; a counterexample is rebuilt the way TLC does
it, by walking the parent chain and re-finding each state among the successors of the
previous one by fingerprint. ``exact=True`` keeps full states instead (no collision risk,
more memory). The search calls raftmodel for every transition and re-implements no rule.
"""

from __future__ import annotations

import multiprocessing
import time
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import NamedTuple

from checker import parallel
from checker.canon import perms, relabel, state_fingerprint
from checker.errors import BadOption
from checker.invariants import Violation, check_state, check_transition
from checker.store import FingerprintSet, SpillQueue
from raftmodel import inert
from raftmodel.actions import Action, action_name
from raftmodel.cluster import ClusterState, Config, init_state, successors
from raftmodel.network import Semantics


class Options(NamedTuple):
    strategy: str = "bfs"  # "bfs" | "dfs"
    symmetry: bool = True
    exact: bool = False
    max_states: int | None = None
    max_depth: int | None = None
    time_limit: float | None = None
    #: Processes that expand states (BFS only); 1 runs everything in this process.
    workers: int = 1
    #: Forget inert messages (``raftmodel.inert``) when the config allows it: a VIEW. Off
    #: here so that library callers see the plain state space; the CLI turns it on.
    view: bool = False


class Counterexample(NamedTuple):
    violation: Violation
    states: tuple[ClusterState, ...]
    actions: tuple[Action, ...]


class Progress(NamedTuple):
    distinct: int
    generated: int
    depth: int
    queue: int
    elapsed: float


class CheckResult(NamedTuple):
    distinct: int
    generated: int
    #: The deepest level reached (the initial state is depth 0).
    depth: int
    elapsed: float
    #: Why the search stopped before exhausting the bounded space, or None.
    stopped: str | None
    counterexample: Counterexample | None
    #: How many transitions of each action kind were generated.
    coverage: dict[str, int]
    #: Upper estimate of the probability that two distinct states shared a fingerprint.
    collision_probability: float
    #: Peak size of the frontier (BFS queue or DFS stack).
    max_queue: int
    #: Whether states were identified by their inert-message view.
    view: bool = False

    @property
    def complete(self) -> bool:
        return self.stopped is None and self.counterexample is None


ACTION_KINDS = (
    "Timeout",
    "SendAppendEntries",
    "Receive",
    "ClientRequest",
    "Restart",
    "Drop",
    "Duplicate",
)


def check(
    config: Config,
    options: Options | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 2.0,
) -> CheckResult:
    options = options or Options()
    if options.workers > 1 and (options.exact or options.strategy != "bfs"):
        raise BadOption("workers expand BFS levels of fingerprints: not with exact or dfs")
    start = time.monotonic()
    fp, use_view = state_fingerprint(config, options.symmetry, options.view)
    init = init_state(config)
    # Visited: fingerprints (or whole states, up to symmetry and view, when exact).
    key: Callable[[ClusterState], object] = (
        fp if not options.exact else _exact_key(config, options.symmetry, use_view)
    )
    # Fingerprints go into a flat table (16-32 bytes each); exact keys into a set.
    index: FingerprintSet | set[object] = set() if options.exact else FingerprintSet()
    parents = array("q")
    fps = array("q")
    coverage: Counter[str] = Counter()

    def add(s: ClusterState, k: object, parent: int) -> int:
        i = len(parents)
        index.add(k)  # type: ignore[arg-type]
        parents.append(parent)
        fps.append(fp(s) if options.exact else k)  # type: ignore[arg-type]
        return i

    def rebuild(last: int) -> tuple[list[ClusterState], list[Action]]:
        chain = []
        i = last
        while i != -1:
            chain.append(fps[i])
            i = parents[i]
        chain.reverse()
        states, actions = [init], []
        for want in chain[1:]:
            for a, t in successors(states[-1], config):
                if fp(t) == want:
                    states.append(t)
                    actions.append(a)
                    break
            else:  # pragma: no cover - would mean nondeterministic successors
                raise RuntimeError("counterexample reconstruction failed: successors changed")
        return states, actions

    def result(stopped: str | None, cex: Counterexample | None, depth: int) -> CheckResult:
        n = len(parents)
        return CheckResult(
            n,
            generated,
            depth,
            time.monotonic() - start,
            stopped,
            cex,
            {k: coverage.get(k, 0) for k in ACTION_KINDS},
            _collision(n, generated),
            max_queue,
            use_view,
        )

    generated = 0
    max_queue = 1
    depth_reached = 0

    def run_levels_in_workers() -> CheckResult:
        # Level-synchronous BFS; checker.parallel explains why the counts are one worker's.
        nonlocal generated, max_queue, depth_reached
        ctx = multiprocessing.get_context("fork")
        level: list[tuple[ClusterState, int]] = [(init, 0)]
        depth = 0
        last = start
        with ctx.Pool(
            options.workers,
            initializer=parallel.init_worker,
            initargs=(config, options.symmetry, options.view),
        ) as pool:
            while level:
                depth_reached = depth
                size = max(1, min(2_000, -(-len(level) // (options.workers * 4))))
                chunks = [level[x : x + size] for x in range(0, len(level), size)]
                if options.max_depth is not None and depth >= options.max_depth:
                    if any(r.had_successors for r in pool.imap(parallel.probe, chunks)):
                        return result(
                            f"depth bound of {options.max_depth} cut off enabled actions",
                            None,
                            depth,
                        )
                    return result(None, None, depth)
                nxt: list[tuple[ClusterState, int]] = []
                for r in pool.imap(parallel.expand, chunks):
                    generated += r.generated
                    coverage.update(r.coverage)
                    for f in r.found:
                        fresh = f.fp not in index
                        if f.violation is None and not fresh:
                            continue
                        j = add(f.state, f.fp, f.parent) if fresh else -1
                        if f.violation is not None:
                            states, actions = rebuild(f.parent)
                            states.append(f.state)
                            actions.append(f.action)
                            cex = Counterexample(f.violation, tuple(states), tuple(actions))
                            return result(None, cex, depth + 1)
                        nxt.append((f.state, j))
                    max_queue = max(max_queue, len(nxt) + len(level))
                    if options.max_states is not None and len(parents) >= options.max_states:
                        return result(
                            f"state budget of {options.max_states:,} distinct states reached",
                            None,
                            depth,
                        )
                    now = time.monotonic()
                    if options.time_limit is not None and now - start >= options.time_limit:
                        return result(f"time limit of {options.time_limit:g}s reached", None, depth)
                    if progress is not None and now - last >= progress_every:
                        last = now
                        progress(Progress(len(parents), generated, depth, len(nxt), now - start))
                level = nxt
                if level:
                    depth += 1
        return result(None, None, depth_reached)

    v0 = check_state(init)
    add(init, key(init), -1)
    if v0 is not None:
        return result(None, Counterexample(v0, (init,), ()), 0)
    if options.workers > 1:
        try:
            return run_levels_in_workers()
        except KeyboardInterrupt:
            return result("interrupted (Ctrl-C)", None, depth_reached)
    frontier: SpillQueue[tuple[ClusterState, int, int]] | list[tuple[ClusterState, int, int]]
    if options.strategy == "bfs":
        # BFS levels get wide: the queue keeps its middle on disk, as TLC's does.
        frontier = SpillQueue()
        pop = frontier.popleft
    else:
        frontier = []
        pop = frontier.pop
    frontier.append((init, 0, 0))
    last_report = start
    cut_by_depth = False
    try:
        while frontier:
            s, i, d = pop()
            if d > depth_reached:
                depth_reached = d
            if options.max_depth is not None and d >= options.max_depth:
                if any(True for _ in successors(s, config)):
                    cut_by_depth = True
                continue
            for a, t in successors(s, config):
                generated += 1
                coverage[action_name(a)] += 1
                v = check_transition(s, a, t)
                k = key(t)
                if v is None and k in index:
                    continue
                if v is None:
                    v = check_state(t)
                j = add(t, k, i) if k not in index else -1
                if v is not None:
                    states, actions = rebuild(i)
                    states.append(t)
                    actions.append(a)
                    return result(
                        None,
                        Counterexample(v, tuple(states), tuple(actions)),
                        max(depth_reached, d + 1),
                    )
                frontier.append((t, j, d + 1))
            if len(frontier) > max_queue:
                max_queue = len(frontier)
            if options.max_states is not None and len(parents) >= options.max_states and frontier:
                return result(
                    f"state budget of {options.max_states:,} distinct states reached",
                    None,
                    depth_reached,
                )
            now = time.monotonic()
            if options.time_limit is not None and now - start >= options.time_limit and frontier:
                return result(f"time limit of {options.time_limit:g}s reached", None, depth_reached)
            if progress is not None and now - last_report >= progress_every:
                last_report = now
                elapsed = now - start
                progress(Progress(len(parents), generated, depth_reached, len(frontier), elapsed))
    except KeyboardInterrupt:
        return result("interrupted (Ctrl-C)", None, depth_reached)
    stopped = None
    if cut_by_depth:
        stopped = f"depth bound of {options.max_depth} cut off enabled actions"
    return result(stopped, None, depth_reached)


def _exact_key(config: Config, symmetry: bool, view: bool) -> Callable[[ClusterState], object]:
    """Exact mode keys on whole states: the state itself (or its view), or with symmetry
    its orbit (the set of all its relabellings), which two states share iff symmetric."""
    forget = inert.view if view else None
    if not symmetry:
        return (lambda s: s) if forget is None else forget
    ps = perms(config.n)
    bag = config.semantics is Semantics.BAG

    def k(s: ClusterState) -> object:
        v = s if forget is None else forget(s)
        return frozenset(relabel(v, p, bag) for p in ps)

    return k


def _collision(distinct: int, generated: int) -> float:
    # TLC's "optimistic" estimate: n * m / 2^64 for n distinct among m generated fingerprints.
    return min(1.0, distinct * generated / 2.0**64)


def transitions(
    config: Config, max_states: int | None = None
) -> Iterator[tuple[ClusterState, Action, ClusterState]]:
    """Every transition of the plain space (no symmetry, no view, whole states) in BFS
    order from Init; at most ``max_states`` states are expanded. For tests and tools that
    need the states themselves, not the checker's verdict."""
    start = init_state(config)
    seen = {start}
    queue = deque([start])
    while queue:
        s = queue.popleft()
        for a, t in successors(s, config):
            yield s, a, t
            if t not in seen and (max_states is None or len(seen) < max_states):
                seen.add(t)
                queue.append(t)


def reachable(config: Config) -> set[ClusterState]:
    """The set of states of the plain space (small configs only)."""
    states = {init_state(config)}
    states.update(t for _, _, t in transitions(config))
    return states
