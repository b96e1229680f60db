"""The adapter protocol's data (docs/conformance.md): requests, replies, node states and
message envelopes as JSON values, and the one validator every reply goes through.

A reply is a JSON object; ``parse_reply`` checks it field by field and raises
``ProtocolError`` with one line naming the first problem, so a misbehaving adapter is a
clear failure of one scenario and never a traceback. Messages use a Maelstrom-style
envelope (``src``, ``dest``, ``body`` with a ``type``) and the paper's field names
(Figure 2): ``candidateId`` and ``leaderId`` are in the body although they equal ``src``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.node import NodeState
from raftmodel.types import NIL, Entry, Role

#: The protocol's version; a runner refuses an adapter that speaks another.
VERSION = 1

#: The operations a runner sends, with their parameters.
OPS: dict[str, tuple[str, ...]] = {
    "init": ("protocol", "nodes", "size"),
    "timeout": ("node",),
    "send_append": ("node", "to"),
    "deliver": ("message",),
    "client_request": ("node", "value"),
    "restart": ("node",),
    "observe": ("node",),
}

#: The node fields every reply carries (Figure 2's names).
STATE_FIELDS: tuple[str, ...] = ("currentTerm", "role", "votedFor", "log", "commitIndex")
ROLES: tuple[str, ...] = tuple(r.label for r in Role)

#: Message bodies: the type and the fields after it, in the paper's names.
BODY_FIELDS: dict[str, tuple[str, ...]] = {
    "RequestVote": ("term", "candidateId", "lastLogIndex", "lastLogTerm"),
    "RequestVoteResponse": ("term", "voteGranted"),
    "AppendEntries": (
        "term",
        "leaderId",
        "prevLogIndex",
        "prevLogTerm",
        "entries",
        "leaderCommit",
    ),
    "AppendEntriesResponse": ("term", "success", "matchIndex"),
    # Only with the pre_vote capability (Ongaro's thesis §9.6): ``term`` is the term the
    # candidate would campaign in; a response's ``term`` is not compared.
    "PreVote": ("term", "candidateId", "lastLogIndex", "lastLogTerm"),
    "PreVoteResponse": ("term", "voteGranted"),
}
_BOOLS = {"voteGranted", "success"}

#: Capabilities an adapter may declare at init; the runner tolerates the difference each
#: one names (docs/conformance.md has the exact semantics).
CAPABILITIES: dict[str, str] = {
    "silent_vote_refusal": "a same-term vote refusal may go unsent",
    "commit_learned_later": "commitIndex and leaderCommit may lag the model's, never lead",
    "noop_on_election": "a new leader appends a no-op entry of its term (value 0)",
    "empty_heartbeats": "an AppendEntries may carry no entries even to a follower behind",
    "batching": "an AppendEntries may carry a shorter batch than the whole suffix",
    "pre_vote": "a PreVote round before the term is bumped (§9.6 of Ongaro's thesis)",
}
#: Capabilities documented but not honoured yet: refused at init, so nobody believes a
#: tolerance the runner does not apply.
PLANNED: dict[str, str] = {}
#: Capabilities whose difference changes the path (later indexes, a follower left behind,
#: an extra round): the runner follows the implementation with a shadow of raftmodel's
#: nodes (checker/conform/shadow.py).
PATH_CHANGING = frozenset({"noop_on_election", "empty_heartbeats", "batching", "pre_vote"})
#: The value an adapter reports for a no-op entry (``noop_on_election``): [term, 0]. A
#: suite's client requests never use it.
NOOP_VALUE = 0


class ProtocolError(ValueError):
    """An adapter's reply that breaks the protocol (one line)."""


class View(NamedTuple):
    """A node's observable state, as the protocol carries it."""

    currentTerm: int
    role: str
    votedFor: int | None
    log: tuple[tuple[int, int], ...]
    commitIndex: int


class Reply(NamedTuple):
    """The answer to one operation: the node's state after it and the messages it sent
    (JSON envelopes), or ``error`` when the adapter refused the operation."""

    state: View | None
    sent: tuple[dict[str, Any], ...]
    error: str | None = None


class Hello(NamedTuple):
    """The answer to ``init``."""

    capabilities: frozenset[str]
    implementation: str


# --- raftmodel -> protocol ------------------------------------------------------------------


def view_of(s: NodeState) -> View:
    return View(
        s.currentTerm,
        s.role.label,
        None if s.votedFor == NIL else s.votedFor,
        tuple((e.term, e.value) for e in s.log),
        s.commitIndex,
    )


def envelope(m: Message) -> dict[str, Any]:
    """A raftmodel message as the protocol's envelope."""
    body: dict[str, Any]
    if isinstance(m, RequestVote):
        body = {
            "type": "RequestVote",
            "term": m.term,
            "candidateId": m.source,
            "lastLogIndex": m.lastLogIndex,
            "lastLogTerm": m.lastLogTerm,
        }
    elif isinstance(m, RequestVoteResponse):
        body = {"type": "RequestVoteResponse", "term": m.term, "voteGranted": m.voteGranted}
    elif isinstance(m, AppendEntries):
        body = {
            "type": "AppendEntries",
            "term": m.term,
            "leaderId": m.source,
            "prevLogIndex": m.prevLogIndex,
            "prevLogTerm": m.prevLogTerm,
            "entries": [[e.term, e.value] for e in m.entries],
            "leaderCommit": m.leaderCommit,
        }
    else:
        body = {
            "type": "AppendEntriesResponse",
            "term": m.term,
            "success": m.success,
            "matchIndex": m.matchIndex,
        }
    return {"src": m.source, "dest": m.dest, "body": body}


def message_of(env: Mapping[str, Any]) -> Message:
    """An envelope (already validated by ``check_envelope``) as a raftmodel message."""
    src, dest, b = env["src"], env["dest"], env["body"]
    t = b["type"]
    if t == "RequestVote":
        return RequestVote(src, dest, b["term"], b["lastLogIndex"], b["lastLogTerm"])
    if t == "RequestVoteResponse":
        return RequestVoteResponse(src, dest, b["term"], b["voteGranted"])
    if t == "AppendEntries":
        entries = tuple(Entry(x, y) for x, y in b["entries"])
        return AppendEntries(
            src, dest, b["term"], b["prevLogIndex"], b["prevLogTerm"], entries, b["leaderCommit"]
        )
    if t == "AppendEntriesResponse":
        return AppendEntriesResponse(src, dest, b["term"], b["success"], b["matchIndex"])
    raise ProtocolError(f"a {t} is not a message raftmodel sends (pre_vote's round)")


def view_json(v: View) -> dict[str, Any]:
    return {
        "currentTerm": v.currentTerm,
        "role": v.role,
        "votedFor": v.votedFor,
        "log": [list(e) for e in v.log],
        "commitIndex": v.commitIndex,
    }


def reply_json(request_id: Any, r: Reply | Hello) -> dict[str, Any]:
    if isinstance(r, Hello):
        return {
            "in_reply_to": request_id,
            "ok": True,
            "protocol": VERSION,
            "capabilities": sorted(r.capabilities),
            "implementation": r.implementation,
        }
    if r.error is not None:
        return {"in_reply_to": request_id, "ok": False, "error": r.error}
    assert r.state is not None
    return {
        "in_reply_to": request_id,
        "ok": True,
        "state": view_json(r.state),
        "sent": list(r.sent),
    }


def canonical(value: Any) -> str:
    """One text per JSON value (key order ignored): how messages are compared."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# --- validation ------------------------------------------------------------------------------


def _clip(v: Any, at: int = 60) -> str:
    text = v if isinstance(v, str) else canonical(v) if _jsonable(v) else repr(v)
    return text if len(text) <= at else text[: at - 3] + "..."


def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return False
    return True


def _nat(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ProtocolError(f"{where}: expected an integer >= 0, got {_clip(v)}")
    return v


def _exact_keys(o: Any, required: Sequence[str], optional: Sequence[str], where: str) -> None:
    if not isinstance(o, dict):
        raise ProtocolError(f"{where}: expected an object, got {_clip(o)}")
    for k in required:
        if k not in o:
            raise ProtocolError(f"{where}: missing field {k!r}")
    extra = sorted(set(o) - set(required) - set(optional))
    if extra:
        raise ProtocolError(f"{where}: unexpected field {extra[0]!r}")


def _log(v: Any, where: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(v, list):
        raise ProtocolError(f"{where}: expected a list of [term, value], got {_clip(v)}")
    out = []
    for k, e in enumerate(v):
        if not (isinstance(e, list) and len(e) == 2):
            raise ProtocolError(f"{where}[{k}]: expected [term, value], got {_clip(e)}")
        val = e[1]
        if isinstance(val, bool) or not isinstance(val, int):
            raise ProtocolError(f"{where}[{k}]: the value must be an integer, got {_clip(val)}")
        out.append((_nat(e[0], f"{where}[{k}] term"), val))
    return tuple(out)


def check_view(o: Any, n: int, where: str = "state") -> View:
    _exact_keys(o, STATE_FIELDS, (), where)
    role = o["role"]
    if role not in ROLES:
        raise ProtocolError(f"{where}.role: expected one of {', '.join(ROLES)}, got {_clip(role)}")
    voted = o["votedFor"]
    if voted is not None:
        voted = _nat(voted, f"{where}.votedFor")
        if not 1 <= voted <= n:
            raise ProtocolError(f"{where}.votedFor: server {voted} is not in 1..{n}")
    return View(
        _nat(o["currentTerm"], f"{where}.currentTerm"),
        role,
        voted,
        _log(o["log"], f"{where}.log"),
        _nat(o["commitIndex"], f"{where}.commitIndex"),
    )


def check_envelope(o: Any, n: int, where: str) -> dict[str, Any]:
    """Validate a message envelope; returns it with the entries as lists (canonical)."""
    _exact_keys(o, ("src", "dest", "body"), (), where)
    for k in ("src", "dest"):
        x = _nat(o[k], f"{where}.{k}")
        if not 1 <= x <= n:
            raise ProtocolError(f"{where}.{k}: server {x} is not in 1..{n}")
    b = o["body"]
    if not isinstance(b, dict) or "type" not in b:
        raise ProtocolError(f"{where}.body: expected an object with a 'type'")
    t = b["type"]
    if t not in BODY_FIELDS:
        raise ProtocolError(
            f"{where}.body.type: unknown message type {_clip(t)}; known: {', '.join(BODY_FIELDS)}"
        )
    _exact_keys(b, ("type", *BODY_FIELDS[t]), (), f"{where}.body")
    for f in BODY_FIELDS[t]:
        fw = f"{where}.body.{f}"
        if f in _BOOLS:
            if not isinstance(b[f], bool):
                raise ProtocolError(f"{fw}: expected true or false, got {_clip(b[f])}")
        elif f == "entries":
            _log(b[f], fw)
        else:
            _nat(b[f], fw)
    for f in ("candidateId", "leaderId"):
        if f in b and b[f] != o["src"]:
            raise ProtocolError(f"{where}.body.{f}: {b[f]} is not the sender {o['src']}")
    return o  # type: ignore[no-any-return]


def parse_hello(o: Any) -> Hello:
    _exact_keys(
        o,
        ("in_reply_to", "ok"),
        ("protocol", "capabilities", "implementation", "error"),
        "init reply",
    )
    if o["ok"] is not True:
        raise ProtocolError(f"init refused: {_clip(o.get('error', 'no error given'), 200)}")
    for k in ("protocol", "capabilities"):
        if k not in o:
            raise ProtocolError(f"init reply: missing field {k!r}")
    if o["protocol"] != VERSION:
        raise ProtocolError(
            f"init reply: protocol {_clip(o['protocol'])}; this runner speaks {VERSION}"
        )
    caps = o["capabilities"]
    if not (isinstance(caps, list) and all(isinstance(c, str) for c in caps)):
        raise ProtocolError(f"init reply.capabilities: expected a list of names, got {_clip(caps)}")
    for c in caps:
        if c in PLANNED:
            raise ProtocolError(
                f"init reply: capability {c!r} is planned, not yet honoured by the runner"
            )
        if c not in CAPABILITIES:
            raise ProtocolError(
                f"init reply: unknown capability {c!r}; known: {', '.join(CAPABILITIES)}"
            )
    name = o.get("implementation", "")
    if not isinstance(name, str):
        raise ProtocolError(f"init reply.implementation: expected a string, got {_clip(name)}")
    return Hello(frozenset(caps), name)


def parse_reply(o: Any, n: int) -> Reply:
    """Validate the reply to a node operation."""
    if not isinstance(o, dict):
        raise ProtocolError(f"reply: expected an object, got {_clip(o)}")
    if o.get("ok") is False:
        _exact_keys(o, ("in_reply_to", "ok", "error"), (), "reply")
        return Reply(None, (), _clip(o["error"], 200))
    _exact_keys(o, ("in_reply_to", "ok", "state", "sent"), (), "reply")
    if o["ok"] is not True:
        raise ProtocolError(f"reply.ok: expected true or false, got {_clip(o['ok'])}")
    state = check_view(o["state"], n)
    sent = o["sent"]
    if not isinstance(sent, list):
        raise ProtocolError(f"reply.sent: expected a list of messages, got {_clip(sent)}")
    return Reply(state, tuple(check_envelope(m, n, f"reply.sent[{k}]") for k, m in enumerate(sent)))
