"""Legible text for states, steps and diffs; shared by replay, simulate and check."""

from __future__ import annotations

from raftmodel import network as net
from raftmodel.actions import Action, Receive, describe, describe_message
from raftmodel.cluster import ClusterState, Committed, Election
from raftmodel.network import Semantics
from raftmodel.node import NodeState
from raftmodel.types import NIL, Entry, Log, Role


def render_log(node: NodeState) -> str:
    return _show_log(node.log)


def _show_log(log: Log) -> str:
    # index:tTERM=VALUE, the paper's boxes of Figures 6-8 in one line.
    return "[" + " ".join(f"{k + 1}:t{e.term}={e.value}" for k, e in enumerate(log)) + "]"


def render_node(node: NodeState) -> str:
    vote = "-" if node.votedFor == NIL else f"S{node.votedFor}"
    extra = ""
    if node.votesGranted:
        extra += f"  votes {{{', '.join(f'S{v}' for v in sorted(node.votesGranted))}}}"
    if node.role.label == "Leader":
        extra += f"  next {list(node.nextIndex)} match {list(node.matchIndex)}"
    return (
        f"S{node.id} {node.role.label:<9} term {node.currentTerm:<2} vote {vote:<3} "
        f"commit {node.commitIndex}  log {render_log(node)}{extra}"
    )


def render_state(s: ClusterState, sem: Semantics, indent: str = "  ") -> list[str]:
    lines = [indent + render_node(node) for node in s.nodes]
    hist = []
    if s.elections:
        hist.append("elected " + ", ".join(f"t{e.term}:S{e.leader}" for e in sorted(s.elections)))
    if s.committed:
        hist.append(
            "committed "
            + ", ".join(
                f"{c.index}:t{c.term}={c.value}@t{c.commitTerm}" for c in sorted(s.committed)
            )
        )
    hist.append(f"in flight {len(net.messages(s.network, sem))}")
    if s.restarts:
        hist.append(f"restarts {s.restarts}")
    if s.requests:
        hist.append(f"requests {s.requests}")
    lines.append(indent + "; ".join(hist))
    return lines


def render_step(
    k: int, a: Action | None, before: ClusterState | None, after: ClusterState, sem: Semantics
) -> list[str]:
    head = f"step {k}: " + ("initial state" if a is None else describe(a))
    lines = [head]
    lines.extend(render_state(after, sem))
    if before is not None:
        old = net.as_counts(before.network, sem)
        new = net.as_counts(after.network, sem)
        if isinstance(a, Receive):
            lines.append(f"  delivered {describe_message(a.m)}")
        for m in net.messages(after.network, sem):
            if new.get(m, 0) > old.get(m, 0):
                lines.append(f"  sent      {describe_message(m)}")
    return lines


def diff_states(expected: ClusterState, actual: ClusterState, sem: Semantics) -> list[str]:
    """Field-by-field differences, 'trace' = expected, 'model' = actual."""
    out: list[str] = []
    for a, b in zip(expected.nodes, actual.nodes, strict=True):
        for field in NodeState._fields:
            va, vb = getattr(a, field), getattr(b, field)
            if va != vb:
                out.append(
                    f"S{a.id}.{field}: trace {_show_node(field, va)}, model {_show_node(field, vb)}"
                )
    ea, eb = net.as_counts(expected.network, sem), net.as_counts(actual.network, sem)
    for m in sorted(set(ea) | set(eb), key=lambda m: (type(m).__name__, *m)):
        if ea.get(m, 0) != eb.get(m, 0):
            out.append(
                f"messages: {describe_message(m)}: trace {ea.get(m, 0)}, model {eb.get(m, 0)}"
            )
    for field in ("elections", "committed", "restarts", "requests"):
        va, vb = getattr(expected, field), getattr(actual, field)
        if va != vb:
            out.append(f"{field}: trace {_show(va)}, model {_show(vb)}")
    return out


def _show_node(field: str, v: object) -> str:
    # Servers are S1..Sn everywhere in the output; votedFor's NIL is "none".
    if field == "votedFor":
        return "none" if v == NIL else f"S{v}"
    if field == "votesGranted" and isinstance(v, frozenset):
        return "{" + ", ".join(f"S{x}" for x in sorted(v)) + "}"
    return _show(v)


def _show(v: object) -> str:
    """A field's value as the rest of the output writes it (never a Python repr)."""
    if isinstance(v, Role):
        return v.label
    if isinstance(v, Election):
        return f"t{v.term}:S{v.leader}"
    if isinstance(v, Committed):
        return f"index {v.index} term {v.term} value {v.value} committed in term {v.commitTerm}"
    if isinstance(v, frozenset):
        return "{" + ", ".join(_show(x) for x in sorted(v)) + "}"
    if isinstance(v, tuple) and all(isinstance(e, Entry) for e in v) and v:
        return _show_log(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(map(_show, v)) + "]"
    return str(v)
