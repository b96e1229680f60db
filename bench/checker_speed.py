"""Speed and memory of `raftcheck check`: distinct states/s and bytes per distinct state.

Usage:
  python bench/checker_speed.py [PRESET ...] [--workers 1,2] [--limit SECONDS]
  python bench/checker_speed.py --memory [STATES]

The first form measures each preset with symmetry on and off, for each worker count, with
the inert-message view on (as the CLI runs it), each run in a fresh subprocess so peak RSS
belongs to that run alone, and prints the largest preset that finished within the limit.
The second fills the visited set to STATES (default 1,000,000) on the plain space of 3
servers, 2 terms, empty logs (no symmetry, no view: the widest space per second) and
prints the bytes per visited state.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from checker.raft.presets import PRESETS

CHILD = """
import json, resource, sys
from checker.raft.presets import PRESETS
from checker.engine.search import Options, check
from checker.raft.model import RaftModel
from raftmodel.cluster import Bounds, Config
name, sym, view, workers, limit, states = sys.argv[1:7]
if name == "memory":
    config = Config(3, Bounds(max_term=2, max_log=0, max_restarts=0, max_requests=0))
else:
    config = PRESETS[name].config()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = check(RaftModel(config), Options(symmetry=sym == "1", view=view == "1", workers=int(workers),
          time_limit=float(limit), max_states=int(states) or None))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"distinct": r.distinct, "generated": r.generated, "depth": r.depth,
                  "seconds": r.elapsed, "complete": r.complete, "stopped": r.stopped,
                  "rss_growth_kib": peak - base, "max_queue": r.max_queue}))
"""

HEADER = (
    f"{'preset':<12} {'sym':<4} {'workers':>7} {'distinct':>10} {'generated':>11} {'depth':>5} "
    f"{'seconds':>8} {'states/s':>9} {'gen/s':>9} {'B/state':>8}  result"
)


def measure(
    preset: str, symmetry: bool, view: bool, workers: int, limit: float, states: int = 0
) -> dict[str, object]:
    argv = [preset, "1" if symmetry else "0", "1" if view else "0", str(workers)]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *argv, str(limit), str(states)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def row(name: str, sym: bool, workers: int, m: dict[str, object]) -> str:
    distinct, gen = int(str(m["distinct"])), int(str(m["generated"]))
    secs = float(str(m["seconds"]))
    bps = int(str(m["rss_growth_kib"])) * 1024 / max(distinct, 1)
    result = "complete" if m["complete"] else f"STOPPED: {m['stopped']}"
    return (
        f"{name:<12} {'on' if sym else 'off':<4} {workers:>7} {distinct:>10,} {gen:>11,} "
        f"{m['depth']:>5} {secs:>8.1f} {distinct / secs:>9,.0f} {gen / secs:>9,.0f} "
        f"{bps:>8,.0f}  {result}"
    )


def main() -> None:
    p = argparse.ArgumentParser(
        description="Speed and memory of `raftcheck check`: distinct states/s and bytes per "
        "distinct state, each run in a fresh process."
    )
    p.add_argument("presets", nargs="*", help="default: elections default terms")
    p.add_argument("--workers", default="1,2", help="worker counts, comma-separated (1,2)")
    p.add_argument("--limit", type=float, default=600.0, help="seconds per run (600)")
    p.add_argument(
        "--memory",
        type=int,
        nargs="?",
        const=1_000_000,
        metavar="STATES",
        help="instead: bytes per visited state over STATES of the plain space (1,000,000)",
    )
    a = p.parse_args()
    unknown = [n for n in a.presets if n not in PRESETS]
    if unknown:
        p.error(f"unknown preset(s): {', '.join(unknown)}")
    try:
        workers = [int(x) for x in a.workers.split(",")]
    except ValueError:
        p.error(f"--workers {a.workers}: not a comma-separated list of numbers")
    if a.memory is not None:
        print(HEADER)
        m = measure("memory", False, False, 1, 3600.0, a.memory)
        print(row("T2-plain", False, 1, m), flush=True)
        print("(B/state: peak RSS growth over the run / distinct states, queue included)")
        return
    limit = a.limit
    names = a.presets or ["elections", "default", "terms"]
    print(HEADER)
    largest = None
    for name in names:
        done = False
        for sym in (True, False):
            for w in workers:
                m = measure(name, sym, True, w, limit)
                print(row(name, sym, w, m), flush=True)
                done = done or bool(m["complete"])
        if done:
            largest = name
    print(f"largest preset finished within {limit:g}s: {largest or 'none'}")
    print("(view on, as the CLI runs; B/state is peak RSS growth / distinct, queue included)")


if __name__ == "__main__":
    main()
