"""The driver of the partitioned search on a Dask cluster.

``check(model, options, ...)`` starts a local cluster of ``options.workers`` processes
(or joins the cluster at ``address``, using ``options.workers`` of its workers, or all
of them when ``workers`` is 0), creates one ``Partition`` per worker, and runs the levels:
every worker expands its frontier, the batches travel worker to worker (a small task on
the sender hands its batch to the owner's absorb task, and Dask moves the bytes between
the two workers directly), every worker absorbs what it was sent. The driver sees only
counts, and the parent chain of a counterexample, which it rebuilds as the single-process
search does: by re-generating successors and matching fingerprints. Without a depth
bound or a state budget it submits each level's step before the level before has
reported (Dask starts it on a worker once that worker has its batches), so its own
round trips are off the levels' path and a driver far from its cluster does not slow
them; a level that ends the run (a violation, the deadline) makes every worker skip the
step submitted after it.

Why Dask rather than Ray (both measured here, docs/checker.md): the same actor-like
partitions and worker-to-worker transfers, with a cluster that starts in about 4 s on a
loaded 2-core machine (Ray: about 14 s, and a much larger install), which keeps the tests
and short runs cheap; a multi-machine cluster is one ``dask scheduler`` and one
``dask worker`` per machine.

Routing: a state belongs to the worker its routing key names (key mod N): the model's
locality key (then the levels are balanced: ``BALANCE_LEAST``), or its fingerprint.
Either is a function of the fingerprint's class, so every candidate of one fingerprint
meets at one owner, and the counts do not depend on the choice.

Budgets: the state budget and the time limit are checked between levels, and the time
limit inside a level too (each worker stops expanding at the deadline); Ctrl-C and SIGTERM
end the run with the statistics so far. A stopped run is never complete.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from checker.distributed.partition import Absorbed, Expanded, Item, Partition, owner
from checker.engine.model import Model, Violation, state_checker
from checker.engine.search import (
    CheckResult,
    Counterexample,
    Options,
    Progress,
    Strategy,
    collision_probability,
    follow_chain,
)
from checker.errors import BadOption

T = TypeVar("T")

#: The partitions of the runs this worker process takes part in, by run id.
_PARTITIONS: dict[str, Partition] = {}
#: The batches a worker received for its partition's next absorption, by run id.
_INBOX: dict[str, list[tuple[int, bytes]]] = {}
#: The last runs whose partitions this worker dropped: a step the driver submitted ahead
#: (``_Driver._submit``) may start after the run's end, and does nothing then.
_ENDED: dict[str, None] = {}
ENDED_KEPT = 64

EXTRA = "distributed"
INSTALL = f"pip install -e '.[{EXTRA}]'"

#: States are routed by the model's locality key when it has one (a key most steps keep,
#: as distributed SPIN partitions by a process's local state: Lerda and Sisto 1999), so
#: that most successors stay on the worker that made them: fewer bytes sent, and each
#: worker's fingerprint caches see fewer distinct servers and networks. A locality key
#: has few values (427 on two-terms), so a level splits unevenly (the slower worker's
#: share above its even share, two-terms: 11% on 2 workers, 63% on 4, 92% on 8), and the
#: levels are balanced: once every partition has absorbed a level, one with more than its
#: even share of the frontier hands the surplus (its last states in rank order) to one
#: with less, when it is at least this many states. The counts do not depend on who
#: expands a state: a candidate's rank, and its parent's partition and index, travel with
#: it. Two-terms, the sum over the levels of the slowest worker's CPU seconds (what the
#: run waits for; bench/distributed_speed.py --route all): 4 workers, 21.7 s by
#: fingerprint, 19.7 by locality, 13.8 balanced; 2 workers, 26.5, 25.5, 24.1
#: (docs/checker.md).
BALANCE_LEAST = 64


#: Dask's own housekeeping, turned down for the local cluster (its workers inherit the
#: settings): the statistical profiler samples the working thread every 10 ms, the system
#: monitor and the event-loop tick wake every 0.5 s and 20 ms, and work stealing moves
#: nothing here (every task is pinned to its partition's worker). On 2 cores this was
#: about 8% of the CPU the search needs (the driver's process alone 1.3 s in 12 s).
_QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "10s",
    "distributed.admin.tick.interval": "1s",
    "distributed.scheduler.work-stealing": False,
}


def routing(model: Model[Any, Any], options: Options) -> str:
    """How ``check`` routes ``model``'s states, in words (for a command's header)."""
    if model.fingerprinter(options.symmetry, options.view).locality is None:
        return "states routed by fingerprint"
    return "states routed by locality key, levels balanced"


def available() -> bool:
    """Whether Dask's distributed scheduler is installed (the ``distributed`` extra)."""
    return importlib.util.find_spec("distributed") is not None


class Traffic(NamedTuple):
    """What travelled between workers, and where the time went (for the bench)."""

    bytes: int
    states: int
    #: Per partition: CPU seconds expanding and absorbing, and states it owns at the end.
    expand_seconds: tuple[float, ...]
    absorb_seconds: tuple[float, ...]
    owned: tuple[int, ...]
    #: Frontier states handed to another partition to expand (``BALANCE_LEAST``).
    handed: int
    #: The sum over the levels of the slowest worker's CPU seconds in the level (what the
    #: run waits for on workers with cores of their own, the transfers apart).
    critical: float


def local_cluster(workers: int) -> Any:
    """A Dask cluster of ``workers`` single-threaded processes on this machine, as
    ``check`` starts one (bench/ starts it the same way, to time the search alone)."""
    dask: Any = importlib.import_module("distributed")
    # Ctrl-C reaches the whole process group: the driver alone acts on it (statistics,
    # exit 3) and stops the cluster. Workers started with SIGINT ignored keep it ignored
    # (Python and asyncio install no handler then), so they print no traceback.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        with importlib.import_module("dask").config.set(_QUIET):
            return dask.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit=0,
                silence_logs=logging.ERROR,
            )
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


# --- the worker side: one function per step, run where the partition lives -------------


def _part(run: str) -> Partition:
    p = _PARTITIONS.get(run)
    if p is None:
        raise RuntimeError("a worker lost its partition (restarted: out of memory?)")
    return p


def _w_create(
    run: str,
    model: Model[Any, Any],
    index: int,
    count: int,
    symmetry: bool,
    view: bool,
    by_locality: bool,
) -> int:
    _PARTITIONS[run] = Partition(model, index, count, symmetry, view, by_locality)
    return index


def _w_seed(run: str, items: list[Item]) -> Absorbed:
    return _part(run).seed(items)


#: A worker's step: what it absorbed and what it expanded (None: not done).
Step = tuple[Absorbed | None, Expanded | None]


def _ends(step: Step) -> bool:
    """Whether a step ends the run whatever the others did: a violation, the deadline, or
    a step skipped (``_w_step``); the driver stops on each of them."""
    expanded = step[1]
    if expanded is None:
        return True
    return expanded.violation is not None or expanded.cut


def _w_take(run: str, q: int, step: Step) -> tuple[bool, bytes]:
    # ``step``: the sender's step of the level, an argument so that Dask runs this after
    # it, on the same worker (the value does not travel). A run that ended at that step
    # may have dropped its partition already (nothing is taken then; a partition lost in
    # a run that goes on fails its next step).
    part = _PARTITIONS.get(run)
    return _ends(step), b"" if part is None else part.take_outbox(q)


def _w_receive(run: str, batches: list[tuple[int, tuple[bool, bytes]]], own: Step) -> bool:
    """Keep the batches for this partition's next absorption; whether this partition's
    step of the level (``own``: an argument also so that Dask runs this after it, whose
    absorption took the batches of the level before) or a sender's ended the run: then
    the next step, submitted before the driver knew, is skipped."""
    if run in _PARTITIONS:  # not after the run's cleanup (an interrupted run)
        _INBOX[run] = [(p, b) for p, (_, b) in batches]
    return _ends(own) or any(ends for _, (ends, _) in batches)


def _skipped(run: str, ended: bool | None) -> bool:
    """Whether a step does nothing: its run has ended, or a step of the level before ended
    it (``ended``: this worker's receive of that level, ``_w_receive``)."""
    return run in _ENDED or bool(ended)


def _w_step(
    run: str, absorb: bool, expand: bool, deadline: float | None, ended: bool | None
) -> Step:
    """Absorb the batches received (if ``absorb``), then expand the frontier (if
    ``expand`` and the absorption found no violation). ``ended``: this worker's receive
    of the level before, so that Dask starts this once its batches are here."""
    if _skipped(run, ended):
        return None, None
    absorbed = _part(run).absorb(_INBOX.pop(run)) if absorb else None
    if not expand or (absorbed is not None and absorbed.violation is not None):
        return absorbed, None
    return absorbed, _part(run).expand(deadline)


def _w_absorb(run: str, ended: bool | None) -> Absorbed | None:
    if _skipped(run, ended):
        return None
    return _part(run).absorb(_INBOX.pop(run))


def _w_gift(run: str, q: int, absorbed: list[Absorbed | None], least: int) -> bytes:
    counts = [a.frontier for a in absorbed if a is not None]
    if len(counts) != len(absorbed) or run in _ENDED:
        return b""  # a skipped level (``_w_absorb``)
    return _part(run).gift(q, counts, least)


def _w_expand(
    run: str,
    absorbed: Absorbed | None,
    gifts: list[tuple[int, bytes]],
    _given: Any,
    deadline: float | None,
) -> Step:
    """Expand the frontier absorbed before, with the states other partitions handed over
    (in sender order), unless the absorption found a violation (or was skipped).
    ``_given``: this partition's own hand-overs, an argument so that Dask runs this after
    them (a frontier expanded before its surplus was handed over would be expanded
    twice)."""
    if absorbed is None or absorbed.violation is not None or run in _ENDED:
        return absorbed, None
    return absorbed, _part(run).expand(deadline, [b for _, b in sorted(gifts)])


def _w_probe(run: str) -> bool:
    return _part(run).has_successors()


def _w_link(run: str, j: int) -> tuple[int, int, int]:
    return _part(run).link(j)


def _w_drop(run: str) -> None:
    _PARTITIONS.pop(run, None)
    _INBOX.pop(run, None)
    _ENDED[run] = None
    while len(_ENDED) > ENDED_KEPT:
        del _ENDED[next(iter(_ENDED))]


# --- the driver --------------------------------------------------------------------------


def _every(parts: list[T | None]) -> list[T]:
    """Every worker's part of a step (a step that ended the run may lack some)."""
    out = [x for x in parts if x is not None]
    if len(out) != len(parts):
        raise RuntimeError("a worker skipped its part of a step")
    return out


def check(
    model: Model[Any, Any],
    options: Options,
    progress: Callable[[Progress], None] | None = None,
    address: str | None = None,
    traffic: Callable[[Traffic], None] | None = None,
    by_locality: bool | None = None,
    balance: bool | None = None,
) -> CheckResult[Any, Any]:
    """Explore ``model`` on a Dask cluster (BFS, fingerprints): the counts of
    ``checker.engine.search.check`` with one process, and a shortest counterexample.
    ``traffic``, if given, is called at the end with what travelled (bench/).
    ``by_locality``: route states by the model's locality key (None: when it has one)
    rather than by fingerprint. ``balance``: hand
    frontier states from partitions with more than an even share to those with less
    (``BALANCE_LEAST``); None balances runs routed by locality."""
    if options.strategy is not Strategy.BFS or options.exact:
        raise BadOption("the distributed engine runs BFS on fingerprints: not dfs, swarm, exact")
    if not available():
        raise BadOption(f"--engine distributed needs the '{EXTRA}' extra: {INSTALL}")
    # Dask's API is untyped: reached through Any, where its calls stay few and plain.
    dask: Any = importlib.import_module("distributed")
    cluster = None
    if address is None:
        cluster = local_cluster(options.workers)
        client = dask.Client(cluster)
    else:
        try:
            client = dask.Client(address, timeout=10)
        except OSError as e:
            raise BadOption(f"no Dask scheduler at {address}: {e}") from None
    run = uuid.uuid4().hex
    used: list[str] = []
    try:
        workers = sorted(client.scheduler_info()["workers"])
        n = options.workers if options.workers > 0 else len(workers)
        if n > len(workers):
            raise BadOption(f"--workers {n}: the cluster at {address} has {len(workers)} workers")
        used = workers[:n]
        driver = _Driver(client, used, run, model, options, progress, by_locality, balance)
        result = driver.run()
        if traffic is not None and driver.traffic is not None:
            traffic(driver.traffic)
        return result
    finally:
        if cluster is None:
            # An existing cluster lives on: leave no partition behind on its workers (a
            # failing cleanup must not hide the verdict). Not pure: Dask runs equal pure
            # calls once, on one worker.
            with contextlib.suppress(Exception):
                client.gather([client.submit(_w_drop, run, workers=[w], pure=False) for w in used])
        client.close()
        if cluster is not None:
            cluster.close()


def _mine(receives: list[Any] | None, p: int) -> Any:
    """Worker ``p``'s receive of the level before (None before the first level)."""
    return None if receives is None else receives[p]


class _Driver:
    def __init__(
        self,
        client: Any,
        workers: list[str],
        run: str,
        model: Model[Any, Any],
        options: Options,
        progress: Callable[[Progress], None] | None,
        by_locality: bool | None,
        balance: bool | None = None,
    ) -> None:
        self.client, self.workers, self.run_id = client, workers, run
        self.model, self.options, self.progress = model, options, progress
        self.n = len(workers)
        self.start = time.monotonic()
        self.fpr = model.fingerprinter(options.symmetry, options.view)
        #: The routing key's function: the model's locality key, or None (fingerprints).
        self.route = self.fpr.locality if by_locality is not False else None
        #: Whether the levels are balanced (``BALANCE_LEAST``): None, when routed by
        #: locality (by fingerprint they split evenly).
        self.balance = self.route is not None if balance is None else balance
        self.inits = list(model.init_states())
        self.generated = 0
        self.distinct = 0
        self.coverage: Counter[str] = Counter()
        self.max_queue = 1
        self.depth = 0
        self.bytes = 0
        self.states_sent = 0
        self.handed = 0
        self.critical = 0.0
        self.expand_s = [0.0] * self.n
        self.absorb_s = [0.0] * self.n
        self.owned = [0] * self.n
        self.traffic: Traffic | None = None

    def _on(self, p: int, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(
            fn, self.run_id, *args, workers=[self.workers[p]], allow_other_workers=False, pure=False
        )

    def _all(self, fn: Callable[..., Any], *args: Any) -> list[Any]:
        return list(self.client.gather([self._on(p, fn, *args) for p in range(self.n)]))

    def result(
        self, stopped: str | None, cex: Counterexample[Any, Any] | None, depth: int
    ) -> CheckResult[Any, Any]:
        self.traffic = Traffic(
            self.bytes,
            self.states_sent,
            tuple(self.expand_s),
            tuple(self.absorb_s),
            tuple(self.owned),
            self.handed,
            self.critical,
        )
        return CheckResult(
            self.distinct,
            self.generated,
            depth,
            time.monotonic() - self.start,
            stopped,
            cex,
            {k: self.coverage.get(k, 0) for k in self.model.kinds},
            collision_probability(self.distinct, self.generated),
            self.max_queue,
            self.fpr.view,
            self.fpr.symmetry,
        )

    def run(self) -> CheckResult[Any, Any]:
        try:
            return self._levels()
        except KeyboardInterrupt:
            # The client's gathers that the interrupt abandoned are reported by asyncio
            # as never retrieved, as the process ends: nothing a user needs to read.
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            return self.result("interrupted (Ctrl-C or SIGTERM)", None, self.depth)

    def _seed(self) -> tuple[int, Counterexample[Any, Any] | None]:
        """Create a partition on every worker and hand each the initial states it owns:
        the size of the first frontier, or the counterexample of an initial state that
        violates an invariant."""
        o, fp = self.options, self.fpr.fingerprint
        self.client.gather(
            [
                self.client.submit(
                    _w_create,
                    self.run_id,
                    self.model,
                    p,
                    self.n,
                    o.symmetry,
                    o.view,
                    self.route is not None,
                    workers=[w],
                    allow_other_workers=False,
                    pure=False,
                )
                for p, w in enumerate(self.workers)
            ]
        )
        seeds: list[list[Item]] = [[] for _ in range(self.n)]
        seen: set[int] = set()
        state_violation = state_checker(self.model)
        for rank, s in enumerate(self.inits):
            k = fp(s)
            if k in seen:
                continue
            seen.add(k)
            v = state_violation(s)
            if v is not None:
                self.distinct = len(seen)
                return 0, Counterexample(v, (s,), ())
            key = k if self.route is None else self.route(s)
            seeds[owner(key, self.n)].append((k, -1, -1, rank, s))
        absorbed: list[Absorbed] = list(
            self.client.gather([self._on(p, _w_seed, seeds[p]) for p in range(self.n)])
        )
        self.distinct = sum(a.distinct for a in absorbed)
        return sum(a.frontier for a in absorbed), None

    def _levels(self) -> CheckResult[Any, Any]:
        o = self.options
        frontier, cex = self._seed()
        if cex is not None:
            return self.result(None, cex, 0)
        depth = 0
        # One step per worker and level: absorb what the level before sent (``pending``),
        # then expand the frontier that makes (balanced: three chained tasks, absorb, hand
        # over, expand), so that a level costs one barrier at this driver, not two. What
        # the step expanded is counted only once the absorption's checks (a violation,
        # the state budget) have let the run go on.
        pending = False
        # Whether this level's absorption may reach the state budget: then it runs alone,
        # so that no level past the budget is expanded (a budget is a memory cap too).
        near_budget = False
        # The level's step, submitted while the driver still waited for the level before
        # (``_submit``), and the receives of the level before.
        ahead: tuple[list[Any], list[Any]] | None = None
        before: list[Any] | None = None
        try:
            while pending or frontier:
                at_bound = o.max_depth is not None and depth + pending >= o.max_depth
                expand = not at_bound and not (pending and near_budget)
                deadline = None if o.time_limit is None else time.time() + self._left()
                if ahead is not None:
                    (stepping, received), ahead = ahead, None
                else:
                    stepping, received = self._submit(pending, expand, deadline, before)
                # Without a depth bound or a state budget, the next level's step is known
                # now (absorb, then expand): submitted before this level's results are
                # in, it starts as soon as the batches have moved, and this driver's trip
                # (the results gathered, the next step sent) is off the critical path.
                # A level that ends the run makes every worker skip it (``_w_step``).
                if expand and o.max_depth is None and o.max_states is None:
                    ahead = self._submit(True, True, deadline, received)
                steps: list[Step] = list(self.client.gather(stepping))
                self.critical += max(
                    (0.0 if a is None else a.seconds) + (0.0 if e is None else e.seconds)
                    for a, e in steps
                )
                late = False
                if pending:
                    absorbed = _every([a for a, _ in steps])
                    for q, r in enumerate(absorbed):
                        self.absorb_s[q] += r.seconds
                        self.owned[q] = r.distinct
                    self.distinct = sum(r.distinct for r in absorbed)
                    nxt = sum(r.frontier for r in absorbed)
                    self.max_queue = max(self.max_queue, nxt + frontier)
                    bad = [
                        (r.violation, q) for q, r in enumerate(absorbed) if r.violation is not None
                    ]
                    if bad:
                        (_, j, v), q = min(bad, key=lambda h: h[0][0])
                        states, actions = self._rebuild(q, j, depth + 1)
                        cex = Counterexample(v, tuple(states), tuple(actions))
                        return self.result(None, cex, depth + 1)
                    frontier = nxt
                    if frontier:
                        depth += 1
                    if self.progress is not None:
                        self.progress(
                            Progress(
                                self.distinct,
                                self.generated,
                                depth,
                                frontier,
                                time.monotonic() - self.start,
                            )
                        )
                    if not frontier:
                        break
                    if o.max_states is not None and self.distinct >= o.max_states:
                        return self.result(
                            f"state budget of {o.max_states:,} distinct states reached", None, depth
                        )
                    # Past the deadline the step's expansion was cut at its first state (it
                    # counts nothing) or during it (the part done is counted, as one
                    # process counts a level it was stopped in).
                    late = o.time_limit is not None and self._left() <= 0
                self.depth = depth
                if at_bound:
                    if any(self._all(_w_probe)):
                        return self.result(
                            f"depth bound of {o.max_depth} cut off enabled actions", None, depth
                        )
                    return self.result(None, None, depth)
                if not expand:
                    if late:
                        return self.result(self._time_stop(), None, depth)
                    pending = near_budget = False
                    continue
                expanded = _every([e for _, e in steps])
                for p, e in enumerate(expanded):
                    self.generated += e.generated
                    self.coverage.update(e.coverage)
                    self.bytes += e.sent_bytes
                    self.states_sent += e.sent_states
                    self.handed += e.taken
                    self.expand_s[p] += e.seconds
                # The least-ranked violation: the first the one process would meet.
                hits = [(e.violation, p) for p, e in enumerate(expanded) if e.violation is not None]
                if hits:
                    (_, p, parent, a, t, v), _ = min(hits, key=lambda h: h[0][0])
                    states, actions = self._rebuild(p, parent, depth)
                    cex = Counterexample(v, (*states, t), (*actions, a))
                    return self.result(None, cex, depth + 1)
                if late or any(e.cut for e in expanded):
                    return self.result(self._time_stop(), None, depth)
                # The next step waits for the receives (a Dask dependency), not this driver.
                before = received
                del stepping, received
                pending = True
                # The level's new states are at most the transitions it generated.
                level = sum(e.generated for e in expanded)
                near_budget = o.max_states is not None and self.distinct + level >= o.max_states
            self.depth = depth
            return self.result(None, None, depth)
        finally:
            # A step submitted ahead of a level that ended the run: released, the
            # scheduler forgets it unless it has started; one that starts after the
            # partitions are dropped does nothing (``_ENDED``). Not cancelled: Dask's
            # cancel fails on a task whose dependents the client holds no future of.
            ahead = None

    def _submit(
        self, pending: bool, expand: bool, deadline: float | None, before: list[Any] | None
    ) -> tuple[list[Any], list[Any]]:
        """A level's step on every worker (after ``before``, the receives of the level
        before), and the exchange of its batches (none when it does not ``expand``)."""
        stepping = (
            self._balanced(deadline, before)
            if pending and expand and self.balance
            else [
                self._on(p, _w_step, pending, expand, deadline, _mine(before, p))
                for p in range(self.n)
            ]
        )
        # The batches move as soon as their sender's step is done, without a round trip
        # through this driver, and a worker's next step starts once its own have come
        # (its receive): not after a barrier of every worker's receive (two-terms on 2
        # workers: 68 to 80 ms per level beyond the critical path against 99 to 101 ms;
        # a sender already busy with its next step still serves a batch: its event loop
        # answers a ping mid-step in 13 ms at the median).
        return stepping, self._exchange(stepping) if expand else []

    def _balanced(self, deadline: float | None, before: list[Any] | None) -> list[Any]:
        """A level's step in three rounds of tasks, with no round trip through this
        driver: every partition absorbs; each hands its surplus to the others (computed
        from all the frontier counts); each expands with what it was handed."""
        n = self.n
        absorbing = [self._on(p, _w_absorb, _mine(before, p)) for p in range(n)]
        gifts = [
            [
                self._on(p, _w_gift, q, absorbing, BALANCE_LEAST) if p != q else None
                for q in range(n)
            ]
            for p in range(n)
        ]
        return [
            self._on(
                q,
                _w_expand,
                absorbing[q],
                [(p, gifts[p][q]) for p in range(n) if p != q],
                [g for g in gifts[q] if g is not None],
                deadline,
            )
            for q in range(n)
        ]

    def _exchange(self, stepping: list[Any]) -> list[Any]:
        """Tasks that move each worker's batches to their owners after its step (``q``'s
        receive holds the batches for ``q``'s next step, and says whether a sender's step
        ended the run)."""
        n = self.n
        takes = [
            [self._on(p, _w_take, q, stepping[p]) if p != q else None for q in range(n)]
            for p in range(n)
        ]
        return [
            self._on(q, _w_receive, [(p, takes[p][q]) for p in range(n) if p != q], stepping[q])
            for q in range(n)
        ]

    def _left(self) -> float:
        assert self.options.time_limit is not None
        return self.options.time_limit - (time.monotonic() - self.start)

    def _time_stop(self) -> str:
        return f"time limit of {self.options.time_limit:g}s reached"

    def _rebuild(self, p: int, j: int, depth: int) -> tuple[list[Any], list[Any]]:
        """The states and actions from an initial state to state ``j`` of partition ``p``,
        at ``depth``: the fingerprint chain from the partitions, then the successors that
        match it."""
        chain: list[int] = []
        while j != -1:
            # A parent pointer recorded wrong could make a cycle: an error, not a hang.
            if len(chain) > depth:
                raise RuntimeError(f"a parent chain longer than the state's depth, {depth}")
            k, parent_p, parent_j = self._on(p, _w_link, j).result()
            chain.append(k)
            p, j = parent_p, parent_j
        chain.reverse()
        return follow_chain(self.inits, self.model.successors, self.fpr.fingerprint, chain)


__all__ = [
    "EXTRA",
    "INSTALL",
    "Traffic",
    "Violation",
    "available",
    "check",
    "local_cluster",
    "routing",
]
