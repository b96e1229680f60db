"""The checker's speed in two checkouts, side by side in one run: a refactor's cost.

Usage: python bench/before_after.py OTHER_CHECKOUT [PRESET ...] [--reps N]  (--help)

Runs ``check`` on each preset (symmetry and the inert-message view on, as the CLI runs
it) alternately in this checkout and in OTHER_CHECKOUT (e.g. a ``git worktree`` of the
commit before a change), each run in a fresh process, and prints the distinct states
(which must be equal), the CPU seconds of each run, and the ratio this / other (above 1:
this checkout is slower). CPU time, not wall time: these machines are shared. The child
uses whichever API the checkout has (``check(RaftModel(config))`` or ``check(config)``).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, sys
name = sys.argv[1]
try:
    from checker.raft.presets import PRESETS
    from checker.raft.model import RaftModel
    from checker.engine.search import Options, check
    model = RaftModel(PRESETS[name].config())
except ImportError:
    from checker.presets import PRESETS
    from checker.search import Options, check
    model = PRESETS[name].config()
r = check(model, Options(symmetry=True, view=True))
print(json.dumps({"distinct": r.distinct, "generated": r.generated, "complete": r.complete}))
"""


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run(tree: Path, preset: str) -> tuple[dict[str, object], float]:
    before = _cpu()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, preset],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(out.stdout), _cpu() - before


def main() -> None:
    p = argparse.ArgumentParser(
        description="The checker's speed in this checkout and in another, side by side.",
    )
    p.add_argument("other", help="the other checkout (e.g. a git worktree of the commit before)")
    p.add_argument("presets", nargs="*", default=["elections", "default"])
    p.add_argument("--reps", type=int, default=3, help="alternating runs of each (default 3)")
    a = p.parse_args()
    other = Path(a.other).resolve()
    if not (other / "checker").is_dir():
        p.error(f"{a.other}: not a raftcheck checkout (no checker/ in it)")
    here = Path(__file__).resolve().parents[1]
    print(f"this:  {here}\nother: {other}")
    print(f"{'preset':<12} {'distinct':>10} {'this cpu s':>11} {'other cpu s':>12} {'ratio':>6}")
    for preset in a.presets:
        mine, theirs = [], []
        for _ in range(a.reps):
            try:
                x, ta = run(here, preset)
                y, tb = run(other, preset)
            except subprocess.CalledProcessError as e:
                last = (e.stderr or "").strip().splitlines()[-1:] or ["no message"]
                sys.exit(f"{preset}: a run failed (exit {e.returncode}): {last[0]}")
            if x["distinct"] != y["distinct"] or x["generated"] != y["generated"]:
                sys.exit(f"{preset}: the two checkouts disagree: {x} vs {y}")
            mine.append(ta)
            theirs.append(tb)
        m, t = statistics.median(mine), statistics.median(theirs)
        print(f"{preset:<12} {x['distinct']:>10,} {m:>11.2f} {t:>12.2f} {m / t:>6.3f}", flush=True)
    print(f"(median of {a.reps} alternating runs each; ratio > 1: this checkout is slower)")


if __name__ == "__main__":
    main()
