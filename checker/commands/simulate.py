"""``raftcheck simulate``: seeded random walks that check every property at every step."""

from __future__ import annotations

import argparse
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.engine.simulate import simulate
from checker.raft.invariants import ALL_NAMES
from checker.raft.model import RaftModel
from raftmodel.cluster import Bounds

#: Simulation has no preset: walks are bounded by depth, the model by these defaults.
SIMULATE_BOUNDS = Bounds(max_term=6, max_log=4, max_restarts=2, max_requests=4, values=(1, 2))


def cmd_simulate(args: argparse.Namespace) -> int:
    config = common.model_config(args)
    common.check_outputs(args, "out")
    mutant = config.rules.name
    print(
        f"simulate: {args.walks} random walks of depth <= {args.depth}, seed {args.seed}; "
        f"{common.describe_config(config)}",
        flush=True,
    )
    common.judged(ALL_NAMES)
    res = simulate(
        RaftModel(config),
        seed=args.seed,
        walks=args.walks,
        depth=args.depth,
        time_limit=args.time_limit,
        progress=common.walk_progress(args.walks),
    )
    rate = res.steps / res.elapsed if res.elapsed > 0 else 0.0
    stats = (
        f"{res.walks} walks, {res.steps:,} steps, {res.deadlocks} deadlocked, "
        f"{res.elapsed:.1f}s ({rate:,.0f} steps/s)"
    )
    if res.violation is not None:
        hit = res.violation
        out = common.default_out(
            args.out, "traces", "simulate", f"{mutant}-seed{args.seed}-walk{hit.walk}.itf.json"
        )
        common.report_violation(
            config,
            hit.states,
            hit.actions,
            hit.violation,
            out=out,
            description=f"raftcheck simulate --seed {args.seed}: "
            f"walk {hit.walk} violates {hit.violation.property}",
            quiet=args.quiet,
            where=f"in walk {hit.walk} at step {len(hit.actions)}",
        )
        print(f"stats: {stats}")
        return Exit.VIOLATION
    if res.stopped_early:
        why = (
            f"the time limit ({args.time_limit:g}s)"
            if args.time_limit is not None and res.elapsed >= args.time_limit
            else "an interrupt"
        )
        print(
            f"INCONCLUSIVE: {why} stopped the run after {res.walks} of {args.walks} walks; "
            f"no violation in what ran; {stats}"
        )
        return Exit.INCONCLUSIVE
    print(f"no violation in {stats}; checked {common.checked()}")
    print(
        "note: random walks sample the space, they do not exhaust it "
        "(use 'raftcheck check' for an exhaustive bounded search)"
    )
    return Exit.OK


def register(sub: Any) -> None:
    s = sub.add_parser(
        "simulate",
        help="seeded random walks that check every property",
        description="Seeded random walks over the cluster (deterministic for a "
        "seed). A violating walk is written as an ITF trace. Exit 0 no violation in the "
        "walks (not a proof), 1 a violation, 2 bad input, 3 stopped early.",
    )
    common.add_model_options(s, SIMULATE_BOUNDS)
    g = s.add_argument_group("simulation")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument(
        "--walks", type=common.positive, default=200, help="number of walks (default 200)"
    )
    g.add_argument("--depth", type=common.positive, default=60, help="steps per walk (default 60)")
    g.add_argument(
        "--time-limit",
        type=common.seconds,
        default=None,
        metavar="SECONDS",
        help="stop after this long (exit 3: inconclusive)",
    )
    g.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="where to write a violating trace (default traces/simulate/...)",
    )
    g.add_argument("--quiet", action="store_true", help="do not print the violating walk")
    common.add_html_option(s)
    s.set_defaults(func=cmd_simulate)
