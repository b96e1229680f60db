"""Observed-trace validation speed: events per second as the trace grows.

Usage: python bench/observed_speed.py [--sizes 3000,10000,30000,100000] [--level full|sparse]
       [--seed S] [--servers N]

Each trace is a seeded run of the unbounded model (``checker.observed.project.random_run``:
simulate-style, deliveries dominate, elections now and then, logs of at most 40 entries)
projected to the fields an implementation logs (``full``: term, vote, role, commitIndex,
last log index and term, every message with its fields, become_leader and commit events;
``sparse``: no log content, messages with their kind and term only, no values), cut at
exactly the size asked for, written to NDJSON text and read back, then validated with
the CLI's defaults (2 hidden steps, 10,000 candidates). Prints, per size, the events, the
seconds (reading and matching; CPU and wall: the machines are shared, CPU time is the
figure), events per second and microseconds per event: linear time shows as a flat
microseconds-per-event column. The run must pass (exit 1 if not).

What a step costs: one ``cluster.apply`` per candidate, every invariant on its successor
(whose cost grows with the log: logs are bounded here, as in a long-lived cluster with
compaction, so that the trace's length is what grows), the inert-message view.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.observed import events, match, project


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="3000,10000,30000,100000")
    p.add_argument("--level", choices=("full", "sparse"), default="full")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--servers", type=int, default=3)
    args = p.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    level = project.FULL if args.level == "full" else project.SPARSE
    # One run long enough for the largest size; every trace is a prefix of its log.
    t0 = time.monotonic()
    steps = max(sizes)
    config, states, actions = project.random_run(args.seed, steps, n=args.servers)
    header, evs = project.project(config, states, actions, level)
    while len(evs) < max(sizes):  # sparse logs fewer events per step
        steps *= 2
        config, states, actions = project.random_run(args.seed, steps, n=args.servers)
        header, evs = project.project(config, states, actions, level)
    terms = max(x.currentTerm for x in states[-1].nodes)
    print(
        f"observed_speed: {args.servers} servers, level {args.level}, seed {args.seed}: a run "
        f"of {len(actions):,} model steps reaching term {terms}, {len(evs):,} events "
        f"(generated in {time.monotonic() - t0:.1f}s)",
        flush=True,
    )
    print(
        f"{'events':>9} {'cpu s':>8} {'wall s':>8} {'events/s':>9} {'us/event':>9} "
        f"{'candidates':>10} {'hidden':>7}   (events/s and us/event: CPU time)"
    )
    ok = True
    for size in sizes:
        text = project.dumps(header, evs[:size])
        t, c = time.monotonic(), time.process_time()
        obs = events.read_ndjson([(f"bench-{size}.ndjson", text)])
        res = match.validate(obs)
        wall, secs = time.monotonic() - t, time.process_time() - c
        ok = ok and res.verdict == "ok"
        print(
            f"{size:>9,} {secs:>8.2f} {wall:>8.2f} {size / secs:>9,.0f} {1e6 * secs / size:>9.0f} "
            f"{res.max_set:>10,} {res.hidden_events:>7,}  {res.verdict}",
            flush=True,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
