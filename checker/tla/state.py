"""One name map between the spec's states and raftmodel's ``ClusterState``.

A state of spec/Raft.tla has the thirteen variables of ITF (``checker.traces.itf.VARS``).
Servers are the integers 1..n (``Nil`` = 0), or, in symmetric models, the model values
``s1..sn`` (``Nil`` a model value), which map to 1..n. Both directions are here:
``to_cluster`` (TLC's values -> ClusterState) and ``to_tla`` (ClusterState -> the TLA+
text of each variable).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.errors import RaftcheckError
from checker.tla.values import Fcn, ModelValue, Record, tla
from checker.traces.itf import VARS
from raftmodel.cluster import ClusterState, Committed, Config, Election
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

_ROLES = {r.label: r for r in Role}


class StateMapError(RaftcheckError, ValueError):
    """A TLC state that has no raftmodel counterpart (a spec/model mismatch)."""


def server_name(i: int, symmetric: bool) -> str:
    return f"s{i}" if symmetric else str(i)


class Servers:
    """The servers of a model: 1..n, or the model values s1..sn."""

    def __init__(self, n: int, symmetric: bool) -> None:
        self.n = n
        self.symmetric = symmetric

    def id(self, v: Any) -> int:
        """raftmodel's id of a TLA+ server value (Nil -> 0)."""
        if isinstance(v, ModelValue):
            if v == "Nil":
                return NIL
            if v.startswith("s") and v[1:].isdigit() and 1 <= int(v[1:]) <= self.n:
                return int(v[1:])
        elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= self.n:
            return v
        raise StateMapError(f"{v!r} is not a server of 1..{self.n}")

    def value(self, i: int) -> Any:
        """The TLA+ value of server i (0 -> Nil)."""
        if not self.symmetric:
            return i
        return ModelValue("Nil" if i == NIL else f"s{i}")

    def per_server(self, f: Any) -> list[Any]:
        """A function over the servers, as a list in server order."""
        if isinstance(f, tuple):
            if len(f) != self.n:
                raise StateMapError(f"expected a function of {self.n} servers, got {f!r}")
            return list(f)
        if isinstance(f, Fcn):
            out: list[Any] = [None] * self.n
            for k, v in f.items():
                out[self.id(k) - 1] = v
            if any(x is None for x in out) or len(f) != self.n:
                raise StateMapError(f"expected a function of {self.n} servers, got {f!r}")
            return out
        raise StateMapError(f"expected a function of servers, got {f!r}")


def _log(v: Any) -> tuple[Entry, ...]:
    if not isinstance(v, tuple):
        raise StateMapError(f"expected a log (a sequence), got {v!r}")
    return tuple(Entry(e["term"], e["value"]) for e in v)


def _message(r: Any, sv: Servers) -> Message:
    key = (r, sv.n, sv.symmetric)
    m = _MESSAGES.get(key)
    if m is None:
        m = _MESSAGES[key] = _message_uncached(r, sv)
    return m


#: Messages recur in thousands of states of a dump: each record is mapped once.
_MESSAGES: dict[tuple[Any, int, bool], Message] = {}


def _message_uncached(r: Any, sv: Servers) -> Message:
    if not isinstance(r, Record):
        raise StateMapError(f"expected a message record, got {r!r}")
    t = r["mtype"]
    src, dst = sv.id(r["source"]), sv.id(r["dest"])
    if t == "RequestVote":
        return RequestVote(src, dst, r["term"], r["lastLogIndex"], r["lastLogTerm"])
    if t == "RequestVoteResponse":
        return RequestVoteResponse(src, dst, r["term"], r["voteGranted"])
    if t == "AppendEntries":
        return AppendEntries(
            src,
            dst,
            r["term"],
            r["prevLogIndex"],
            r["prevLogTerm"],
            _log(r["entries"]),
            r["leaderCommit"],
        )
    if t == "AppendEntriesResponse":
        return AppendEntriesResponse(
            src, dst, r["term"], r["success"], r["matchIndex"], r.get("lastLogIndex", 0)
        )
    raise StateMapError(f"unknown message type {t!r}")


def to_cluster(st: Mapping[str, Any], config: Config, symmetric: bool = False) -> ClusterState:
    """The raftmodel state of a TLC state (a map from variable name to value)."""
    missing = [v for v in VARS if v not in st]
    if missing:
        raise StateMapError(f"the TLC state has no variable {missing[0]}")
    n = config.n
    sv = Servers(n, symmetric)
    cols = {v: sv.per_server(st[v]) for v in VARS[:8]}
    try:
        nodes = tuple(
            NodeState(
                i + 1,
                cols["currentTerm"][i],
                sv.id(cols["votedFor"][i]),
                _log(cols["log"][i]),
                _ROLES[cols["role"][i]],
                cols["commitIndex"][i],
                frozenset(sv.id(x) for x in cols["votesGranted"][i]),
                tuple(sv.per_server(cols["nextIndex"][i])),
                tuple(sv.per_server(cols["matchIndex"][i])),
            )
            for i in range(n)
        )
        msgs = st["messages"]
        network: frozenset[Any]
        if config.semantics is Semantics.SET:
            if not isinstance(msgs, frozenset):
                raise StateMapError(f"expected a set of messages, got {msgs!r}")
            network = frozenset(_message(m, sv) for m in msgs)
        else:
            if msgs == ():
                network = frozenset()
            elif isinstance(msgs, Fcn):
                network = frozenset((_message(m, sv), c) for m, c in msgs.items())
            else:
                raise StateMapError(f"expected a bag of messages, got {msgs!r}")
        elections = frozenset(Election(e["term"], sv.id(e["leader"])) for e in st["elections"])
        committed = frozenset(
            Committed(c["index"], c["term"], c["value"], c["commitTerm"]) for c in st["committed"]
        )
    except (KeyError, TypeError) as e:
        raise StateMapError(f"a TLC value has the wrong shape: {e!r}") from None
    return ClusterState(nodes, network, elections, committed, st["restarts"], st["requests"])


# --- ClusterState -> TLA+ ------------------------------------------------------------------


def _entry(e: Entry) -> Record:
    return Record({"term": e.term, "value": e.value})


def message_value(m: Message, sv: Servers) -> Record:
    d: dict[str, Any] = {"mtype": type(m).__name__}
    v: Any
    for k, v in zip(m._fields, m, strict=True):
        if k == "mtype":
            continue
        if k in ("source", "dest"):
            d[k] = sv.value(v)
        elif k == "entries":
            d[k] = tuple(_entry(e) for e in v)
        else:
            d[k] = v
    return Record(d)


def to_values(s: ClusterState, semantics: Semantics, symmetric: bool = False) -> dict[str, Any]:
    """The TLA+ value of each variable (as ``checker.tla.values`` objects)."""
    n = len(s.nodes)
    sv = Servers(n, symmetric)

    def per(f: Any) -> Any:
        xs = [f(x) for x in s.nodes]
        if symmetric:
            return Fcn({sv.value(i + 1): x for i, x in enumerate(xs)})
        return tuple(xs)

    def index_fn(t: tuple[int, ...]) -> Any:
        if symmetric:
            return Fcn({sv.value(j + 1): v for j, v in enumerate(t)})
        return tuple(t)

    net: Any
    if semantics is Semantics.SET:
        net = frozenset(message_value(m, sv) for m in s.network)
    else:
        net = Fcn({message_value(m, sv): c for m, c in s.network})
    return {
        "currentTerm": per(lambda x: x.currentTerm),
        "votedFor": per(lambda x: sv.value(x.votedFor)),
        "log": per(lambda x: tuple(_entry(e) for e in x.log)),
        "role": per(lambda x: x.role.label),
        "commitIndex": per(lambda x: x.commitIndex),
        "votesGranted": per(lambda x: frozenset(sv.value(v) for v in x.votesGranted)),
        "nextIndex": per(lambda x: index_fn(x.nextIndex)),
        "matchIndex": per(lambda x: index_fn(x.matchIndex)),
        "messages": net,
        "elections": frozenset(
            Record({"term": e.term, "leader": sv.value(e.leader)}) for e in s.elections
        ),
        "committed": frozenset(
            Record({"index": c.index, "term": c.term, "value": c.value, "commitTerm": c.commitTerm})
            for c in s.committed
        ),
        "restarts": s.restarts,
        "requests": s.requests,
    }


def to_tla(s: ClusterState, semantics: Semantics, symmetric: bool = False) -> dict[str, str]:
    """The TLA+ text of each variable of ``s``."""
    return {k: tla(v) for k, v in to_values(s, semantics, symmetric).items()}
