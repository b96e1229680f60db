"""Text for the service: its configuration in one line, a run step by step, and the
violation report with its ITF trace and client history."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from checker.engine.model import Violation
from checker.files import write_text_atomic
from checker.raft.report import render_node
from checker.service import itf
from checker.service.history import jsonl
from raftmodel import service as sv


def describe(sc: sv.ServiceConfig) -> str:
    s = sc.service
    progs = "; ".join(
        f"c{c}: " + ", ".join(describe_op(op) for op in p) for c, p in enumerate(s.programs, 1)
    )
    text = f"service: reads={s.reads.label} attempts={s.max_attempts} clients [{progs}]"
    if sc.prefix:
        text += f" start=after {len(sc.prefix)} more scripted steps"
    return text


def describe_op(op: sv.Op) -> str:
    if op.f is sv.Fn.read:
        return f"read k{op.key}"
    if op.f is sv.Fn.write:
        return f"write k{op.key}={op.value}"
    if op.f is sv.Fn.cas:
        return f"cas k{op.key} {op.old}->{op.value}"
    if op.f is sv.Fn.fenced:
        return f"fenced write {op.value}"
    return "acquire"


def render_clients(s: sv.ServiceState) -> str:
    parts = []
    for c, cl in enumerate(s.clients, 1):
        state = (
            "stopped"
            if cl.stopped
            else ("waiting" if cl.waiting else ("busy" if cl.busy else "idle"))
        )
        parts.append(f"c{c} op{cl.pc + 1} {state} ->S{cl.guess}")
    applied = " ".join(f"S{k}:{m.lastApplied}" for k, m in enumerate(s.machines, 1))
    return " | ".join(parts) + f" | applied {applied}"


def print_run(states: Sequence[sv.ServiceState], actions: Sequence[sv.AnyAction]) -> None:
    for k, st in enumerate(states):
        head = "init" if k == 0 else sv.describe(actions[k - 1])
        print(f"{k:3d} {head}")
        print("      " + " | ".join(render_node(x) for x in st.cluster.nodes))
        print("      " + render_clients(st))
        if k and st.history != states[k - 1].history:
            for e in st.history[len(states[k - 1].history) :]:
                print(f"      history: c{e.client} {e.ev.name} {e.f.name} {e.value}")


def history_path(trace: Path) -> Path:
    """Where the client history of trace ``x.itf.json`` goes: ``x.history.jsonl``."""
    name = trace.name.removesuffix(".json").removesuffix(".itf")
    return trace.with_name(name + ".history.jsonl")


def report_violation(
    sc: sv.ServiceConfig,
    states: Sequence[sv.ServiceState],
    actions: Sequence[sv.AnyAction],
    violation: Violation,
    *,
    out: Path,
    description: str,
    quiet: bool,
) -> None:
    """The run (unless quiet), the verdict, then the ITF trace and, next to it, the client
    history as JSON lines (``raftcheck linearizable FILE --object kv`` reads either)."""
    if not quiet:
        print_run(states, actions)
    print(
        f"VIOLATION: {violation.property} after {len(actions)} steps: {violation.detail}",
        flush=True,
    )
    itf.write_trace(str(out), sc, states, actions, {"description": description})
    print(f"trace written to {out} (its client history: raftcheck linearizable {out} --object kv)")
    hist = history_path(out)
    write_text_atomic(hist, jsonl(states[-1].history))
    print(f"history written to {hist}")
