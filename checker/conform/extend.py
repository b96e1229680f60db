"""Where a known-bug variant first differs from correct Raft in what the protocol
observes, and the shortest continuation of a scenario that reaches that point.

A variant's shortest counterexample ends where a property breaks, and some properties
look at state the adapter protocol (v1) does not carry: a leader's nextIndex and
matchIndex, a candidate's votesGranted. On such a path the variant and Raft show the same
observable state and send the same messages at every step, so a conformance scenario of
that path cannot tell them apart. ``extend`` searches onward from the path's end, running
correct Raft and the variant in lockstep (the same action on both clusters, both
raftmodel), for the shortest continuation after which the acting node's observed state or
the messages it sent differ: that is the step where an implementation with the bug fails
the scenario.

While nothing observable differs, every message either side sent is the same, so both
networks are equal and the pair of clusters differs only in hidden fields: the search's
state is Raft's cluster and the variant's nodes (history fields dropped: they change
nothing that happens next). No Raft rule lives here: every step is ``cluster.apply``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, NamedTuple

from checker.conform import protocol as proto
from checker.conform.outcomes import acting_node, sent_by
from raftmodel.actions import Action
from raftmodel.cluster import Bounds, ClusterState, Config, apply, init_state, successors
from raftmodel.rules import RAFT, Rules

#: Joint states a search may visit before it gives up on one set of bounds.
MAX_STATES = 5_000


def _message_key(env: dict[str, Any]) -> str:
    """A message as the runner compares it (runner._key without tolerances): a refused
    AppendEntries' matchIndex is not compared."""
    b = dict(env["body"])
    if b["type"] == "AppendEntriesResponse" and not b["success"]:
        b.pop("matchIndex")
    return proto.canonical({"src": env["src"], "dest": env["dest"], "body": b})


def observed(s: ClusterState, a: Action, t: ClusterState, config: Config) -> tuple[Any, ...]:
    """What the runner compares after action ``a`` from ``s`` to ``t``: the acting node's
    observed state and the messages it sent (a multiset)."""
    i = acting_node(a)
    assert i is not None
    sent = sorted(_message_key(proto.envelope(m)) for m in sent_by(s, a, config))
    return proto.view_of(t.nodes[i - 1]), tuple(sent)


class Difference(NamedTuple):
    #: 1-based step of the action list where the observed state or messages differ.
    step: int
    #: What differs, in words (for the manifest and the build's report).
    what: str


def _what(raft: tuple[Any, ...], var: tuple[Any, ...]) -> str:
    (rv, rs), (vv, vs) = raft, var
    fields = [f for f in proto.STATE_FIELDS if getattr(rv, f) != getattr(vv, f)]
    parts = [f"{f} {getattr(rv, f)!r} on Raft, {getattr(vv, f)!r} on the variant" for f in fields]
    if rs != vs:
        parts.append("the messages sent differ")
    return "; ".join(parts)


def first_difference(
    config: Config, variant: Rules, actions: Sequence[Action]
) -> Difference | None:
    """The first step of ``actions`` (from Init, no prefix) after which Raft and
    ``variant`` differ in what the runner observes; None if they never do (or an action
    is not enabled on one of them: that is where the path stops)."""
    raft = config._replace(rules=RAFT, prefix=())
    var = raft._replace(rules=variant)
    s = v = init_state(raft)
    for k, a in enumerate(actions, start=1):
        t, w = apply(s, a, raft), apply(v, a, var)
        if t is None or w is None:
            return None
        if acting_node(a) is not None:
            ro, vo = observed(s, a, t, raft), observed(v, a, w, var)
            if ro != vo:
                return Difference(k, _what(ro, vo))
        s, v = t, w
    return None


def _key(s: ClusterState, v: ClusterState) -> tuple[Any, ...]:
    return (s.nodes, s.network, s.restarts, s.requests, v.nodes)


class Extension(NamedTuple):
    actions: tuple[Action, ...]
    bounds: Bounds
    difference: Difference
    #: Joint states the successful search visited.
    states: int


def relaxations(b: Bounds) -> list[Bounds]:
    """The bounds a search tries, in order: the preset's, then one more entry and request,
    then one more term, then both (a counterexample often ends at a bound)."""

    def more(x: int | None) -> int | None:
        return None if x is None else x + 1

    log = b._replace(max_log=more(b.max_log), max_requests=more(b.max_requests))
    term = b._replace(max_term=more(b.max_term))
    both = log._replace(max_term=more(b.max_term))
    out: list[Bounds] = []
    for x in (b, log, term, both):
        if x not in out:
            out.append(x)
    return out


def _search(
    raft: Config, var: Config, prefix: Sequence[Action], max_states: int
) -> tuple[tuple[Action, ...], Difference, int] | None:
    s = v = init_state(raft)
    for a in prefix:
        t, w = apply(s, a, raft), apply(v, a, var)
        if t is None or w is None:
            return None
        s, v = t, w
    states = [(s, v)]
    parent = [-1]
    via: list[Action | None] = [None]
    seen = {_key(s, v)}
    q = deque([0])
    while q:
        k = q.popleft()
        s, v = states[k]
        for a, t in successors(s, raft):
            w = apply(v, a, var)
            if w is None:
                continue
            if acting_node(a) is not None:
                ro, vo = observed(s, a, t, raft), observed(v, a, w, var)
                if ro != vo:
                    path: list[Action] = [a]
                    j = k
                    while j > 0:
                        x = via[j]
                        assert x is not None
                        path.append(x)
                        j = parent[j]
                    tail = tuple(reversed(path))
                    return tail, Difference(len(prefix) + len(tail), _what(ro, vo)), len(states)
            key = _key(t, w)
            if key in seen:
                continue
            if len(states) >= max_states:
                return None
            seen.add(key)
            states.append((t, w))
            parent.append(k)
            via.append(a)
            q.append(len(states) - 1)
    return None


def extend(
    config: Config,
    variant: Rules,
    prefix: Sequence[Action],
    max_states: int = MAX_STATES,
) -> Extension | None:
    """The shortest continuation of ``prefix`` (from Init, every action enabled on Raft
    and on ``variant``) whose last step shows Raft and the variant differing in what the
    runner observes: BFS over the pair of clusters, under the config's bounds first and
    then under the relaxed ones (``relaxations``); None if no bounds tried find one."""
    for b in relaxations(config.bounds):
        raft = config._replace(rules=RAFT, prefix=(), bounds=b)
        found = _search(raft, raft._replace(rules=variant), prefix, max_states)
        if found is not None:
            tail, diff, n = found
            return Extension(tail, b, diff, n)
    return None
