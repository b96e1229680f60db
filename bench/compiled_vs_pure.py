"""The mypyc-compiled build against pure Python, side by side in one run.

Usage: python bench/compiled_vs_pure.py [PRESET ...] [--rounds 2] [--max-states N]
                                        [--no-view]

Runs ``raftcheck check --model PRESET`` from this checkout (the compiled build: run
``pip install -e .`` with a C compiler first) and from a copy of its source without the
compiled extensions (pure Python), alternating compiled and pure ``--rounds`` times, each
in a fresh process. Prints the CPU seconds of each run (user + system of the child: the
load of a shared machine inflates them less than wall time), the best of each side, and
the ratio pure / compiled. Both sides must print the same counts and exit code, or the
script says so and exits 1. ``--max-states`` stops both sides at the same budget (exit 3,
the same counts): a rate over the first N states, for presets that take many minutes in
pure Python. Default presets: default, two-terms, deep. Both trees are byte-compiled
first (``compileall``), so that each start reads ``.pyc`` files as an installed package
does, even under ``PYTHONDONTWRITEBYTECODE``. A table at the end puts the presets side by
side.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATS = re.compile(r"^stats: ([\d,]+) distinct states, ([\d,]+) generated, depth (\d+)", re.M)
BUILD = re.compile(r"^\s+build: (.*)$", re.M)


def pure_copy(dest: Path) -> Path:
    """The checkout's source without compiled extensions (pure Python)."""
    for top in ("raftmodel", "checker"):
        shutil.copytree(
            ROOT / top, dest / top, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__")
        )
    return dest


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run(tree: Path, preset: str, extra: list[str]) -> tuple[float, float, str, int]:
    """One check in a fresh process from ``tree``: CPU s, wall s, its stdout, exit code."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-m", "checker.cli", "check", "--model", preset, *extra]
    cpu, start = _children_cpu(), time.monotonic()
    r = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    return _children_cpu() - cpu, time.monotonic() - start, r.stdout, r.returncode


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("presets", nargs="*", default=["default", "two-terms", "deep"])
    p.add_argument("--rounds", type=int, default=2, help="runs of each side (default 2)")
    p.add_argument("--max-states", type=int, default=None, help="stop both sides at N states")
    p.add_argument("--no-view", action="store_true", help="pass --no-view to check")
    a = p.parse_args()
    extra = ["--no-view"] if a.no_view else []
    if a.max_states is not None:
        extra += ["--max-states", str(a.max_states)]
    ok = True
    with tempfile.TemporaryDirectory(prefix="raftcheck-pure-") as tmp:
        trees = {"compiled": ROOT, "pure": pure_copy(Path(tmp))}
        for tree in trees.values():
            for top in ("raftmodel", "checker"):
                compileall.compile_dir(tree / top, quiet=1)
        table: list[tuple[str, str, float, float]] = []
        for preset in a.presets:
            best: dict[str, float] = {}
            seen: dict[str, tuple[str, int]] = {}
            for k in range(a.rounds):
                for side, tree in trees.items():
                    cpu, wall, out, code = run(tree, preset, extra)
                    stats = STATS.search(out)
                    build = BUILD.search(out)
                    counts = stats.group(0)[7:] if stats else "no stats line"
                    print(
                        f"{preset:<10} {side:<9} round {k + 1}: cpu {cpu:7.1f}s  wall "
                        f"{wall:7.1f}s  exit {code}  {counts}  "
                        f"[{build.group(1) if build else '?'}]",
                        flush=True,
                    )
                    if side == "compiled" and build and build.group(1) == "pure Python":
                        print("  the checkout has no compiled build: pip install -e . first")
                        return 2
                    seen.setdefault(side, (counts, code))
                    if seen[side] != (counts, code) or seen.get("compiled", seen[side]) != (
                        counts,
                        code,
                    ):
                        print(f"  MISMATCH: {side} differs from compiled: {counts}, exit {code}")
                        ok = False
                    best[side] = min(best.get(side, cpu), cpu)
            print(
                f"{preset:<10} best cpu: compiled {best['compiled']:.1f}s, pure "
                f"{best['pure']:.1f}s: {best['pure'] / best['compiled']:.2f}x",
                flush=True,
            )
            table.append((preset, seen["compiled"][0], best["compiled"], best["pure"]))
    view = "--no-view" if a.no_view else "view on"
    print(f"\n| preset ({view}) | states | compiled CPU s | pure CPU s | pure / compiled |")
    print("|---|---|---|---|---|")
    for preset, counts, c, q in table:
        states = counts.split(" distinct")[0]
        print(f"| {preset} | {states} | {c:.2f} | {q:.2f} | {q / c:.2f}x |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
