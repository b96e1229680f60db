"""The runner's shadow cluster: raftmodel's nodes driven by the same operations as the
implementation, for capabilities that let it take a different (allowed) path than the
scenario's.

A scenario's expectations are raftmodel's states along one path. Some differences of a
real implementation change the path itself: a no-op entry appended on election shifts
every later index; a shorter batch (or an empty heartbeat) leaves the follower behind,
so its reply, the leader's matchIndex and the commit that follows all differ from the
scenario's. For those the runner keeps this shadow: correct Raft's nodes
(``raftmodel.node.step``) fed the implementation's own messages, so every expectation
after an allowed difference is still what raftmodel does from there. No Raft rule lives
here: a no-op is a ``Propose`` the shadow feeds the new leader (the value
``protocol.NOOP_VALUE``), and every reaction is ``node.step``.
"""

from __future__ import annotations

from typing import Any

from checker.conform import protocol as proto
from raftmodel.messages import ElectionTimeout, Message, Propose, SendAppend
from raftmodel.node import NodeState, can_time_out, init_node, is_leader, restart, step
from raftmodel.rules import RAFT
from raftmodel.types import Role


class Shadow:
    """Correct Raft's nodes 1..n, one operation at a time."""

    def __init__(self, n: int, noop_on_election: bool = False) -> None:
        self.n = n
        self.noop = noop_on_election
        self.nodes: dict[int, NodeState] = {i: init_node(i, n) for i in range(1, n + 1)}

    def view(self, i: int) -> proto.View:
        return proto.view_of(self.nodes[i])

    def applicable(self, op: dict[str, Any]) -> bool:
        """Whether the harness would take this operation in the shadow's state (its
        guards, asked of raftmodel as cluster.apply asks them)."""
        kind = op["op"]
        if kind == "timeout":
            return can_time_out(self.nodes[op["node"]])
        if kind in ("send_append", "client_request"):
            return is_leader(self.nodes[op["node"]])
        return True

    def would_vote(self, request: Message) -> bool:
        """Whether the request's receiver would grant it now (a RequestVote fed to a copy
        of the node, the copy thrown away): how a PreVote is answered (Ongaro's thesis
        §9.6: "would you vote for me in the next term?")."""
        r = request
        after, sent = step(self.nodes[r.dest], r, self.n, RAFT)
        del after
        return any(getattr(m, "voteGranted", False) for m in sent)

    def step(
        self, op: dict[str, Any], message: Message | None = None
    ) -> tuple[NodeState, tuple[Message, ...]]:
        """Perform ``op`` (a ``deliver`` takes ``message``: the implementation's own
        copy); returns the acting node's state after it and the messages it sent."""
        kind = op["op"]
        if kind == "deliver":
            assert message is not None
            i = message.dest
        else:
            i = op["node"]
        before = self.nodes[i]
        sent: tuple[Message, ...] = ()
        if kind == "restart":
            after = restart(before, self.n, RAFT)
        else:
            event: Any
            if kind == "timeout":
                event = ElectionTimeout()
            elif kind == "send_append":
                event = SendAppend(op["to"])
            elif kind == "client_request":
                event = Propose(op["value"])
            elif kind == "deliver":
                event = message
            else:
                raise ValueError(f"not a node operation: {kind!r}")
            after, sent = step(before, event, self.n, RAFT)
        if (
            self.noop
            and after.role == Role.LEADER
            and (before.role != Role.LEADER or before.currentTerm != after.currentTerm)
        ):
            # The implementation appends a no-op entry of its term when elected (Ongaro's
            # thesis §6.4 / the paper §8): in the shadow, a request the new leader takes.
            after, more = step(after, Propose(proto.NOOP_VALUE), self.n, RAFT)
            sent = (*sent, *more)
        self.nodes[i] = after
        return after, sent
