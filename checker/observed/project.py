"""Model runs as an implementation would log them: projections to the NDJSON format.

``project`` turns a run of raftmodel (states and actions, from a trace, ``simulate`` or
``random_run``) into the header and events of docs/observed-traces.md, keeping only the
fields a ``Level`` says an implementation logs, with timestamps and vector clocks, so
that tests and the bench feed the validator what a real implementation would give it.
``random_run`` is a seeded walk of the unbounded model (simulate-style, weighted so that
messages are mostly delivered, as on a network that works), on the inert-message view so
that long runs stay linear.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any, NamedTuple

from checker.observed.events import FORMAT, VERSION
from raftmodel import inert
from raftmodel.actions import (
    Action,
    ClientRequest,
    Drop,
    Duplicate,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
)
from raftmodel.cluster import (
    Bounds,
    ClusterState,
    Config,
    apply,
    candidate_actions,
    event_of,
    init_state,
    model_rules,
)
from raftmodel.messages import AppendEntries, AppendEntriesResponse, Message, RequestVote
from raftmodel.node import NodeState, step
from raftmodel.types import NIL, Role


class Level(NamedTuple):
    """What the implementation logs."""

    state: tuple[str, ...] = (
        "currentTerm",
        "votedFor",
        "role",
        "commitIndex",
        "lastLogIndex",
        "lastLogTerm",
    )
    #: Message fields besides type, from and to (None: all of the paper's).
    msg: tuple[str, ...] | None = None
    sends: bool = True  # log every message sent, as a send event
    observations: bool = True  # log become_leader / commit as events of their own
    values: bool = True  # log the client's values


FULL = Level()
#: An implementation that logs little: its state but not its log's content, message kinds and terms.
SPARSE = Level(
    ("currentTerm", "votedFor", "role", "commitIndex", "lastLogIndex"),
    ("term",),
    sends=False,
    observations=False,
    values=False,
)


def _entry(e: Any) -> dict[str, int]:
    return {"term": e.term, "value": e.value}


def message_fields(m: Message, level: Level) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(m).__name__, "from": m.source, "to": m.dest}
    for k in m._fields:
        if k in ("source", "dest", "mtype"):
            continue
        if level.msg is not None and k not in level.msg:
            continue
        v = getattr(m, k)
        if k == "lastLogIndex" and type(m) is AppendEntriesResponse and v == 0:
            continue  # no hint (Bounds.refusal_hint off, or a success): as before it existed
        out[k] = [_entry(e) for e in v] if k == "entries" else v
    return out


def node_fields(x: NodeState, level: Level) -> dict[str, Any]:
    full: dict[str, Any] = {
        "currentTerm": x.currentTerm,
        "votedFor": None if x.votedFor == NIL else x.votedFor,
        "role": x.role.label,
        "commitIndex": x.commitIndex,
        "lastLogIndex": len(x.log),
        "lastLogTerm": x.log[-1].term if x.log else 0,
        "log": [_entry(e) for e in x.log],
    }
    return {k: full[k] for k in level.state}


def project(
    config: Config,
    states: Sequence[ClusterState],
    actions: Sequence[Action],
    level: Level = FULL,
    clock: str = "time",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the events (in the run's order) an implementation logging ``level``
    would write for this run. Every event carries ``time`` (the step number) and ``vc``."""
    n = config.n
    header: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "servers": list(config.servers),
        "clock": clock,
    }
    if level.values:
        header["values"] = list(config.bounds.values)
    batch = getattr(config.bounds, "max_batch", 0)
    if batch:
        header["max_batch"] = batch
    if config.bounds.refusal_hint:
        header["refusal_hint"] = config.bounds.refusal_hint
    events: list[dict[str, Any]] = []
    vc = [[0] * (n + 1) for _ in range(n + 1)]
    sent_vc: dict[Message, list[int]] = {}

    def emit(i: int, k: int, body: dict[str, Any]) -> None:
        vc[i][i] += 1
        e: dict[str, Any] = {"node": i, **body, "time": k}
        e["vc"] = {str(j): vc[i][j] for j in range(1, n + 1) if vc[i][j]}
        events.append(e)

    for k, a in enumerate(actions, start=1):
        s, t = states[k - 1], states[k]
        if isinstance(a, Drop | Duplicate):
            continue
        if isinstance(a, Restart):
            emit(a.i, k, {"event": "restart", "state": node_fields(t.nodes[a.i - 1], level)})
            continue
        driven = event_of(a)
        assert driven is not None
        i, ev = driven
        _, sent = step(s.nodes[i - 1], ev, n, model_rules(config))
        after = t.nodes[i - 1]
        body: dict[str, Any]
        if isinstance(a, Timeout):
            body = {"event": "timeout"}
        elif isinstance(a, SendAppendEntries):
            body = {"event": "send", "msg": message_fields(sent[0], level)}
        elif isinstance(a, ClientRequest):
            body = {"event": "client_request"}
            if level.values:
                body["value"] = a.v
        else:
            assert isinstance(a, Receive)
            src = sent_vc.get(a.m)
            if src is not None:
                vc[i] = [max(x, y) for x, y in zip(vc[i], src, strict=True)]
            body = {"event": "receive", "msg": message_fields(a.m, level)}
        st = node_fields(after, level)
        if st:
            body["state"] = st
        emit(i, k, body)
        for m in sent:
            sent_vc.setdefault(m, list(vc[i]))
        if level.sends:
            for m in sent:
                if type(m) is not AppendEntries:
                    emit(i, k, {"event": "send", "msg": message_fields(m, level)})
        if level.observations:
            before = s.nodes[i - 1]
            if after.role == Role.LEADER and before.role != Role.LEADER:
                emit(i, k, {"event": "become_leader", "state": {"role": "Leader"}})
            if after.commitIndex != before.commitIndex:
                emit(i, k, {"event": "commit", "state": {"commitIndex": after.commitIndex}})
    return header, events


def dumps(header: dict[str, Any], events: Sequence[dict[str, Any]]) -> str:
    """NDJSON text: the header, then one event per line (deterministic)."""
    lines = [json.dumps(header, separators=(",", ":"))]
    lines.extend(json.dumps(e, separators=(",", ":")) for e in events)
    return "\n".join(lines) + "\n"


def split(header: dict[str, Any], events: Sequence[dict[str, Any]]) -> list[str]:
    """One NDJSON text per server (``node`` in each header), as servers write their logs."""
    out = []
    for i in header["servers"]:
        mine = [{k: v for k, v in e.items() if k != "node"} for e in events if e["node"] == i]
        out.append(dumps({**header, "node": i}, mine))
    return out


# --- seeded runs of the unbounded model -------------------------------------------------------

#: Relative weights of the action kinds in ``random_run``: deliveries dominate, elections
#: are rare (a network that mostly works, with a timeout now and then).
WEIGHTS = {Timeout: 1, SendAppendEntries: 6, Receive: 30, ClientRequest: 4, Restart: 0.3}


def random_run(
    seed: int,
    steps: int,
    n: int = 3,
    max_log: int = 40,
    values: tuple[int, ...] = (1, 2, 3),
    max_batch: int = 0,
    refusal_hint: int = 0,
) -> tuple[Config, list[ClusterState], list[Action]]:
    """A seeded walk of ``steps`` steps (simulate-style) of the model with unbounded terms,
    requests and restarts and logs of at most ``max_log`` entries (so that the cost of a
    step, which reads the logs, stays flat: the walk's length is what grows). The walk
    runs on the inert-message view and never delivers a stale-request token (no
    implementation sends a term-0 message), so every delivery is of a real message."""
    bounds: dict[str, Any] = {
        "max_term": None,
        "max_log": max_log,
        "max_restarts": None,
        "max_requests": None,
        "values": values,
    }
    if max_batch:  # batched AppendEntries (raftmodel's Bounds.max_batch, when it has one)
        bounds["max_batch"] = max_batch
    config = Config(n, Bounds(refusal_hint=refusal_hint, **bounds))
    rng = random.Random(seed)
    s = init_state(config)
    states = [s]
    actions: list[Action] = []
    while len(actions) < steps:
        acts = [
            a
            for a in candidate_actions(s, config)
            if not (isinstance(a, Receive) and a.m.term == 0)
        ]
        # A vote request is answered unless the network loses it; stale deliveries rarer.
        weights = [
            WEIGHTS[type(a)] * (3 if isinstance(a, Receive) and type(a.m) is RequestVote else 1)
            for a in acts
        ]
        a = rng.choices(acts, weights)[0]
        t = apply(s, a, config)
        if t is None:
            continue
        actions.append(a)
        s = inert.view(t)
        states.append(s)
    return config, states, actions


__all__ = ["FULL", "SPARSE", "Level", "dumps", "project", "random_run", "split"]
