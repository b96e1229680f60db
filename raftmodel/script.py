"""Drive a cluster by hand: a small, explicit vocabulary for tests and story traces.

``Script`` applies harness actions one at a time and refuses any that is not enabled,
so a story written with it is a genuine behaviour of the model. Messages are chosen
by type, source, destination and (optionally) field values; an ambiguous choice is an
error that lists the candidates rather than a silent pick.
"""

from __future__ import annotations

from typing import Any

from raftmodel import network as net
from raftmodel.actions import (
    Action,
    ClientRequest,
    Drop,
    Receive,
    Restart,
    SendAppendEntries,
    Timeout,
)
from raftmodel.cluster import ClusterState, Config, apply, event_of, init_state, model_rules
from raftmodel.messages import (
    AppendEntries,
    AppendEntriesResponse,
    Message,
    RequestVote,
    RequestVoteResponse,
)
from raftmodel.node import step


class ScriptError(ValueError):
    """A scripted action is not enabled, or a message choice is missing or ambiguous."""


_KINDS: dict[str, type] = {
    "RequestVote": RequestVote,
    "RequestVoteResponse": RequestVoteResponse,
    "AppendEntries": AppendEntries,
    "AppendEntriesResponse": AppendEntriesResponse,
}


class Script:
    def __init__(self, config: Config, start: ClusterState | None = None) -> None:
        self.config = config
        self.states: list[ClusterState] = [start if start is not None else init_state(config)]
        self.actions: list[Action] = []

    @property
    def state(self) -> ClusterState:
        return self.states[-1]

    def do(self, a: Action) -> Script:
        nxt = apply(self.state, a, self.config)
        if nxt is None:
            raise ScriptError(f"step {len(self.actions) + 1}: {a!r} is not enabled")
        self.actions.append(a)
        self.states.append(nxt)
        return self

    def timeout(self, i: int) -> Script:
        return self.do(Timeout(i))

    def send_append(self, i: int, j: int, batch: int = 0) -> Script:
        return self.do(SendAppendEntries(i, j, batch))

    def client(self, i: int, v: int = 1) -> Script:
        return self.do(ClientRequest(i, v))

    def restart(self, i: int) -> Script:
        return self.do(Restart(i))

    def find(self, kind: str, src: int, dst: int, **fields: Any) -> Message:
        typ = _KINDS[kind]
        found = [
            m
            for m in net.messages(self.state.network, self.config.semantics)
            if type(m) is typ
            and m.source == src
            and m.dest == dst
            and all(getattr(m, k) == v for k, v in fields.items())
        ]
        if len(found) != 1:
            what = "no" if not found else f"{len(found)}"
            raise ScriptError(
                f"step {len(self.actions) + 1}: {what} {kind} {src}->{dst} "
                f"matching {fields}: {found}"
            )
        return found[0]

    def deliver(self, kind: str, src: int, dst: int, **fields: Any) -> Script:
        return self.do(Receive(self.find(kind, src, dst, **fields)))

    def drop(self, kind: str, src: int, dst: int, **fields: Any) -> Script:
        return self.do(Drop(self.find(kind, src, dst, **fields)))

    def vote(self, candidate: int, voter: int, term: int | None = None) -> Script:
        """Deliver the candidate's RequestVote to the voter and the voter's answer back."""
        kw = {} if term is None else {"term": term}
        self.deliver("RequestVote", candidate, voter, **kw)
        t = self.state.nodes[voter - 1].currentTerm
        return self.deliver("RequestVoteResponse", voter, candidate, term=t)

    def sent(self, a: Action) -> tuple[Message, ...]:
        """The messages action ``a`` would send from the current state: the node's own
        ``step`` on the action's event, so no rule is restated here."""
        driven = event_of(a)
        if driven is None:
            return ()
        who, event = driven
        return step(self.state.nodes[who - 1], event, self.config.n, model_rules(self.config))[1]

    def _only(self, a: Action) -> Message:
        out = self.sent(a)
        if len(out) != 1:
            raise ScriptError(f"step {len(self.actions) + 1}: {a!r} sends {out}, expected one")
        return out[0]

    def replicate(self, leader: int, follower: int, batch: int = 0) -> Script:
        """Send AppendEntries from leader to follower (``batch`` entries; 0: all), deliver
        it and deliver the reply."""
        send = SendAppendEntries(leader, follower, batch)
        msg = self._only(send)
        self.do(send)
        reply = self._only(Receive(msg))
        self.do(Receive(msg))
        return self.do(Receive(reply))
