"""``raftcheck replay``: re-execute an ITF trace on raftmodel and judge every step."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker.commands import common
from checker.commands.common import Exit
from checker.raft.invariants import ALL_NAMES
from checker.raft.report import render_node, render_step
from checker.service import replay as service_replay
from checker.service import report as service_report
from checker.service.history import KV_FNS, linearizable
from checker.service.model import ALL_NAMES as SERVICE_NAMES
from checker.traces import itf
from checker.traces.replay import replay
from raftmodel import mutants
from raftmodel import service as sv


def cmd_replay(args: argparse.Namespace) -> int:
    common.check_outputs(args, "json")
    obj = itf.parse_json(*itf.read_text(args.trace))
    if service_replay.is_service_trace(obj):
        return _replay_service(args, service_replay.decode(obj))
    trace = itf.decode_trace(obj)
    rules = trace.config.rules if args.mutant is None else mutants.rules_for(args.mutant)
    mutant = rules.name
    result = replay(trace, rules)
    config = trace.config._replace(rules=rules)
    sem = config.semantics
    if not args.quiet:
        print(
            f"replaying {args.trace}: {len(trace.steps) - 1} steps, "
            f"{common.describe_config(config)}"
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
    common.judged(ALL_NAMES)
    path = None if args.trace == "-" else Path(args.trace)
    summary: dict[str, Any] = {
        "trace": str(args.trace),
        "mutant": mutant,
        "steps": result.total,
        "agreed": result.agreed,
        "conforms": result.conforms,
    }

    def record(prop: str, detail: str, step: int) -> None:
        common.record_finding(prop, detail, trace=trace, path=path, step=step)

    code = _verdicts(result, mutant, summary, record)
    return _finish(code, result.total, mutant, common.checked(), args, summary)


def _finish(
    code: int, steps: int, mutant: str, checked: str, args: Any, summary: dict[str, Any]
) -> int:
    """The OK line of a replay that passed, and the JSON summary if asked for."""
    if code == Exit.OK:
        print(
            f"OK: all {steps} steps replay on {mutant} and no property is violated "
            f"(checked: {checked})"
        )
    if args.json:
        common.write_json(args.json, summary)
    return code


def _verdicts(
    result: Any,
    mutant: str,
    summary: dict[str, Any],
    record: Callable[[str, str, int], None] | None,
) -> Exit:
    """Print the violation and the divergence of a replay (a cluster's or a service's),
    put them in the JSON summary, and hand them to ``record`` (the CI outputs)."""
    code = Exit.OK
    if result.violation:
        k, v = result.violation
        print(f"VIOLATION: {v.property} at step {k}: {v.detail}")
        summary["violation"] = {"property": v.property, "step": k, "detail": v.detail}
        if record is not None:
            record(v.property, v.detail, k)
        code = Exit.VIOLATION
    if result.divergence:
        d = result.divergence
        print(
            f"DIVERGES at step {d.step}: {d.reason}; the trace leaves the model "
            f"({mutant}) after {result.agreed} agreeing steps"
        )
        for line in d.details:
            print(f"  {line}")
        summary["divergence"] = {"step": d.step, "reason": d.reason, "details": list(d.details)}
        if record is not None:
            record("Divergence", d.reason, d.step)
        code = Exit.VIOLATION
    return code


def _replay_service(args: argparse.Namespace, trace: service_replay.ServiceTrace) -> int:
    """A service trace (check or simulate on a service preset): its steps with the client
    events they add, every property of the service model, and the key-value history of
    the last state checked by the linearizability checker."""
    rules = None if args.mutant is None else mutants.rules_for(args.mutant)
    sc = trace.config
    mutant = sc.raft.rules.name if rules is None else rules.name
    result = service_replay.replay(trace, rules)
    states = result.states
    if not args.quiet:
        raft = sc.raft._replace(rules=rules or sc.raft.rules)
        print(
            f"replaying {args.trace}: {result.total} steps, {common.describe_config(raft)} "
            f"{service_report.describe(sc)}"
        )
        for k, st in enumerate(states):
            head = "start" if k == 0 and sc.prefix else "initial state"
            print(f"step {k}: " + (head if k == 0 else sv.describe(result.actions[k - 1])))
            print("  " + " | ".join(render_node(x) for x in st.cluster.nodes))
            print("  " + service_report.render_clients(st))
            for e in service_replay.new_events(states, k):
                print(f"  client {e.client} {e.ev.name} {e.f.name} key {e.key} {list(e.value)}")
            if result.violation and result.violation[0] == k:
                v = result.violation[1]
                print(f"  !! {v.property} violated: {v.detail}")
    common.judged(SERVICE_NAMES)
    summary: dict[str, Any] = {
        "trace": str(args.trace),
        "mutant": mutant,
        "steps": result.total,
        "agreed": result.agreed,
        "conforms": result.divergence is None,
    }
    code = _verdicts(result, mutant, summary, None)
    lin = result.linearizability
    history = states[-1].history if states else ()
    ops = sum(1 for e in history if e.ev is sv.Ev.invoke and e.f in KV_FNS)
    if lin.verdict is lin.verdict.OK:
        print(f"client history: {ops} key-value operations, linearizable")
    else:  # the same checker and words as the Linearizable property
        print(f"history check: {linearizable(history) or lin.verdict.value}")
    summary["linearizable"] = lin.verdict.name
    if lin.verdict is lin.verdict.VIOLATION:
        code = Exit.VIOLATION
    elif lin.verdict is lin.verdict.UNKNOWN and code == Exit.OK:
        code = Exit.INCONCLUSIVE
    return _finish(code, result.total, mutant, ", ".join(SERVICE_NAMES), args, summary)


def register(sub: Any) -> None:
    r = sub.add_parser(
        "replay",
        help="re-execute an ITF trace on raftmodel and judge each step",
        description="Re-execute the actions of an ITF trace on raftmodel from the "
        "trace's first state, compare every state, print each step and report "
        "the property the trace violates or the step where it leaves the model. "
        "Exit 0 the trace replays and no property is violated, 1 a violation or a "
        "divergence, 2 a malformed trace, 3 a client history the linearizability "
        "checker could not judge within its budget.",
    )
    r.add_argument("trace", metavar="TRACE", help="an ITF JSON trace file ('-': stdin)")
    r.add_argument(
        "--mutant",
        default=None,
        metavar="NAME",
        help="replay on this variant instead of the one recorded in the trace",
    )
    r.add_argument("--quiet", action="store_true", help="print only the verdict")
    r.add_argument("--json", metavar="FILE", help="write a JSON summary ('-': stdout, alone)")
    r.set_defaults(func=cmd_replay)
