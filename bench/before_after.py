"""The checker's speed in two checkouts, side by side in one run: a refactor's cost.

Usage: python bench/before_after.py OTHER_CHECKOUT [PRESET ...] [--reps N]

Runs ``check`` on each preset (symmetry and the inert-message view on, as the CLI runs
it) alternately in this checkout and in OTHER_CHECKOUT (e.g. a ``git worktree`` of the
commit before a change), each run in a fresh process, and prints the distinct states
(which must be equal), the CPU seconds of each run, and the ratio this / other (above 1:
this checkout is slower). CPU time, not wall time: these machines are shared. The child
uses whichever API the checkout has (``check(RaftModel(config))`` or ``check(config)``).
"""

from __future__ import annotations

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
    argv = sys.argv[1:]
    if not argv:
        sys.exit(__doc__)
    other = Path(argv[0]).resolve()
    here = Path(__file__).resolve().parents[1]
    reps = 3
    presets: list[str] = []
    it = iter(argv[1:])
    for a in it:
        if a == "--reps":
            reps = int(next(it))
        else:
            presets.append(a)
    presets = presets or ["elections", "default"]
    print(f"this:  {here}\nother: {other}")
    print(f"{'preset':<12} {'distinct':>10} {'this cpu s':>11} {'other cpu s':>12} {'ratio':>6}")
    for p in presets:
        mine, theirs = [], []
        for _ in range(reps):
            a, ta = run(here, p)
            b, tb = run(other, p)
            if a["distinct"] != b["distinct"] or a["generated"] != b["generated"]:
                sys.exit(f"{p}: the two checkouts disagree: {a} vs {b}")
            mine.append(ta)
            theirs.append(tb)
        m, t = statistics.median(mine), statistics.median(theirs)
        print(f"{p:<12} {a['distinct']:>10,} {m:>11.2f} {t:>12.2f} {m / t:>6.3f}", flush=True)
    print(f"(median of {reps} alternating runs each; ratio > 1: this checkout is slower)")


if __name__ == "__main__":
    main()
