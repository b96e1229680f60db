"""The driver of the partitioned search on a Dask cluster.

``check(model, options, ...)`` starts a local cluster of ``options.workers`` processes
(or joins the cluster at ``address``, using ``options.workers`` of its workers, or all
of them when ``workers`` is 0) and places one ``PartitionActor`` on each: a Dask actor,
the partition of the state space that worker owns, which the driver and the other
partitions call directly (not through the scheduler). A level is one call per
partition, ``step``: hand the frontier's surplus to the partitions with less (balanced
levels), expand the frontier, send each batch of successors straight to the partition
that owns it (worker to worker), wait for the batches the others send, absorb them. The
driver sees only counts, and the parent chain of a counterexample, which it rebuilds as
the single-process search does: by re-generating successors and matching fingerprints.

Why actors and one call per level: a level used to be a chain of small Dask tasks
(absorb, hand over, expand, take each batch, receive it), each link a round trip through
the scheduler; on two-terms with 2 workers that chain, not the search, was 50 to 70 ms
of each level's wall time. A step's call, its batches and its answer cost 1 to 2 ms
(docs/checker.md). A partition waits until its own batches have arrived before it
absorbs: compiled code holds the GIL until it returns (``partition.YIELD_MASK``), and a
batch still queued on a busy worker's event loop would wait for that worker's whole
absorption.

Why Dask rather than Ray (both measured here, docs/checker.md): the same actors and
worker-to-worker transfers, with a cluster that starts in about 4 s on a loaded 2-core
machine (Ray: about 14 s, and a much larger install), which keeps the tests and short
runs cheap; a multi-machine cluster is one ``dask scheduler`` and one ``dask worker``
per machine.

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
from collections import Counter
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from checker.distributed.partition import Absorbed, Expanded, Item, Partition, moves, owner
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

EXTRA = "distributed"
INSTALL = f"pip install -e '.[{EXTRA}]'"

#: States are routed by the model's locality key when it has one (a key most steps keep,
#: as distributed SPIN partitions by a process's local state: Lerda and Sisto 1999), so
#: that most successors stay on the worker that made them: fewer bytes sent, and each
#: worker's fingerprint caches see fewer distinct servers and networks. A locality key
#: has few values (427 on two-terms), so a level splits unevenly (the slower worker's
#: share above its even share, two-terms: 11% on 2 workers, 63% on 4, 92% on 8), and the
#: levels are balanced: once every partition has absorbed a level, one with more than its
#: even share of the frontier's work (the model's estimate, ``Fingerprinter.work``: for
#: Raft, about a state's successors) hands the surplus (its last states in rank order) to
#: one with less, when it is at least this many states' worth. By work rather than by
#: states, two-terms' partitions expand 2,201,418 and 2,203,745 successors, not 2,219,600
#: and 2,185,563 (bench: within this host's noise in time). The counts do not depend on who
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

    #: Bytes sent between partitions: claims, answers and states handed over.
    bytes: int
    #: Claims on fingerprints sent to their owners.
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
                # A free port for the scheduler's web server: its default, 8787, taken by another
                # cluster (a second run at once), costs a warning on stderr.
                dashboard_address=":0",
                memory_limit=0,
                # Only what stops a worker: a worker lost mid-run leaves its peers' calls
                # to it, and the calls in flight as the actors are released, to fail in
                # Dask's comms, which log each with a traceback at ERROR. The run itself
                # reports the loss (``_Driver.run``), and a failing actor call reaches the
                # driver as an exception.
                silence_logs=logging.CRITICAL,
            )
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


# --- the worker side: one actor per partition -------------------------------------------

#: A partition's level: what it expanded, then what it absorbed.
Step = tuple[Expanded, Absorbed]
#: The boxes a batch is delivered to: frontier states handed over, claims on
#: fingerprints, the owners' answers.
GIFTS, CLAIMS, WINNERS = 0, 1, 2


class PartitionActor:
    """Partition ``index`` of ``count`` on a Dask worker (created with ``actor=True``).

    Its methods run one at a time on the worker's actor thread, except the ``async``
    ones (``deliver``, ``stop``), which run on the worker's event loop, so that a peer's
    batch is taken in while this partition is still expanding its own frontier."""

    def __init__(
        self,
        model: Model[Any, Any],
        index: int,
        count: int,
        symmetry: bool,
        view: bool,
        by_locality: bool,
    ) -> None:
        self.part = Partition(model, index, count, symmetry, view, by_locality)
        self.index, self.count = index, count
        #: Every partition's actor, by index (this one's included, never called).
        self.peers: list[Any] = []
        self._arrived = threading.Condition()
        #: (box, level) -> the batches delivered so far, as (sender, bytes).
        self._boxes: dict[tuple[int, int], list[tuple[int, bytes]]] = {}
        self._stopped = False

    def connect(self, peers: list[Any]) -> int:
        self.peers = peers
        return self.index

    def seed(self, items: list[Item]) -> Absorbed:
        return self.part.seed(items)

    async def deliver(self, box: int, level: int, sender: int, batch: bytes) -> None:
        """A peer's batch for this partition's ``level`` (runs on the event loop)."""
        self.put(box, level, sender, batch)

    def put(self, box: int, level: int, sender: int, batch: bytes) -> None:
        with self._arrived:
            self._boxes.setdefault((box, level), []).append((sender, batch))
            self._arrived.notify_all()

    async def stop(self) -> None:
        """The run has ended: a step waiting for a peer's batch returns (None)."""
        with self._arrived:
            self._stopped = True
            self._arrived.notify_all()

    def _collect(self, box: int, level: int, senders: int) -> list[tuple[int, bytes]] | None:
        """The ``senders`` batches of ``box`` for ``level``, in sender order, once they are
        all here; None if the run was stopped first."""
        with self._arrived:
            while len(self._boxes.get((box, level), ())) < senders and not self._stopped:
                self._arrived.wait(1.0)
            if self._stopped:
                return None
            return sorted(self._boxes.pop((box, level), []))

    def step(
        self, level: int, counts: list[int] | None, least: int, deadline: float | None
    ) -> Step | None:
        """Level ``level``: hand over the frontier's surplus (``counts``: every partition's
        frontier load, to balance the level; None: not balanced), expand the frontier with
        what the others handed over, send each batch to its owner, absorb what was sent
        here. A step whose expansion ends the run (a violation, the deadline) still sends
        its batches, so no peer waits for them. None: the run was stopped."""
        me, n, part = self.index, self.count, self.part
        sending: list[Any] = []
        gifts: list[bytes] = []
        if counts is not None:
            plan = moves(counts, least)
            for q in range(n):
                if plan[me][q]:
                    sending.append(
                        self.peers[q].deliver(GIFTS, level, me, part.gift(q, counts, least))
                    )
            got = self._collect(GIFTS, level, sum(1 for p in range(n) if plan[p][me]))
            if got is None:
                return None
            gifts = [b for _, b in got]
        expanded = part.expand(deadline, gifts)
        got = self._exchange(CLAIMS, level, sending)
        if got is None:
            return None
        part.decide(got)
        got = self._exchange(WINNERS, level, [])
        if got is None:
            return None
        return expanded, part.absorb(got)

    def _exchange(self, box: int, level: int, sending: list[Any]) -> list[tuple[int, bytes]] | None:
        """Send the partition's outbox to every peer (into ``box``), and take what every
        peer sent here; None if the run was stopped first."""
        me, part = self.index, self.part
        for q in range(self.count):
            if q != me:
                sending.append(self.peers[q].deliver(box, level, me, part.take_outbox(q)))
        # Delivered before this worker goes on: its next work (compiled) holds the GIL, and
        # a batch still on its way out of this worker's event loop would wait for it.
        if not self._delivered(sending):
            return None
        return self._collect(box, level, self.count - 1)

    def _delivered(self, sending: list[Any]) -> bool:
        """Whether the peers have taken every batch sent (False: the run was stopped first;
        a peer whose actor has gone may never answer: Dask leaves the call pending)."""
        for f in sending:
            while True:
                try:
                    f.result(timeout=1.0)
                    break
                except TimeoutError:
                    if self._stopped:
                        self._settle(sending)
                        return False
        return True

    @staticmethod
    def _settle(sending: list[Any], within: float = 2.0) -> None:
        """Wait a little for deliveries still in flight once the run has stopped: one that
        reached a peer after the run released its actor would fail there, and the peer's
        worker would log it with a traceback. A lost peer's never land: not waited for
        beyond ``within`` seconds."""
        end = time.monotonic() + within
        for f in sending:
            with contextlib.suppress(Exception):
                f.result(timeout=max(0.0, end - time.monotonic()))

    def has_successors(self) -> bool:
        return self.part.has_successors()

    def link(self, j: int) -> tuple[int, int, int]:
        return self.part.link(j)


# --- the driver --------------------------------------------------------------------------


def _every(parts: list[T | None]) -> list[T]:
    """Every partition's answer to a call (a stopped step has none)."""
    out = [x for x in parts if x is not None]
    if len(out) != len(parts):
        raise RuntimeError("a partition's step was stopped before its level ended")
    return out


def _answers(calls: list[Any], present: Callable[[], bool] | None = None) -> list[Any]:
    """The answers to actor ``calls``, in order. An OSError as soon as one call fails or
    (``present`` false) a worker has left the cluster: a partition whose peer is gone
    waits for its batches until the run is stopped, and Dask may leave a call to a lost
    worker pending, so waiting on the calls alone could wait for ever."""
    for call in calls:
        while True:
            try:
                call.result(timeout=0.5)
                break
            except TimeoutError:
                for other in calls:
                    if other.done():
                        other.result()  # a failed call raises its error
                if present is not None and not present():
                    raise OSError("a worker left the cluster") from None
    return [call.result() for call in calls]


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
    # The driver calls the partitions' actors on their workers directly, not through the
    # scheduler: it must reach the workers' addresses (as the workers reach each other).
    if address is None:
        cluster = local_cluster(options.workers)
        client = dask.Client(cluster, direct_to_workers=True)
    else:
        try:
            client = dask.Client(address, timeout=10, direct_to_workers=True)
        except OSError as e:
            raise BadOption(f"no Dask scheduler at {address}: {e}") from None
    actors: list[Any] = []
    driver: _Driver | None = None
    try:
        workers = sorted(client.scheduler_info()["workers"])
        n = options.workers if options.workers > 0 else len(workers)
        if n > len(workers):
            raise BadOption(f"--workers {n}: the cluster at {address} has {len(workers)} workers")
        fpr = model.fingerprinter(options.symmetry, options.view)
        route = fpr.locality if by_locality is not False else None
        placed = [
            client.submit(
                PartitionActor,
                model,
                p,
                n,
                options.symmetry,
                options.view,
                route is not None,
                workers=[w],
                allow_other_workers=False,
                actor=True,
                pure=False,
            )
            for p, w in enumerate(workers[:n])
        ]
        actors = list(client.gather(placed))
        used = set(workers[:n])
        asked = [time.monotonic()]

        def present() -> bool:
            # Asked of the scheduler at most every 5 s (its answer lists every worker).
            if time.monotonic() - asked[0] < 5:
                return True
            asked[0] = time.monotonic()
            return used <= set(client.scheduler_info()["workers"])

        _answers([a.connect(actors) for a in actors], present)
        driver = _Driver(actors, model, options, progress, by_locality, balance, present)
        result = driver.run()
        if traffic is not None and driver.traffic is not None:
            traffic(driver.traffic)
        return result
    finally:
        # A step still running (Ctrl-C) returns at its next wait for a peer, once its
        # deliveries have landed (``_settle``); the actors are released after that, and
        # leave their workers (an existing cluster lives on). A failing cleanup must not
        # hide the verdict.
        with contextlib.suppress(Exception):
            for f in [a.stop() for a in actors]:
                f.result(timeout=10)
        if driver is not None:
            PartitionActor._settle(driver.calls, within=5.0)
        del actors
        client.close()
        if cluster is not None:
            cluster.close()


class _Driver:
    def __init__(
        self,
        actors: list[Any],
        model: Model[Any, Any],
        options: Options,
        progress: Callable[[Progress], None] | None,
        by_locality: bool | None,
        balance: bool | None = None,
        present: Callable[[], bool] | None = None,
    ) -> None:
        """``present``: whether every partition's worker is still in the cluster."""
        self.actors = actors
        self.present = present
        self.model, self.options, self.progress = model, options, progress
        self.n = len(actors)
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
        #: The last calls made to every partition (a stopped run waits for them to end).
        self.calls: list[Any] = []

    def _all(self, method: str, *args: Any) -> list[Any]:
        """Every partition's answer to ``method(*args)``, called on all of them at once."""
        self.calls = [getattr(a, method)(*args) for a in self.actors]
        return _answers(self.calls, self.present)

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
        except OSError as e:
            # Dask's word for a worker gone mid-run (killed, out of memory): its partition
            # went with it, so the run ends without a verdict, with the statistics so far.
            # The calls still in flight to it fail as the run ends, each logged by Dask's
            # comms with a traceback: said once, here.
            logging.getLogger("distributed").setLevel(logging.CRITICAL)
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            return self.result(f"a Dask worker was lost ({e})", None, self.depth)
        except KeyboardInterrupt:
            # Calls the interrupt abandoned are reported by asyncio as never retrieved,
            # as the process ends: nothing a user needs to read.
            logging.getLogger("asyncio").setLevel(logging.CRITICAL)
            return self.result("interrupted (Ctrl-C or SIGTERM)", None, self.depth)

    def _seed(self) -> tuple[list[Absorbed], Counterexample[Any, Any] | None]:
        """Hand every partition the initial states it owns: each one's first frontier,
        or the counterexample of an initial state that violates an invariant."""
        fp = self.fpr.fingerprint
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
                return [], Counterexample(v, (s,), ())
            key = k if self.route is None else self.route(s)
            seeds[owner(key, self.n)].append((k, -1, -1, rank, s))
        absorbed: list[Absorbed] = _answers(
            [a.seed(seeds[p]) for p, a in enumerate(self.actors)], self.present
        )
        self.distinct = sum(a.distinct for a in absorbed)
        return absorbed, None

    def _levels(self) -> CheckResult[Any, Any]:
        o = self.options
        absorbed, cex = self._seed()
        if cex is not None:
            return self.result(None, cex, 0)
        frontier = sum(a.frontier for a in absorbed)
        depth = 0
        # The first level is not balanced: the initial states are few.
        balanced = False
        while frontier:
            self.depth = depth
            if o.max_depth is not None and depth >= o.max_depth:
                if any(self._all("has_successors")):
                    return self.result(
                        f"depth bound of {o.max_depth} cut off enabled actions", None, depth
                    )
                return self.result(None, None, depth)
            deadline = None if o.time_limit is None else time.time() + self._left()
            loads = [a.load for a in absorbed]
            plan = loads if balanced else None
            # BALANCE_LEAST states, in the model's units of work.
            least = max(1, BALANCE_LEAST * sum(loads) // frontier)
            steps: list[Step] = _every(self._all("step", depth, plan, least, deadline))
            balanced = self.balance
            self.critical += max(e.seconds + a.seconds for e, a in steps)
            for p, (e, _) in enumerate(steps):
                self.generated += e.generated
                self.coverage.update(e.coverage)
                self.bytes += e.sent_bytes
                self.states_sent += e.sent_states
                self.handed += e.taken
                self.expand_s[p] += e.seconds
            # The least-ranked violation: the first the one process would meet.
            hits = [(e.violation, p) for p, (e, _) in enumerate(steps) if e.violation is not None]
            if hits:
                (_, p, parent, act, t, v), _ = min(hits, key=lambda h: h[0][0])
                states, actions = self._rebuild(p, parent, depth)
                cex = Counterexample(v, (*states, t), (*actions, act))
                return self.result(None, cex, depth + 1)
            # Past the deadline the expansion was cut at its first state (it counts
            # nothing) or during it (the part done is counted, as one process counts a
            # level it was stopped in); what it sent is not absorbed.
            if any(e.cut for e, _ in steps):
                return self.result(self._time_stop(), None, depth)
            absorbed = [a for _, a in steps]
            for q, r in enumerate(absorbed):
                self.absorb_s[q] += r.seconds
                self.owned[q] = r.distinct
                self.bytes += r.sent_bytes
            self.distinct = sum(r.distinct for r in absorbed)
            nxt = sum(r.frontier for r in absorbed)
            self.max_queue = max(self.max_queue, nxt + frontier)
            bad = [(r.violation, q) for q, r in enumerate(absorbed) if r.violation is not None]
            if bad:
                (_, j, v), q = min(bad, key=lambda h: h[0][0])
                states, actions = self._rebuild(q, j, depth + 1)
                return self.result(
                    None, Counterexample(v, tuple(states), tuple(actions)), depth + 1
                )
            frontier = nxt
            if frontier:
                depth += 1
            self.depth = depth
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
            if o.time_limit is not None and self._left() <= 0:
                return self.result(self._time_stop(), None, depth)
        return self.result(None, None, depth)

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
            k, parent_p, parent_j = _answers([self.actors[p].link(j)], self.present)[0]
            chain.append(k)
            p, j = parent_p, parent_j
        chain.reverse()
        return follow_chain(self.inits, self.model.successors, self.fpr.fingerprint, chain)


__all__ = [
    "EXTRA",
    "INSTALL",
    "PartitionActor",
    "Traffic",
    "Violation",
    "available",
    "check",
    "local_cluster",
    "routing",
]
