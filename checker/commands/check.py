"""``raftcheck check``: exhaustive bounded model checking of raftmodel (BFS, DFS), or swarm
random walks within the same bounds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker import build
from checker.commands import common
from checker.commands.common import Exit
from checker.engine.search import CheckResult, Options, Progress, Strategy, check
from checker.errors import BadOption
from checker.raft.invariants import ALL_NAMES
from checker.raft.model import RaftModel
from raftmodel.cluster import Config

if TYPE_CHECKING:
    from raftmodel.service import ServiceConfig


def _view_status(model: RaftModel, wanted: bool) -> str:
    if not wanted:
        return "off"
    if model.fingerprinter(False, True).view:
        return "on, its assumptions checked" if model.check_view else "on"
    return "off (not sound for this network or variant)"


def _options(args: argparse.Namespace) -> Options:
    strategy = Strategy(args.strategy)
    given = {a for a in vars(args) if a in _GIVEN and getattr(args, a) != _GIVEN[a]}
    ignored = {
        Strategy.BFS: {"seed", "walks", "walk_depth"},
        Strategy.DFS: {"seed", "walks", "walk_depth", "workers"},
        Strategy.SWARM: {"max_states", "max_depth", "stats", "workers", "exact", "graph"},
    }[strategy] & given
    if ignored:
        flags = ", ".join(f"--{a.replace('_', '-')}" for a in sorted(ignored))
        raise BadOption(f"{flags} does nothing with --strategy {strategy.value}")
    if args.workers > 1 and args.exact:
        raise BadOption("--workers works on fingerprints; it cannot be combined with --exact")
    if args.address is not None and args.engine != "distributed":
        raise BadOption("--address names a Dask cluster: it needs --engine distributed")
    if args.engine == "distributed" and (strategy is not Strategy.BFS or args.exact):
        what = "--exact" if args.exact else f"--strategy {strategy.value}"
        raise BadOption(f"--engine distributed runs BFS on fingerprints: not with {what}")
    workers = args.workers
    if args.engine == "distributed" and args.address is not None and "workers" not in given:
        workers = 0  # every worker of the cluster
    return Options(
        strategy=strategy,
        symmetry=not args.no_symmetry,
        exact=args.exact,
        max_states=args.max_states,
        max_depth=args.max_depth,
        time_limit=args.time_limit,
        view=not args.no_view,
        workers=workers,
        seed=0 if args.seed is None else args.seed,
        walks=1000 if args.walks is None else args.walks,
        walk_depth=60 if args.walk_depth is None else args.walk_depth,
    )


#: Option defaults, to tell which options the user gave (refused where they do nothing).
_GIVEN: dict[str, Any] = {
    "seed": None,
    "walks": None,
    "walk_depth": None,
    "workers": 1,
    "max_states": None,
    "max_depth": None,
    "stats": False,
    "exact": False,
    "graph": None,
    "engine": "local",
    "address": None,
}


def _progress(p: Progress) -> None:
    if p.walks is not None:
        print(
            f"  {p.elapsed:6.1f}s  walks {p.walks:,}  steps {p.generated:,}",
            file=sys.stderr,
            flush=True,
        )
        return
    rate = p.distinct / p.elapsed if p.elapsed else 0.0
    print(
        f"  {p.elapsed:6.1f}s  distinct {p.distinct:,}  generated {p.generated:,}  "
        f"depth {p.depth}  queue {p.queue:,}  {rate:,.0f} states/s",
        file=sys.stderr,
        flush=True,
    )


def _write_graph(model: RaftModel, options: Options, path: str) -> None:
    from checker.engine.graph import explore_graph, render
    from checker.files import write_text_atomic

    graph = explore_graph(model, symmetry=options.symmetry, view=options.view)
    write_text_atomic(path, render(graph, Path(path).suffix))
    print(
        f"graph: {graph.number_of_nodes():,} states, {graph.number_of_edges():,} "
        f"transitions written to {path}",
        flush=True,
    )


def cmd_check(args: argparse.Namespace) -> int:
    config = common.preset_config(args, "check")
    options = _options(args)
    from checker.raft.presets import PRESETS

    preset = PRESETS[args.model]
    if preset.service is not None:
        return _check_service(args, common.service_config(args, preset, config), options)
    if args.reads is not None:
        raise BadOption(f"--reads chooses a service's read path; {args.model} has no service")
    if args.graph and Path(args.graph).suffix not in (".graphml", ".dot"):
        raise BadOption(f"--graph needs a .graphml or .dot file name, got {args.graph!r}")
    common.check_outputs(args, "out", "json", "graph")
    model = RaftModel(config, check_view=args.check_view)
    desc = common.describe_config(config)
    print(f"check: model {args.model}: {desc}", flush=True)
    print(f"       build: {build.describe()}", flush=True)
    swarm = options.strategy is Strategy.SWARM
    distributed = args.engine == "distributed"
    if distributed:
        from checker.distributed import search as dsearch

        if not dsearch.available():
            raise BadOption(
                f"--engine distributed needs the '{dsearch.EXTRA}' extra: {dsearch.INSTALL}"
            )
    if swarm:
        print(
            f"       swarm: {options.walks} random walks of depth <= {options.walk_depth}, "
            f"seed {options.seed}, each with a random subset of action kinds",
            flush=True,
        )
    else:
        print(
            f"       {options.strategy.value}, symmetry {'on' if options.symmetry else 'off'}, "
            f"{'exact states' if options.exact else '64-bit fingerprints'}, "
            f"inert-message view {_view_status(model, options.view)}"
            + (f", {options.workers} workers" if options.workers > 1 and not distributed else ""),
            flush=True,
        )
    if distributed:
        where = f"the Dask cluster at {args.address}" if args.address else "a local Dask cluster"
        n = options.workers
        count = f"{n} worker{'s' if n > 1 else ''}" if n else "every worker"
        route = dsearch.routing(model, options)
        print(f"       distributed: {count} of {where}, one partition each, {route}", flush=True)
    if args.graph:
        _write_graph(model, options, args.graph)
    common.judged(ALL_NAMES)
    if distributed:
        res = dsearch.check(model, options, _progress, address=args.address)
    else:
        res = check(model, options, _progress)
    code = _report(args, config, options, res, desc)
    return code


def _report(
    args: argparse.Namespace,
    config: Config,
    options: Options,
    res: CheckResult[Any, Any],
    desc: str,
) -> int:
    swarm = options.strategy is Strategy.SWARM
    rate = res.distinct / res.elapsed if res.elapsed > 0 else 0.0
    if swarm:
        stats = (
            f"{res.walks} walks, {res.generated:,} steps, {res.distinct:,} distinct states "
            f"visited, {res.elapsed:.1f}s"
        )
    else:
        stats = (
            f"{res.distinct:,} distinct states, {res.generated:,} generated, depth {res.depth}, "
            f"{res.elapsed:.1f}s, {rate:,.0f} distinct states/s"
        )
    summary: dict[str, Any] = {
        "model": args.model,
        "config": desc,
        "strategy": options.strategy.value,
        "symmetry": res.symmetry,
        "exact": options.exact,
        "view": res.view,
        "workers": options.workers,
        "engine": args.engine,
        "distinct": res.distinct,
        "generated": res.generated,
        "depth": res.depth,
        "seconds": round(res.elapsed, 3),
        "coverage": res.coverage,
        "collision_probability": res.collision_probability,
        "invariants": list(ALL_NAMES),
    }
    if swarm:
        summary.update(seed=options.seed, walks=res.walks)
    code = Exit.OK
    if res.counterexample is not None:
        cex = res.counterexample
        mutant = config.rules.name
        suffix = "-swarm" if swarm else ""
        out = common.default_out(
            args.out, "traces", "counterexamples", f"{args.model}-{mutant}{suffix}.itf.json"
        )
        how = (
            f"swarm walk (seed {options.seed}; not necessarily shortest)"
            if swarm
            else options.strategy.value
        )
        common.report_violation(
            config,
            cex.states,
            cex.actions,
            cex.violation,
            out=out,
            description=f"raftcheck check --model {args.model} --mutant {mutant}: "
            f"{cex.violation.property} ({how})",
            quiet=args.quiet,
            where=f"after {len(cex.actions)} steps"
            + (" (a random walk: not necessarily the shortest)" if swarm else ""),
        )
        summary["violation"] = {
            "property": cex.violation.property,
            "steps": len(cex.actions),
            "detail": cex.violation.detail,
            "trace": str(out),
        }
        code = Exit.VIOLATION
    elif res.stopped is not None:
        extra = " (use --strategy bfs for an exhaustive search)" if swarm else ""
        print(f"INCONCLUSIVE: {res.stopped}; no violation in the part explored{extra}")
        summary["stopped"] = res.stopped
        code = Exit.INCONCLUSIVE
    else:
        print("PASS: the bounded space is exhausted and every property holds")
    if swarm:
        print(f"stats: {stats}")
    else:
        print(
            f"stats: {stats}; fingerprint collision probability <= {res.collision_probability:.1e}"
        )
    if args.stats:
        never = [k for k, v in res.coverage.items() if v == 0]
        print("coverage: " + ", ".join(f"{k} {v:,}" for k, v in res.coverage.items()))
        if never:
            print(f"never fired: {', '.join(never)}")
    print(f"checked: {', '.join(ALL_NAMES)}")
    summary["exit"] = int(code)
    if args.json:
        common.write_json(args.json, summary)
    return code


def _check_service(args: argparse.Namespace, sc: ServiceConfig, options: Options) -> int:
    """``check`` on a ``service`` preset: the service model (checker.service)."""
    # Imported here: the service's libraries (its histories, the linearizability checker)
    # cost 13 ms of the start of every other check.
    from checker.service import report as service_report
    from checker.service.model import ALL_NAMES as SERVICE_NAMES
    from checker.service.model import ServiceModel

    if args.graph or args.check_view:
        raise BadOption("--graph and --check-view work on cluster presets, not service presets")
    common.check_outputs(args, "out", "json")
    model = ServiceModel(sc)
    desc = common.describe_config(sc.raft) + " " + service_report.describe(sc)
    print(f"check: model {args.model}: {desc}", flush=True)
    view = model.fingerprinter(False, options.view).view
    print(
        f"       {options.strategy.value}, symmetry off (clients name servers), "
        f"{'exact states' if options.exact else '64-bit fingerprints'}, "
        f"inert-message view {'on' if view else 'off'}",
        flush=True,
    )
    res = check(model, options._replace(symmetry=False), _progress)
    summary: dict[str, Any] = {
        "model": args.model,
        "config": desc,
        "strategy": options.strategy.value,
        "distinct": res.distinct,
        "generated": res.generated,
        "depth": res.depth,
        "seconds": round(res.elapsed, 3),
        "coverage": res.coverage,
        "invariants": list(SERVICE_NAMES),
    }
    code = Exit.OK
    if res.counterexample is not None:
        cex = res.counterexample
        mutant = sc.raft.rules.name
        out = common.default_out(
            args.out, "traces", "counterexamples", f"{args.model}-{mutant}.itf.json"
        )
        service_report.report_violation(
            sc,
            cex.states,
            cex.actions,
            cex.violation,
            out=out,
            description=f"raftcheck check --model {args.model} --mutant {mutant}: "
            f"{cex.violation.property} ({options.strategy.value})",
            quiet=args.quiet,
        )
        summary["violation"] = {
            "property": cex.violation.property,
            "steps": len(cex.actions),
            "detail": cex.violation.detail,
            "trace": str(out),
        }
        code = Exit.VIOLATION
    elif res.stopped is not None:
        print(f"INCONCLUSIVE: {res.stopped}; no violation in the part explored")
        summary["stopped"] = res.stopped
        code = Exit.INCONCLUSIVE
    else:
        print("PASS: the bounded space is exhausted and every property holds")
    print(
        f"stats: {res.distinct:,} distinct states, {res.generated:,} generated, depth "
        f"{res.depth}, {res.elapsed:.1f}s"
    )
    if args.stats:
        print("coverage: " + ", ".join(f"{k} {v:,}" for k, v in res.coverage.items()))
    print(f"checked: {', '.join(SERVICE_NAMES)}")
    summary["exit"] = int(code)
    if args.json:
        common.write_json(args.json, summary)
    return code


def register(sub: Any) -> None:
    c = sub.add_parser(
        "check",
        help="exhaustive bounded model checking of raftmodel",
        description="Explore every reachable state of raftmodel within the "
        "bounds, check every property, and write the shortest counterexample "
        "as an ITF trace. Exit 0 the space is exhausted and every property holds, 1 a "
        "violation, 2 bad input, 3 a budget (or Ctrl-C, SIGTERM) stopped the search.",
    )
    common.add_preset_option(c)
    g = c.add_argument_group("search")
    g.add_argument(
        "--strategy",
        choices=[s.value for s in Strategy],
        default=Strategy.BFS.value,
        help="bfs (shortest counterexamples, default), dfs, or swarm (seeded random walks, "
        "each with a random subset of action kinds; never exhaustive: exit 3 or 1)",
    )
    g.add_argument(
        "--workers",
        type=common.workers,
        default=1,
        help="processes expanding each BFS level (same counts as 1; default 1)",
    )
    g.add_argument(
        "--engine",
        choices=["local", "distributed"],
        default="local",
        help="local: this process (and --workers processes); distributed: a partitioned "
        "search on Dask, one partition of the fingerprint space per worker (the "
        "'distributed' extra; same counts; docs/checker.md)",
    )
    g.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="with --engine distributed: the scheduler of an existing Dask cluster "
        "(tcp://host:8786); --workers of its workers (default: all). Without it, a local "
        "cluster of --workers processes",
    )
    g.add_argument(
        "--no-symmetry",
        action="store_true",
        help="explore every server labelling (symmetry reduction is on by default)",
    )
    g.add_argument(
        "--exact", action="store_true", help="keep whole states instead of 64-bit fingerprints"
    )
    g.add_argument(
        "--no-view",
        action="store_true",
        help="identify states by every message ever sent (by default messages that can "
        "never act again are forgotten, a VIEW; see docs/checker.md)",
    )
    g.add_argument(
        "--check-view",
        action="store_true",
        help="with the view on, also check on every transition the Raft rules it relies on "
        "(what the node does, not which rules it was given; about 40%% slower)",
    )
    common.add_reads_option(g)
    g.add_argument("--max-states", type=common.positive, default=None, help="distinct-state budget")
    g.add_argument("--max-depth", type=common.positive, default=None, help="depth bound")
    g.add_argument(
        "--time-limit",
        type=common.seconds,
        default=None,
        metavar="SECONDS",
        help="time budget (exit 3 when it stops the run)",
    )
    g = c.add_argument_group("swarm")
    g.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    g.add_argument(
        "--walks", type=common.positive, default=None, help="number of walks (default 1000)"
    )
    g.add_argument(
        "--walk-depth", type=common.positive, default=None, help="steps per walk (default 60)"
    )
    g = c.add_argument_group("output")
    g.add_argument("--out", default=None, metavar="FILE", help="counterexample trace file")
    g.add_argument("--json", metavar="FILE", help="write a JSON summary ('-': stdout, alone)")
    g.add_argument("--stats", action="store_true", help="per-action coverage")
    g.add_argument(
        "--graph",
        metavar="FILE",
        help="also export the state graph (.graphml or .dot; small models only)",
    )
    g.add_argument("--quiet", action="store_true", help="do not print the counterexample")
    common.add_html_option(c)
    c.set_defaults(func=cmd_check)
