"""The adapter side of the protocol: the Python in-process API, the reference adapter
(raftmodel behind the protocol) and ``serve``, which puts any in-process adapter behind
JSON lines on stdin/stdout.

A Python implementation under test implements ``Adapter`` (seven methods, the protocol's
operations) and is run either in-process (``runner.InProcess(adapter)``) or as a
subprocess whose ``main`` calls ``serve(adapter)``: the same replies go through the same
validation either way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import IO, Any, Protocol

from checker.conform import protocol as proto
from checker.conform.outcomes import event_of
from checker.conform.protocol import Hello, ProtocolError, Reply
from raftmodel.actions import Action, ClientRequest, Receive, SendAppendEntries, Timeout
from raftmodel.node import NodeState, init_node, restart, step
from raftmodel.rules import RAFT, Rules


class Adapter(Protocol):
    """The nodes under test, driven one operation at a time by the runner, which owns the
    network, the clock and the schedule. Each node operation returns the node's state
    after it and the messages it sent (``protocol.envelope`` shape)."""

    def init(self, nodes: Sequence[int]) -> Hello:
        """(Re)start a fresh cluster of these ids (first boot: term 0, empty log)."""
        ...

    def timeout(self, node: int) -> Reply: ...

    def send_append(self, node: int, to: int) -> Reply: ...

    def deliver(self, message: dict[str, Any]) -> Reply: ...

    def client_request(self, node: int, value: int) -> Reply: ...

    def restart(self, node: int) -> Reply: ...

    def observe(self, node: int) -> Reply: ...


class ReferenceAdapter:
    """raftmodel's node (``node.step``, ``node.restart``) under ``rules``: correct Raft,
    or a known-bug variant for the mutation score."""

    def __init__(self, rules: Rules = RAFT) -> None:
        self.rules = rules
        self.nodes: dict[int, NodeState] = {}
        self.n = 0

    def init(self, nodes: Sequence[int]) -> Hello:
        self.n = len(nodes)
        if list(nodes) != list(range(1, self.n + 1)):
            raise ProtocolError("the reference adapter takes node ids 1..n")
        self.nodes = {i: init_node(i, self.n) for i in nodes}
        return Hello(frozenset(), f"raftmodel ({self.rules.name})")

    def _node(self, i: int) -> NodeState:
        if i not in self.nodes:
            raise ProtocolError(f"no node {i}")
        return self.nodes[i]

    def _step(self, i: int, a: Action) -> Reply:
        after, sent = step(self._node(i), event_of(a), self.n, self.rules)
        self.nodes[i] = after
        return Reply(proto.view_of(after), tuple(proto.envelope(m) for m in sent))

    def timeout(self, node: int) -> Reply:
        return self._step(node, Timeout(node))

    def send_append(self, node: int, to: int) -> Reply:
        return self._step(node, SendAppendEntries(node, to))

    def deliver(self, message: dict[str, Any]) -> Reply:
        m = proto.message_of(proto.check_envelope(message, self.n, "message"))
        return self._step(m.dest, Receive(m))

    def client_request(self, node: int, value: int) -> Reply:
        return self._step(node, ClientRequest(node, value))

    def restart(self, node: int) -> Reply:
        self.nodes[node] = restart(self._node(node), self.n, self.rules)
        return Reply(proto.view_of(self.nodes[node]), ())

    def observe(self, node: int) -> Reply:
        return Reply(proto.view_of(self._node(node)), ())


def _int_param(req: dict[str, Any], key: str) -> int:
    v = req.get(key)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ProtocolError(f"request: {key!r} must be an integer")
    return v


def handle(adapter: Adapter, req: Any) -> dict[str, Any]:
    """Answer one request (a JSON object) with a reply object; an adapter that refuses an
    operation (ProtocolError, ValueError) answers ``ok: false`` with the reason."""
    rid = req.get("id") if isinstance(req, dict) else None
    try:
        if not isinstance(req, dict) or req.get("op") not in proto.OPS:
            raise ProtocolError("request: expected an object with a known 'op'")
        op = req["op"]
        r: Reply | Hello
        if op == "init":
            if req.get("protocol") != proto.VERSION:
                raise ProtocolError(f"protocol {req.get('protocol')!r} is not {proto.VERSION}")
            nodes = req.get("nodes")
            if not (isinstance(nodes, list) and all(isinstance(x, int) for x in nodes)):
                raise ProtocolError("request: 'nodes' must be a list of ids")
            r = adapter.init(nodes)
        elif op == "timeout":
            r = adapter.timeout(_int_param(req, "node"))
        elif op == "send_append":
            r = adapter.send_append(_int_param(req, "node"), _int_param(req, "to"))
        elif op == "deliver":
            r = adapter.deliver(req.get("message"))  # type: ignore[arg-type]
        elif op == "client_request":
            r = adapter.client_request(_int_param(req, "node"), _int_param(req, "value"))
        elif op == "restart":
            r = adapter.restart(_int_param(req, "node"))
        else:
            r = adapter.observe(_int_param(req, "node"))
    except (ProtocolError, ValueError, KeyError, TypeError) as e:
        return {"in_reply_to": rid, "ok": False, "error": str(e) or type(e).__name__}
    return proto.reply_json(rid, r)


def serve(adapter: Adapter, inp: IO[str] | None = None, out: IO[str] | None = None) -> int:
    """Serve ``adapter`` over JSON lines until end of input; returns an exit code. Logs
    belong on stderr: stdout carries replies only."""
    inp = sys.stdin if inp is None else inp
    out = sys.stdout if out is None else out
    for line in inp:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except json.JSONDecodeError:
            req = None
        out.write(json.dumps(handle(adapter, req), separators=(",", ":")) + "\n")
        out.flush()
    return 0
