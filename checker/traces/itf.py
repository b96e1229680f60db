"""The only module that knows ITF JSON (the Apalache/Quint Informal Trace Format).

A raftcheck trace is an ITF object whose states are cluster states, one per step.
Each state's ``#meta`` records the action that led to it (``action`` and ``params``,
like Quint's ``mbt::actionTaken``/``mbt::nondetPicks``); the first state's action is
``init`` when it is the initial state, or ``start`` when the story begins mid-life.
The trace's ``#meta`` records the configuration (servers, semantics, bounds, mutant).

Encoding (no JSON null anywhere):
  integers          {"#bigint": "3"}   (plain JSON integers are accepted on input)
  votedFor          {"tag": "Some", "value": 2} or {"tag": "None", "value": {"#tup": []}}
  role              "Follower" | "Candidate" | "Leader"
  log               [ {"term": t, "value": v}, ... ]        (an ITF sequence)
  per-server vars   {"#map": [[server, value], ...]}         (servers ascending)
  messages (set)    {"#set": [message, ...]}
  messages (bag)    {"#map": [[message, copies], ...]}
  message           {"tag": "RequestVote", "value": {"source": ..., "dest": ..., ...}}
  elections         {"#set": [{"term": t, "leader": i}, ...]}
  committed         {"#set": [{"index": k, "term": t, "value": v, "commitTerm": c}, ...]}

Sets and maps are written in a canonical order (sorted by their JSON text), so writing
the same trace twice gives the same bytes, and write(read(write(t))) == write(t).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from checker.errors import TraceFormatError
from checker.files import write_text_atomic
from checker.raft.bounds import BOUND_FIELDS, BoundField
from raftmodel import mutants
from raftmodel.actions import (
    ACTION_TYPES,
    Action,
    ClientRequest,
    Drop,
    Duplicate,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
    action_name,
    explicit_params,
)
from raftmodel.actions import params as action_params
from raftmodel.cluster import Bounds, ClusterState, Committed, Config, Election, validate
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.network import Semantics
from raftmodel.node import NodeState
from raftmodel.types import NIL, Entry, Role
from raftmodel.wellformed import Problem, first_problem

VARS: tuple[str, ...] = (
    "currentTerm",
    "votedFor",
    "log",
    "role",
    "commitIndex",
    "votesGranted",
    "nextIndex",
    "matchIndex",
    "messages",
    "elections",
    "committed",
    "restarts",
    "requests",
)

MESSAGE_FIELDS: dict[str, tuple[type, tuple[str, ...]]] = {
    t.__name__: (t, tuple(f for f in t._fields if f != "mtype"))
    for t in (RequestVote, RequestVoteResponse, AppendEntries, AppendEntriesResponse)
}
_BOOL_FIELDS = {"voteGranted", "success"}
#: Message fields written only when not 0, and read as 0 when absent: a refusal's hint
#: (Bounds.refusal_hint), so traces written before it existed read and write unchanged.
_ELIDED_AT_ZERO: dict[type, tuple[str, ...]] = {AppendEntriesResponse: ("lastLogIndex",)}
_ROLES = {r.label: r for r in Role}


class Step(NamedTuple):
    """The action that produced a state (None for the first state) and the state."""

    action: Action | None
    state: ClusterState


class Trace(NamedTuple):
    #: The variant the trace was recorded on is ``config.rules.name`` (#meta.config.mutant).
    config: Config
    steps: tuple[Step, ...]
    meta: dict[str, Any]
    #: True when the first state is the model's initial state.
    from_init: bool

    @property
    def states(self) -> list[ClusterState]:
        return [s.state for s in self.steps]


# --- encoding ----------------------------------------------------------------------------


def _int(v: int) -> dict[str, str]:
    return {"#bigint": str(int(v))}


def _canon(items: list[Any]) -> list[Any]:
    return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))


def _set(items: Any) -> dict[str, Any]:
    return {"#set": _canon([x for x in items])}


def _map(pairs: list[tuple[Any, Any]]) -> dict[str, Any]:
    return {"#map": _canon([[k, v] for k, v in pairs])}


def encode_message(m: Message) -> dict[str, Any]:
    value: dict[str, Any] = {}
    v: Any
    for k, v in zip(m._fields, m, strict=True):
        if k == "mtype" or (k in _ELIDED_AT_ZERO.get(type(m), ()) and v == 0):
            continue
        if k in _BOOL_FIELDS:
            value[k] = bool(v)
        elif k == "entries":
            value[k] = [{"term": _int(e.term), "value": _int(e.value)} for e in v]
        else:
            value[k] = _int(v)
    return {"tag": type(m).__name__, "value": value}


def encode_state(s: ClusterState, semantics: Semantics) -> dict[str, Any]:
    def per(f: Any) -> dict[str, Any]:
        return _map([(_int(x.id), f(x)) for x in s.nodes])

    def vote(x: NodeState) -> dict[str, Any]:
        if x.votedFor == NIL:
            return {"tag": "None", "value": {"#tup": []}}
        return {"tag": "Some", "value": _int(x.votedFor)}

    def index_map(t: tuple[int, ...]) -> dict[str, Any]:
        return _map([(_int(j + 1), _int(v)) for j, v in enumerate(t)])

    if semantics is Semantics.SET:
        msgs = _set(encode_message(m) for m in s.network)
    else:
        msgs = _map([(encode_message(m), _int(c)) for m, c in s.network])
    return {
        "currentTerm": per(lambda x: _int(x.currentTerm)),
        "votedFor": per(vote),
        "log": per(lambda x: [{"term": _int(e.term), "value": _int(e.value)} for e in x.log]),
        "role": per(lambda x: x.role.label),
        "commitIndex": per(lambda x: _int(x.commitIndex)),
        "votesGranted": per(lambda x: _set(_int(v) for v in x.votesGranted)),
        "nextIndex": per(lambda x: index_map(x.nextIndex)),
        "matchIndex": per(lambda x: index_map(x.matchIndex)),
        "messages": msgs,
        "elections": _set({"term": _int(e.term), "leader": _int(e.leader)} for e in s.elections),
        "committed": _set(
            {
                "index": _int(c.index),
                "term": _int(c.term),
                "value": _int(c.value),
                "commitTerm": _int(c.commitTerm),
            }
            for c in s.committed
        ),
        "restarts": _int(s.restarts),
        "requests": _int(s.requests),
    }


def encode_action(a: Action | None, from_init: bool) -> dict[str, Any]:
    if a is None:
        return {"action": "init" if from_init else "start", "params": {}}
    params: dict[str, Any] = {}
    v: Any
    # Parameters at their default are left out (SendAppendEntries' batch 0, the whole
    # suffix), so traces of the unbatched model read and write as before batching.
    for k, v in explicit_params(a).items():
        params[k] = encode_message(v) if k == "m" else _int(v)
    return {"action": action_name(a), "params": params}


def encode_config(config: Config) -> dict[str, Any]:
    b = config.bounds

    def opt(v: int | None) -> Any:
        return "unbounded" if v is None else _int(v)

    # The keys of checker.raft.bounds' table, values before maxCopies (as ever written).
    bounds: dict[str, Any] = {}
    for f in BOUND_FIELDS:
        if f.field == "max_copies":
            bounds["values"] = _set(_int(v) for v in b.values)
        v = getattr(b, f.field)
        if f.elided is not None and v == f.elided:
            continue
        bounds[f.itf] = opt(v) if f.optional else _int(v)
    return {
        "servers": _int(config.n),
        "semantics": config.semantics.value,
        "mutant": config.rules.name,
        "bounds": bounds,
    }


def encode_trace(
    config: Config,
    steps: Sequence[Step],
    *,
    from_init: bool = True,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    top: dict[str, Any] = {
        "format": "ITF",
        "format-description": "https://apalache-mc.org/docs/adr/015adr-trace.html",
        "source": "raftcheck",
    }
    top.update(meta or {})
    top["config"] = encode_config(config)
    states = []
    for k, (a, s) in enumerate(steps):
        st_meta = {"index": k, **encode_action(a, from_init)}
        states.append({"#meta": st_meta, **encode_state(s, config.semantics)})
    return {"#meta": top, "vars": list(VARS), "states": states}


def _compact(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def dumps(obj: dict[str, Any]) -> str:
    """One line per state, so traces diff well and stay small; deterministic."""
    states = ",\n".join(f"  {_compact(s)}" for s in obj["states"])
    return (
        "{\n"
        f' "#meta": {_compact(obj["#meta"])},\n'
        f' "vars": {_compact(obj["vars"])},\n'
        f' "states": [\n{states}\n ]\n'
        "}\n"
    )


def write_trace(path: str | os.PathLike[str], trace: Trace) -> None:
    obj = encode_trace(
        trace.config,
        trace.steps,
        from_init=trace.from_init,
        meta={k: v for k, v in trace.meta.items() if k != "config"},
    )
    write_text_atomic(path, dumps(obj))


def make_trace(
    config: Config,
    states: Sequence[ClusterState],
    actions: Sequence[Action],
    *,
    from_init: bool | None = None,
    meta: dict[str, Any] | None = None,
) -> Trace:
    """``from_init`` None: the first state is Init unless ``config`` has a prefix. The
    variant recorded is ``config.rules.name``."""
    if len(states) != len(actions) + 1:
        raise ValueError("a trace needs one more state than actions")
    steps = (Step(None, states[0]), *(Step(a, s) for a, s in zip(actions, states[1:], strict=True)))
    if from_init is None:
        from_init = not config.prefix
    return Trace(config, steps, dict(meta or {}), from_init)


# --- decoding (validating, with the path of the first bad field) -------------------------


class _D:
    """Decoding helpers that raise TraceFormatError naming the JSON path."""

    @staticmethod
    def obj(v: Any, path: str) -> dict[str, Any]:
        if not isinstance(v, dict):
            raise TraceFormatError(path, f"expected an object, got {_kind(v)}")
        return v

    @staticmethod
    def field(o: dict[str, Any], key: str, path: str) -> Any:
        if key not in o:
            raise TraceFormatError(f"{path}.{key}", "missing")
        return o[key]

    @staticmethod
    def int_(v: Any, path: str, minimum: int | None = 0) -> int:
        if isinstance(v, bool):
            raise TraceFormatError(path, "expected an integer, got a boolean")
        if isinstance(v, int):
            n = v
        elif isinstance(v, dict) and set(v) == {"#bigint"} and isinstance(v["#bigint"], str):
            digits = v["#bigint"]
            # ITF: a #bigint is a decimal numeral, -?[0-9]+ in ASCII; Python's int() would
            # also take "2_8", "+28", " 3 " and non-ASCII digits, which ITF does not.
            if not _BIGINT.fullmatch(digits):
                raise TraceFormatError(path, f"bad #bigint {_clip(digits)!r}")
            n = _to_int(digits, path)
        else:
            raise TraceFormatError(
                path, f'expected an integer ({{"#bigint": ...}}), got {_kind(v)}'
            )
        if minimum is not None and n < minimum:
            raise TraceFormatError(path, f"expected an integer >= {minimum}, got {n}")
        return n

    @staticmethod
    def bool_(v: Any, path: str) -> bool:
        if not isinstance(v, bool):
            raise TraceFormatError(path, f"expected a boolean, got {_kind(v)}")
        return v

    @staticmethod
    def list_(v: Any, path: str) -> list[Any]:
        if not isinstance(v, list):
            raise TraceFormatError(path, f"expected a list, got {_kind(v)}")
        return v

    @staticmethod
    def unique(decoded: Sequence[Any], path: str, what: str, suffix: str = "") -> None:
        """ITF sets and maps hold each element (key) once: refuse the first repeat, by
        decoded value (two spellings of one number are one element)."""
        first: dict[Any, int] = {}
        for k, x in enumerate(decoded):
            j = first.setdefault(x, k)
            if j != k:
                raise TraceFormatError(
                    f"{path}[{k}]{suffix}", f"duplicate {what}: the same as [{j}]"
                )

    @staticmethod
    def set_(v: Any, path: str) -> list[Any]:
        if not (isinstance(v, dict) and set(v) == {"#set"} and isinstance(v["#set"], list)):
            raise TraceFormatError(path, f'expected a set ({{"#set": [...]}}), got {_kind(v)}')
        return list(v["#set"])

    @staticmethod
    def map_(v: Any, path: str) -> list[tuple[Any, Any]]:
        if not (isinstance(v, dict) and set(v) == {"#map"} and isinstance(v["#map"], list)):
            raise TraceFormatError(path, f'expected a map ({{"#map": [...]}}), got {_kind(v)}')
        out = []
        for k, pair in enumerate(v["#map"]):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise TraceFormatError(f"{path}.#map[{k}]", "expected a [key, value] pair")
            out.append((pair[0], pair[1]))
        return out


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, dict):
        keys = ", ".join(sorted(v)[:3])
        return f"an object with keys {{{keys}}}" if v else "an empty object"
    return type(v).__name__


def decode_message(v: Any, path: str, n: int) -> Message:
    o = _D.obj(v, path)
    tag = _D.field(o, "tag", path)
    if tag not in MESSAGE_FIELDS:
        raise TraceFormatError(f"{path}.tag", f"unknown message type {tag!r}")
    typ, fields = MESSAGE_FIELDS[tag]
    body = _D.obj(_D.field(o, "value", path), f"{path}.value")
    extra = set(body) - set(fields)
    if extra:
        raise TraceFormatError(f"{path}.value", f"unexpected field {sorted(extra)[0]!r}")
    args: list[Any] = []
    for f in fields:
        fp = f"{path}.value.{f}"
        if f not in body and f in _ELIDED_AT_ZERO.get(typ, ()):
            args.append(0)
            continue
        raw = _D.field(body, f, f"{path}.value")
        if f in _BOOL_FIELDS:
            args.append(_D.bool_(raw, fp))
        elif f == "entries":
            args.append(_decode_log(raw, fp))
        else:
            x = _D.int_(raw, fp)
            if f in ("source", "dest") and not 1 <= x <= n:
                raise TraceFormatError(fp, f"server {x} is not in 1..{n}")
            args.append(x)
    return typ(*args)  # type: ignore[no-any-return]


def _decode_log(v: Any, path: str) -> tuple[Entry, ...]:
    entries = []
    for k, e in enumerate(_D.list_(v, path)):
        ep = f"{path}[{k}]"
        o = _D.obj(e, ep)
        entries.append(
            Entry(
                _D.int_(_D.field(o, "term", ep), f"{ep}.term"),
                _D.int_(_D.field(o, "value", ep), f"{ep}.value", None),
            )
        )
    return tuple(entries)


def _per_server(v: Any, path: str, n: int) -> dict[int, tuple[Any, str]]:
    out: dict[int, tuple[Any, str]] = {}
    for k, (key, val) in enumerate(_D.map_(v, path)):
        i = _D.int_(key, f"{path}.#map[{k}][0]")
        if not 1 <= i <= n:
            raise TraceFormatError(f"{path}.#map[{k}][0]", f"server {i} is not in 1..{n}")
        if i in out:
            raise TraceFormatError(f"{path}.#map[{k}][0]", f"server {i} appears twice")
        out[i] = (val, f"{path}[{i}]")
    missing = [i for i in range(1, n + 1) if i not in out]
    if missing:
        raise TraceFormatError(path, f"no entry for server {missing[0]}")
    return out


def decode_state(v: Any, path: str, config: Config) -> ClusterState:
    n = config.n
    o = _D.obj(v, path)
    for var in VARS:
        _D.field(o, var, path)
    extra = set(o) - set(VARS) - {"#meta"}
    if extra:
        raise TraceFormatError(f"{path}.{sorted(extra)[0]}", "unknown variable")
    cols = {var: _per_server(o[var], f"{path}.{var}", n) for var in VARS[:8]}

    def vote(val: Any, p: str) -> int:
        ob = _D.obj(val, p)
        tag = _D.field(ob, "tag", p)
        if tag == "None":
            return NIL
        if tag == "Some":
            x = _D.int_(_D.field(ob, "value", p), f"{p}.value")
            if not 1 <= x <= n:
                raise TraceFormatError(f"{p}.value", f"server {x} is not in 1..{n}")
            return x
        raise TraceFormatError(f"{p}.tag", f'expected "Some" or "None", got {tag!r}')

    def role(val: Any, p: str) -> Role:
        if val not in _ROLES:
            raise TraceFormatError(p, f"expected one of {', '.join(_ROLES)}, got {val!r}")
        return _ROLES[val]

    def ids(val: Any, p: str) -> frozenset[int]:
        out = []
        for k, x in enumerate(_D.set_(val, p)):
            i = _D.int_(x, f"{p}.#set[{k}]")
            if not 1 <= i <= n:
                raise TraceFormatError(f"{p}.#set[{k}]", f"server {i} is not in 1..{n}")
            out.append(i)
        _D.unique(out, f"{p}.#set", "set element")
        return frozenset(out)

    def index_tuple(val: Any, p: str) -> tuple[int, ...]:
        m = _per_server(val, p, n)
        return tuple(_D.int_(m[j][0], m[j][1]) for j in range(1, n + 1))

    nodes = []
    for i in range(1, n + 1):
        c = {var: cols[var][i] for var in cols}
        nodes.append(
            NodeState(
                i,
                _D.int_(*c["currentTerm"]),
                vote(*c["votedFor"]),
                _decode_log(*c["log"]),
                role(*c["role"]),
                _D.int_(*c["commitIndex"]),
                ids(*c["votesGranted"]),
                index_tuple(*c["nextIndex"]),
                index_tuple(*c["matchIndex"]),
            )
        )
    mp = f"{path}.messages"
    network: frozenset[Any]
    if config.semantics is Semantics.SET:
        msgs = [
            decode_message(x, f"{mp}.#set[{k}]", n)
            for k, x in enumerate(_D.set_(o["messages"], mp))
        ]
        _D.unique(msgs, f"{mp}.#set", "set element")
        network = frozenset(msgs)
    else:
        pairs = []
        for k, (m, c) in enumerate(_D.map_(o["messages"], mp)):
            pairs.append(
                (decode_message(m, f"{mp}.#map[{k}][0]", n), _D.int_(c, f"{mp}.#map[{k}][1]", 1))
            )
        _D.unique([m for m, _ in pairs], f"{mp}.#map", "map key", "[0]")
        network = frozenset(pairs)
    ep = f"{path}.elections"
    elections = []
    for k, e in enumerate(_D.set_(o["elections"], ep)):
        eo = _D.obj(e, f"{ep}.#set[{k}]")
        elections.append(
            Election(
                _D.int_(_D.field(eo, "term", f"{ep}.#set[{k}]"), f"{ep}.#set[{k}].term"),
                _D.int_(_D.field(eo, "leader", f"{ep}.#set[{k}]"), f"{ep}.#set[{k}].leader"),
            )
        )
    cp = f"{path}.committed"
    committed = []
    for k, e in enumerate(_D.set_(o["committed"], cp)):
        q = f"{cp}.#set[{k}]"
        eo = _D.obj(e, q)
        committed.append(
            Committed(
                *(
                    _D.int_(_D.field(eo, f, q), f"{q}.{f}", None if f == "value" else 0)
                    for f in Committed._fields
                )
            )
        )
    _D.unique(elections, f"{ep}.#set", "set element")
    _D.unique(committed, f"{cp}.#set", "set element")
    return ClusterState(
        tuple(nodes),
        network,
        frozenset(elections),
        frozenset(committed),
        _D.int_(o["restarts"], f"{path}.restarts"),
        _D.int_(o["requests"], f"{path}.requests"),
    )


def decode_action(meta: Any, path: str, n: int) -> Action | str | None:
    """The action in a state's #meta; "init"/"start" for a first state."""
    o = _D.obj(meta, path)
    name = _D.field(o, "action", path)
    if name in ("init", "start"):
        return str(name)
    if name not in ACTION_TYPES:
        raise TraceFormatError(
            f"{path}.action", f"unknown action {name!r}; known: {', '.join(ACTION_TYPES)}"
        )
    typ: Any = ACTION_TYPES[name]
    params = _D.obj(_D.field(o, "params", path), f"{path}.params")
    args: list[Any] = []
    defaults = typ._field_defaults
    for f in action_params(typ):
        fp = f"{path}.params.{f}"
        if f in defaults and f not in params:
            args.append(defaults[f])
            continue
        raw = _D.field(params, f, f"{path}.params")
        if f == "m":
            args.append(decode_message(raw, fp, n))
        else:
            args.append(_D.int_(raw, fp, None))
    a: Action = typ(*args)
    if isinstance(a, Timeout | Restart | SendAppendEntries | ClientRequest) and not 1 <= a.i <= n:
        raise TraceFormatError(f"{path}.params.i", f"server {a.i} is not in 1..{n}")
    if isinstance(a, SendAppendEntries) and not 1 <= a.j <= n:
        raise TraceFormatError(f"{path}.params.j", f"server {a.j} is not in 1..{n}")
    assert isinstance(
        a, Timeout | SendAppendEntries | Receive | ClientRequest | Restart | Drop | Duplicate
    )
    return a


def decode_config(v: Any, path: str) -> Config:
    o = _D.obj(v, path)
    n = _D.int_(_D.field(o, "servers", path), f"{path}.servers", 1)
    sem_raw = _D.field(o, "semantics", path)
    try:
        sem = Semantics(sem_raw)
    except ValueError:
        raise TraceFormatError(
            f"{path}.semantics", f'expected "set" or "bag", got {sem_raw!r}'
        ) from None
    mutant = _D.field(o, "mutant", path)
    if not isinstance(mutant, str):
        raise TraceFormatError(f"{path}.mutant", f"expected a string, got {_kind(mutant)}")
    try:
        rules = mutants.rules_for(mutant)
    except mutants.UnknownMutant as e:
        raise TraceFormatError(f"{path}.mutant", str(e)) from None
    bp = f"{path}.bounds"
    b = _D.obj(_D.field(o, "bounds", path), bp)

    def opt(key: str) -> int | None:
        raw = _D.field(b, key, bp)
        return None if raw == "unbounded" else _D.int_(raw, f"{bp}.{key}")

    listed = [
        _D.int_(x, f"{bp}.values.#set[{k}]", None)
        for k, x in enumerate(_D.set_(_D.field(b, "values", bp), f"{bp}.values"))
    ]
    _D.unique(listed, f"{bp}.values.#set", "set element")
    values = tuple(sorted(listed))

    def exact(f: BoundField) -> int:
        if f.elided is not None and f.itf not in b:
            return f.elided
        return _D.int_(_D.field(b, f.itf, bp), f"{bp}.{f.itf}", f.minimum)

    given: dict[str, Any] = {f.field: opt(f.itf) if f.optional else exact(f) for f in BOUND_FIELDS}
    bounds = Bounds(values=values, **given)
    config = Config(n, bounds, sem, rules)
    try:
        validate(config)
    except ValueError as e:
        raise TraceFormatError(path, str(e)) from None
    return config


def decode_trace(obj: Any) -> Trace:
    top = _D.obj(obj, "$")
    meta = _D.obj(_D.field(top, "#meta", "$"), "$.#meta")
    config = decode_config(_D.field(meta, "config", "$.#meta"), "$.#meta.config")
    vars_ = _D.list_(_D.field(top, "vars", "$"), "$.vars")
    if list(vars_) != list(VARS):
        raise TraceFormatError("$.vars", f"expected {list(VARS)}, got {vars_}")
    raw_states = _D.list_(_D.field(top, "states", "$"), "$.states")
    if not raw_states:
        raise TraceFormatError("$.states", "a trace needs at least one state")
    steps: list[Step] = []
    from_init = True
    for k, raw in enumerate(raw_states):
        p = f"$.states[{k}]"
        so = _D.obj(raw, p)
        a = decode_action(_D.field(so, "#meta", p), f"{p}.#meta", config.n)
        if k == 0:
            if not isinstance(a, str):
                raise TraceFormatError(
                    f"{p}.#meta.action", 'the first state\'s action must be "init" or "start"'
                )
            from_init = a == "init"
            action: Action | None = None
        else:
            if isinstance(a, str):
                raise TraceFormatError(
                    f"{p}.#meta.action", f"{a!r} is only allowed on the first state"
                )
            action = a
        steps.append(Step(action, decode_state(so, p, config)))
    first = first_problem(steps[0].state, config)
    if first is not None:
        raise TraceFormatError(problem_path(first, "$.states[0]"), first.detail)
    return Trace(config, tuple(steps), dict(meta), from_init)


def problem_path(p: Problem, state_path: str) -> str:
    """The JSON path, within the state at ``state_path``, of a well-formedness problem."""
    path = f"{state_path}.{p.var}" if p.var != "nodes" else state_path
    if p.node is not None:
        path += f"[{p.node}]"  # per-server variables are maps keyed by server id
    if p.key is not None and p.var != "nodes":
        # A log is an ITF sequence (0-based); nextIndex/matchIndex are maps keyed by server.
        path += f"[{p.key - 1}]" if p.var == "log" else f"[{p.key}]"
    return path


#: The name of standard input in messages, as ``replay -`` reads it.
STDIN = "<stdin>"


def read_trace(path: str | os.PathLike[str]) -> Trace:
    """Read and decode a trace file; ``"-"`` reads standard input."""
    return read_trace_text(*read_text(path))


def read_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """A trace file's text and its name in messages; ``"-"`` reads standard input."""
    if str(path) == "-":
        try:
            return sys.stdin.buffer.read().decode("utf-8"), STDIN
        except (OSError, UnicodeDecodeError) as e:
            raise TraceFormatError(STDIN, f"cannot read: {e}") from None
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except FileNotFoundError:
        raise TraceFormatError(str(p), "no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TraceFormatError(str(p), f"cannot read: {e}") from None


def read_trace_text(text: str, name: str) -> Trace:
    """Decode a trace from its JSON text; ``name`` (a file, or "<stdin>") heads errors
    that concern the text as a whole."""
    return decode_trace(parse_json(text, name))


# --- strict JSON -------------------------------------------------------------------------

_BIGINT = re.compile(r"-?[0-9]+", re.ASCII)


class _HugeInt(NamedTuple):
    """A JSON integer too long for Python's int() (over sys.get_int_max_str_digits()
    digits): kept as text until its path is known, then refused."""

    text: str


class _Duplicate(dict[str, Any]):
    """A JSON object that repeated a key (JSON says names SHOULD be unique; ITF objects
    are records, whose fields are unique): ``key`` is the first repeat."""

    key: str = ""


class _NotJSON(Exception):
    pass


def _clip(text: str, at: int = 40) -> str:
    return text if len(text) <= at else f"{text[:at]}... ({len(text)} characters)"


def _to_int(digits: str, path: str) -> int:
    try:
        return int(digits)
    except ValueError:
        # Only int()'s digit limit gets here; no term, index or value is that long.
        raise TraceFormatError(path, f"integer of {len(digits)} digits is too long") from None


class _Strict:
    """json.loads hooks that note what plain JSON decoding would accept or crash on."""

    def __init__(self) -> None:
        self.odd = False

    def parse_int(self, text: str) -> int | _HugeInt:
        try:
            return int(text)
        except ValueError:
            self.odd = True
            return _HugeInt(text)

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k not in out:
                out[k] = v
            elif not isinstance(out, _Duplicate):
                self.odd = True
                dup = _Duplicate(out)
                dup.key = k
                out = dup
        return out

    @staticmethod
    def parse_constant(name: str) -> Any:
        raise _NotJSON(f"{name} is not a JSON value")


def parse_json(text: str, name: str) -> Any:
    """Strict JSON: no NaN/Infinity, no repeated object keys, and no traceback for input
    nested too deeply or integers too long for Python (TraceFormatError instead)."""
    strict = _Strict()
    try:
        obj = json.loads(
            text,
            object_pairs_hook=strict.pairs,
            parse_int=strict.parse_int,
            parse_constant=strict.parse_constant,
        )
    except json.JSONDecodeError as e:
        raise TraceFormatError(
            name, f"not JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        ) from None
    except _NotJSON as e:
        raise TraceFormatError(name, f"not JSON: {e}") from None
    except RecursionError:
        raise TraceFormatError(
            name, "nested too deeply to read (an ITF trace is shallow)"
        ) from None
    if strict.odd:
        _refuse_first_odd(obj)
    return obj


def _refuse_first_odd(obj: Any) -> None:
    """Refuse the first (in document order) repeated key or over-long integer, by path.
    Iterative: json.loads bounds the depth, but a recursive walk need not fit in it."""
    stack: list[tuple[Any, str]] = [(obj, "$")]
    while stack:
        v, path = stack.pop()
        if isinstance(v, _HugeInt):
            _to_int(v.text, path)
        if isinstance(v, _Duplicate):
            raise TraceFormatError(path, f"the key {_clip(v.key)!r} appears twice in one object")
        if isinstance(v, dict):
            stack.extend((x, f"{path}.{k}") for k, x in reversed(v.items()))
        elif isinstance(v, list):
            stack.extend((x, f"{path}[{k}]") for k, x in reversed(list(enumerate(v))))
