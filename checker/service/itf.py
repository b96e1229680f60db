"""Service traces as ITF: every cluster variable as ``checker.traces.itf`` writes it, plus
the service's (``machines``, ``clients``, ``reads``, ``resource``) and the client history:
``history``, the key-value events as the linearizability checker reads them (``process``,
``type``, ``f``, ``value``: ``raftcheck linearizable TRACE --object kv`` reads the last
state's), and ``lockHistory``, the lock and fenced-write events.

``#meta.config.service`` records the service (programs, keys, read path, attempts, the
clients' first guesses) and ``start``, the scripted steps from Init to the first state
(cluster and client actions, as the states' ``#meta`` write them): ``raftcheck replay``
(``checker.service.replay``) rebuilds the first state from them and re-executes the
trace, comparing every state as this module encodes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checker.files import write_text_atomic
from checker.linearizability.history import Event
from checker.service.history import kv_events, lock_events
from checker.traces import itf
from raftmodel import service as sv

SERVICE_VARS = ("machines", "clients", "reads", "resource", "history", "lockHistory")


def _value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return itf._int(v)
    if isinstance(v, tuple):
        return [_value(x) for x in v]
    return str(v)


def _event(e: Event) -> dict[str, Any]:
    return {"process": _value(e.process), "type": e.kind.value, "f": e.f, "value": _value(e.value)}


def _per(xs: Sequence[Any], f: Any) -> dict[str, Any]:
    return itf._map([(itf._int(k), f(x)) for k, x in enumerate(xs, 1)])


def encode_state(s: sv.ServiceState, sc: sv.ServiceConfig) -> dict[str, Any]:
    out = itf.encode_state(s.cluster, sc.raft.semantics)
    out["machines"] = _per(
        s.machines,
        lambda m: {
            "lastApplied": itf._int(m.lastApplied),
            "kv": _per(m.kv, itf._int),
            "holder": itf._int(m.holder),
            "token": _value(m.token),
        },
    )
    out["clients"] = _per(
        s.clients,
        lambda c: {
            "pc": itf._int(c.pc),
            "busy": c.busy,
            "waiting": c.waiting,
            "guess": itf._int(c.guess),
            "attempts": itf._int(c.attempts),
            "token": _value(c.token),
            "stopped": c.stopped,
        },
    )
    out["reads"] = _per(
        s.reads,
        lambda r: {
            "server": itf._int(r.server),
            "term": itf._int(r.term),
            "index": itf._int(r.index),
            "acks": itf._set(itf._int(j) for j in r.acks),
        },
    )
    out["resource"] = {
        "highest": _value(s.resource.highest),
        "value": itf._int(s.resource.value),
    }
    out["history"] = [_event(e) for e in kv_events(s.history)]
    out["lockHistory"] = [_event(e) for e in lock_events(s.history)]
    return out


def encode_action(a: sv.AnyAction | None, from_init: bool) -> dict[str, Any]:
    if a is None or not sv.is_client_action(a):
        return itf.encode_action(a, from_init)  # type: ignore[arg-type]
    params = {k: itf._int(getattr(a, k)) for k in a._fields if k != "kind"}
    return {"action": sv.kind_name(a), "params": params}


def encode_trace(
    sc: sv.ServiceConfig,
    states: Sequence[sv.ServiceState],
    actions: Sequence[sv.AnyAction],
    meta: dict[str, Any],
) -> dict[str, Any]:
    from_init = not sc.raft.prefix and not sc.prefix
    top: dict[str, Any] = {
        "format": "ITF",
        "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
        "source": "raftcheck",
        **meta,
        "config": itf.encode_config(sc.raft),
    }
    top["config"]["service"] = {
        "programs": [
            [{"f": op.f.name, "key": op.key, "value": op.value, "old": op.old} for op in p]
            for p in sc.service.programs
        ],
        "keys": sc.service.keys,
        "reads": sc.service.reads.label,
        "maxAttempts": sc.service.max_attempts,
        "guesses": [itf._int(sv.first_guess(sc, c)) for c in sc.clients],
        "start": [encode_action(a, False) for a in (*sc.raft.prefix, *sc.prefix)],
    }
    rows = []
    for k, s in enumerate(states):
        a = actions[k - 1] if k else None
        rows.append({"#meta": {"index": k, **encode_action(a, from_init)}, **encode_state(s, sc)})
    return {"#meta": top, "vars": [*itf.VARS, *SERVICE_VARS], "states": rows}


def write_trace(
    path: str,
    sc: sv.ServiceConfig,
    states: Sequence[sv.ServiceState],
    actions: Sequence[sv.AnyAction],
    meta: dict[str, Any],
) -> None:
    write_text_atomic(path, itf.dumps(encode_trace(sc, states, actions, meta)))
