"""``raftcheck suite build``, ``raftcheck conform`` and ``raftcheck adapter``: build the
conformance suite, run it against an implementation behind the adapter protocol, and
serve raftmodel (or a known-bug variant) as the reference adapter
(docs/conformance.md)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.errors import BadOption
from checker.files import check_writable
from raftmodel import mutants


def _say(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


# --- suite build --------------------------------------------------------------------------------


def cmd_suite_build(args: argparse.Namespace) -> int:
    from checker.conform import nodecov, outcomes, suite

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise BadOption(f"--out {str(out)!r} is not a directory")
    common.check_outputs(args, "json")
    check_writable(out / suite.MANIFEST, "--out")
    names = None
    if args.mutants is not None:
        names = [x for x in args.mutants.split(",") if x]
        for x in names:
            mutants.get(x)
    started = time.monotonic()
    b = suite.build(names, progress=None if args.quiet else _say)
    runs = [suite.node_run(sc.trace) for sc in b.scenarios]
    cov = nodecov.measure(runs)
    say = (lambda _m: None) if args.quiet else _say
    say("measuring raftmodel/node.py's coverage with each regression against its variant")
    cov_v = nodecov.measure(runs, nodecov.variant_runs([sc.trace for sc in b.scenarios]))
    elapsed = time.monotonic() - started
    reached = {g.removeprefix("outcome ") for g in b.goals if g.startswith("outcome ")}
    edges = sorted(g.removeprefix("edge ") for g in b.goals if g.startswith("edge "))
    regress = [sc for sc in b.scenarios if sc.name.startswith("regress-")]
    probes = sum(
        len(st.get("probes", ()))
        for sc in b.scenarios
        for st in sc.trace.meta["conformance"]["steps"]
    )
    steps = sum(len(sc.trace.steps) - 1 for sc in b.scenarios)
    sizes = ", ".join(f"{k} {v:,}" for k, v in b.states.items())
    print(f"sources explored (states): {sizes}")
    print(
        f"outcome classes: {len(reached & outcomes.NAMES)} of {len(outcomes.NAMES)} covered; "
        f"abstract per-node edges: {len(edges)} reached, every one covered"
    )
    for o in outcomes.OUTCOMES:
        if o.name not in reached:
            why = o.unreachable or "not reached by the sources' bounds"
            print(f"  left out: {o.name} ({o.about}): {why}")
    print(
        f"probes: {probes} operations the harness never takes (a leader's election timer, "
        "a non-leader asked to send AppendEntries or to take a request), each must change "
        "nothing"
    )
    print(f"regressions: {len(regress)} of {len(b.regressions)} variants")
    for r in b.regressions:
        if r.out_of_scope is not None:
            print(f"  {r.mutant}: outside protocol v1's scope, no scenario: {r.out_of_scope}")
        elif r.property is None:
            print(f"  {r.mutant}: no counterexample ({r.note})")
        else:
            print(
                f"  {r.mutant} ({r.preset}): breaks {r.property}; {r.counterexample} steps, "
                f"{r.kept} kept ({r.note})"
            )
    lines = 100 * cov.lines_covered / max(cov.lines, 1)
    branches = 100 * cov.branches_covered / max(cov.branches, 1)
    print(
        f"raftmodel/node.py replayed under the suite: lines {cov.lines_covered}/{cov.lines} "
        f"({lines:.1f}%), branches {cov.branches_covered}/{cov.branches} ({branches:.1f}%)"
    )
    left = {(a, z) for a, z, _, _ in cov_v.missing_branches}
    print(
        f"  with each regression run against its variant, as the mutation score runs it: "
        f"branches {cov_v.branches_covered}/{cov_v.branches}"
    )
    for a, z, text, why in cov.missing_branches:
        to = "exit" if z < 0 else f"line {z}"
        if (a, z) in left:
            print(f"  branch not taken: line {a} -> {to}: {text}  ({why})")
        else:
            print(f"  branch taken only by a variant: line {a} -> {to}: {text}  ({why})")
    print(
        f"SUITE: {len(b.scenarios)} scenarios, {steps} steps, built in {elapsed:.1f}s "
        f"-> {out}/ (run: raftcheck conform --adapter CMD...)"
    )
    written = suite.write(b, out)
    if args.json:
        common.write_json(
            args.json,
            {
                "scenarios": len(b.scenarios),
                "steps": steps,
                "outcomes_covered": sorted(reached & outcomes.NAMES),
                "outcomes_left_out": {
                    o.name: o.unreachable or "not reached by the sources' bounds"
                    for o in outcomes.OUTCOMES
                    if o.name not in reached
                },
                "edges": edges,
                "regressions": [r._asdict() for r in b.regressions],
                "node_coverage": cov._asdict(),
                "node_coverage_with_variants": cov_v._asdict(),
                "files": [str(p) for p in written],
            },
        )
    return Exit.OK


# --- conform ------------------------------------------------------------------------------------


def _row(r: Any) -> list[str]:
    if r.ok:
        verdict = "pass" + (f" ({r.skipped} skipped)" if r.skipped else "")
        return [r.name, str(r.steps), verdict, r.note]
    d = r.divergence
    return [r.name, str(r.steps), "FAIL", d.summary()]


def _table(rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    t = Table(title="conformance")
    for c in ("scenario", "steps", "verdict", "first divergence"):
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*(escape(x) for x in r))
    Console(width=140, file=sys.stdout, safe_box=True).print(t)


def _driver(args: argparse.Namespace, mutant: str | None = None) -> Any:
    from checker.conform import runner
    from checker.conform.adapter import ReferenceAdapter

    if mutant is not None:
        if args.in_process:
            return runner.InProcess(ReferenceAdapter(mutants.rules_for(mutant)))
        argv = [sys.executable, "-m", "checker.cli", "adapter", "--mutant", mutant]
        return runner.Subprocess(argv, args.step_timeout)
    return runner.Subprocess(args.adapter, args.step_timeout)


def cmd_conform(args: argparse.Namespace) -> int:
    from checker.conform import runner

    if args.mutation_score:
        if args.adapter:
            raise BadOption("--mutation-score runs the reference adapter: no --adapter")
        return _mutation_score(args)
    if not args.adapter:
        raise BadOption("--adapter CMD [ARG...] is needed (or --mutation-score)")
    if args.in_process:
        raise BadOption("--in-process goes with --mutation-score")
    common.check_outputs(args, "json")
    scenarios = _select(runner.load(args.suite), args.scenario)
    out = Path(args.out)

    def each(r: Any) -> None:
        common.record_case(
            r.name, Exit.OK if r.ok else Exit.VIOLATION, "" if r.ok else r.divergence.summary()
        )
        if not r.ok:
            common.record_finding(
                "Divergence", f"{r.name}: {r.divergence.summary()}", path=r.reproducer
            )
        if not r.ok and not args.quiet:
            print(f"FAIL {r.name}: {r.divergence.summary()}", flush=True)
            if r.reproducer is not None:
                print(f"  prefix written to {r.reproducer} (rerun: --suite {r.reproducer})")

    run = runner.run(_driver(args), scenarios, out, each, args.time_limit)
    if not args.quiet:
        _table([_row(r) for r in run.results])
    steps = sum(r.passed for r in run.results)
    rate = run.operations / run.elapsed if run.elapsed > 0 else 0.0
    who = run.implementation or " ".join(args.adapter)
    caps = ", ".join(sorted(run.capabilities)) or "none"
    verdict = "INCONCLUSIVE" if run.stopped else "FAIL" if run.failed else "PASS"
    print(
        f"{verdict}: {len(run.results) - run.failed} of {len(run.results)} scenarios pass "
        f"({steps} steps, {run.operations} operations, {run.elapsed:.2f}s, {rate:,.0f} ops/s); "
        f"implementation {who}; capabilities {caps}"
        + (f"; stopped: {run.stopped}" if run.stopped else "")
    )
    if args.json:
        common.write_json(args.json, runner.as_json(run))
    if run.failed:
        return Exit.VIOLATION
    if run.stopped:
        return Exit.INCONCLUSIVE
    return Exit.OK


def _select(scenarios: list[Any], names: list[str] | None) -> list[Any]:
    if not names:
        return scenarios
    known = {s.name for s in scenarios}
    for n in names:
        if n not in known:
            raise BadOption(f"no scenario {n!r} in the suite")
    return [s for s in scenarios if s.name in names]


def _regressions(suite_path: str) -> dict[str, dict[str, Any]]:
    """The suite manifest's regression entries by variant (none for a single file)."""
    import json

    from checker.conform.suite import MANIFEST

    mp = Path(suite_path) / MANIFEST
    if not mp.is_file():
        return {}
    try:
        regs = json.loads(mp.read_text("utf-8"))["regressions"]
        return {str(r["mutant"]): r for r in regs}
    except (ValueError, KeyError, TypeError) as e:
        raise BadOption(f"{mp}: malformed manifest ({e})") from None


def _mutation_score(args: argparse.Namespace) -> int:
    from checker.conform import runner, suite

    common.check_outputs(args, "json")
    scenarios = _select(runner.load(args.suite), args.scenario)
    started = time.monotonic()
    base = runner.run(_driver(args, "raft"), scenarios)
    print(f"raft: {len(base.results) - base.failed} of {len(base.results)} scenarios pass")
    for r in base.results:
        if not r.ok:
            print(f"  FAIL {r.name}: {r.divergence.summary() if r.divergence else ''}")
    regressions = _regressions(args.suite)
    rows = []
    killed = 0
    outside: dict[str, str] = {}
    for m in mutants.CATALOG:
        run = runner.run(_driver(args, m.name), scenarios)
        by = [r for r in run.results if not r.ok]
        reg = regressions.get(m.name)
        scope = suite.static_scope(m) or (reg.get("out_of_scope") if reg is not None else None)
        if by:
            killed += 1
        elif scope:
            # Not a hole in the suite: protocol v1 cannot see the bug (said, not hidden).
            outside[m.name] = str(scope)
        first = by[0].divergence.summary() if by and by[0].divergence else ""
        rows.append([m.name, str(len(by)), by[0].name if by else "-", first])
        if by:
            verdict = f"killed by {len(by)} scenarios"
        elif scope:
            verdict = f"outside protocol v1's scope: {scope}"
        else:
            verdict = "SURVIVED" + (
                "" if reg is not None else " (no regression scenario in this suite: rebuild it)"
            )
        print(f"  {m.name}: {verdict}", flush=True)
    if not args.quiet:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        t = Table(title="mutation score")
        for c in ("variant", "scenarios failed", "first", "first divergence"):
            t.add_column(c, overflow="fold")
        for row in rows:
            t.add_row(*(escape(x) for x in row))
        Console(width=140, file=sys.stdout, safe_box=True).print(t)
    total = len(mutants.CATALOG) - len(outside)
    score = 100.0 * killed / max(total, 1)
    ok = killed == total and base.failed == 0
    scope_note = (
        f"; outside protocol v1's scope, not counted: {', '.join(sorted(outside))}"
        if outside
        else ""
    )
    print(
        f"{'PASS' if ok else 'FAIL'}: mutation score {killed}/{total} ({score:.0f}%), "
        f"correct Raft passes {len(base.results) - base.failed}/{len(base.results)} "
        f"({time.monotonic() - started:.1f}s){scope_note}"
    )
    if args.json:
        common.write_json(
            args.json,
            {
                "killed": killed,
                "total": total,
                "raft_failed": base.failed,
                "variants": {row[0]: int(row[1]) for row in rows},
                "out_of_scope": outside,
            },
        )
    return Exit.OK if ok else Exit.VIOLATION


# --- adapter ------------------------------------------------------------------------------------


def cmd_adapter(args: argparse.Namespace) -> int:
    from checker.conform.adapter import ReferenceAdapter, serve

    rules = mutants.rules_for(args.mutant)
    return serve(ReferenceAdapter(rules))


def register(sub: Any) -> None:
    from checker.conform import runner, suite

    s = sub.add_parser(
        "suite",
        help="build the conformance suite (suite build)",
        description="Conformance suites generated from the explored state graph.",
    )
    ss = s.add_subparsers(dest="suite_verb", metavar="SUBVERB", parser_class=common.Parser)
    ss.required = True
    b = ss.add_parser(
        "build",
        help="generate the suite and print its coverage",
        description="Explore small models, pick shortest paths that cover every outcome "
        "class and abstract per-node edge, add the shortest counterexample of every "
        "known-bug variant, write the scenarios as ITF, and print the coverage reached "
        "(outcomes, edges, and raftmodel/node.py's lines and branches). Deterministic: "
        "building twice gives the same bytes.",
    )
    b.add_argument("--out", default=str(suite.DEFAULT_DIR), help="directory (default %(default)s)")
    b.add_argument(
        "--mutants",
        metavar="A,B",
        default=None,
        help="regressions for these variants only (default: the whole catalog)",
    )
    b.add_argument("--quiet", action="store_true", help="no progress on stderr")
    b.add_argument("--json", metavar="FILE", help="write a JSON summary ('-' for stdout)")
    b.set_defaults(func=cmd_suite_build)

    c = sub.add_parser(
        "conform",
        help="run the conformance suite against an implementation",
        description="Run every scenario against the implementation behind the adapter "
        "protocol (docs/conformance.md), comparing its state and sent messages after every "
        "step. Exit 0: every scenario passes; 1: a scenario fails (the divergence is "
        "printed and its prefix written as a trace); 2: bad input; 3: stopped early. "
        "--adapter takes the rest of the command line: put it last.",
    )
    c.add_argument(
        "--suite",
        default=str(suite.DEFAULT_DIR),
        help="directory or one scenario file (default %(default)s)",
    )
    c.add_argument(
        "--scenario", action="append", metavar="NAME", help="run only this scenario (repeatable)"
    )
    c.add_argument(
        "--out",
        default="traces/conform-failures",
        help="where divergence prefixes are written (default %(default)s)",
    )
    c.add_argument(
        "--step-timeout",
        type=common.seconds,
        default=runner.STEP_TIMEOUT,
        help="seconds per operation (default %(default)s)",
    )
    c.add_argument(
        "--time-limit",
        type=common.seconds,
        default=None,
        help="stop after this many seconds (exit 3)",
    )
    c.add_argument("--json", metavar="FILE", help="write a JSON summary ('-' for stdout)")
    c.add_argument("--quiet", action="store_true", help="the verdict line only")
    c.add_argument(
        "--mutation-score",
        action="store_true",
        help="run the suite against correct Raft and every known-bug variant behind the "
        "reference adapter and print the score",
    )
    c.add_argument(
        "--in-process",
        action="store_true",
        help="with --mutation-score: the Python adapter API, no subprocess",
    )
    c.add_argument(
        "--adapter",
        nargs=argparse.REMAINDER,
        metavar="CMD",
        help="the adapter's command and arguments (no shell)",
    )
    common.add_html_option(c)
    c.set_defaults(func=cmd_conform)

    a = sub.add_parser(
        "adapter",
        help="serve raftmodel behind the adapter protocol (the reference adapter)",
        description="Serve raftmodel's node (or a known-bug variant) as a conformance "
        "adapter: JSON lines on stdin/stdout (docs/conformance.md).",
    )
    a.add_argument(
        "--mutant",
        default="raft",
        metavar="NAME",
        help="a known-bug variant (default: correct Raft)",
    )
    a.set_defaults(func=cmd_adapter)
