"""How fast ``raftcheck conform`` drives the reference adapter: steps and operations per
second, over the committed suite, with the adapter as a subprocess (one process for the
whole run, re-initialised per scenario) and in-process (the Python adapter API).

    python bench/conform_speed.py [--rounds 5]

The subprocess figure includes the adapter's start (an interpreter and raftcheck's
imports, paid once per run); ``steady`` leaves the first round out.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.conform import runner
from checker.conform.adapter import ReferenceAdapter
from checker.conform.suite import DEFAULT_DIR


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="passes over the suite (default 5)")
    ap.add_argument("--suite", default=str(DEFAULT_DIR))
    args = ap.parse_args()
    scenarios = runner.load(args.suite)
    steps = sum(len(s.steps) for s in scenarios)
    print(f"suite: {len(scenarios)} scenarios, {steps} steps; {args.rounds} rounds")
    argv = [sys.executable, "-m", "checker.cli", "adapter"]
    for label, make in (
        ("subprocess", lambda: runner.Subprocess(argv)),
        ("in-process", lambda: runner.InProcess(ReferenceAdapter())),
    ):
        driver = make()
        times, ops = [], 0
        for _ in range(args.rounds):
            t = time.perf_counter()
            r = runner.run(driver, scenarios, keep_open=True)
            times.append(time.perf_counter() - t)
            ops += r.operations
            assert r.failed == 0, "the reference adapter must pass its own suite"
        driver.close()
        total = sum(times)
        steady = sum(times[1:]) or total
        n_steady = max(args.rounds - 1, 1)
        print(
            f"{label:>10}: {steps * args.rounds / total:,.0f} steps/s overall "
            f"({ops / total:,.0f} operations/s incl. init and observations); steady "
            f"{steps * n_steady / steady:,.0f} steps/s; first round {times[0]:.2f}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
