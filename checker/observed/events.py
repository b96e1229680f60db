"""Reading observed traces: the NDJSON format of docs/observed-traces.md, merged by
timestamp or vector clock, and ITF traces with partial states, into one sequence of
``Event``s the matcher advances through.

Everything here is syntax: a malformed line is a ``TraceFormatError`` naming the file and
the line (one line on stderr, exit 2). What the events mean is raftmodel's business: an
event only names a step kind and the fields logged, as patterns the matcher compares with
raftmodel's states and messages. A server id that is not in the cluster is not a syntax
error but an event no behaviour explains: it is kept (``Event.unknown``) and rejected at
that event by the matcher.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from checker.errors import TraceFormatError
from checker.traces import itf
from raftmodel.actions import Action
from raftmodel.cluster import ClusterState, Config
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.types import Role

FORMAT = "raftcheck-observed"
VERSION = 1
CLOCKS = ("time", "vector", "order")

#: Event kinds that name a model step, and those that only report state (docs).
STEP_KINDS = ("timeout", "become_candidate", "send", "receive", "client_request", "restart")
OBSERVATION_KINDS = ("become_leader", "become_follower", "commit", "append", "state")
KINDS = STEP_KINDS + OBSERVATION_KINDS
#: Internal: a step of an ITF trace (its action, or any single step when it names none).
ITF_STEP = "itf"

MESSAGE_TYPES: dict[str, type] = {
    t.__name__: t for t in (RequestVote, RequestVoteResponse, AppendEntries, AppendEntriesResponse)
}
#: The paper's fields each message type may log (Figure 2), besides type/from/to/term.
MESSAGE_FIELDS: dict[type, tuple[str, ...]] = {
    RequestVote: ("lastLogIndex", "lastLogTerm"),
    RequestVoteResponse: ("voteGranted",),
    AppendEntries: ("prevLogIndex", "prevLogTerm", "entries", "leaderCommit"),
    # lastLogIndex: a refusal's hint (§5.3), when the model runs with refusal_hint.
    AppendEntriesResponse: ("success", "matchIndex", "lastLogIndex"),
}
_BOOL_FIELDS = frozenset({"voteGranted", "success"})
STATE_FIELDS = (
    "currentTerm",
    "votedFor",
    "role",
    "commitIndex",
    "lastLogIndex",
    "lastLogTerm",
    "log",
    "appended",
)
_ROLES = {r.label: r for r in Role}

#: An entry as logged: its term and its value (None: not logged).
EntryPattern = tuple[int, int | None]
Fields = tuple[tuple[str, Any], ...]


class MsgPattern(NamedTuple):
    """A logged message: its raftmodel type and the fields logged, by raftmodel's field
    names (``source``, ``dest``, ``term``, ...; ``entries`` as EntryPatterns)."""

    type: type
    fields: Fields


class Event(NamedTuple):
    where: str  # "file:line", or "$.states[k]" for ITF
    node: int  # the model's server (1..n); 0 when the log named a server not in the cluster
    kind: str
    msg: MsgPattern | None
    value: int | None
    #: The state logged after the event: per model server, the fields logged.
    state: tuple[tuple[int, Fields], ...]
    #: ITF: the action the state's #meta names (None: any single step).
    action: Action | None = None
    #: A field naming a server not in the cluster, and the problem (rejected at this event).
    unknown: tuple[str, str] | None = None


class Observed(NamedTuple):
    n: int
    servers: tuple[Any, ...]  # the implementation's ids; the model's server k is servers[k-1]
    values: tuple[int, ...]  # the client values the model may use
    start: ClusterState | None  # the state the log starts in (None: raftmodel's Init)
    start_fields: tuple[tuple[int, Fields], ...]  # header "start" (built by the matcher)
    events: tuple[Event, ...]
    config: Config | None  # an ITF trace's own configuration (semantics, variant)
    sources: tuple[str, ...]
    clock: str
    #: The most entries the implementation sends in one AppendEntries (0: the whole
    #: suffix from nextIndex, the paper's; the header's ``max_batch``).
    max_batch: int = 0
    #: 1: the implementation's leader moves nextIndex with the follower's hint on a
    #: refusal (§5.3; raftmodel's ``Bounds.refusal_hint``; the header's ``refusal_hint``).
    refusal_hint: int = 0


# --- small decoders ----------------------------------------------------------------------------


def _int(v: Any, where: str, what: str, low: int = 0) -> int:
    if isinstance(v, dict) and set(v) == {"#bigint"} and isinstance(v["#bigint"], str):
        try:
            v = int(v["#bigint"])
        except ValueError:
            raise TraceFormatError(where, f"{what}: not an integer: {v['#bigint']!r}") from None
    if isinstance(v, bool) or not isinstance(v, int):
        raise TraceFormatError(where, f"{what}: expected an integer, got {_show(v)}")
    if v < low:
        raise TraceFormatError(where, f"{what}: {v} must be >= {low}")
    return v


def _show(v: Any) -> str:
    text = json.dumps(v) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _obj(v: Any, where: str, what: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise TraceFormatError(where, f"{what}: expected an object, got {_show(v)}")
    return v


def _entry(v: Any, where: str, what: str) -> EntryPattern:
    if isinstance(v, list):
        if len(v) != 2:
            raise TraceFormatError(where, f"{what}: an entry [term, value] has 2 items")
        return _int(v[0], where, f"{what} term", 1), _int(v[1], where, f"{what} value", 0)
    o = _obj(v, where, what)
    extra = set(o) - {"term", "value"}
    if extra or "term" not in o:
        raise TraceFormatError(where, f"{what}: an entry is {{term, value}} (value optional)")
    value = _int(o["value"], where, f"{what}.value", 0) if "value" in o else None
    return _int(o["term"], where, f"{what}.term", 1), value


def _entries(v: Any, where: str, what: str) -> tuple[EntryPattern, ...]:
    if not isinstance(v, list):
        raise TraceFormatError(where, f"{what}: expected a list of entries, got {_show(v)}")
    return tuple(_entry(e, where, f"{what}[{k}]") for k, e in enumerate(v))


class _Ids:
    """The implementation's server ids and the model's 1..n."""

    def __init__(self, servers: Sequence[Any]) -> None:
        self.servers = tuple(servers)
        self.index = {str(s): k for k, s in enumerate(self.servers, start=1)}

    def of(self, v: Any) -> int:
        """The model's server for a logged id, 0 if not in the cluster."""
        if isinstance(v, bool) or not isinstance(v, int | str):
            return -1
        return self.index.get(str(v), 0)


# --- NDJSON --------------------------------------------------------------------------------


class _Header(NamedTuple):
    servers: tuple[Any, ...]
    clock: str
    node: Any
    values: tuple[int, ...] | None
    start: dict[str, Any] | None
    max_batch: int
    refusal_hint: int


def _header(obj: Any, where: str) -> _Header:
    o = _obj(obj, where, "the header")
    if o.get("format") != FORMAT:
        raise TraceFormatError(
            where, f'the first line must be the header {{"format": "{FORMAT}", "version": 1, ...}}'
        )
    version = o.get("version")
    if version != VERSION:
        raise TraceFormatError(
            where, f"format version {_show(version)} is not known (this reader knows {VERSION})"
        )
    servers = o.get("servers")
    if not isinstance(servers, list) or not servers:
        raise TraceFormatError(where, "servers: expected a non-empty list of server ids")
    seen: set[str] = set()
    for s in servers:
        if isinstance(s, bool) or not isinstance(s, int | str):
            raise TraceFormatError(where, f"servers: {_show(s)} is not an integer or a string")
        if str(s) in seen:
            raise TraceFormatError(where, f"servers: {_show(s)} appears twice")
        seen.add(str(s))
    clock = o.get("clock", "time")
    if clock not in CLOCKS:
        raise TraceFormatError(where, f"clock: {_show(clock)}; expected one of {', '.join(CLOCKS)}")
    values = None
    if "values" in o:
        raw = o["values"]
        if not isinstance(raw, list) or not raw:
            raise TraceFormatError(where, "values: expected a non-empty list of integers")
        values = tuple(sorted({_int(x, where, "values", 0) for x in raw}))
    start = _obj(o["start"], where, "start") if "start" in o else None
    max_batch = _int(o["max_batch"], where, "max_batch", 0) if "max_batch" in o else 0
    hint = o.get("refusal_hint", 0)
    if hint not in (0, 1) or isinstance(hint, bool):
        raise TraceFormatError(where, f"refusal_hint: {_show(hint)}; expected 0 or 1")
    return _Header(tuple(servers), clock, o.get("node"), values, start, max_batch, hint)


def _json_line(text: str, where: str) -> Any:
    def constant(name: str) -> Any:
        raise TraceFormatError(where, f"not JSON: {name} is not a JSON value")

    try:
        return json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise TraceFormatError(where, f"not JSON (column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise TraceFormatError(where, "nested too deeply to read") from None
    except ValueError as e:  # e.g. an integer longer than Python converts
        raise TraceFormatError(where, f"not JSON: {e}") from None


def _state(o: Any, where: str, ids: _Ids, what: str = "state") -> tuple[Fields, str | None]:
    """The logged state fields, and the first one naming a server not in the cluster."""
    st = _obj(o, where, what)
    unknown = [k for k in st if k not in STATE_FIELDS]
    if unknown:
        raise TraceFormatError(
            where, f"{what}.{unknown[0]}: unknown field (known: {', '.join(STATE_FIELDS)})"
        )
    out: list[tuple[str, Any]] = []
    bad: str | None = None
    for key in STATE_FIELDS:
        if key not in st:
            continue
        v = st[key]
        p = f"{what}.{key}"
        if key == "votedFor":
            if v is None:
                out.append((key, 0))
            else:
                i = ids.of(v)
                if i < 0:
                    raise TraceFormatError(where, f"{p}: expected a server id or null")
                if i == 0 and bad is None:
                    bad = p
                out.append((key, i))
        elif key == "role":
            if v not in _ROLES:
                raise TraceFormatError(where, f"{p}: expected Follower, Candidate or Leader")
            out.append((key, _ROLES[v]))
        elif key == "log":
            out.append((key, _entries(v, where, p)))
        elif key == "appended":
            if not isinstance(v, list):
                raise TraceFormatError(where, f"{p}: expected a list of {{index, term, value}}")
            got = []
            for k, e in enumerate(v):
                eo = _obj(e, where, f"{p}[{k}]")
                if "index" not in eo:
                    raise TraceFormatError(where, f"{p}[{k}]: an appended entry needs its index")
                index = _int(eo["index"], where, f"{p}[{k}].index", 1)
                rest = {x: y for x, y in eo.items() if x != "index"}
                got.append((index, *_entry(rest, where, f"{p}[{k}]")))
            out.append((key, tuple(got)))
        else:
            out.append((key, _int(v, where, p, 0)))
    return tuple(out), bad


def _message(o: Any, where: str, ids: _Ids, node: int, kind: str) -> tuple[MsgPattern, str | None]:
    m = _obj(o, where, "msg")
    t = MESSAGE_TYPES.get(m.get("type"))  # type: ignore[arg-type]
    if t is None:
        raise TraceFormatError(
            where, f"msg.type: {_show(m.get('type'))}; expected one of {', '.join(MESSAGE_TYPES)}"
        )
    allowed = ("type", "from", "to", "term", *MESSAGE_FIELDS[t])
    extra = [k for k in m if k not in allowed]
    if extra:
        raise TraceFormatError(
            where, f"msg.{extra[0]}: not a field of {t.__name__} (known: {', '.join(allowed)})"
        )
    fields: list[tuple[str, Any]] = []
    bad: str | None = None
    # The node is the sender of what it sends and the receiver of what it receives.
    for key, model_key, default in (
        ("from", "source", node if kind == "send" else None),
        ("to", "dest", node if kind == "receive" else None),
    ):
        if key in m:
            i = ids.of(m[key])
            if i < 0:
                raise TraceFormatError(where, f"msg.{key}: expected a server id")
            if i == 0 and bad is None:
                bad = f"msg.{key}"
            fields.append((model_key, i))
        elif default is not None:
            fields.append((model_key, default))
    if "term" in m:
        fields.append(("term", _int(m["term"], where, "msg.term", 0)))
    for key in MESSAGE_FIELDS[t]:
        if key not in m:
            continue
        v = m[key]
        if key in _BOOL_FIELDS:
            if not isinstance(v, bool):
                raise TraceFormatError(where, f"msg.{key}: expected true or false")
            fields.append((key, v))
        elif key == "entries":
            fields.append((key, _entries(v, where, "msg.entries")))
        else:
            fields.append((key, _int(v, where, f"msg.{key}", 0)))
    return MsgPattern(t, tuple(fields)), bad


class _Raw(NamedTuple):
    event: Event
    time: float
    vc: dict[int, int]
    file: int
    line: int


def _event(obj: Any, where: str, ids: _Ids, header: _Header, file: int, line: int, n: int) -> _Raw:
    o = _obj(obj, where, "an event")
    kind = o.get("event")
    if kind not in KINDS:
        raise TraceFormatError(where, f"event: {_show(kind)}; expected one of {', '.join(KINDS)}")
    if "node" in o:
        raw_node = o["node"]
    elif header.node is not None:
        raw_node = header.node
    else:
        raise TraceFormatError(where, "node: missing (and the header names no node)")
    node = ids.of(raw_node)
    if node < 0:
        raise TraceFormatError(where, "node: expected a server id (an integer or a string)")
    unknown: tuple[str, str] | None = None
    if node == 0:
        unknown = ("node", f"server {_show(raw_node)} is not in the cluster")
    time = 0.0
    if header.clock == "time":
        t = o.get("time")
        if isinstance(t, bool) or not isinstance(t, int | float):
            raise TraceFormatError(where, "time: expected a number (the header's clock is time)")
        try:
            time = float(t)
        except OverflowError:
            raise TraceFormatError(where, "time: too large") from None
    vc: dict[int, int] = {}
    if header.clock == "vector":
        raw_vc = _obj(o.get("vc"), where, "vc (the header's clock is vector)")
        for k, v in raw_vc.items():
            i = ids.of(k)
            if i <= 0:
                raise TraceFormatError(where, f"vc: {k!r} is not a server of the cluster")
            vc[i] = _int(v, where, f"vc.{k}", 0)
    msg = None
    if kind in ("send", "receive"):
        if "msg" not in o:
            raise TraceFormatError(where, f"msg: a {kind} event names its message")
        msg, bad = _message(o["msg"], where, ids, node, kind)
        if bad is not None and unknown is None:
            unknown = (bad, "names a server not in the cluster")
    elif "msg" in o:
        raise TraceFormatError(where, f"msg: only send and receive events carry one, not {kind}")
    value = None
    if "value" in o:
        if kind != "client_request":
            raise TraceFormatError(where, "value: only client_request events carry one")
        value = _int(o["value"], where, "value", 0)
    state: tuple[tuple[int, Fields], ...] = ()
    if "state" in o:
        fields, bad = _state(o["state"], where, ids)
        if bad is not None and unknown is None:
            unknown = (bad, "names a server not in the cluster")
        if fields and node > 0:
            state = ((node, fields),)
    return _Raw(Event(where, node, kind, msg, value, state, None, unknown), time, vc, file, line)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TraceFormatError(path, f"cannot read: {e}") from None


def read(paths: Sequence[str]) -> Observed:
    """Read and merge the trace files (one ITF trace, or NDJSON files)."""
    if not paths:
        raise TraceFormatError("validate", "no trace file given")
    texts = [(p, _read_text(p)) for p in paths]
    text = texts[0][1]
    first = next((line for line in text.split("\n") if line.strip()), "")
    # ITF is one JSON object over many lines; NDJSON starts with its one-line header.
    if f'"{FORMAT}"' not in first and text.lstrip().startswith("{") and '"states"' in text:
        if len(texts) > 1:
            raise TraceFormatError(paths[1], "an ITF trace is validated alone")
        return read_itf(text, paths[0])
    return read_ndjson(texts)


def read_ndjson(texts: Sequence[tuple[str, str]]) -> Observed:
    headers: list[_Header] = []
    raws: list[list[_Raw]] = []
    ids: _Ids | None = None
    values: set[int] = set()
    for f, (name, text) in enumerate(texts):
        lines = text.split("\n")
        header: _Header | None = None
        mine: list[_Raw] = []
        for k, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{name}:{k}"
            obj = _json_line(line, where)
            if header is None:
                header = _header(obj, where)
                if ids is None:
                    ids = _Ids(header.servers)
                elif [str(s) for s in header.servers] != [str(s) for s in ids.servers]:
                    raise TraceFormatError(where, "servers: differ from the first file's")
                elif header.clock != headers[0].clock:
                    raise TraceFormatError(where, "clock: differs from the first file's")
                headers.append(header)
                continue
            assert ids is not None
            r = _event(obj, where, ids, header, f, k, len(ids.servers))
            if r.event.value is not None:
                values.add(r.event.value)
            values.update(_logged_values(r.event))
            mine.append(r)
        if header is None:
            raise TraceFormatError(f"{name}:1", "empty file: the first line must be the header")
        if header.clock == "time":
            for a, b in itertools.pairwise(mine):
                if b.time < a.time:
                    raise TraceFormatError(
                        b.event.where, f"time: {b.time:g} is before the previous event's {a.time:g}"
                    )
        raws.append(mine)
    assert ids is not None
    clock = headers[0].clock
    if clock == "order" and len(raws) > 1:
        raise TraceFormatError(
            texts[1][0], 'clock "order" is for a single file: use time or vector'
        )
    if clock == "time":
        merged = sorted((r for rs in raws for r in rs), key=lambda r: (r.time, r.file, r.line))
    elif clock == "vector":
        merged = _merge_vector(raws, len(ids.servers))
    else:
        merged = raws[0]
    given = next((h.values for h in headers if h.values is not None), None)
    start_fields: list[tuple[int, Fields]] = []
    start = next((h.start for h in headers if h.start is not None), None)
    if start is not None:
        where = f"{texts[0][0]}:header"
        for key, st in start.items():
            i = ids.of(key)
            if i <= 0:
                raise TraceFormatError(where, f"start: {key!r} is not a server of the cluster")
            fields, bad = _state(st, where, ids, f"start.{key}")
            if bad is not None:
                raise TraceFormatError(where, f"{bad}: names a server not in the cluster")
            extra = [
                k for k, _ in fields if k not in ("currentTerm", "votedFor", "log", "commitIndex")
            ]
            if extra:
                raise TraceFormatError(where, f"start.{key}.{extra[0]}: not a start field")
            for _, entries in (x for x in fields if x[0] == "log"):
                if any(v is None for _, v in entries):
                    raise TraceFormatError(where, f"start.{key}.log: entries need their values")
                values.update(v for _, v in entries if v is not None)
            start_fields.append((i, fields))
    return Observed(
        len(ids.servers),
        ids.servers,
        given if given is not None else (tuple(sorted(values)) or (1,)),
        None,
        tuple(sorted(start_fields)),
        tuple(r.event for r in merged),
        None,
        tuple(name for name, _ in texts),
        clock,
        max(h.max_batch for h in headers),
        max(h.refusal_hint for h in headers),
    )


def _logged_values(e: Event) -> set[int]:
    out: set[int] = set()
    if e.msg is not None:
        for k, v in e.msg.fields:
            if k == "entries":
                out.update(x for _, x in v if x is not None)
    for _, fields in e.state:
        for k, v in fields:
            if k == "log":
                out.update(x for _, x in v if x is not None)
            elif k == "appended":
                out.update(x for _, _, x in v if x is not None)
    return out


def _merge_vector(raws: list[list[_Raw]], n: int) -> list[_Raw]:
    """A linearisation of happened-before: emit an event once every event it depends on
    (vc[j] of each other server j) has been emitted; among ready heads, the earliest file."""
    heads = [0] * len(raws)
    own = [0] * (n + 1)  # the own component of each server's last emitted event
    out: list[_Raw] = []
    total = sum(len(r) for r in raws)
    while len(out) < total:
        for f, rs in enumerate(raws):
            if heads[f] >= len(rs):
                continue
            r = rs[heads[f]]
            i = r.event.node
            if i <= 0:  # a server not in the cluster: it depends on nothing we can order
                break
            if all(c <= own[j] for j, c in r.vc.items() if j != i):
                mine = r.vc.get(i, 0)
                if mine <= own[i]:
                    raise TraceFormatError(
                        r.event.where,
                        f"vc: the server's own component {mine} does not grow "
                        f"(its previous event had {own[i]})",
                    )
                own[i] = mine
                break
        else:
            f = next(f for f, rs in enumerate(raws) if heads[f] < len(rs))
            r = raws[f][heads[f]]
            raise TraceFormatError(
                r.event.where, "vc: no order of the files' events satisfies the vector clocks"
            )
        out.append(r)
        heads[f] += 1
    return out


# --- ITF with partial states ---------------------------------------------------------------


_ITF_NODE_VARS = ("currentTerm", "votedFor", "log", "role", "commitIndex")


def _itf_per_server(v: Any, where: str, var: str, n: int) -> dict[int, Any]:
    o = _obj(v, where, var)
    pairs = o.get("#map")
    if not isinstance(pairs, list):
        raise TraceFormatError(where, f'{var}: expected a per-server map {{"#map": [...]}}')
    out: dict[int, Any] = {}
    for k, pair in enumerate(pairs):
        if not isinstance(pair, list) or len(pair) != 2:
            raise TraceFormatError(where, f"{var}.#map[{k}]: expected [server, value]")
        i = _int(pair[0], where, f"{var}.#map[{k}][0]", 1)
        if i > n:
            raise TraceFormatError(where, f"{var}.#map[{k}][0]: server {i} is not in 1..{n}")
        out[i] = pair[1]
    return out


def _itf_node_fields(so: dict[str, Any], where: str, n: int) -> tuple[tuple[int, Fields], ...]:
    per: dict[int, list[tuple[str, Any]]] = {}
    for var in _ITF_NODE_VARS:
        if var not in so:
            continue
        for i, raw in sorted(_itf_per_server(so[var], where, var, n).items()):
            p = f"{var}[{i}]"
            if var == "votedFor":
                ob = _obj(raw, where, p)
                if ob.get("tag") == "None":
                    v: Any = 0
                elif ob.get("tag") == "Some":
                    v = _int(ob.get("value"), where, p, 1)
                else:
                    raise TraceFormatError(where, f"{p}: expected Some/None")
            elif var == "role":
                if raw not in _ROLES:
                    raise TraceFormatError(where, f"{p}: expected Follower, Candidate or Leader")
                v = _ROLES[raw]
            elif var == "log":
                v = _entries(raw, where, p)
            else:
                v = _int(raw, where, p, 0)
            per.setdefault(i, []).append((var, v))
    return tuple((i, tuple(f)) for i, f in sorted(per.items()))


def read_itf(text: str, name: str) -> Observed:
    obj = itf.parse_json(text, name)
    top = _obj(obj, name, "the trace")
    meta = _obj(top.get("#meta", {}), f"{name}: $.#meta", "#meta")
    states = top.get("states")
    if not isinstance(states, list) or not states:
        raise TraceFormatError(f"{name}: $.states", "a trace needs at least one state")
    config: Config | None = None
    if "config" in meta:
        config = itf.decode_config(meta["config"], f"{name}: $.#meta.config")
        n = config.n
    else:
        n = 0
        for k, so in enumerate(states):
            for var in _ITF_NODE_VARS:
                v = so.get(var) if isinstance(so, dict) else None
                if isinstance(v, dict) and isinstance(v.get("#map"), list):
                    for pair in v["#map"]:
                        if isinstance(pair, list) and pair:
                            n = max(n, _int(pair[0], f"{name}: $.states[{k}]", var, 1))
        if n == 0:
            raise TraceFormatError(
                name, "no #meta.config and no per-server variable: how many servers?"
            )
    events: list[Event] = []
    start: ClusterState | None = None
    values: set[int] = set(config.bounds.values) if config is not None else set()
    for k, raw in enumerate(states):
        where = f"{name}: $.states[{k}]"
        so = _obj(raw, where, "a state")
        sm = so.get("#meta")
        action: Any = None
        if isinstance(sm, dict) and "action" in sm:
            action = itf.decode_action(sm, f"{where}.#meta", n)
        fields = _itf_node_fields(so, where, n)
        for _, fs in fields:
            for key, v in fs:
                if key == "log":
                    values.update(x for _, x in v if x is not None)
        if k == 0:
            if action == "start":
                if config is None:
                    raise TraceFormatError(where, "a start state needs the trace's #meta.config")
                start = itf.decode_state(so, f"{name}: $.states[0]", config)
            elif action not in (None, "init"):
                raise TraceFormatError(
                    f"{where}.#meta.action", 'the first state is "init" or "start"'
                )
            else:
                events.append(Event(where, 0, "state", None, None, fields))
            continue
        if isinstance(action, str):
            raise TraceFormatError(f"{where}.#meta.action", f"{action!r} only on the first state")
        if action is not None and hasattr(action, "v"):
            values.add(action.v)
        events.append(Event(where, 0, ITF_STEP, None, None, fields, action))
    servers = tuple(range(1, n + 1))
    return Observed(
        n,
        servers,
        tuple(sorted(values)) or (1,),
        start,
        (),
        tuple(events),
        config,
        (name,),
        "order",
    )


__all__ = [
    "FORMAT",
    "KINDS",
    "VERSION",
    "Event",
    "MsgPattern",
    "Observed",
    "read",
    "read_itf",
    "read_ndjson",
]
