"""Replay a service trace (``checker.service.itf``): rebuild its service and first state,
re-execute every recorded action with ``raftmodel.service.apply``, compare each state
with the recorded one, judge every property of ``checker.service.model`` on every step,
and check the client history of the last state with ``checker.linearizability`` (the
one checker of every history, as ``raftcheck linearizable TRACE`` runs it).

States are compared as the trace encodes them (the ITF variables), so whatever the
encoding records is what replay checks; the first state is rebuilt from Init and the
``start`` steps recorded in ``#meta.config.service``, and must match the recorded one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from checker.engine.model import Violation, check_state, check_step
from checker.errors import TraceFormatError
from checker.linearizability.search import Result
from checker.service import itf as service_itf
from checker.service.history import check_kv
from checker.service.model import ServiceModel
from checker.traces import itf
from checker.traces.itf import _D
from raftmodel import cluster
from raftmodel import service as sv
from raftmodel.rules import Rules
from raftmodel.types import ReadPath

_CLIENT_ACTIONS: dict[str, Any] = {t.__name__: t for t in sv.CLIENT_ACTIONS}


def is_service_trace(obj: Any) -> bool:
    """A trace with the service's variables (the check is shallow: decoding judges the rest)."""
    return isinstance(obj, dict) and isinstance(obj.get("vars"), list) and "history" in obj["vars"]


class ServiceTrace(NamedTuple):
    config: sv.ServiceConfig
    #: The recorded action of each state after the first.
    actions: tuple[sv.AnyAction, ...]
    #: Each recorded state's variables, as written (without its ``#meta``).
    states: tuple[dict[str, Any], ...]
    meta: dict[str, Any]


def _op(v: Any, path: str, keys: int) -> sv.Op:
    o = _D.obj(v, path)
    name = _D.field(o, "f", path)
    if name not in sv.Fn.__members__:
        known = ", ".join(sv.Fn.__members__)
        raise TraceFormatError(f"{path}.f", f"unknown operation {name!r}; known: {known}")
    ints = {k: _D.int_(_D.field(o, k, path), f"{path}.{k}", None) for k in ("key", "value", "old")}
    return sv.Op(sv.Fn[name], ints["key"], ints["value"], ints["old"])


def _action(meta: Any, path: str, n: int) -> sv.AnyAction | str | None:
    o = _D.obj(meta, path)
    name = _D.field(o, "action", path)
    typ = _CLIENT_ACTIONS.get(name)
    if typ is None:
        return itf.decode_action(meta, path, n)
    params = _D.obj(_D.field(o, "params", path), f"{path}.params")
    args = [
        _D.int_(_D.field(params, f, f"{path}.params"), f"{path}.params.{f}", 1)
        for f in typ._fields
        if f != "kind"
    ]
    return typ(*args)  # type: ignore[no-any-return]


def _service(v: Any, path: str, n: int) -> tuple[sv.Service, tuple[sv.AnyAction, ...]]:
    o = _D.obj(v, path)
    keys = _D.int_(_D.field(o, "keys", path), f"{path}.keys", 1)
    programs = tuple(
        tuple(
            _op(op, f"{path}.programs[{c}][{k}]", keys)
            for k, op in enumerate(_D.list_(p, f"{path}.programs[{c}]"))
        )
        for c, p in enumerate(_D.list_(_D.field(o, "programs", path), f"{path}.programs"))
    )
    label = _D.field(o, "reads", path)
    paths = {p.label: p for p in ReadPath}
    if label not in paths:
        raise TraceFormatError(f"{path}.reads", f"unknown read path {label!r}")
    attempts = _D.int_(_D.field(o, "maxAttempts", path), f"{path}.maxAttempts", 1)
    if "guesses" not in o or "start" not in o:
        raise TraceFormatError(
            f"{path}.start",
            "missing: this trace does not record its start steps (written by an older "
            "raftcheck); run check or simulate again to write one replay can read",
        )
    guesses = tuple(
        _D.int_(g, f"{path}.guesses[{k}]", 1)
        for k, g in enumerate(_D.list_(o["guesses"], f"{path}.guesses"))
    )
    start = []
    for k, raw in enumerate(_D.list_(o["start"], f"{path}.start")):
        a = _action(raw, f"{path}.start[{k}]", n)
        if a is None or isinstance(a, str):
            raise TraceFormatError(f"{path}.start[{k}].action", "expected an action")
        start.append(a)
    service = sv.Service(programs, keys, paths[label], attempts, guesses)
    return service, tuple(start)


def decode(obj: Any) -> ServiceTrace:
    """A service trace from its parsed JSON; TraceFormatError names the first bad field."""
    top = _D.obj(obj, "$")
    meta = _D.obj(_D.field(top, "#meta", "$"), "$.#meta")
    cpath = "$.#meta.config"
    raw_config = _D.obj(_D.field(meta, "config", "$.#meta"), cpath)
    raft = itf.decode_config(raw_config, cpath)
    service, start = _service(_D.field(raw_config, "service", cpath), f"{cpath}.service", raft.n)
    try:
        sc = sv.make_config(raft, service)._replace(prefix=start)
    except sv.BadService as e:
        raise TraceFormatError(f"{cpath}.service", str(e)) from None
    expected = [*itf.VARS, *service_itf.SERVICE_VARS]
    if _D.list_(_D.field(top, "vars", "$"), "$.vars") != expected:
        raise TraceFormatError("$.vars", f"expected {expected}, got {top['vars']}")
    raw_states = _D.list_(_D.field(top, "states", "$"), "$.states")
    if not raw_states:
        raise TraceFormatError("$.states", "a trace needs at least one state")
    actions: list[sv.AnyAction] = []
    states: list[dict[str, Any]] = []
    for k, raw in enumerate(raw_states):
        p = f"$.states[{k}]"
        so = _D.obj(raw, p)
        a = _action(_D.field(so, "#meta", p), f"{p}.#meta", raft.n)
        if k == 0 and not isinstance(a, str):
            raise TraceFormatError(
                f"{p}.#meta.action", 'the first state\'s action must be "init" or "start"'
            )
        if k and (a is None or isinstance(a, str)):
            raise TraceFormatError(f"{p}.#meta.action", f"{a!r} is only allowed on the first state")
        if k:
            actions.append(a)  # type: ignore[arg-type]
        missing = [v for v in expected if v not in so]
        if missing:
            raise TraceFormatError(f"{p}.{missing[0]}", "missing")
        states.append({v: so[v] for v in expected})
    return ServiceTrace(sc, tuple(actions), tuple(states), dict(meta))


def read(text: str, name: str) -> ServiceTrace:
    return decode(itf.parse_json(text, name))


class Divergence(NamedTuple):
    step: int
    reason: str
    #: The variables whose recorded value differs from the model's.
    details: tuple[str, ...]


class ServiceReplay(NamedTuple):
    #: The model's states from the first on, as far as they agree with the trace.
    states: tuple[sv.ServiceState, ...]
    actions: tuple[sv.AnyAction, ...]
    total: int
    violation: tuple[int, Violation] | None
    divergence: Divergence | None
    #: The linearizability check of the last agreeing state's key-value history.
    linearizability: Result

    @property
    def agreed(self) -> int:
        return len(self.states) - 1


def _canonical(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def _first_difference(a: Any, b: Any, path: str) -> tuple[str, Any, Any] | None:
    """The path of the first place where two ITF values differ, and the two values there."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}", a.get(k), b.get(k)
            d = _first_difference(a[k], b[k], f"{path}.{k}")
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        for k, (x, y) in enumerate(zip(a, b, strict=False)):  # lengths compared below
            d = _first_difference(x, y, f"{path}[{k}]")
            if d is not None:
                return d
        if len(a) != len(b):
            return f"{path} (length)", len(a), len(b)
        return None
    return None if _canonical(a) == _canonical(b) else (path, a, b)


def _clip(v: Any) -> str:
    text = _canonical(v)
    return text if len(text) <= 100 else text[:97] + "..."


def _differs(recorded: dict[str, Any], s: sv.ServiceState, sc: sv.ServiceConfig) -> list[str]:
    """One line per variable that differs: where first, and the two values there."""
    mine = service_itf.encode_state(s, sc)
    out = []
    for v in recorded:
        d = _first_difference(recorded[v], mine[v], v)
        if d is not None:
            out.append(f"{d[0]}: trace {_clip(d[1])}, model {_clip(d[2])}")
    return out


def replay(trace: ServiceTrace, rules: Rules | None = None) -> ServiceReplay:
    sc = trace.config
    if rules is not None:
        sc = sc._replace(raft=sc.raft._replace(rules=rules))
    total = len(trace.actions)

    def result(
        states: list[sv.ServiceState],
        violation: tuple[int, Violation] | None,
        divergence: Divergence | None,
    ) -> ServiceReplay:
        lin = check_kv(states[-1].history if states else ())
        return ServiceReplay(
            tuple(states), trace.actions[: max(len(states) - 1, 0)], total, violation,
            divergence, lin,
        )  # fmt: skip

    try:
        model = ServiceModel(sc)
    except cluster.BadConfig as e:
        return result([], None, Divergence(0, f"the recorded start steps: {e}", ()))
    first = model.init_states()[0]
    diff = _differs(trace.states[0], first, sc)
    if diff:
        return result([], None, Divergence(0, "the first state is not the model's", tuple(diff)))
    states = [first]
    violation: tuple[int, Violation] | None = None
    v0 = check_state(model, first)
    if v0 is not None:
        violation = (0, v0)
    for k, a in enumerate(trace.actions, 1):
        s = states[-1]
        t = sv.apply(s, a, sc)
        if t is None:
            return result(states, violation, Divergence(k, f"{sv.describe(a)} is not enabled", ()))
        diff = _differs(trace.states[k], t, sc)
        if diff:
            reason = f"after {sv.describe(a)} the model's state differs"
            return result(states, violation, Divergence(k, reason, tuple(diff)))
        if violation is None:
            v = check_step(model, s, a, t)
            if v is not None:
                violation = (k, v)
        states.append(t)
    return result(states, violation, None)


def new_events(states: Sequence[sv.ServiceState], k: int) -> tuple[sv.HistoryEvent, ...]:
    """The client events step ``k`` added to the history."""
    if k == 0:
        return states[0].history
    return states[k].history[len(states[k - 1].history) :]
