"""TLC (spec/Raft.tla) against the Python checker (raftmodel) on one preset, in one run.

Usage: python bench/tlc_vs_checker.py [PRESET] [--workers 1,2] [--symmetry on,off]

For each symmetry setting the Python checker runs once (every invariant and transition
property, 64-bit fingerprints, no inert-message view, which TLC has no twin of) and TLC
runs once per worker count (every invariant and action property). Both must report the
same distinct-state count, or the script says so and exits 1. The last column is the
wall-time ratio Python / TLC: above 1, TLC is faster. Wall time of the whole TLC run
includes the JVM's start (a few seconds). On a shared machine wall time follows the
load, so CPU time (Python's own, TLC's as a child process) is printed too.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from typing import Any

from checker.engine.search import Options, check
from checker.raft.model import RaftModel
from checker.raft.presets import PRESETS
from checker.tla import run as tlc
from checker.tla.cfg import cfg_text


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def python_run(preset: str, symmetry: bool) -> tuple[int, int, float, float]:
    opts: dict[str, Any] = {"symmetry": symmetry}
    if "view" in Options._fields:
        opts["view"] = False
    start, cpu = time.monotonic(), time.process_time()
    r = check(RaftModel(PRESETS[preset].config()), Options(**opts))
    if not r.complete:
        raise SystemExit(f"the Python checker did not finish: {r.stopped or r.counterexample}")
    return r.distinct, r.generated, time.monotonic() - start, time.process_time() - cpu


def tlc_run(preset: str, symmetry: bool, workers: int) -> tuple[int, int, float, float]:
    with tlc.workdir() as d:
        (d / "MC.cfg").write_text(cfg_text(PRESETS[preset].config(), symmetry=symmetry))
        start, cpu = time.monotonic(), _children_cpu()
        r = tlc.run(d, "MCRaft.tla", "MC.cfg", workers=workers)
        wall, cpu = time.monotonic() - start, _children_cpu() - cpu
    if r.exit_code != tlc.EXIT_OK or r.distinct is None or r.generated is None:
        raise tlc.failure(r)
    # TLC counts the initial state as generated; the Python checker does not.
    return r.distinct, r.generated - 1, wall, cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("preset", nargs="?", default="elections", choices=sorted(PRESETS))
    p.add_argument("--workers", default="1,2", help="TLC worker counts (default 1,2)")
    p.add_argument("--symmetry", default="on,off", help="symmetry settings (default on,off)")
    a = p.parse_args()
    workers = [int(w) for w in a.workers.split(",")]
    syms = [s.strip() == "on" for s in a.symmetry.split(",")]
    print(f"preset {a.preset}: {PRESETS[a.preset].about}")
    head = (
        f"{'symmetry':<9}{'TLC workers':>12}{'distinct':>11}{'generated':>12}"
        f"{'python s':>10}{'TLC s':>8}{'python/TLC':>12}{'python cpu':>12}{'TLC cpu':>9}"
        f"{'cpu ratio':>11}"
    )
    print(head)
    print("-" * len(head))
    ok = True
    for sym in syms:
        pd, pg, ps, pc = python_run(a.preset, sym)
        for w in workers:
            td, tg, ts, tc = tlc_run(a.preset, sym, w)
            same = (pd, pg) == (td, tg)
            ok &= same
            note = "" if same else f"  MISMATCH: python {pd:,}/{pg:,}"
            print(
                f"{'on' if sym else 'off':<9}{w:>12}{td:>11,}{tg:>12,}"
                f"{ps:>10.1f}{ts:>8.1f}{ps / ts:>11.2f}x{pc:>12.1f}{tc:>9.1f}{pc / tc:>10.2f}x"
                f"{note}",
                flush=True,
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
