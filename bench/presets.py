"""Measure every model preset: distinct states, generated, depth and CPU seconds.

Usage: python bench/presets.py [PRESET ...] [--limit SECONDS] [--write]

Runs ``raftcheck check --model PRESET`` (symmetry and the inert-message view on, as the
CLI runs it) for each preset in a fresh process, one after the other, and prints one row
each. A preset that does not finish within its CPU-time limit (default: 1,800 s, and
300 s for the bug-hunting presets) is stopped as Ctrl-C stops it and printed with the
states it reached, marked as not exhausted. CPU time (the child's user + system), not
wall time: these machines are shared.

``--write`` stores the rows in checker/raft/preset_figures.json, which ``raftcheck
presets`` shows next to each preset, with the machine and the date they were measured
on (a test fails when a preset has no row, or when a small preset's count drifts).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import build  # noqa: E402
from checker.files import write_text_atomic  # noqa: E402
from checker.raft.presets import FIGURES_FILE, PRESETS  # noqa: E402

#: Presets meant for bug hunting: correct Raft is not expected to exhaust them here.
HUNTING = {"three-terms", "figure8", "divergent-logs", "batched"}

CHECK = [sys.executable, "-m", "checker.cli", "check"]


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(name: str, limit: float) -> dict[str, object]:
    """Check one preset in a fresh process, stopped once it has used ``limit`` CPU seconds
    (SIGTERM, which check takes as Ctrl-C and reports how far it got; a background job
    ignores SIGINT): on a shared machine a wall-clock
    limit would measure the other jobs."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "check.json"
        before = _cpu()
        child = subprocess.Popen(
            [*CHECK, "--model", name, "--quiet", "--json", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        while child.poll() is None:
            time.sleep(0.5)
            try:
                if _cpu_of(child.pid) > limit:
                    child.send_signal(signal.SIGTERM)
                    break
            except (OSError, IndexError):
                pass
        _, err = child.communicate()
        cpu = _cpu() - before
        if child.returncode not in (0, 3):
            sys.exit(f"{name}: check exited {child.returncode}: {err.strip()[-300:]}")
        data = json.loads(out.read_text())
    return {
        "distinct": data["distinct"],
        "generated": data["generated"],
        "depth": data["depth"],
        "exhausted": child.returncode == 0,
        "cpu_seconds": round(cpu, 1),
        "wall_seconds": round(float(data["seconds"]), 1),
        "limit_seconds": limit,
        "load": round(os.getloadavg()[0], 1),
        "build": build.describe(),
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description="Every preset's size and CPU seconds to exhaust it (--write: into "
        "the figures file the docs cite)."
    )
    p.add_argument("presets", nargs="*", help="default: every preset")
    p.add_argument("--write", action="store_true", help="store each row in the figures file")
    p.add_argument("--limit", type=float, default=None, help="seconds per preset")
    a = p.parse_args()
    write, limit = a.write, a.limit
    names = a.presets or list(PRESETS)
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        p.error(f"unknown preset(s): {', '.join(unknown)}")
    load = os.getloadavg()[0]
    print(f"machine: {_cpu_model()}, {os.cpu_count()} cores, load {load:.1f}")
    print(f"{'preset':16} {'distinct':>11} {'generated':>12} {'depth':>5} {'CPU s':>8}  exhausted")
    for name in names:
        row = measure(name, limit or (300.0 if name in HUNTING else 1800.0))
        print(
            f"{name:16} {row['distinct']:>11,} {row['generated']:>12,} {row['depth']:>5} "
            f"{row['cpu_seconds']:>8.1f}  {'yes' if row['exhausted'] else 'NO (limit)'}",
            flush=True,
        )
        if write:  # after each preset: a long run interrupted keeps what it measured
            _store(name, row)


def _store(name: str, row: dict[str, object]) -> None:
    old = json.loads(FIGURES_FILE.read_text()) if FIGURES_FILE.exists() else {}
    presets = {**old.get("presets", {}), name: row}
    doc = {
        "measured_by": "bench/presets.py",
        "machine": f"{_cpu_model()}, {os.cpu_count()} cores",
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "note": "CPU seconds of the check process; load: the 1-minute load average at its end",
        "presets": {k: presets[k] for k in PRESETS if k in presets},
    }
    write_text_atomic(FIGURES_FILE, json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
