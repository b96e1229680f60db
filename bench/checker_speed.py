"""Speed and memory of `raftcheck check` per preset: distinct states/s and bytes per state.

Usage: python bench/checker_speed.py [PRESET ...] [--no-symmetry-too]
Each measurement runs in a fresh subprocess so peak RSS belongs to that run alone.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

CHILD = """
import json, resource, sys, time
from checker.presets import PRESETS
from checker.search import Options, check
name, sym, limit = sys.argv[1], sys.argv[2] == "1", float(sys.argv[3])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = check(PRESETS[name].config(), Options(symmetry=sym, time_limit=limit))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"distinct": r.distinct, "generated": r.generated, "depth": r.depth,
                  "seconds": r.elapsed, "complete": r.complete, "stopped": r.stopped,
                  "rss_growth_kib": peak - base}))
"""


def measure(preset: str, symmetry: bool, limit: float) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, preset, "1" if symmetry else "0", str(limit)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    presets = args or ["elections", "default"]
    limit = 600.0
    print(
        f"{'preset':<12} {'symmetry':<8} {'distinct':>10} {'generated':>11} {'depth':>5} "
        f"{'seconds':>8} {'states/s':>9} {'gen/s':>9} {'B/state':>8}  complete"
    )
    for name in presets:
        for sym in (True, False):
            t = time.monotonic()
            m = measure(name, sym, limit)
            distinct, gen, secs = int(m["distinct"]), int(m["generated"]), float(m["seconds"])
            bps = int(m["rss_growth_kib"]) * 1024 / max(distinct, 1)
            print(
                f"{name:<12} {'on' if sym else 'off':<8} {distinct:>10,} {gen:>11,} "
                f"{m['depth']:>5} {secs:>8.1f} {distinct / secs:>9,.0f} {gen / secs:>9,.0f} "
                f"{bps:>8,.0f}  {m['complete'] or m['stopped']}",
                flush=True,
            )
            del t
    print(
        f"(peak RSS growth per distinct state includes the BFS queue of full states; "
        f"machine: {resource.getpagesize()}-byte pages, python {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main()
