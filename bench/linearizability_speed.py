"""Speed of `raftcheck linearizable` on generated histories, a linearizable one and the
same history with one injected violation side by side.

Usage:
  python bench/linearizability_speed.py [--seed N] [--info RATE] [--only NAME]

Each scenario simulates a linearizable register or kv store with concurrent clients
(``checker.linearizability.generate``, seeded), writes it as Jepsen EDN lines, and times
reading (EDN -> events), building (well-formedness, operations) and the search; then it
changes one completed read in the second half to return a value never written and times
the search again. Targets (the issue): 1,000 operations of 5 clients on one key under
1 s; 100,000 operations over 100 keys under 30 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.linearizability import formats, generate, history, models, search

SCENARIOS = [
    # name, invocations, clients, keys (0: one register), share of :info, target seconds
    ("1k-1key", 1_000, 5, 0, 0.0, 1.0),
    ("10k-1key", 10_000, 5, 0, 0.0, None),
    ("100k-100keys", 100_000, 5, 100, 0.0, 30.0),
    ("100k-1key", 100_000, 5, 0, 0.0, None),
    ("1k-1key-info1", 1_000, 5, 0, 0.01, None),
    ("1k-1key-info3", 1_000, 5, 0, 0.03, None),
    ("100k-100k-info1", 100_000, 5, 100, 0.01, None),
]


T = TypeVar("T")

#: Each search stops at this many seconds (UNKNOWN) rather than hang the bench.
BUDGET = 60.0


def _time(f: Callable[[], T]) -> tuple[T, float]:
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def run(name: str, ops: int, clients: int, keys: int, seed: int, info: float) -> dict[str, Any]:
    model = models.KV if keys else models.CAS_REGISTER
    events = generate.simulate(seed, ops, clients=clients, keys=keys, info_rate=info, cas=True)
    text = "\n".join(formats.to_edn(e) for e in events) + "\n"
    read, t_read = _time(lambda: formats.read(text, "edn", name))
    h, t_build = _time(lambda: history.build(read, model.validate, name))
    budget = search.Budget(seconds=BUDGET)
    ok, t_ok = _time(lambda: search.check(model, h, budget))
    bad_events, _ = generate.inject(events, seed)
    bad_text = "\n".join(formats.to_edn(e) for e in bad_events) + "\n"
    hb = history.build(formats.read(bad_text, "edn", name), model.validate, name)
    bad, t_bad = _time(lambda: search.check(model, hb, budget))
    return {
        "name": name,
        "ops": len(h.ops),
        "parts": len(ok.parts),
        "read": t_read,
        "build": t_build,
        "ok": t_ok,
        "ok_verdict": ok.verdict.name,
        "ok_cache": max(p.cache for p in ok.parts),
        "bad": t_bad,
        "bad_verdict": bad.verdict.name,
        "bad_cache": max(p.cache for p in bad.parts),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default=None, help="one scenario by name")
    a = ap.parse_args()
    print(
        f"seed {a.seed}; cas-register (kv: one per key); EDN input; 'invoked' operations, of "
        "which 'checked' remain after failed cas are left out; info: share crashed (:info)"
    )
    head = (
        f"{'scenario':<15} {'info':>4} {'invoked':>7} {'checked':>7} {'parts':>5} "
        f"{'read s':>7} {'build s':>7} "
        f"{'total s':>8} {'target':>7} | {'search OK s':>11} {'cache':>6} | "
        f"{'search VIOL s':>13} {'cache':>6} {'viol/ok':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, ops, clients, keys, info, target in SCENARIOS:
        if a.only and a.only != name:
            continue
        r = run(name, ops, clients, keys, a.seed, info)
        total = r["read"] + r["build"] + r["ok"]
        tgt = "-" if target is None else f"<{target:g}s"
        met = "" if target is None else (" ok" if total < target else " MISSED")
        ratio = r["bad"] / max(r["ok"], 1e-9)
        print(
            f"{name:<15} {info:>4.0%} {ops:>7,} {r['ops']:>7,} {r['parts']:>5} "
            f"{r['read']:>7.2f} {r['build']:>7.2f} "
            f"{total:>8.2f} {tgt:>7} | {r['ok']:>11.3f} {r['ok_cache']:>6,} | "
            f"{r['bad']:>13.3f} {r['bad_cache']:>6,} {ratio:>7.1f}{met}"
        )
        if r["ok_verdict"] != "OK" or r["bad_verdict"] != "VIOLATION":
            print(f"  verdicts: {r['ok_verdict']} and {r['bad_verdict']} (budget {BUDGET:g}s)")


if __name__ == "__main__":
    main()
