"""``raftcheck simulate``: seeded random walks that check every property at every step."""

from __future__ import annotations

import argparse
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.engine.simulate import simulate
from checker.errors import BadOption
from checker.files import write_text_atomic
from checker.raft.invariants import ALL_NAMES
from checker.raft.model import RaftModel
from checker.service import report as service_report
from checker.service.history import jsonl
from checker.service.model import ALL_NAMES as SERVICE_NAMES
from checker.service.model import ServiceModel
from raftmodel import mutants
from raftmodel.cluster import Bounds
from raftmodel.service import ServiceState

#: Simulation has no preset: walks are bounded by depth, the model by these defaults.
SIMULATE_BOUNDS = Bounds(max_term=6, max_log=4, max_restarts=2, max_requests=4, values=(1, 2))


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.service is not None:
        return _simulate_service(args)
    if args.history is not None or args.reads is not None:
        raise BadOption("--history and --reads are for a service: they need --service PRESET")
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


def _simulate_service(args: argparse.Namespace) -> int:
    """Walks over a service preset (its cluster, bounds and start, with ``--mutant``);
    ``--history FILE``: the kv client history of the violating walk, or of the last walk,
    as JSON lines (docs/linearizability.md)."""
    from checker.raft.presets import PRESETS

    preset = PRESETS.get(args.service)
    if preset is None or preset.service is None:
        names = [p.name for p in PRESETS.values() if p.service is not None]
        raise BadOption(f"unknown service preset {args.service!r}; known: {', '.join(names)}")
    raft = preset.config()._replace(rules=mutants.rules_for(args.mutant))
    sc = common.service_config(args, preset, raft)
    common.check_outputs(args, "out", "history")
    print(
        f"simulate: {args.walks} random walks of depth <= {args.depth}, seed {args.seed}; "
        f"service preset {args.service}: {common.describe_config(sc.raft)} "
        f"{service_report.describe(sc)}",
        flush=True,
    )
    last: list[ServiceState] = []

    def keep(_walk: int, s: ServiceState) -> None:
        last[:] = [s]

    res = simulate(
        ServiceModel(sc),
        seed=args.seed,
        walks=args.walks,
        depth=args.depth,
        time_limit=args.time_limit,
        progress=common.walk_progress(args.walks),
        on_walk_end=keep,
    )
    stats = f"{res.walks} walks, {res.steps:,} steps, {res.elapsed:.1f}s"
    code = Exit.OK
    if res.violation is not None:
        hit = res.violation
        out = common.default_out(
            args.out,
            "traces",
            "simulate",
            f"{args.service}-{sc.raft.rules.name}-seed{args.seed}-walk{hit.walk}.itf.json",
        )
        service_report.report_violation(
            sc,
            hit.states,
            hit.actions,
            hit.violation,
            out=out,
            description=f"raftcheck simulate --service {args.service} --seed {args.seed}: "
            f"walk {hit.walk} violates {hit.violation.property}",
            quiet=args.quiet,
        )
        last[:] = [hit.states[-1]]
        code = Exit.VIOLATION
    elif res.stopped_early:
        print(f"INCONCLUSIVE: stopped after {res.walks} of {args.walks} walks; {stats}")
        code = Exit.INCONCLUSIVE
    else:
        print(f"no violation in {stats}; checked {', '.join(SERVICE_NAMES)}")
    if args.history is not None and last:
        write_text_atomic(args.history, jsonl(last[0].history))
        which = "the violating walk's" if res.violation is not None else "the last walk's"
        print(f"history: {which} client history written to {args.history}")
    if code is Exit.VIOLATION:
        print(f"stats: {stats}")
    return code


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
    g = s.add_argument_group("service (docs/linearizability.md)")
    g.add_argument(
        "--service",
        metavar="PRESET",
        default=None,
        help="walk a service preset (its cluster, bounds and start; the model options "
        "above are not used) and check the client history at every step",
    )
    g.add_argument(
        "--history",
        metavar="FILE",
        default=None,
        help="with --service: write the client history (JSON lines) of the violating walk, "
        "or of the last walk",
    )
    common.add_reads_option(g)
    common.add_html_option(s)
    s.set_defaults(func=cmd_simulate)
