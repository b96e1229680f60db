"""``node.step`` remembered: a search asks the same question again and again.

``step(node, event, n, rules)`` is a pure function, and an exhaustive search feeds it the
same few pairs over and over: the first 60,000 states of two-terms take 616,275 steps
of 1,521 distinct (node, event) pairs. ``Steps`` answers a pair met before from a table
instead of running the handler again, and makes what it computes canonical: equal node
states and equal messages it produces are one object each. Then the states of a search
share their parts by identity, and so the table is keyed by identity (one int made of
two ids, not the hash of a node state), and so are the caches of whoever reads the
states next (the symmetric fingerprint finds a server tuple by its id).

Only speed changes: a hit returns what ``step`` returned for an equal pair, which is
what ``step`` would return now. Each entry keeps its node and event alive, so their ids
are not reused while the entry stands. The tables are bounded (cleared when full).
"""

from __future__ import annotations

from typing import Final

from raftmodel.messages import Event, Message
from raftmodel.network import Network, Semantics
from raftmodel.node import Messages, NodeState, step
from raftmodel.rules import Rules

#: Entries kept before the tables are cleared: the whole two-terms meets 2,014 distinct
#: steps and 4,728 server replacements; an entry keeps a few hundred bytes alive.
LIMIT: Final = 200_000


def _pair(a: object, b: object) -> int:
    """A key for the pair of objects ``a`` and ``b``, from their identities: one int, not
    a tuple of two (an entry holds both objects and is taken only when they are the
    same: two pairs that share a key only take turns in the table)."""
    return id(a) << 16 ^ id(b)


class Steps:
    """The tables of one process (``raftmodel.cluster`` keeps one for every step it takes)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        #: Nonzero: every step runs its handler and nothing is remembered (``unremembered``
        #: in raftmodel.cluster: for whoever watches the handlers run, or patches them).
        self.off = 0
        # _pair(node, event) -> (node, event, rules, n, node after, messages sent)
        self.known: dict[int, tuple[NodeState, Event, Rules, int, NodeState, Messages]] = {}
        self.nodes: dict[NodeState, NodeState] = {}
        self.messages: dict[Message, Message] = {}
        # _pair(servers, server after) -> (servers, server after, servers after)
        self.replaced: dict[
            int, tuple[tuple[NodeState, ...], NodeState, tuple[NodeState, ...]]
        ] = {}
        self.tuples: dict[tuple[NodeState, ...], tuple[NodeState, ...]] = {}

    def clear(self) -> None:
        self.known.clear()
        self.nodes.clear()
        self.messages.clear()
        self.replaced.clear()
        self.tuples.clear()

    def node(self, s: NodeState) -> NodeState:
        """The canonical object equal to ``s``."""
        return self.nodes.setdefault(s, s)

    def step(self, s: NodeState, event: Event, n: int, rules: Rules) -> tuple[NodeState, Messages]:
        """``node.step(s, event, n, rules)``, the node and messages canonical."""
        if self.off:
            return step(s, event, n, rules)
        key = _pair(s, event)
        hit = self.known.get(key)
        # The rules and n are checked rather than keyed: one search uses one of each, and
        # two searches of different models may share the process (and its threads).
        if hit is not None and hit[0] is s and hit[1] is event and hit[2] is rules and hit[3] == n:
            return hit[4], hit[5]
        after, sent = step(s, event, n, rules)
        if after is not s:
            after = self.node(after)
        if sent:
            messages = self.messages
            sent = tuple([messages.setdefault(m, m) for m in sent])
        if len(self.known) >= self.limit:
            self.clear()
        self.known[key] = (s, event, rules, n, after, sent)
        return after, sent

    def replace(self, nodes: tuple[NodeState, ...], after: NodeState) -> tuple[NodeState, ...]:
        """``nodes`` with server ``after.id`` replaced by ``after``, canonical."""
        key = _pair(nodes, after)
        hit = self.replaced.get(key)
        if hit is not None and hit[0] is nodes and hit[1] is after:
            return hit[2]
        i = after.id - 1
        new = (*nodes[:i], after, *nodes[i + 1 :])
        new = self.tuples.setdefault(new, new)
        if len(self.replaced) >= self.limit:
            self.clear()
        self.replaced[key] = (nodes, after, new)
        return new

    def servers(self, nodes: tuple[NodeState, ...]) -> tuple[NodeState, ...]:
        """The canonical server tuple equal to ``nodes``, of canonical node states."""
        known = self.tuples.get(nodes)
        if known is not None:
            return known
        new = tuple([self.node(x) for x in nodes])
        return self.tuples.setdefault(new, new)

    def network(self, network: Network, sem: Semantics) -> Network:
        """``network`` of canonical messages (itself when they all are)."""
        messages = self.messages
        if sem is Semantics.SET:
            own = [messages.setdefault(m, m) for m in network]
            if all(a is b for a, b in zip(own, network)):  # noqa: B905 (same length)
                return network
            return frozenset(own)
        pairs = [(messages.setdefault(m, m), c) for m, c in network]
        if all(a[0] is b[0] for a, b in zip(pairs, network)):  # noqa: B905 (same length)
            return network
        return frozenset(pairs)
