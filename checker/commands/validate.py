"""``raftcheck validate TRACE...``: is an observed trace a behaviour of the model?

The default engine is ours (``checker.observed``: NDJSON logs of a real implementation,
merged by timestamp or vector clock, or ITF with partial states; docs/observed-traces.md).
``--tlc`` asks TLC about one complete ITF trace, as before (``checker.commands.tla``).
Exit codes: 0 every event explained, 1 an event no behaviour explains (or a violation),
2 bad input (one line), 3 inconclusive (``--max-candidates`` hit, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.errors import BadOption

#: Our engine's options, refused with --tlc (they would do nothing there).
_OURS = ("max_hidden_steps", "max_candidates", "out")


def _progress() -> Any:
    last = [time.monotonic()]

    def progress(k: int, total: int, cands: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 2.0:
            last[0] = now
            print(f"  events {k:,}/{total:,}  candidates {cands:,}", file=sys.stderr, flush=True)

    return progress


def _where(e: Any) -> str:
    node = f" on node {e.node}" if e.node else ""
    return f"{e.where} ({e.kind}{node})"


def cmd_validate(args: argparse.Namespace) -> int:
    if args.tlc:
        from checker.commands import tla

        for name in _OURS:
            if getattr(args, name) is not None:
                raise BadOption(f"--{name.replace('_', '-')} is for our engine, not --tlc")
        if len(args.traces) != 1:
            raise BadOption("--tlc validates one ITF trace")
        args.trace = args.traces[0]
        return tla.cmd_validate(args)
    if args.states_only:
        raise BadOption("--states-only is for --tlc (our engine reads each step's action)")
    from checker.observed import events, match
    from checker.traces import itf
    from raftmodel import mutants
    from raftmodel.rules import RAFT

    common.check_outputs(args, "out", "json")
    rules = mutants.rules_for(args.mutant) if args.mutant is not None else None
    obs = events.read(args.traces)
    hidden = 2 if args.max_hidden_steps is None else args.max_hidden_steps
    cap = 10_000 if args.max_candidates is None else args.max_candidates
    opts = match.Options(hidden, cap, rules if rules is not None else RAFT)
    config = match.config_for(obs, opts.rules)
    names = ", ".join(args.traces)
    print(
        f"validate: {names}: {len(obs.events):,} events of {obs.n} servers "
        f"(clock {obs.clock}); model raftmodel, variant {config.rules.name!r}, unbounded "
        f"(values {list(config.bounds.values)}, {config.semantics.value} network); "
        f"hidden steps <= {hidden} per event, candidates <= {cap:,}",
        flush=True,
    )
    res = match.validate(obs, opts, _progress())
    rate = res.matched / res.seconds if res.seconds > 0 else 0.0
    stats = (
        f"{res.matched:,} of {res.events:,} events matched, {res.hidden_events:,} needed "
        f"hidden steps ({res.hidden_steps:,} steps), {res.invariant_checks:,} states checked "
        f"against every invariant, candidate set at most {res.max_set:,}, "
        f"{res.seconds:.2f}s ({rate:,.0f} events/s)"
    )
    summary: dict[str, Any] = {
        "traces": list(args.traces),
        "events": res.events,
        "matched": res.matched,
        "hidden_events": res.hidden_events,
        "hidden_steps": res.hidden_steps,
        "max_hidden_steps": hidden,
        "invariant_checks": res.invariant_checks,
        "max_candidates_seen": res.max_set,
        "max_candidates": cap,
        "seconds": round(res.seconds, 3),
        "verdict": res.verdict,
    }
    if res.verdict == "ok":
        print(f"OK: every event is explained by a behaviour of the model: {stats}")
        code = Exit.OK
    elif res.verdict == "inconclusive":
        print(f"INCONCLUSIVE: {res.why}; no verdict (not a pass): {stats}")
        code = Exit.INCONCLUSIVE
    else:
        e = res.failed_event
        k = res.matched
        if res.verdict == "violation":
            v = res.violation
            assert v is not None
            at = "in the start state" if e is None else f"at event {k + 1}, {_where(e)}"
            print(f"VIOLATION: {v.property} {at}: {v.detail}")
            summary["violation"] = v.property
        else:
            assert e is not None
            print(
                f"REJECTED: event {k + 1}, {_where(e)}, is explained by no behaviour of the "
                f"model (events 1..{k} matched, hidden steps <= {hidden})"
            )
            shown = []
            for n, mm in enumerate(res.mismatches, start=1):
                if mm.expected:
                    line = f"{mm.field}: expected {mm.expected}, observed {mm.observed}"
                else:
                    line = f"{mm.field}: {mm.observed}"
                print(f"  candidate {n}: {line}")
                shown.append({"field": mm.field, "expected": mm.expected, "observed": mm.observed})
            summary["mismatches"] = shown
        if e is not None:
            summary["failed_event"] = {"index": k + 1, "where": e.where, "kind": e.kind}
        print(f"stats: {stats}")
        if res.closest is not None:
            stem = Path(args.traces[0]).name.split(".")[0] or "trace"
            out = common.default_out(
                args.out, "traces", "validate", f"{stem}-event{k + 1}.itf.json"
            )
            trace = match.closest_trace(
                obs,
                res.closest,
                opts,
                f"raftcheck validate {names}: the model's closest path to event {k + 1}",
            )
            itf.write_trace(out, trace)
            summary["closest_path"] = str(out)
            if res.verdict == "violation" and res.violation is not None:
                rule, detail = res.violation.property, res.violation.detail
            else:
                rule = "Divergence"
                detail = f"event {k + 1} ({e.where if e else ''}) is explained by no behaviour"
            common.record_finding(rule, detail, trace=trace, path=out, step=len(trace.steps) - 1)
            print(
                f"closest path: {len(trace.steps) - 1} model steps written to {out} "
                f"(raftcheck replay {out})"
            )
        code = Exit.VIOLATION
    summary["exit"] = int(code)
    if args.json:
        common.write_json(args.json, summary)
    return code


def register(sub: Any) -> None:
    """Add ``validate`` to raftcheck's subparsers."""
    v = sub.add_parser(
        "validate",
        help="is an observed trace (NDJSON logs, ITF) a behaviour of the model?",
        description="Trace validation. By default our engine: NDJSON logs of a running "
        "implementation (docs/observed-traces.md), one merged file or one per server "
        "(merged by timestamp or vector clock), or an ITF trace with partial states, "
        "matched event by event against raftmodel with every invariant checked. --tlc: TLC "
        "matches one complete ITF trace state by state against spec/Raft.tla. Exit 0 "
        "explained, 1 rejected (the first unexplained event, the fields that disagree, the "
        "closest model path as ITF), 2 bad input, 3 inconclusive.",
    )
    v.add_argument("traces", nargs="+", metavar="TRACE", help="NDJSON files, or one ITF trace")
    v.add_argument("--tlc", action="store_true", help="validate one ITF trace with TLC")
    v.add_argument("--mutant", default=None, metavar="NAME", help="validate against this variant")
    v.add_argument(
        "--states-only",
        action="store_true",
        help="--tlc: ignore the trace's action labels (any step may lead to each state)",
    )
    g = v.add_argument_group("our engine")
    g.add_argument(
        "--max-hidden-steps",
        type=common.natural,
        default=None,
        metavar="K",
        help="steps the log does not show tried before an event nothing else explains (default 2)",
    )
    g.add_argument(
        "--max-candidates",
        type=common.positive,
        default=None,
        metavar="C",
        help="memory bound on the set of candidate states; over it: inconclusive, exit 3 "
        "(default 10,000)",
    )
    g.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="where to write the closest model path (default traces/validate/...)",
    )
    v.add_argument("--json", metavar="FILE", help="write a JSON summary ('-' for stdout)")
    common.add_html_option(v)
    v.set_defaults(func=cmd_validate)
