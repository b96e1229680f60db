"""The partitioned search on Dask with 1 and 2 workers against one process, in one run.

Usage: python bench/distributed_speed.py [PRESET ...] [--workers 1,2] [--max-depth D]
                                         [--address ADDR] [--rounds N] [--ceiling]
                                         [--driver-latency MS]

For each preset: the single-process search (``raftcheck check``'s default engine, view
and symmetry on) in a fresh process, then ``--engine distributed`` with each worker count on
a local Dask cluster (or the cluster at ``--address``). Prints wall seconds (the
cluster's start apart: it is paid once per run), the speed-up over one process, distinct
states per second, the CPU seconds of the whole run (the driver and the local cluster's
processes: on a shared machine the wall-clock speed-up depends on the neighbours, the CPU
does not), each worker's own rate (states it owns per CPU second of its expand
and absorb work; one process: distinct states per CPU second), the network volume:
bytes and claims on fingerprints sent between workers, per distinct state, the states
handed over to balance the levels, and the critical path: the slowest worker's CPU
seconds per level, summed, what workers with cores of their own would wait for (more
workers than cores make the wall time the sum of their CPU; the critical path still says
what as many machines would take, the transfers apart). The counts must be equal, or the
script says so and exits 1. ``--max-depth`` stops every run at the same depth, with
the same counts (a rate over the first levels; a state budget would stop the levels at
different points).
``--rounds N`` alternates the runs N times and prints the best wall time of each side
and their ratio (a shared machine's neighbours slow single runs by 10-20%). Default
presets: two-terms, deep. Say the machine's load (uptime) with the figures.
``--ceiling`` also runs as many single-process searches at once as the most workers, each
in its own process: on a shared host two processes that share nothing do not run at
twice the speed of one (neighbours, the hypervisor), and the work of K of them in the
slowest one's time is the most any partitioned search could reach there.
``--driver-latency MS`` delays every answer the driver waits for by MS milliseconds, as a
driver far from its cluster sees them (a laptop driving a cluster over a WAN): the wall
time beyond the critical path ("the rest", per level) then shows what of the driver's
round trips the levels still wait for.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NamedTuple

from checker.distributed import search as dsearch
from checker.engine.search import Options, check
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS


def _delay_driver(seconds: float) -> None:
    """Every answer the driver waits for (the partitions' answers to a call made to all
    of them at once: a level's step; a link of a counterexample) arrives ``seconds``
    late, as over a slow link. Only this process's calls: the workers' calls to each
    other are not delayed."""
    answers = dsearch._answers

    def late(*args: Any, **kwargs: Any) -> Any:
        out = answers(*args, **kwargs)
        time.sleep(seconds)
        return out

    dsearch._answers = late


def _cluster_cpu() -> float:
    """CPU seconds of this process and its children so far (a local cluster's workers and
    nannies; a remote cluster's are not seen): on a shared machine, what the run cost
    whatever the others did."""
    import psutil  # a dependency of Dask's distributed

    me = psutil.Process()
    total = time.process_time()
    for child in me.children(recursive=True):
        try:
            t = child.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


class _One(NamedTuple):
    distinct: int
    generated: int
    depth: int
    stopped: str | None
    seconds: float
    cpu: float


def _one_here(preset: str, max_depth: int | None) -> _One:
    model = RaftModel(PRESETS[preset].config())
    start, cpu = time.monotonic(), time.process_time()
    one = check(model, Options(view=True, max_depth=max_depth))
    secs, cpu = time.monotonic() - start, time.process_time() - cpu
    return _One(one.distinct, one.generated, one.depth, one.stopped, secs, cpu)


def _one(preset: str, max_depth: int | None) -> _One:
    """The single-process search in a fresh process: what it leaves behind (raftmodel's
    caches, millions of objects) would otherwise stay in this process, the driver of the
    distributed runs, whose collector then competes with the workers for the cores (5 s
    more on two-terms)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_one_here, preset, max_depth).result()


def _side_by_side(preset: str, max_depth: int | None, copies: int) -> list[_One]:
    """``copies`` single-process searches at once, each in a fresh process: what this host
    gives independent processes that share nothing (a partitioned search can do no
    better)."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(copies, mp_context=ctx) as pool:
        # Started together: each waits for the others' processes to be up first.
        list(pool.map(abs, range(copies)))
        runs = [pool.submit(_one_here, preset, max_depth) for _ in range(copies)]
        return [r.result() for r in runs]


def _many(
    model: RaftModel,
    base: Options,
    w: int,
    address: str | None,
    by_locality: bool | None,
    balance: bool | None,
) -> tuple[Any, float, float, float, dsearch.Traffic]:
    seen: list[dsearch.Traffic] = []
    cluster: Any = None
    t0 = time.monotonic()
    if address is None:
        cluster = dsearch.local_cluster(w)
        address = cluster.scheduler_address
    up = time.monotonic() - t0
    try:
        cpu0 = _cluster_cpu()
        start = time.monotonic()
        r = dsearch.check(
            model, base._replace(workers=w), None, address, seen.append, by_locality, balance
        )
        secs = time.monotonic() - start
        cpu = _cluster_cpu() - cpu0
    finally:
        if cluster is not None:
            cluster.close()
    return r, secs, cpu, up, seen[0]


_BY_FP = (False, None, " by fingerprint")
_BY_LOCALITY = (True, None, " by locality")
_UNBALANCED = (True, False, " by locality, unbalanced")
#: --route: the engine's ``by_locality`` and ``balance`` per run, and each run's label.
_ROUTES: dict[str, list[tuple[bool | None, bool | None, str]]] = {
    "auto": [(None, None, "")],
    "fingerprint": [_BY_FP],
    "locality": [_BY_LOCALITY],
    "unbalanced": [_UNBALANCED],
    "both": [_BY_FP, _BY_LOCALITY],
    "balance": [_UNBALANCED, _BY_LOCALITY],
    "all": [_BY_FP, _UNBALANCED, _BY_LOCALITY],
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("presets", nargs="*", default=["two-terms", "deep"])
    p.add_argument("--workers", default="1,2", help="worker counts (default 1,2)")
    p.add_argument("--max-depth", type=int, default=None, help="stop every run at depth D")
    p.add_argument("--address", default=None, help="an existing Dask scheduler")
    p.add_argument(
        "--rounds", type=int, default=1, help="alternate the runs this many times (best of each)"
    )
    p.add_argument(
        "--ceiling",
        action="store_true",
        help="also run as many single-process searches at once as the most workers, each "
        "alone in its process: the speed-up this host gives independent processes, the "
        "ceiling of a partitioned search here",
    )
    p.add_argument(
        "--route",
        choices=sorted(_ROUTES),
        default="auto",
        help="how states are routed to workers: as the engine decides (auto), by "
        "fingerprint, by the model's locality key (levels balanced, as the engine does; "
        "unbalanced: not), both (fingerprint, locality), balance (locality unbalanced and "
        "balanced) or all three side by side",
    )
    p.add_argument(
        "--driver-latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="delay each answer the driver waits for by MS milliseconds (a driver far "
        "from its cluster)",
    )
    a = p.parse_args()
    if not dsearch.available():
        print(f"needs the '{dsearch.EXTRA}' extra: {dsearch.INSTALL}")
        return 2
    if a.driver_latency > 0:
        _delay_driver(a.driver_latency / 1000)
    one_min, five_min, _ = os.getloadavg()
    print(f"load: {one_min:.1f} {five_min:.1f} (1 and 5 min); {os.cpu_count()} cores")
    ok = True
    counts = [int(x) for x in a.workers.split(",")]
    for preset in a.presets:
        model = RaftModel(PRESETS[preset].config())
        base = Options(view=True, max_depth=a.max_depth)
        ones: list[tuple[float, float]] = []
        #: --ceiling: the slowest of each round's searches at once.
        pairs: list[float] = []
        runs = [(w, by, bal, label) for w in counts for by, bal, label in _ROUTES[a.route]]
        manys: dict[tuple[int, str], list[tuple[float, float]]] = {
            (w, x): [] for w, _, _, x in runs
        }
        for round_ in range(1, a.rounds + 1):
            one = _one(preset, a.max_depth)
            one_s, one_cpu = one.seconds, one.cpu
            ones.append((one_s, one_cpu))
            print(
                f"{preset:<10} one process      {one_s:7.1f}s  "
                f"{one.distinct / one_s:8,.0f} states/s  "
                f"({one.distinct / one_cpu:,.0f} per CPU s)  "
                f"{one.distinct:,} distinct, {one.generated:,} generated, depth {one.depth}"
                + (f" ({one.stopped})" if one.stopped else "")
                + (f"  [round {round_}]" if a.rounds > 1 else ""),
                flush=True,
            )
            if a.ceiling and max(counts) > 1:
                k = max(counts)
                side = _side_by_side(preset, a.max_depth, k)
                slowest = max(x.seconds for x in side)
                pairs.append(slowest)
                cpu_each = sum(x.cpu for x in side) / (k * one_cpu)
                print(
                    f"{preset:<10} {k} single-process searches at once: "
                    + ", ".join(f"{x.seconds:.1f}s (CPU {x.cpu:.1f}s)" for x in side)
                    + f"  ceiling x{k * one_s / slowest:.2f} of one process (the work of {k} "
                    f"in the slowest one's time), CPU x{cpu_each:.2f} of one process's per search"
                    + (f"  [round {round_}]" if a.rounds > 1 else ""),
                    flush=True,
                )
            for w, by, bal, label in runs:
                r, secs, cpu, up, t = _many(model, base, w, a.address, by, bal)
                manys[w, label].append((secs, cpu))
                same = (r.distinct, r.generated, r.depth) == (
                    one.distinct,
                    one.generated,
                    one.depth,
                )
                ok &= same
                rates = ", ".join(
                    f"{o / (e + b):,.0f}" if e + b else "-"
                    for o, e, b in zip(t.owned, t.expand_seconds, t.absorb_seconds, strict=True)
                )
                per_state = t.bytes / max(1, t.states)
                worker_cpu = sum(t.expand_seconds) + sum(t.absorb_seconds)
                print(
                    f"{preset:<10} {w} worker{'s' if w > 1 else ' '} (Dask){label}  {secs:7.1f}s  "
                    f"{r.distinct / secs:8,.0f} states/s  x{one_s / secs:.2f} of one process  "
                    f"(cluster start {up:.1f}s)  CPU {cpu:.1f}s, {cpu / one_cpu:.2f}x one "
                    f"process's (driver and workers)  per worker {rates} states per CPU s  "
                    f"network {t.bytes / 1e6:.1f} MB, {t.states:,} claims sent, "
                    f"{per_state:.0f} B each, {t.bytes / max(1, r.distinct):.0f} B per distinct "
                    f"state  {t.handed:,} states handed over to balance the levels  "
                    f"worker CPU {worker_cpu:.1f}s ({r.distinct / max(1e-9, worker_cpu):,.0f} "
                    "distinct states per worker-CPU s)  "
                    f"critical path {t.critical:.1f}s (the slowest worker's CPU per level, "
                    f"summed; x{t.critical * w / max(1e-9, worker_cpu):.2f} of an even share)  "
                    f"the rest {secs - t.critical:.1f}s, "
                    f"{1000 * (secs - t.critical) / max(1, r.depth):.0f} ms per level"
                    + ("" if same else f"  MISMATCH: {r.distinct:,}/{r.generated:,}/{r.depth}")
                    + (f"  [round {round_}]" if a.rounds > 1 else ""),
                    flush=True,
                )
        if a.rounds > 1:
            best_one = min(ones)
            if pairs:
                k = max(counts)
                print(
                    f"{preset:<10} best of {a.rounds}: one process {best_one[0]:.1f}s, {k} "
                    f"at once {min(pairs):.1f}s: ceiling x{k * best_one[0] / min(pairs):.2f}",
                    flush=True,
                )
            for w, _, _, label in runs:
                best = min(manys[w, label])
                print(
                    f"{preset:<10} best of {a.rounds}: one process {best_one[0]:.1f}s, {w} "
                    f"worker{'s' if w > 1 else ''}{label} {best[0]:.1f}s: "
                    f"x{best_one[0] / best[0]:.2f}",
                    flush=True,
                )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
