"""The ``raftcheck`` command: one entry point, one verb per job.

Exit codes (for CI): 0 pass, 1 violation found (or a trace that leaves the model),
2 bad input, 3 inconclusive (a budget stopped the run early).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from checker import itf, presets
from checker.errors import BadOption, RaftcheckError
from checker.prove.cli import register as register_prove
from checker.report import render_step
from checker.tla.cli import register as register_tla
from raftmodel import mutants
from raftmodel.actions import Action
from raftmodel.cluster import BadConfig, Bounds, ClusterState, Config, init_state, validate
from raftmodel.network import Semantics

EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT, EXIT_INCONCLUSIVE = 0, 1, 2, 3

#: Marks a check option the user did not give, so the preset's value applies.
_UNSET: Any = object()


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _bound(text: str) -> int | None:
    if text.lower() in ("none", "unbounded", "inf"):
        return None
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def _values(text: str) -> tuple[int, ...]:
    try:
        vals = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not vals:
        raise argparse.ArgumentTypeError("at least one value is needed")
    return vals


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def _model_options(p: argparse.ArgumentParser, defaults: Bounds | None) -> None:
    """The model options; with ``defaults=None`` (check) every default comes from the preset."""
    g = p.add_argument_group("model" if defaults is not None else "model (override the preset)")

    def dflt(value: object, text: str) -> tuple[object, str]:
        if defaults is None:
            return _UNSET, "from the preset"
        return value, text

    def show(v: int | None) -> str:
        return "none" if v is None else str(v)

    b = defaults or Bounds()
    rows: list[tuple[str, Any, object, str, str]] = [
        ("--servers", _positive, 3, "3", "cluster size N"),
        ("--max-term", _bound, b.max_term, show(b.max_term), "Timeout guard: currentTerm < MAX"),
        ("--max-log", _bound, b.max_log, show(b.max_log), "ClientRequest guard: len(log) < MAX"),
        (
            "--max-restarts",
            _bound,
            b.max_restarts,
            show(b.max_restarts),
            "Restart guard: restarts < MAX",
        ),
        (
            "--max-requests",
            _bound,
            b.max_requests,
            show(b.max_requests),
            "ClientRequest guard: requests < MAX",
        ),
        (
            "--values",
            _values,
            b.values,
            ",".join(map(str, b.values)),
            "client values, comma-separated",
        ),
        ("--max-copies", _positive, 1, "1", "bag only: copies of one message in flight"),
    ]
    for flag, typ, value, text, about in rows:
        default, shown = dflt(value, text)
        g.add_argument(flag, type=typ, default=default, help=f"{about} (default {shown})")
    default, shown = dflt("set", "set")
    g.add_argument(
        "--semantics",
        choices=[s.value for s in Semantics],
        default=default,
        help="network: 'set' (never removed; loss, duplication, reordering) or "
        f"'bag' (consumed on delivery; explicit Drop/Duplicate). Default {shown}",
    )
    g.add_argument(
        "--mutant",
        default="raft",
        metavar="NAME",
        help="a known-bug variant (see 'raftcheck mutants'); default: correct Raft",
    )


def _config(args: argparse.Namespace) -> tuple[Config, str]:
    rules = mutants.rules_for(args.mutant)
    bounds = Bounds(
        args.max_term,
        args.max_log,
        args.max_restarts,
        args.max_requests,
        args.values,
        args.max_copies,
    )
    config = Config(args.servers, bounds, Semantics(args.semantics), rules)
    validate(config)
    return config, args.mutant


def _describe_config(config: Config, mutant: str) -> str:
    b = config.bounds

    def show(v: int | None) -> str:
        return "none" if v is None else str(v)

    text = (
        f"servers={config.n} semantics={config.semantics.value} mutant={mutant} "
        f"max_term={show(b.max_term)} max_log={show(b.max_log)} "
        f"max_restarts={show(b.max_restarts)} max_requests={show(b.max_requests)} "
        f"values={','.join(map(str, b.values))}"
    )
    if config.semantics is Semantics.BAG:
        text += f" max_copies={b.max_copies}"
    if config.prefix:
        text += f" start=after {len(config.prefix)} scripted steps from Init"
    return text


# --- replay ---------------------------------------------------------------------------------


def cmd_replay(args: argparse.Namespace) -> int:
    from checker.replay import replay

    trace = itf.read_trace(args.trace)
    mutant = trace.config.rules.name if args.mutant is None else args.mutant
    rules = mutants.rules_for(mutant)
    result = replay(trace, rules)
    config = trace.config._replace(rules=rules)
    sem = config.semantics
    if not args.quiet:
        print(
            f"replaying {args.trace}: {len(trace.steps) - 1} steps, "
            f"{_describe_config(config, mutant)}"
        )
        last = result.divergence.step if result.divergence else len(trace.steps) - 1
        for k in range(0, min(last, len(trace.steps) - 1) + 1):
            if result.divergence and k == result.divergence.step:
                break
            before = trace.steps[k - 1].state if k else None
            for line in render_step(k, trace.steps[k].action, before, trace.steps[k].state, sem):
                print(line)
            if result.violation and result.violation[0] == k:
                v = result.violation[1]
                print(f"  !! {v.property} violated: {v.detail}")
    summary: dict[str, Any] = {
        "trace": str(args.trace),
        "mutant": mutant,
        "steps": result.total,
        "agreed": result.agreed,
        "conforms": result.conforms,
    }
    code = EXIT_OK
    if result.violation:
        k, v = result.violation
        print(f"VIOLATION: {v.property} at step {k}: {v.detail}")
        summary["violation"] = {"property": v.property, "step": k, "detail": v.detail}
        code = EXIT_VIOLATION
    if result.divergence:
        d = result.divergence
        print(
            f"DIVERGES at step {d.step}: {d.reason}; the trace leaves the model "
            f"({mutant}) after {result.agreed} agreeing steps"
        )
        for line in d.details:
            print(f"  {line}")
        summary["divergence"] = {"step": d.step, "reason": d.reason, "details": list(d.details)}
        code = EXIT_VIOLATION
    if code == EXIT_OK:
        print(
            f"OK: all {result.total} steps replay on {mutant} and no property is violated "
            f"(checked: {_checked()})"
        )
    if args.json:
        _write_json(args.json, summary)
    return code


def _print_run(states: Sequence[ClusterState], actions: Sequence[Action], sem: Semantics) -> None:
    """Print a run (a walk or a counterexample) step by step."""
    for k, st in enumerate(states):
        before = states[k - 1] if k else None
        for line in render_step(k, actions[k - 1] if k else None, before, st, sem):
            print(line)


def _checked() -> str:
    from checker.invariants import ALL_NAMES

    return ", ".join(ALL_NAMES)


def _write_json(path: str, obj: dict[str, Any]) -> None:
    text = json.dumps(obj, indent=2, sort_keys=True) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        itf.write_text_atomic(path, text)


# --- simulate -------------------------------------------------------------------------------

SIMULATE_BOUNDS = Bounds(max_term=6, max_log=4, max_restarts=2, max_requests=4, values=(1, 2))


def _walk_progress(total: int) -> Callable[[int, int], None]:
    """A progress callback for random walks: a line on stderr every 2 seconds."""
    last = [time.monotonic()]

    def progress(walks: int, steps: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 2.0:
            last[0] = now
            print(f"  walks {walks}/{total}  steps {steps:,}", file=sys.stderr, flush=True)

    return progress


def _write_walk(
    config: Config, hit: Any, mutant: str, out: Path, description: str, quiet: bool
) -> None:
    """Write a violating walk as an ITF trace and, unless quiet, print it step by step."""
    trace = itf.make_trace(config, hit.states, hit.actions, meta={"description": description})
    itf.write_trace(out, trace)
    if not quiet:
        _print_run(hit.states, hit.actions, config.semantics)


def cmd_simulate(args: argparse.Namespace) -> int:
    from checker.simulate import simulate

    config, mutant = _config(args)
    print(
        f"simulate: {args.walks} random walks of depth <= {args.depth}, seed {args.seed}; "
        f"{_describe_config(config, mutant)}",
        flush=True,
    )
    progress = _walk_progress(args.walks)
    res = simulate(
        config,
        seed=args.seed,
        walks=args.walks,
        depth=args.depth,
        time_limit=args.time_limit,
        progress=progress,
    )
    rate = res.steps / res.elapsed if res.elapsed > 0 else 0.0
    stats = (
        f"{res.walks} walks, {res.steps:,} steps, {res.deadlocks} deadlocked, "
        f"{res.elapsed:.1f}s ({rate:,.0f} steps/s)"
    )
    if res.violation is not None:
        hit = res.violation
        out = (
            Path(args.out)
            if args.out
            else Path("traces", "simulate", f"{mutant}-seed{args.seed}-walk{hit.walk}.itf.json")
        )
        _write_walk(
            config,
            hit,
            mutant,
            out,
            f"raftcheck simulate --seed {args.seed}: "
            f"walk {hit.walk} violates {hit.violation.property}",
            args.quiet,
        )
        print(
            f"VIOLATION: {hit.violation.property} in walk {hit.walk} at step "
            f"{len(hit.actions)}: {hit.violation.detail}"
        )
        print(f"trace written to {out} (replay: raftcheck replay {out})")
        print(f"stats: {stats}")
        return EXIT_VIOLATION
    if res.stopped_early:
        print(
            f"INCONCLUSIVE: the time limit ({args.time_limit}s) stopped the run after "
            f"{res.walks} of {args.walks} walks; no violation in what ran; {stats}"
        )
        return EXIT_INCONCLUSIVE
    print(f"no violation in {stats}; checked {_checked()}")
    print(
        "note: random walks sample the space, they do not exhaust it "
        "(use 'raftcheck check' for an exhaustive bounded search)"
    )
    return EXIT_OK


# --- check ---------------------------------------------------------------------------------


def _view_status(config: Config, wanted: bool) -> str:
    from raftmodel import inert

    if not wanted:
        return "off"
    if inert.applies(config):
        return "on"
    return "off (not sound for this network or variant)"


def _check_swarm(args: argparse.Namespace, config: Config, options: Any, desc: str) -> int:
    """``check --strategy swarm``: swarm random walks within the preset's bounds. They never
    exhaust the space, so without a violation the verdict is inconclusive (exit 3)."""
    from checker.canon import state_fingerprint
    from checker.simulate import simulate

    fp, _ = state_fingerprint(config, options.symmetry, options.view)
    print(
        f"       swarm: {args.walks} random walks of depth <= {args.walk_depth}, "
        f"seed {args.seed}, each with a random subset of action kinds",
        flush=True,
    )
    progress = _walk_progress(args.walks)
    res = simulate(
        config,
        seed=args.seed,
        walks=args.walks,
        depth=args.walk_depth,
        time_limit=options.time_limit,
        progress=progress,
        swarm=True,
        fingerprint=fp,
    )
    stats = (
        f"{res.walks} walks, {res.steps:,} steps, {res.distinct:,} distinct states visited, "
        f"{res.elapsed:.1f}s"
    )
    summary: dict[str, Any] = {
        "model": args.model,
        "config": desc,
        "strategy": "swarm",
        "seed": args.seed,
        "walks": res.walks,
        "steps": res.steps,
        "distinct": res.distinct,
        "seconds": round(res.elapsed, 3),
    }
    if res.violation is not None:
        hit = res.violation
        out = (
            Path(args.out)
            if args.out
            else Path("traces", "counterexamples", f"{args.model}-{args.mutant}-swarm.itf.json")
        )
        _write_walk(
            config,
            hit,
            args.mutant,
            out,
            f"raftcheck check --strategy swarm --seed {args.seed}: walk "
            f"{hit.walk} violates {hit.violation.property} (not necessarily shortest)",
            args.quiet,
        )
        print(
            f"VIOLATION: {hit.violation.property} in walk {hit.walk} after "
            f"{len(hit.actions)} steps (a random walk: not necessarily the shortest): "
            f"{hit.violation.detail}"
        )
        print(f"trace written to {out} (replay: raftcheck replay {out})")
        summary["violation"] = {"property": hit.violation.property, "trace": str(out)}
        code = EXIT_VIOLATION
    else:
        why = "the time limit stopped the walks" if res.stopped_early else "all walks done"
        print(
            f"INCONCLUSIVE: no violation in {res.walks} random walks ({why}); random walks "
            "do not exhaust the bounded space (use --strategy bfs for a proof)"
        )
        code = EXIT_INCONCLUSIVE
    print(f"stats: {stats}")
    summary["exit"] = code
    if args.json:
        _write_json(args.json, summary)
    return code


def preset_config(args: argparse.Namespace, verb: str) -> Config:
    """``--model``'s preset with the command line's overrides (``_model_options(p,
    None)``) and ``--mutant``; bad input raises BadOption / BadConfig."""
    from checker.presets import PRESETS

    if args.model not in PRESETS:
        raise BadOption(f"unknown model preset {args.model!r}; known: {', '.join(PRESETS)}")
    preset = PRESETS[args.model]

    def pick(name: str, default: Any) -> Any:
        v = getattr(args, name)
        return default if v is _UNSET else v

    b = preset.bounds
    bounds = Bounds(
        pick("max_term", b.max_term),
        pick("max_log", b.max_log),
        pick("max_restarts", b.max_restarts),
        pick("max_requests", b.max_requests),
        pick("values", b.values),
        pick("max_copies", b.max_copies),
    )
    if None in (bounds.max_term, bounds.max_log, bounds.max_restarts, bounds.max_requests):
        raise BadOption(f"{verb} needs every bound to be a number (an unbounded space is infinite)")
    sem = pick("semantics", preset.semantics)
    config = Config(
        pick("servers", preset.servers),
        bounds,
        Semantics(sem),
        mutants.rules_for(args.mutant),
        preset.prefix,
    )
    init_state(config)  # validates, and carries out the preset's prefix under these bounds
    return config


def cmd_check(args: argparse.Namespace) -> int:
    from checker.invariants import ALL_NAMES
    from checker.search import Options, Progress, check

    config = preset_config(args, "check")
    options = Options(
        strategy=args.strategy,
        symmetry=not args.no_symmetry,
        exact=args.exact,
        max_states=args.max_states,
        max_depth=args.max_depth,
        time_limit=args.time_limit,
        view=not args.no_view,
        workers=args.workers,
    )
    if args.workers > 1 and options.strategy != "bfs":
        raise BadOption(f"--workers needs --strategy bfs, not {options.strategy}")
    if args.workers > 1 and options.exact:
        raise BadOption("--workers works on fingerprints; it cannot be combined with --exact")
    desc = _describe_config(config, args.mutant)
    print(f"check: model {args.model}: {desc}", flush=True)
    if options.strategy == "swarm":
        return _check_swarm(args, config, options, desc)
    print(
        f"       {options.strategy}, symmetry {'on' if options.symmetry else 'off'}, "
        f"{'exact states' if options.exact else '64-bit fingerprints'}, "
        f"inert-message view {_view_status(config, options.view)}"
        + (f", {options.workers} workers" if options.workers > 1 else ""),
        flush=True,
    )

    def progress(p: Progress) -> None:
        rate = p.distinct / p.elapsed if p.elapsed else 0.0
        print(
            f"  {p.elapsed:6.1f}s  distinct {p.distinct:,}  generated {p.generated:,}  "
            f"depth {p.depth}  queue {p.queue:,}  {rate:,.0f} states/s",
            file=sys.stderr,
            flush=True,
        )

    if args.graph:
        from checker.graph import explore_graph, write_graph

        if Path(args.graph).suffix not in (".graphml", ".dot"):
            raise BadOption(f"--graph needs a .graphml or .dot file name, got {args.graph!r}")
        graph = explore_graph(config, symmetry=options.symmetry, view=options.view)
        write_graph(graph, args.graph)
        print(
            f"graph: {graph.number_of_nodes():,} states, {graph.number_of_edges():,} "
            f"transitions written to {args.graph}",
            flush=True,
        )
    res = check(config, options, progress)
    rate = res.distinct / res.elapsed if res.elapsed > 0 else 0.0
    stats = (
        f"{res.distinct:,} distinct states, {res.generated:,} generated, depth {res.depth}, "
        f"{res.elapsed:.1f}s, {rate:,.0f} distinct states/s"
    )
    summary: dict[str, Any] = {
        "model": args.model,
        "config": desc,
        "strategy": options.strategy,
        "symmetry": options.symmetry,
        "exact": options.exact,
        "view": res.view,
        "workers": options.workers,
        "distinct": res.distinct,
        "generated": res.generated,
        "depth": res.depth,
        "seconds": round(res.elapsed, 3),
        "coverage": res.coverage,
        "collision_probability": res.collision_probability,
        "invariants": list(ALL_NAMES),
    }
    code = EXIT_OK
    if res.counterexample is not None:
        cex = res.counterexample
        out = (
            Path(args.out)
            if args.out
            else Path("traces", "counterexamples", f"{args.model}-{args.mutant}.itf.json")
        )
        trace = itf.make_trace(
            config,
            cex.states,
            cex.actions,
            meta={
                "description": f"raftcheck check --model {args.model} --mutant {args.mutant}: "
                f"{cex.violation.property} ({options.strategy})"
            },
        )
        itf.write_trace(out, trace)
        if not args.quiet:
            _print_run(cex.states, cex.actions, config.semantics)
        print(
            f"VIOLATION: {cex.violation.property} after {len(cex.actions)} steps: "
            f"{cex.violation.detail}"
        )
        print(f"trace written to {out} (replay: raftcheck replay {out})")
        summary["violation"] = {
            "property": cex.violation.property,
            "steps": len(cex.actions),
            "detail": cex.violation.detail,
            "trace": str(out),
        }
        code = EXIT_VIOLATION
    elif res.stopped is not None:
        print(f"INCONCLUSIVE: {res.stopped}; no violation in the part explored")
        summary["stopped"] = res.stopped
        code = EXIT_INCONCLUSIVE
    else:
        print("PASS: the bounded space is exhausted and every property holds")
    print(f"stats: {stats}; fingerprint collision probability <= {res.collision_probability:.1e}")
    if args.stats:
        never = [k for k, v in res.coverage.items() if v == 0]
        print("coverage: " + ", ".join(f"{k} {v:,}" for k, v in res.coverage.items()))
        if never:
            print(f"never fired: {', '.join(never)}")
    print(f"checked: {', '.join(ALL_NAMES)}")
    summary["exit"] = code
    if args.json:
        _write_json(args.json, summary)
    return code


# --- mutants --------------------------------------------------------------------------------


def cmd_mutants(args: argparse.Namespace) -> int:
    if args.json:
        _write_json(
            "-",
            {
                "mutants": [
                    {
                        "name": m.name,
                        "breaks": m.breaks,
                        "section": m.section,
                        "caught_by": m.caught_by,
                    }
                    for m in mutants.CATALOG
                ]
            },
        )
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title="known-bug variants (--mutant NAME)")
    for col in ("name", "rule broken", "paper", "caught by"):
        table.add_column(col)
    for m in mutants.CATALOG:
        table.add_row(m.name, m.breaks, m.section, m.caught_by)
    Console(width=140).print(table)
    return EXIT_OK


# --- entry point ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="raftcheck",
        description="Verification suite for the Raft consensus "
        "algorithm: reference model, traces, simulation.",
    )
    sub = p.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    sub.required = True

    r = sub.add_parser(
        "replay",
        help="re-execute an ITF trace on raftmodel and judge each step",
        description="Re-execute the actions of an ITF trace on raftmodel from the "
        "trace's first state, compare every state, print each step and report "
        "the property the trace violates or the step where it leaves the model.",
    )
    r.add_argument("trace", metavar="TRACE", help="an ITF JSON trace file ('-' for stdin)")
    r.add_argument(
        "--mutant",
        default=None,
        metavar="NAME",
        help="replay on this variant instead of the one recorded in the trace",
    )
    r.add_argument("--quiet", action="store_true", help="print only the verdict")
    r.add_argument("--json", metavar="FILE", help="write a JSON summary ('-' for stdout)")
    r.set_defaults(func=cmd_replay)

    s = sub.add_parser(
        "simulate",
        help="seeded random walks that check every property",
        description="Seeded random walks over the cluster (deterministic for a "
        "seed). A violating walk is written as an ITF trace.",
    )
    _model_options(s, SIMULATE_BOUNDS)
    g = s.add_argument_group("simulation")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--walks", type=_positive, default=200, help="number of walks (default 200)")
    g.add_argument("--depth", type=_positive, default=60, help="steps per walk (default 60)")
    g.add_argument(
        "--time-limit",
        type=float,
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
    s.set_defaults(func=cmd_simulate)

    c = sub.add_parser(
        "check",
        help="exhaustive bounded model checking of raftmodel",
        description="Explore every reachable state of raftmodel within the "
        "bounds, check every property, and write the shortest counterexample "
        "as an ITF trace.",
    )
    c.add_argument(
        "--model",
        default="default",
        metavar="PRESET",
        help=f"bounds preset: {', '.join(presets.PRESETS)} (docs/checker.md)",
    )
    _model_options(c, None)
    g = c.add_argument_group("search")
    g.add_argument(
        "--strategy",
        choices=["bfs", "dfs", "swarm"],
        default="bfs",
        help="bfs (shortest counterexamples, default), dfs, or swarm (seeded random walks, "
        "each with a random subset of action kinds; never exhaustive: exit 3 or 1)",
    )
    g.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes expanding each BFS level (same counts as 1; default 1)",
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
    g.add_argument("--max-states", type=_positive, default=None, help="distinct-state budget")
    g.add_argument("--max-depth", type=_positive, default=None, help="depth bound")
    g.add_argument("--time-limit", type=float, default=None, metavar="SECONDS")
    g = c.add_argument_group("swarm")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--walks", type=_positive, default=1000, help="number of walks (default 1000)")
    g.add_argument("--walk-depth", type=_positive, default=60, help="steps per walk (default 60)")
    g = c.add_argument_group("output")
    g.add_argument("--out", default=None, metavar="FILE", help="counterexample trace file")
    g.add_argument("--json", metavar="FILE", help="write a JSON summary ('-' for stdout)")
    g.add_argument("--stats", action="store_true", help="per-action coverage")
    g.add_argument(
        "--graph",
        metavar="FILE",
        help="also export the state graph (.graphml or .dot; small models only)",
    )
    g.add_argument("--quiet", action="store_true", help="do not print the counterexample")
    c.set_defaults(func=cmd_check)

    register_tla(sub)
    register_prove(sub)
    m = sub.add_parser(
        "mutants",
        help="list the known-bug variants",
        description="List the known-bug variants selectable with --mutant.",
    )
    m.add_argument("--json", action="store_true", help="print JSON")
    m.set_defaults(func=cmd_mutants)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except (RaftcheckError, BadConfig, BadOption, mutants.UnknownMutant) as e:
        print(f"raftcheck {args.verb}: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"raftcheck {args.verb}: interrupted (inconclusive)", file=sys.stderr)
        return EXIT_INCONCLUSIVE
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
